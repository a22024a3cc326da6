"""The ASGI application: GraphQL on POST /graphql, GraphiQL on GET /graphql (R28), reports as
CSV on GET /reports/<grouping>.csv (R36), health and metrics beside it, and the pages the
emailed password links open (R32)."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from salescoord import metrics
from salescoord.context import Context, bearer_token, build_context
from salescoord.db.session import RequestDatabase, create_engine
from salescoord.graphiql.page import ASSETS as GRAPHIQL_ASSETS
from salescoord.graphiql.page import page_html
from salescoord.graphql_http import GraphQLOverHTTP
from salescoord.health import head_revision, healthz, readyz
from salescoord.http_guards import RequestGuard
from salescoord.logs import configure_logging, redact_link_tokens
from salescoord.operation_labels import OperationLabels
from salescoord.outbox.queue import backlog as outbox_backlog
from salescoord.pages import password as password_pages
from salescoord.passwords import PasswordWork
from salescoord.report_export import export_report
from salescoord.request_budget import UserBudget
from salescoord.schema.root import build_schema
from salescoord.schema.root import schema as default_schema
from salescoord.settings import Settings
from salescoord.sockets import GraphQLSocket
from salescoord.sync.devices import DeviceWatch
from salescoord.sync.listen import ChangeListener

request_log = logging.getLogger("salescoord.request")
GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


class GraphQLApp(GraphQLOverHTTP, GraphQL):
    """Strawberry's ASGI view, with one database connection per HTTP request, closed after it,
    and one structured log line and metrics sample per request; media types, statuses and
    refusals as GraphQL over HTTP has them (`salescoord.graphql_http`). Subscriptions speak
    graphql-transport-ws only, each operation checked as a request is (`salescoord.sockets`)."""

    graphql_transport_ws_handler_class = GraphQLSocket

    def __init__(self, settings: Settings, **options: Any) -> None:
        super().__init__(
            build_schema(caches=False) if settings.naive else default_schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            **options,
        )
        self.settings = settings
        self.operation_labels = OperationLabels(self.schema._schema, settings.metrics_operations)
        self.engine: Any = None
        self.budget = UserBudget(settings.requests_per_user, settings.user_window_seconds)
        self.passwords = PasswordWork(settings.password_hash_concurrency)
        self.anonymous_budget = UserBudget(
            settings.anonymous_requests_per_ip, settings.anonymous_window_seconds, bucket="anonymous"
        )
        self._listener: ChangeListener | None = None
        self.devices = DeviceWatch(lambda: self.listener)

    @property
    def listener(self) -> ChangeListener | None:
        """This process's one LISTEN connection for live updates (R19), on PostgreSQL only:
        made on first use, since tests attach the engine after the app is built."""
        if self._listener is None and self.engine is not None and self.engine.dialect.name == "postgresql":
            self._listener = ChangeListener(self.engine)
        return self._listener

    @property
    def graphql_ide_html(self) -> str:
        """The service's own GraphiQL page (`salescoord.graphiql.page`), not Strawberry's."""
        return page_html()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await super().__call__(scope, receive, send)
            return
        db = RequestDatabase(self.engine)
        state = scope.setdefault("state", {})
        state["db"] = db
        started = time.perf_counter()
        try:
            await super().__call__(scope, receive, send)
        finally:
            await db.close()
            self._record(state, db, time.perf_counter() - started)

    def _record(self, state: dict[str, Any], db: RequestDatabase, seconds: float) -> None:
        context: Context | None = state.get("context")
        if context is None:  # GraphiQL page, or refused before execution
            return
        codes = state.get("error_codes", [])
        label = self.operation_labels(context.operation)
        metrics.observe_request(label, seconds, db.statement_count, codes)
        request_log.info(
            "request",
            extra={
                "request_id": context.request_id,
                "user_id": context.viewer.id if context.viewer else None,
                "operation": context.operation,
                "duration_ms": round(seconds * 1000, 2),
                "sql_statements": db.statement_count,
                "error_codes": codes,
            },
        )

    async def parse_http_body(self, request: Any) -> Any:
        """An `operationName` that is no GraphQL name can name no operation: refused here,
        before strawberry quotes it in its answer (a lone surrogate there failed the response
        itself)."""
        data = await super().parse_http_body(request)
        name = getattr(data, "operation_name", None)
        if name is not None and not (isinstance(name, str) and GRAPHQL_NAME.fullmatch(name)):
            raise HTTPException(400, "operationName is not the name of an operation.")
        return data

    async def get_context(self, request: Any, response: Any) -> Context:
        db = request.scope["state"]["db"]
        context = await build_context(
            db,
            self.settings,
            bearer_token(request.headers),
            request=request,
            response=response,
            identify=False,  # schema.admission.Admission loads the viewer after the limits
            budget=self.budget,
            passwords=self.passwords,
            anonymous_budget=self.anonymous_budget,
        )
        request.scope["state"]["context"] = context
        context.listener = self.listener
        context.devices = self.devices
        if request.scope["type"] == "http":
            response.headers["X-Request-ID"] = context.request_id
        return context

    async def process_result(self, request: Any, result: Any) -> Any:
        request.scope.setdefault("state", {})["error_codes"] = [
            (error.extensions or {}).get("code", "INTERNAL") for error in result.errors or []
        ]
        return await super().process_result(request, result)


async def metrics_endpoint(request: Request) -> Response:
    """For a Prometheus scraper holding `METRICS_TOKEN`; not served without one set."""
    token = request.app.state.settings.metrics_token
    if not token:
        return Response("Not Found", status_code=404)
    if not metrics.authorized(request.headers.get("authorization"), token):
        challenge = {"WWW-Authenticate": 'Bearer realm="metrics"'}
        return Response("Unauthorized", status_code=401, headers=challenge)
    engine = request.app.state.graphql.engine
    async with engine.connect() as connection:
        metrics.OUTBOX_BACKLOG.set(await outbox_backlog(connection))
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


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
    if os.environ.get("SALESCOORD_JSON_LOGS") == "1":
        configure_logging(os.environ.get("LOG_LEVEL", "info"))
    _service_log()
    redact_link_tokens()
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
            if graphql.listener is not None:
                await graphql.listener.close()
            await graphql.engine.dispose()

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        Route("/reports/{grouping}.csv", export_report, methods=["GET"]),
        Route("/set-password", password_pages.set_password_page, methods=["GET", "POST"]),
        Route("/reset-password", password_pages.reset_password_page, methods=["GET", "POST"]),
        Mount("/page-assets", StaticFiles(directory=password_pages.ASSETS)),
    ]
    if settings.graphiql:
        routes.append(Mount("/graphiql-assets", StaticFiles(directory=GRAPHIQL_ASSETS)))
    app = Starlette(
        routes=routes,
        middleware=_middleware(settings),
        lifespan=lifespan,
    )
    app.state.graphql = graphql
    app.state.settings = settings
    app.state.head_revision = head_revision()
    return app


def _middleware(settings: Settings) -> list[Middleware]:
    """CORS for the allow-listed origins only (none by default: same origin), then the
    CSRF and body-size rules of `http_guards`."""
    middleware = []
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
                max_age=600,
            )
        )
    middleware.append(Middleware(RequestGuard, path="/graphql", max_body_bytes=settings.max_body_bytes))
    return middleware


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
    from salescoord.outbox.delivery import DeliveryWorker

    stop_event = asyncio.Event()
    worker = DeliveryWorker(engine, settings.smtp, settings.delivery, signing=settings)
    return RunningDelivery(asyncio.create_task(worker.run(stop_event)), stop_event)


def attach_engine(app: Starlette, engine: Any) -> None:
    """Serve from an engine made elsewhere (tests share one per database)."""
    app.state.graphql.engine = engine
