"""The ASGI application: GraphQL on POST /graphql, GraphiQL on GET /graphql (R28)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from db.session import RequestDatabase, create_engine
from salescoord.context import Context, bearer_token, build_context
from salescoord.http_guards import RequestGuard
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
            db,
            self.settings,
            bearer_token(request.headers),
            request=request,
            response=response,
            identify=False,  # schema.admission.Admission loads the viewer after the limits
        )


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    graphql = GraphQLApp(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if graphql.engine is None:
            graphql.engine = create_engine(settings.database_url, pool_size=settings.pool_size)
        try:
            yield
        finally:
            await graphql.engine.dispose()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz),
        ],
        middleware=_middleware(settings),
        lifespan=lifespan,
    )
    app.state.graphql = graphql
    app.state.settings = settings
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


def attach_engine(app: Starlette, engine: Any) -> None:
    """Serve from an engine made elsewhere (tests share one per database)."""
    app.state.graphql.engine = engine
