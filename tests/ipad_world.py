"""A small market for the reference iPad client (ipad_client/): an AM who carries the iPad, a
second AM, their SC, a buyer, two meetings (one whose host the SC moves between the AMs), the
SC's list attached to the first meeting, the AM's own list and a catalogue. The web side of
the week (the SC, an admin) speaks plain HTTP to the same server.

The AM's password is hashed with argon2's smallest parameters (verification reads them from
the hash), so that a sign-in costs microseconds in tests that sign in hundreds of times."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import httpx
import jwt
from argon2 import PasswordHasher
from salescoord.db.models.base import utcnow
from salescoord.db.queries.pages import decode_cursor, encode_cursor
from salescoord.db.tables import meetings, users
from salescoord.permissions.enums import Channel
from sqlalchemy.ext.asyncio import AsyncEngine

from ipad_client import IPad, Network
from salescoord.settings import Settings
from salescoord.sync import cursors
from salescoord.tokens import issue_token, sign
from tests.helpers import Factory, gid

PASSWORD = "market week"
CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
WINDOW = (datetime.now(UTC) - timedelta(days=2), datetime.now(UTC) + timedelta(days=14))
_serial = count(1)

UPDATE_MEETING = "mutation($id: ID!, $host: ID) { updateMeeting(id: $id, hostId: $host) { id } }"
ATTACH = "mutation($m: ID!, $l: ID!) { attachList(meetingId: $m, listId: $l) { id } }"
DETACH = "mutation($m: ID!, $l: ID!) { detachList(meetingId: $m, listId: $l) { id } }"
WEB_NOTE = "mutation($m: ID!, $t: String!) { createNote(meetingId: $m, text: $t) { id version } }"
ITEM_NOTE = """mutation($id: ID!, $note: String, $v: Int!) {
  updateListItemNote(id: $id, note: $note, version: $v) { id version } }"""
ITEM_VERSION = "query($id: ID!) { node(id: $id) { ... on ListItem { version } } }"
REVOKE = "mutation($id: ID!) { revokeDevice(id: $id) { id revokedAt } }"


@dataclass
class Market:
    email: str
    am: int
    other_am: int
    sc: int
    admin: int
    buyer: int
    meeting: int  # hosted by the AM throughout
    moving: int  # the meeting whose host the SC changes
    sc_list: int  # the SC's list, attached to `meeting`
    sc_item: int
    am_list: int
    contents: list[int]


@dataclass
class Cast:
    """The people and places every market of a run shares: the second AM, the SC, an admin,
    the buyer and the catalogue."""

    territory: int
    other_am: int
    sc: int
    admin: int
    buyer: int
    contents: list[int]


async def build_cast(engine: AsyncEngine) -> Cast:
    make = Factory(engine)
    territory = await make.territory()
    company = await make.company(territory)
    other_am = await make.am(territories=[territory])
    sc = await make.sc(ams=[other_am])
    admin = await make.admin()
    buyer = await make.buyer(company)
    contents = [await make.content(f"Product {i}") for i in range(2)]
    return Cast(territory, other_am, sc, admin, buyer, contents)


async def build_market(engine: AsyncEngine, cast: Cast | None = None) -> Market:
    """A new AM with the iPad, in `cast`'s market (a new cast when none is given)."""
    cast = cast or await build_cast(engine)
    make = Factory(engine)
    email = f"ipad-am{next(_serial)}@example.test"
    am = await make.user("ACCOUNT_MANAGER", email=email)
    async with engine.begin() as connection:
        await connection.execute(users.update().where(users.c.id == am).values(password_hash=CHEAP_HASH))
    await make.link_territory(am, cast.territory)
    await make.link_sc(am, cast.sc)
    meeting = await make.meeting(am, created_by=cast.sc, title="Spring range")
    moving = await make.meeting(am, created_by=cast.sc, title="Autumn range")
    async with engine.begin() as connection:  # a day later: either AM may host it (R33)
        await connection.execute(
            meetings.update().where(meetings.c.id == moving).values(starts_at=utcnow() + timedelta(days=1))
        )
    await make.attendee(meeting, cast.buyer)
    await make.note(meeting, author=cast.sc, text="Prefers blue")
    sc_list = await make.list(cast.sc, name="SC picks")
    sc_item = await make.item(sc_list, cast.contents[0], 0, note="Show first", created_by=cast.sc)
    await make.attach_list(meeting, sc_list)
    am_list = await make.list(am, name="My picks")
    await make.item(am_list, cast.contents[1], 0, created_by=am)
    return Market(
        email,
        am,
        cast.other_am,
        cast.sc,
        cast.admin,
        cast.buyer,
        meeting,
        moving,
        sc_list,
        sc_item,
        am_list,
        cast.contents,
    )


class Web:
    """Somebody at a browser: plain HTTP with a web token."""

    def __init__(self, address: str, settings: Settings) -> None:
        self.http = httpx.AsyncClient(base_url=f"http://{address}", timeout=30)
        self.settings = settings

    async def data(self, query: str, variables: dict[str, Any], as_user: int) -> dict[str, Any]:
        token = issue_token(self.settings, as_user, Channel.WEB)[0]
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def close(self) -> None:
        await self.http.aclose()


def expired(settings: Settings, token: str) -> str:
    """The device's access token as the service reads it once its lifetime has passed: the
    same claims (user, device, generation), `exp` a second ago."""
    claims = jwt.decode(token, options={"verify_signature": False})
    now = int(datetime.now(UTC).timestamp())
    claims.update(iat=now - 3600, exp=now - 1)
    claims.pop("iss", None)
    return sign(settings, claims)


def stale_cursor(settings: Settings, cursor: str, viewer_id: int) -> str:
    """The same position of the feed as handed out a day past the retention period: what a
    device holds that stayed away too long (signed, as the feed signs it)."""
    xid, row_id, _issued = decode_cursor(cursor.partition(".")[0])
    issued = int(datetime.now(UTC).timestamp()) - (settings.feed_retention_days + 1) * 86400
    body = encode_cursor((xid, row_id, issued))
    return f"{body}.{cursors._signature(settings.secret_keys[0], viewer_id, body)}"


def pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


def ipad_for(address: str, network: Network | None = None) -> IPad:
    return IPad(f"http://{address}/graphql", network=network, window=WINDOW)


__all__ = ["ATTACH", "DETACH", "ITEM_NOTE", "ITEM_VERSION", "REVOKE", "UPDATE_MEETING", "WEB_NOTE", "gid"]
