"""Prometheus metrics at /metrics: requests, latency and SQL statements by operation, errors
by code, and the email outbox backlog. Operations are labelled from a bounded set
(`salescoord.operation_labels`), and /metrics answers only a scraper with `METRICS_TOKEN`.

With several worker processes, set PROMETHEUS_MULTIPROC_DIR to an empty folder shared by
them (prometheus_client's multiprocess mode) so one scrape sees every process.
"""

from __future__ import annotations

import hmac
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


def observe_request(operation: str, seconds: float, statements: int, error_codes: list[str]) -> None:
    """`operation` is a label from `salescoord.operation_labels`, never a client's own name."""
    REQUESTS.labels(operation).inc()
    LATENCY.labels(operation).observe(seconds)
    STATEMENTS.labels(operation).observe(statements)
    for code in error_codes:
        ERRORS.labels(code).inc()


def authorized(authorization: str | None, token: str) -> bool:
    """`Authorization: Bearer <METRICS_TOKEN>`, compared in constant time."""
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def exposition() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
