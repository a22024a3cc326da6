"""Clients of an app with settings other than the suite's (limits, switches), on the test's
database: each is a separate app, as a separate server process would be."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from salescoord.app import attach_engine, create_app
from salescoord.settings import Settings
from tests.helpers import Client


@asynccontextmanager
async def served(
    engine: AsyncEngine, settings: Settings, **overrides: Any
) -> AsyncIterator[tuple[Starlette, Client]]:
    """The app itself beside its client, for what a process holds (`app.state.graphql`)."""
    changed = dataclasses.replace(settings, **overrides)
    app = create_app(changed)
    attach_engine(app, engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        yield app, Client(http, changed, engine)


@asynccontextmanager
async def client_with(engine: AsyncEngine, settings: Settings, **overrides: Any) -> AsyncIterator[Client]:
    async with served(engine, settings, **overrides) as (_, client):
        yield client
