"""R23: a text field takes exactly what its column holds. The limit is declared once, with the
model; the API accepts a value of that length and refuses one character more with
BAD_USER_INPUT naming the argument, writing nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from salescoord.db.tables import list_items, lists, meetings, notes, registrations, roles
from salescoord.permissions.enums import Channel

from tests.db_state import snapshot
from tests.helpers import codes, gid

CREATE_NOTE = """mutation($meeting: ID!, $text: String!) {
  createNote(meetingId: $meeting, text: $text) { id } }"""
ADD_ITEM = """mutation($list: ID!, $content: ID!, $note: String) {
  addListItem(listId: $list, contentId: $content, note: $note) { id } }"""
CREATE_MEETING = """mutation($host: ID!, $title: String!) {
  createMeeting(hostId: $host, title: $title, startsAt: "2026-12-10T10:00:00Z") { id } }"""
CREATE_LIST = """mutation($name: String!) { createList(name: $name, kind: PERSONAL) { id } }"""
CANCEL_MEETING = """mutation($meeting: ID!, $reason: String!) {
  cancelMeeting(meetingId: $meeting, reason: $reason) { id } }"""
REGISTER = """mutation($message: String) { register(input: {name: "Ann", email: "ann@example.com",
  companyName: "Ann's", message: $message}) { status } }"""

CREATE_ROLE = """mutation($name: String!) { createRole(name: $name, kind: BUYER, permissions: []) { id } }"""


@dataclass
class Field:
    column: sa.Column
    document: str
    argument: str
    variables: Callable[[Any, int], Awaitable[dict[str, Any]]]  # (make, am) -> the other arguments
    signed_in: bool = True


async def _meeting(make, am: int) -> dict[str, Any]:
    return {"meeting": gid("Meeting", await make.meeting(host=am))}


async def _list(make, am: int) -> dict[str, Any]:
    return {"list": gid("List", await make.list(am)), "content": gid("Content", await make.content())}


async def _host(make, am: int) -> dict[str, Any]:
    return {"host": gid("User", am)}


async def _nothing(make, am: int) -> dict[str, Any]:
    return {}


async def _managing_roles(make, am: int) -> dict[str, Any]:
    await make.set_permissions("ACCOUNT_MANAGER", ["MANAGE_ROLES"])
    return {}


FIELDS = {
    "note text": Field(notes.c.text, CREATE_NOTE, "text", _meeting),
    "list item note": Field(list_items.c.note, ADD_ITEM, "note", _list),
    "meeting title": Field(meetings.c.title, CREATE_MEETING, "title", _host),
    "list name": Field(lists.c.name, CREATE_LIST, "name", _nothing),
    "registration message": Field(registrations.c.message, REGISTER, "message", _nothing, signed_in=False),
    "meeting cancel reason": Field(meetings.c.cancel_reason, CANCEL_MEETING, "reason", _meeting),
    "role name": Field(roles.c.name, CREATE_ROLE, "name", _managing_roles),
}


@pytest.mark.parametrize("label", FIELDS)
async def test_R23_a_text_field_takes_exactly_what_its_column_holds(client, make, engine, label):
    field = FIELDS[label]
    am = await make.am("Host")
    as_user = {"as_user": am, "channel": Channel.WEB} if field.signed_in else {}
    limit = field.column.type.length
    others = await field.variables(make, am)
    before = await snapshot(engine)
    over = await client.post(field.document, {**others, field.argument: "n" * (limit + 1)}, **as_user)
    assert codes(over) == ["BAD_USER_INPUT"]
    assert over["errors"][0]["extensions"]["field"] == field.argument
    assert await snapshot(engine) == before
    longest = await client.post(field.document, {**others, field.argument: "n" * limit}, **as_user)
    assert not longest.get("errors"), longest["errors"]
    assert await snapshot(engine) != before
