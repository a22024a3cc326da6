"""The ASGI application: GraphQL on POST /graphql, GraphiQL on GET /graphql (R28)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from db.session import RequestDatabase, create_engine
from salescoord.context import Context, bearer_token, build_context
from salescoord.settings import Settings
from schema.root import schema as default_schema


class GraphQLApp(GraphQL):
    """Strawberry's ASGI view, with one database connection per HTTP request, closed after it."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        super().__init__(
            default_schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=False,
            **options,
        )
        self.settings = settings
        self.engine: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        db = RequestDatabase(self.engine)
        scope.setdefault("state", {})["db"] = db
        try:
            await super().__call__(scope, receive, send)
        finally:
            await db.close()

    async def get_context(self, request: Any, response: Any) -> Context:
        db = request.scope["state"]["db"]
        return await build_context(
            db, self.settings, bearer_token(request.headers), request=request, response=response
        )


def _service_log() -> None:
    """uvicorn configures its own loggers only: without this, the outbox's and the delivery
    worker's lines (R20: emails readable in the log) would go nowhere under `serve`."""
    service, root = logging.getLogger("salescoord"), logging.getLogger()
    if service.handlers or root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    service.addHandler(handler)
    service.setLevel(os.environ.get("LOG_LEVEL", "info").upper())


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    _service_log()
    graphql = GraphQLApp(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if graphql.engine is None:
            graphql.engine = create_engine(settings.database_url, pool_size=settings.pool_size)
        delivery = start_delivery(graphql.engine, settings)
        app.state.delivery = delivery
        try:
            yield
        finally:
            if delivery is not None:
                await delivery.stop()
            await graphql.engine.dispose()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )
    app.state.graphql = graphql
    app.state.settings = settings
    return app


class RunningDelivery:
    """The outbox worker as a task of this process, stopped with it."""

    def __init__(self, task: asyncio.Task[None], stop_event: asyncio.Event) -> None:
        self.task, self.stop_event = task, stop_event

    async def stop(self) -> None:
        self.stop_event.set()
        await self.task


def start_delivery(engine: Any, settings: Settings) -> RunningDelivery | None:
    """Deliver the outbox from inside `salescoord serve` when SMTP is configured (R20); without
    it (the embedded default) emails stay in the outbox, readable by admins."""
    if settings.smtp is None:
        logging.getLogger("salescoord.delivery").info(
            "no SMTP configured (SMTP_URL or SMTP_HOST): emails stay PENDING in the outbox"
        )
        return None
    from salescoord.delivery import DeliveryWorker

    stop_event = asyncio.Event()
    worker = DeliveryWorker(engine, settings.smtp, settings.delivery)
    return RunningDelivery(asyncio.create_task(worker.run(stop_event)), stop_event)


def attach_engine(app: Starlette, engine: Any) -> None:
    """Serve from an engine made elsewhere (tests share one per database)."""
    app.state.graphql.engine = engine
