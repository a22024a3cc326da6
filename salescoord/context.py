"""One request's context: who asks, their scope, the database connection and the loaders.
Built fresh for every request, so nothing about one caller outlives their request (R3, R14).

Every field, guard and extension takes it as `Info`, so what it reads of the context is typed:

    async def viewer(info: Info) -> User: ... info.context.viewer ...
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from salescoord.credentials import Credentials, Refusal, signed_in
from salescoord.db.loaders import Loaders
from salescoord.db.session import RequestDatabase
from salescoord.passwords import PasswordWork
from salescoord.permissions.scope import Scope
from salescoord.permissions.viewer import Viewer
from salescoord.request_budget import UserBudget
from salescoord.settings import Settings
from salescoord.sync.devices import DeviceWatch
from salescoord.sync.listen import ChangeListener


@dataclass
class Context:
    db: RequestDatabase
    settings: Settings
    viewer: Viewer | None
    scope: Scope
    loaders: Loaders
    passwords: PasswordWork  # the process's argon2 threads
    request: Request | WebSocket | None = None
    response: Response | WebSocket | None = None  # a websocket's context answers on the socket
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    token: str | None = None

    operation: str = "unparsed"
    budget: UserBudget | None = None  # the server process's per-user request budget
    anonymous_budget: UserBudget | None = None  # and its per-IP budget of anonymous requests
    listener: ChangeListener | None = None  # the process's LISTEN connection on PostgreSQL, for live updates
    credentials: Credentials | None = None  # a websocket's sign-in, checked again by each operation (R29)
    devices: DeviceWatch | None = None  # the process's sockets by device, closed when one is revoked (R30)

    async def identify(self) -> None:
        """Load the viewer the token names. The HTTP app defers this until the query has
        passed its limits, so a refused query costs no SQL (R24). A websocket's operation
        whose sign-in no longer stands closes the socket instead of running anonymous."""
        if self.credentials is not None and self.viewer is None:
            self.become(await self.credentials.viewer(self.db))
        elif self.token is not None and self.viewer is None:
            token, self.token = self.token, None
            viewer = await load_viewer(self.db, self.settings, token)
            if viewer is not None:
                self.become(viewer)

    def refresh(self) -> None:
        """After a write: later reads of this request see the new rows."""
        self.loaders.clear()
        if self.viewer is not None and self.viewer.row is not None:
            self.viewer = dataclasses.replace(self.viewer, row=None)

    def become(self, viewer: Viewer) -> None:
        """After signing in: the rest of the request (the payload) reads as that user."""
        self.viewer = viewer
        self.scope = scope_for(viewer, self.settings)
        self.loaders = Loaders(self.db, self.scope, batching=not self.settings.naive)


def scope_for(viewer: Viewer | None, settings: Settings) -> Scope:
    """The viewer's scope, its statements built once per viewer; built afresh for every
    request in naive mode (the benchmark's baseline without caches)."""
    return Scope(viewer) if settings.naive else Scope.of(viewer)


def bearer_token(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def load_viewer(db: RequestDatabase, settings: Settings, token: str | None) -> Viewer | None:
    """The signed-in user, read from the database on every request: a deactivated user or a
    changed role counts at once (R14). An invalid or expired token, or a deactivated user,
    reads as anonymous."""
    if not token:
        return None
    try:
        return await signed_in(db, settings, token)
    except Refusal:
        return None


async def build_context(
    db: RequestDatabase,
    settings: Settings,
    token: str | None,
    request: Request | WebSocket | None = None,
    response: Response | WebSocket | None = None,
    *,
    identify: bool = True,
    budget: UserBudget | None = None,
    passwords: PasswordWork | None = None,
    anonymous_budget: UserBudget | None = None,
) -> Context:
    """With `identify=False` the viewer is loaded later, by `Context.identify()`. The server
    shares one `passwords` among its requests, so that their argon2 checks are bounded together."""
    viewer = await load_viewer(db, settings, token) if identify else None
    scope = scope_for(viewer, settings)
    return Context(
        db=db,
        settings=settings,
        viewer=viewer,
        scope=scope,
        loaders=Loaders(db, scope, batching=not settings.naive),
        request=request,
        response=response,
        token=None if identify else token,
        budget=budget,
        passwords=passwords or PasswordWork(settings.password_hash_concurrency),
        anonymous_budget=anonymous_budget,
    )


Info = strawberry.Info[Context, None]
"""What every field and guard takes: Strawberry's resolve info, with this request's context."""
