"""Prometheus metrics at /metrics: requests, latency and SQL statements by operation, errors
by code, and the email outbox backlog.

With several worker processes, set PROMETHEUS_MULTIPROC_DIR to an empty folder shared by
them (prometheus_client's multiprocess mode) so one scrape sees every process.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter("salescoord_requests_total", "GraphQL requests", ["operation"])
ERRORS = Counter("salescoord_errors_total", "GraphQL errors by code", ["code"])
LATENCY = Histogram(
    "salescoord_request_seconds",
    "GraphQL request duration",
    ["operation"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
STATEMENTS = Histogram(
    "salescoord_sql_statements",
    "SQL statements per GraphQL request",
    ["operation"],
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55),
)
OUTBOX_BACKLOG = Gauge("salescoord_outbox_backlog", "Emails waiting in the outbox", multiprocess_mode="max")


MAX_OPERATIONS = 500
_operations: set[str] = set()


def _label(operation: str) -> str:
    """Operation names come from clients: past a bound, new ones share one label, so a client
    cannot grow the metrics without limit."""
    if operation in _operations:
        return operation
    if len(_operations) < MAX_OPERATIONS:
        _operations.add(operation)
        return operation
    return "other"


def observe_request(operation: str, seconds: float, statements: int, error_codes: list[str]) -> None:
    operation = _label(operation)
    REQUESTS.labels(operation).inc()
    LATENCY.labels(operation).observe(seconds)
    STATEMENTS.labels(operation).observe(statements)
    for code in error_codes:
        ERRORS.labels(code).inc()


def exposition() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
