"""Operations: health for the load balancer, metrics for Prometheus, one structured log line
per request (request id, user, operation, duration, SQL statements, error codes)."""

from __future__ import annotations

import json
import logging
import re
import uuid

import sqlalchemy as sa

from salescoord.logs import JsonFormatter
from tests.apps import client_with

DASHBOARD = "query ScDashboard { viewer { accountManagers { nodes { associatedBuyers { totalCount } } } } }"


async def test_healthz_answers(client):
    response = await client.http.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_readyz_checks_the_database_and_the_migrations(client, engine):
    response = await client.http.get("/readyz")
    assert response.status_code == 200, response.text
    async with engine.begin() as connection:
        current = (await connection.execute(sa.text("SELECT version_num FROM alembic_version"))).scalar()
        await connection.execute(sa.text("UPDATE alembic_version SET version_num = 'older'"))
    try:
        response = await client.http.get("/readyz")
        assert response.status_code == 503
        assert response.json()["migrations"] == {"current": "older", "expected": current}
    finally:
        async with engine.begin() as connection:
            await connection.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": current})


async def test_each_request_logs_one_structured_line(client, make, caplog):
    am = await make.am()
    sc = await make.sc(ams=[am])
    with caplog.at_level(logging.INFO, logger="salescoord.request"):
        response = await client.http.post(
            "/graphql", json={"query": DASHBOARD}, headers={"Authorization": f"Bearer {client.token(sc)}"}
        )
        await client.post("query { users(first: 0) { totalCount } }", as_user=sc)
    lines = [r for r in caplog.records if r.name == "salescoord.request"]
    assert len(lines) == 2
    first, second = lines
    assert first.request_id == response.headers["X-Request-ID"]
    assert first.user_id == sc and first.operation == "ScDashboard"
    assert first.sql_statements >= 2 and first.duration_ms > 0 and first.error_codes == []  # viewer, plan
    assert second.operation == "query:users" and second.error_codes == ["BAD_USER_INPUT"]
    entry = json.loads(JsonFormatter().format(first))
    assert {"ts", "level", "request_id", "user_id", "operation", "duration_ms", "sql_statements"} <= set(
        entry
    )


SCRAPER = "scrape-" + "s" * 32


async def scrape(client) -> str:
    response = await client.http.get("/metrics", headers={"Authorization": f"Bearer {SCRAPER}"})
    assert response.status_code == 200, response.text
    return response.text


def sample(text: str, series: str) -> float:
    """The value of one series in an exposition (0 when absent)."""
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


async def test_metrics_count_requests_errors_and_statements(engine, settings, make):
    am = await make.am()
    async with client_with(engine, settings, metrics_token=SCRAPER) as client:
        await client.post(DASHBOARD, as_user=am)
        await client.post("query { users(first: 0) { totalCount } }", as_user=am)
        text = await scrape(client)
    assert 'salescoord_requests_total{operation="ScDashboard"}' in text
    assert 'salescoord_requests_total{operation="query:users"}' in text
    assert 'salescoord_errors_total{code="BAD_USER_INPUT"}' in text
    assert 'salescoord_sql_statements_count{operation="ScDashboard"}' in text
    assert 'salescoord_request_seconds_bucket{le="0.5",operation="ScDashboard"}' in text


async def test_metrics_label_operations_from_a_bounded_set_whoever_names_them(engine, settings, make):
    """Six requests with six names of their own once made six series each; now they share
    `other`, signed in or not. Names an operator lists in METRICS_OPERATIONS keep theirs."""
    am = await make.am()
    names = [f"Probe{uuid.uuid4().hex}" for _ in range(6)]
    async with client_with(
        engine, settings, metrics_token=SCRAPER, metrics_operations=("CmsHome",)
    ) as client:
        before = sample(await scrape(client), 'salescoord_requests_total{operation="other"}')
        for index, name in enumerate(names):
            await client.post(f"query {name} {{ viewer {{ id }} }}", as_user=am if index % 2 else None)
        await client.post("query CmsHome { viewer { id } }", as_user=am)
        await client.post("query { viewer { id } users(first: 1) { totalCount } }", as_user=am)
        text = await scrape(client)
    assert not any(name in text for name in names)
    assert sample(text, 'salescoord_requests_total{operation="other"}') == before + 7
    assert sample(text, 'salescoord_requests_total{operation="CmsHome"}') >= 1


async def test_metrics_answer_only_a_scraper_with_the_token(engine, settings, make):
    am = await make.am()
    async with client_with(engine, settings) as client:  # no METRICS_TOKEN: not served
        assert (await client.http.get("/metrics")).status_code == 404
    async with client_with(engine, settings, metrics_token=SCRAPER) as client:
        assert (await client.http.get("/metrics")).status_code == 401
        for wrong in ("Bearer " + SCRAPER[:-1], "Bearer " + client.token(am), SCRAPER):
            response = await client.http.get("/metrics", headers={"Authorization": wrong})
            assert response.status_code == 401
            assert "salescoord_requests_total" not in response.text
        assert "salescoord_requests_total" in await scrape(client)


async def test_metrics_report_the_outbox_backlog(engine, settings):
    from salescoord.db.models.base import utcnow
    from salescoord.db.tables import emails

    async with engine.begin() as connection:
        for status in ("PENDING", "PENDING", "SENT"):
            await connection.execute(
                emails.insert().values(
                    kind="REGISTRATION_NOTICE",
                    to_address="a@example.test",
                    subject="s",
                    body_text="b",
                    status=status,
                    attempts=0,
                    created_at=utcnow(),
                )
            )
    async with client_with(engine, settings, metrics_token=SCRAPER) as scraper:
        text = await scrape(scraper)
    assert "salescoord_outbox_backlog 2.0" in text


NAMED_OPERATION = re.compile(r"\b(?:query|mutation|subscription) ([A-Z]\w*)(?=\s*(?:\(|\{\s))")


def test_the_services_own_documents_keep_their_metrics_labels():
    """A named operation added to the README or the harnesses gets its own label, not `other`."""
    from pathlib import Path

    from salescoord.operation_labels import KNOWN_OPERATIONS

    root = Path(__file__).resolve().parent.parent
    sources = [root / "README.md", *(root / "docs").glob("*.md"), *(root / "bench").glob("*.py")]
    names = {name for path in sources for name in NAMED_OPERATION.findall(path.read_text())}
    assert {"ScDashboard", "Q5", "MeetingNote"} <= names
    assert names <= KNOWN_OPERATIONS, names - KNOWN_OPERATIONS
