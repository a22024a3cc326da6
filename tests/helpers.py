"""A small GraphQL client for tests, and row factories that write straight to the tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any

import httpx
import sqlalchemy as sa
from salescoord.db.models.base import utcnow
from salescoord.db.tables import (
    am_coordinators,
    am_territories,
    companies,
    contents,
    devices,
    list_items,
    lists,
    meeting_attendees,
    meeting_lists,
    meetings,
    notes,
    registrations,
    roles,
    territories,
    users,
)
from salescoord.permissions.enums import Channel
from salescoord.schema.ids import encode_id
from sqlalchemy.ext.asyncio import AsyncEngine

from salescoord.passwords import hash_password
from salescoord.settings import Settings
from salescoord.tokens import issue_token

PASSWORD = "correct horse battery"
SECRET = "test-secret-" + "x" * 40  # the suite's signing key (tests/conftest.py `settings`)
_PASSWORD_HASH = hash_password(PASSWORD)
_serial = count(1)


@dataclass
class Client:
    http: httpx.AsyncClient
    settings: Settings
    engine: AsyncEngine | None = None  # where the app tokens' devices are registered (R30)
    devices: dict[int, int] = field(default_factory=dict)  # user id -> their device in this test

    def token(self, user_id: int, channel: Channel = Channel.WEB) -> str:
        if channel is Channel.APP:
            if user_id not in self.devices:
                raise TypeError("an app token names a device: await client.app_token(user_id)")
            return issue_token(self.settings, user_id, channel, (self.devices[user_id], 1))[0]
        return issue_token(self.settings, user_id, channel)[0]

    async def app_token(self, user_id: int) -> str:
        """An access token of the user's device (one per user and test, as signing in on the
        app makes it: `login(client: APP)`), at its first generation."""
        device = self.devices.get(user_id)
        if device is None:
            device = self.devices[user_id] = await register_device(self.engine, user_id)
        return issue_token(self.settings, user_id, Channel.APP, (device, 1))[0]

    async def any_token(self, user_id: int, channel: Channel = Channel.WEB) -> str:
        return await self.app_token(user_id) if channel is Channel.APP else self.token(user_id, channel)

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_user: int | None = None,
        token: str | None = None,
        channel: Channel = Channel.WEB,
    ) -> dict[str, Any]:
        if as_user is not None:
            token = await self.any_token(as_user, channel)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        return response.json()

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """The `data` of a response that must have no errors."""
        body = await self.post(query, variables, **kwargs)
        assert not body.get("errors"), body["errors"]
        return body["data"]


async def register_device(engine: AsyncEngine | None, user_id: int, name: str = "Test iPad") -> int:
    """A device of the user, at generation 1, as `login(client: APP)` registers one, its pair
    already used (so the first request with it writes nothing)."""
    if engine is None:
        raise TypeError("this Client has no engine to register devices in")
    now = utcnow()
    async with engine.begin() as connection:
        return (
            await connection.execute(
                devices.insert()
                .values(
                    user_id=user_id,
                    name=name,
                    created_at=now,
                    last_seen_at=now,
                    generation=1,
                    used_generation=1,
                    last_mutation_number=0,
                )
                .returning(devices.c.id)
            )
        ).scalar_one()


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


def gid(type_name: str, pk: int) -> str:
    return encode_id(type_name, pk)


class Factory:
    """Rows for one test, written directly, so each test states its own world."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def _insert(self, table: sa.Table, **values: Any) -> int:
        async with self.engine.begin() as connection:
            return (
                await connection.execute(table.insert().values(**values).returning(table.c.id))
            ).scalar_one()

    async def _link(self, table: sa.Table, **values: Any) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(table.insert().values(**values, created_at=utcnow()))

    async def execute(self, statement: sa.Executable) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(statement)

    async def email_of(self, user: int) -> str:
        async with self.engine.connect() as connection:
            return (await connection.execute(sa.select(users.c.email).where(users.c.id == user))).scalar_one()

    async def device(self, user: int, name: str = "Test iPad") -> int:
        """A device of the user, as signing in on the app registers one (R30)."""
        return await register_device(self.engine, user, name)

    async def territory(self, name: str | None = None, parent: int | None = None) -> int:
        return await self._insert(
            territories, name=name or f"Territory {next(_serial)}", parent_id=parent, created_at=utcnow()
        )

    async def company(self, territory: int, name: str | None = None) -> int:
        return await self._insert(
            companies, name=name or f"Company {next(_serial)}", territory_id=territory, created_at=utcnow()
        )

    async def user(
        self,
        role: str,
        name: str | None = None,
        *,
        email: str | None = None,
        company: int | None = None,
        direct_am: int | None = None,
        active: bool = True,
        role_id: int | None = None,
    ) -> int:
        """A user of the built-in role `role`, or of the custom role `role_id` (of kind `role`)."""
        n = next(_serial)
        now = utcnow()
        return await self._insert(
            users,
            email=email or f"{role.lower()}{n}@example.test",
            name=name or f"{role.title()} {n}",
            role=role,
            role_id=role_id,
            active=active,
            password_hash=_PASSWORD_HASH,
            company_id=company,
            direct_am_id=direct_am,
            created_at=now,
            updated_at=now,
        )

    async def admin(self, name: str | None = None) -> int:
        return await self.user("ADMIN", name)

    async def am(self, name: str | None = None, *, territories: list[int] = ()) -> int:
        am_id = await self.user("ACCOUNT_MANAGER", name)
        for territory in territories:
            await self.link_territory(am_id, territory)
        return am_id

    async def sc(self, name: str | None = None, *, ams: list[int] = ()) -> int:
        sc_id = await self.user("SALES_COORDINATOR", name)
        for am in ams:
            await self.link_sc(am, sc_id)
        return sc_id

    async def buyer(self, company: int, name: str | None = None, *, direct_am: int | None = None) -> int:
        return await self.user("BUYER", name, company=company, direct_am=direct_am)

    async def link_sc(self, am: int, sc: int) -> None:
        await self._link(am_coordinators, am_id=am, sc_id=sc)

    async def link_territory(self, am: int, territory: int) -> None:
        await self._link(am_territories, am_id=am, territory_id=territory)

    async def content(self, title: str | None = None, kind: str = "PRODUCT") -> int:
        return await self._insert(
            contents,
            title=title or f"Content {next(_serial)}",
            kind=kind,
            reference=f"SKU-{next(_serial)}",
            created_at=utcnow(),
        )

    async def list(
        self,
        owner: int,
        kind: str = "PERSONAL",
        name: str | None = None,
        buyer: int | None = None,
        client_id: str | None = None,
    ) -> int:
        now = utcnow()
        return await self._insert(
            lists,
            owner_id=owner,
            kind=kind,
            name=name or f"List {next(_serial)}",
            buyer_id=buyer,
            client_id=client_id,
            version=1,
            created_at=now,
            updated_at=now,
        )

    async def item(
        self,
        list_id: int,
        content: int,
        position: int,
        note: str | None = None,
        created_by: int | None = None,
        client_id: str | None = None,
    ) -> int:
        now = utcnow()
        return await self._insert(
            list_items,
            list_id=list_id,
            content_id=content,
            position=position,
            note=note,
            created_by_id=created_by,
            client_id=client_id,
            version=1,
            created_at=now,
            updated_at=now,
        )

    async def meeting(
        self,
        host: int,
        created_by: int | None = None,
        title: str = "Review",
        starts_at: datetime | None = None,
        minutes: int = 60,
        time_zone: str = "UTC",
        status: str = "SCHEDULED",
        client_id: str | None = None,
    ) -> int:
        now = utcnow()
        start = starts_at or now
        return await self._insert(
            meetings,
            host_id=host,
            created_by_id=created_by or host,
            client_id=client_id,
            title=title,
            starts_at=start,
            ends_at=start + timedelta(minutes=minutes),
            duration_minutes=minutes,
            time_zone=time_zone,
            status=status,
            version=1,
            created_at=now,
            updated_at=now,
        )

    async def attendee(self, meeting: int, buyer: int) -> None:
        await self.execute(meeting_attendees.insert().values(meeting_id=meeting, buyer_id=buyer))

    async def role(self, kind: str, permissions: list[str] = (), name: str | None = None) -> int:
        """A custom role of `kind` (R34), written as createRole writes it."""
        async with self.engine.begin() as connection:
            highest = (await connection.execute(sa.select(sa.func.max(roles.c.id)))).scalar_one()
            await connection.execute(
                roles.insert().values(
                    id=highest + 1,
                    name=name or f"Custom {next(_serial)}",
                    kind=kind,
                    built_in=False,
                    permissions=sorted(permissions),
                    updated_at=utcnow(),
                )
            )
        return highest + 1

    async def set_permissions(self, role: str, permissions: list[str]) -> None:
        await self.execute(roles.update().where(roles.c.name == role).values(permissions=permissions))

    async def registration(self, *, requested_am: int | None = None, territory: int | None = None) -> int:
        n = next(_serial)
        return await self._insert(
            registrations,
            name=f"Applicant {n}",
            email=f"applicant{n}@example.test",
            company_name="Applicant Co",
            requested_am_id=requested_am,
            territory_id=territory,
            status="PENDING",
            created_at=utcnow(),
        )

    async def attach_list(self, meeting: int, list_id: int) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(meeting_lists.insert().values(meeting_id=meeting, list_id=list_id))

    async def note(
        self,
        meeting: int,
        *,
        author: int,
        text: str = "A note",
        shared: bool = False,
        phase: str = "PRE_MEETING",
        client_id: str | None = None,
    ) -> int:
        now = utcnow()
        return await self._insert(
            notes,
            meeting_id=meeting,
            author_id=author,
            phase=phase,
            shared=shared,
            text=text,
            client_id=client_id,
            version=1,
            created_at=now,
            updated_at=now,
        )
