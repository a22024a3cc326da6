"""Operations: health for the load balancer, metrics for Prometheus, one structured log line
per request (request id, user, operation, duration, SQL statements, error codes)."""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa

from salescoord.logs import JsonFormatter

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
    assert first.sql_statements >= 3 and first.duration_ms > 0 and first.error_codes == []
    assert second.operation == "query:users" and second.error_codes == ["BAD_USER_INPUT"]
    entry = json.loads(JsonFormatter().format(first))
    assert {"ts", "level", "request_id", "user_id", "operation", "duration_ms", "sql_statements"} <= set(
        entry
    )


async def test_metrics_count_requests_errors_and_statements(client, make):
    am = await make.am()
    await client.post(DASHBOARD, as_user=am)
    await client.post("query MetricsProbe { users(first: 0) { totalCount } }", as_user=am)
    text = (await client.http.get("/metrics")).text
    assert 'salescoord_requests_total{operation="ScDashboard"}' in text
    assert 'salescoord_requests_total{operation="MetricsProbe"}' in text
    assert 'salescoord_errors_total{code="BAD_USER_INPUT"}' in text
    assert 'salescoord_sql_statements_count{operation="ScDashboard"}' in text
    assert 'salescoord_request_seconds_bucket{le="0.5",operation="ScDashboard"}' in text


async def test_metrics_report_the_outbox_backlog(client, engine):
    from db.models.base import utcnow
    from db.tables import emails

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
    text = (await client.http.get("/metrics")).text
    assert "salescoord_outbox_backlog 2.0" in text
