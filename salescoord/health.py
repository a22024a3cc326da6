"""Health endpoints for a load balancer and an orchestrator.

/healthz: the process answers (liveness). /readyz: the database answers and its schema is
the one this code expects (readiness): a process started before a migration, or against
a database that is down, is taken out of rotation instead of failing requests.
"""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from salescoord.db.migrate import alembic_config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("unused")).get_current_head()


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    engine = request.app.state.graphql.engine
    expected = request.app.state.head_revision
    try:
        async with engine.connect() as connection:
            current = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except Exception as error:  # any failure to reach the database means not ready
        return JSONResponse({"status": "unavailable", "database": type(error).__name__}, status_code=503)
    if current != expected:
        return JSONResponse(
            {"status": "unavailable", "migrations": {"current": current, "expected": expected}},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "migrations": current})
