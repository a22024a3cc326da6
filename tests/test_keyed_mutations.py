"""R16, R31: a key stands for the whole request. Every keyed mutation of schema.graphql (every
mutation with a `clientMutationId` argument) is called once with a key; then, with the same
key, each of its arguments changed on its own must be refused as another request
(BAD_USER_INPUT on clientMutationId) and write nothing, while the same arguments inline in
reverse order, or with their defaults omitted or written out, must be answered as the first
call was and write nothing either.

A keyed mutation without a row in `FIRST_CALLS` fails here, so a new one is walked too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    build_schema,
    get_named_type,
)
from graphql.pyutils import Undefined
from salescoord.db.models.base import utcnow
from salescoord.db.tables import contents, meetings, mutation_outcomes
from salescoord.permissions.enums import Channel

from tests.conftest import ROOT
from tests.db_state import snapshot
from tests.helpers import codes, gid

SCHEMA = build_schema((ROOT / "schema.graphql").read_text())
KEY = "clientMutationId"
KEYS = {KEY, "mutationNumber"}  # the arguments that name a call, not part of it (R31: numbered apart)
KEYED = {name: field for name, field in SCHEMA.mutation_type.fields.items() if KEY in field.args}
OTHER_ID = gid("User", 999_999)
OTHER_TIME = "2030-01-02T03:04:05Z"


@dataclass
class World:
    am: int
    buyers: list[int]
    contents: list[int]
    admin: int


@pytest.fixture
async def world(make) -> World:
    north = await make.territory("North")
    company = await make.company(north)
    am = await make.am("Host", territories=[north])
    buyers = [await make.buyer(company, "Ann"), await make.buyer(company, "Bo")]
    return World(am, buyers, [await make.content(), await make.content()], await make.admin())


async def _meeting(make, world: World, *, attendee: bool = False, status: str = "SCHEDULED") -> int:
    meeting = await make.meeting(host=world.am)
    if attendee:
        await make.attendee(meeting, world.buyers[0])
    if status != "SCHEDULED":
        await make.execute(meetings.update().where(meetings.c.id == meeting).values(status=status))
    return meeting


async def _item(make, world: World) -> int:
    own = await make.list(world.am)
    await make.item(own, world.contents[1], 1)
    return await make.item(own, world.contents[0], 0)


async def _attached(make, world: World) -> dict[str, Any]:
    meeting, own = await _meeting(make, world), await make.list(world.am)
    await make.attach_list(meeting, own)
    return {"meetingId": gid("Meeting", meeting), "listId": gid("List", own)}


# A call of each keyed mutation that succeeds for the host AM through the app (for those of
# BACK_OFFICE, for an admin on the web); every argument it leaves out has a default.
FIRST_CALLS: dict[str, Callable[[Any, World], Awaitable[dict[str, Any]]]] = {
    "createList": lambda make, world: _given({"name": "Prep", "kind": "PERSONAL"}),
    "renameList": lambda make, world: _of("List", make.list(world.am), name="Renamed"),
    "deleteList": lambda make, world: _of("List", make.list(world.am)),
    "addListItem": lambda make, world: _added(make, world),
    "moveListItem": lambda make, world: _of("ListItem", _item(make, world), position=1),
    "removeListItem": lambda make, world: _of("ListItem", _item(make, world)),
    "updateListItemNote": lambda make, world: _of("ListItem", _item(make, world), note="Hi", version=1),
    "createMeeting": lambda make, world: _given(
        {
            "hostId": gid("User", world.am),
            "title": "Visit",
            "startsAt": "2026-12-10T10:00:00+00:00",
            "attendeeIds": [gid("User", world.buyers[0])],
        }
    ),
    "updateMeeting": lambda make, world: _of("Meeting", _meeting(make, world), title="Moved"),
    "addAttendees": lambda make, world: _attendees(make, world, attendee=False),
    "removeAttendees": lambda make, world: _attendees(make, world, attendee=True),
    "attachList": lambda make, world: _attach(make, world),
    "detachList": lambda make, world: _attached(make, world),
    "startMeeting": lambda make, world: _of("Meeting", _meeting(make, world)),
    "endMeeting": lambda make, world: _of("Meeting", _meeting(make, world, status="IN_PROGRESS")),
    "createNote": lambda make, world: _on_meeting(make, world, text="Hello"),
    "updateNote": lambda make, world: _note(make, world, version=1, text="Edited"),
    "deleteNote": lambda make, world: _note(make, world, version=1),
    "sendMeetingSummary": lambda make, world: _on_meeting(make, world, attendee=True),
    "cancelMeeting": lambda make, world: _on_meeting(make, world, attendee=True, reason="Host is ill"),
    "rescheduleMeeting": lambda make, world: _on_meeting(
        make,
        world,
        attendee=True,
        startsAt="2026-12-20T09:00:00+00:00",
        durationMinutes=45,
        timeZone="Europe/Paris",
    ),
    "updateContent": lambda make, world: _of("Content", make.content(), title="Renamed", kind="VIDEO"),
    "archiveContent": lambda make, world: _of("Content", make.content()),
    "restoreContent": lambda make, world: _of("Content", _archived(make)),
    "deleteTerritory": lambda make, world: _of("Territory", make.territory()),
    "mergeTerritory": lambda make, world: _merged("Territory", make.territory(), make.territory()),
    "deleteCompany": lambda make, world: _of("Company", _company(make)),
    "mergeCompany": lambda make, world: _merged("Company", _company(make), _company(make)),
}
# Web-only back office (R10): sent by an admin on the web.
BACK_OFFICE = {
    "updateContent", "archiveContent", "restoreContent", "deleteTerritory", "mergeTerritory",
    "deleteCompany", "mergeCompany",
}  # fmt: skip


async def _given(arguments: dict[str, Any]) -> dict[str, Any]:
    return arguments


async def _of(type_name: str, made: Awaitable[int], **rest: Any) -> dict[str, Any]:
    return {"id": gid(type_name, await made), **rest}


async def _archived(make) -> int:
    content = await make.content()
    await make.execute(contents.update().where(contents.c.id == content).values(archived_at=utcnow()))
    return content


async def _company(make) -> int:
    return await make.company(await make.territory())


async def _merged(type_name: str, source: Awaitable[int], target: Awaitable[int]) -> dict[str, Any]:
    return {"sourceId": gid(type_name, await source), "targetId": gid(type_name, await target)}


async def _added(make, world: World) -> dict[str, Any]:
    own = await make.list(world.am)
    return {"listId": gid("List", own), "contentId": gid("Content", world.contents[0]), "note": "Look"}


async def _attendees(make, world: World, *, attendee: bool) -> dict[str, Any]:
    meeting = await _meeting(make, world, attendee=attendee)
    return {"meetingId": gid("Meeting", meeting), "buyerIds": [gid("User", world.buyers[0])]}


async def _attach(make, world: World) -> dict[str, Any]:
    meeting, own = await _meeting(make, world), await make.list(world.am)
    return {"meetingId": gid("Meeting", meeting), "listId": gid("List", own)}


async def _on_meeting(make, world: World, *, attendee: bool = False, **rest: Any) -> dict[str, Any]:
    return {"meetingId": gid("Meeting", await _meeting(make, world, attendee=attendee)), **rest}


async def _note(make, world: World, **rest: Any) -> dict[str, Any]:
    note = await make.note(await _meeting(make, world), author=world.am)
    return {"id": gid("Note", note), **rest}


# -- building the documents ----------------------------------------------------------------
def _selection(field: GraphQLField) -> str:
    return " { id }" if isinstance(get_named_type(field.type), GraphQLObjectType) else ""


def with_variables(name: str, arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The call as a document with variables, the key among them."""
    field, arguments = KEYED[name], {**arguments, KEY: "the-key"}
    declared = ", ".join(f"${a}: {field.args[a].type}" for a in arguments)
    passed = ", ".join(f"{a}: ${a}" for a in arguments)
    return f"mutation({declared}) {{ {name}({passed}){_selection(field)} }}", arguments


def _literal(value: Any, argument_type: Any) -> str:
    named = get_named_type(argument_type)
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v, named) for v in value) + "]"
    if isinstance(named, GraphQLEnumType):
        return value
    return json.dumps(value)


def inline_reversed(name: str, arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The same call with its arguments written in the document, the last first."""
    field, arguments = KEYED[name], {**arguments, KEY: "the-key"}
    passed = ", ".join(f"{a}: {_literal(v, field.args[a].type)}" for a, v in reversed(arguments.items()))
    return f"mutation {{ {name}({passed}){_selection(field)} }}", {}


def _defaults(name: str) -> dict[str, Any]:
    """The arguments that have a default in the schema, other than the key, with it."""
    return {
        a: argument.default_value
        for a, argument in KEYED[name].args.items()
        if a not in KEYS and argument.default_value is not Undefined
    }


def same_requests(name: str, arguments: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    defaults = _defaults(name)
    spelled = {**{a: v for a, v in defaults.items() if a not in arguments}, **arguments}
    omitted = {a: v for a, v in arguments.items() if not (a in defaults and defaults[a] == v)}
    return {
        "inline, in reverse order": inline_reversed(name, arguments),
        "defaults written out": with_variables(name, spelled),
        "defaults omitted": with_variables(name, omitted),
    }


def _changed(value: Any, argument_type: Any) -> Any:
    """Another value of the argument's type."""
    named = get_named_type(argument_type)
    is_list = isinstance(
        argument_type.of_type if isinstance(argument_type, GraphQLNonNull) else argument_type, GraphQLList
    )
    if is_list:
        return [*(value or []), OTHER_ID]
    if isinstance(named, GraphQLEnumType):
        return next(v for v in named.values if v != value)
    changes: dict[str, Callable[[Any], Any]] = {
        "ID": lambda v: OTHER_ID if v != OTHER_ID else gid("User", 1),
        "String": lambda v: f"{v or ''} changed",
        "Int": lambda v: (v or 0) + 1,
        "Boolean": lambda v: not v,
        "DateTime": lambda v: OTHER_TIME,
    }
    return changes[named.name](value)


def other_requests(name: str, arguments: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """The first call with each one argument changed (and, where it may be, set to null)."""
    field, variants = KEYED[name], {}
    for a, argument in field.args.items():
        if a in KEYS:
            continue
        value = arguments.get(a, _defaults(name).get(a))
        variants[f"{a} changed"] = with_variables(name, {**arguments, a: _changed(value, argument.type)})
        if value is not None and not isinstance(argument.type, GraphQLNonNull):
            variants[f"{a} null"] = with_variables(name, {**arguments, a: None})
    return variants


def test_R16_every_keyed_mutation_of_the_schema_is_walked():
    assert set(FIRST_CALLS) == set(KEYED)


@pytest.mark.parametrize("name", sorted(KEYED))
async def test_R16_a_key_stands_for_every_argument_of_its_mutation(client, make, world, engine, name):
    arguments = await FIRST_CALLS[name](make, world)

    async def send(document: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        query, variables = document
        if name in BACK_OFFICE:
            return await client.post(query, variables, as_user=world.admin, channel=Channel.WEB)
        return await client.post(query, variables, as_user=world.am, channel=Channel.APP)

    first = await send(with_variables(name, arguments))
    assert not first.get("errors"), first["errors"]
    before = await snapshot(engine)
    for label, document in same_requests(name, arguments).items():
        assert await send(document) == first, label
        assert await snapshot(engine) == before, label
    for label, document in other_requests(name, arguments).items():
        body = await send(document)
        assert codes(body) == ["BAD_USER_INPUT"], (label, body)
        assert body["errors"][0]["extensions"]["field"] == KEY, label
        assert await snapshot(engine) == before, label


async def test_R31_a_key_stored_before_this_form_of_fingerprint_still_answers_its_replay(
    client, make, world, engine
):
    """Outcomes stored since R16 hold sha256 of the canonical JSON of the operation and its
    arguments by schema name, a DateTime as Python prints it: a key stored by an earlier
    release still answers its replays (R31)."""
    meeting = await _meeting(make, world)
    note = await make.note(meeting, author=world.am)
    stored = {
        "the-note-key": (
            "createNote",
            "Note",
            note,
            {
                "meetingId": gid("Meeting", meeting),
                "text": "Hello",
                "shared": False,
                "clientId": None,
            },
        ),
        "the-meeting-key": (
            "createMeeting",
            "Meeting",
            meeting,
            {
                "hostId": gid("User", world.am),
                "title": "Visit",
                "startsAt": "2026-12-10 10:00:00+00:00",
                "attendeeIds": None,
            },
        ),
    }
    async with engine.begin() as connection:
        for key, (operation, type_name, pk, arguments) in stored.items():
            canonical = json.dumps({"operation": operation, "arguments": arguments}, sort_keys=True)
            await connection.execute(
                mutation_outcomes.insert().values(
                    user_id=world.am,
                    client_mutation_id=key,
                    operation=operation,
                    request_hash=hashlib.sha256(canonical.encode()).hexdigest(),
                    result_type=type_name,
                    result_id=pk,
                    created_at=utcnow(),
                )
            )
    before = await snapshot(engine)
    replays = {
        "the-note-key": f'createNote(meetingId: "{gid("Meeting", meeting)}", text: "Hello")',
        "the-meeting-key": f'createMeeting(hostId: "{gid("User", world.am)}", title: "Visit", '
        'startsAt: "2026-12-10T10:00:00Z")',
    }
    for key, call in replays.items():
        operation, type_name, pk, _ = stored[key]
        field = call.replace("(", f'(clientMutationId: "{key}", ', 1)
        data = await client.data(f"mutation {{ {field} {{ id }} }}", as_user=world.am, channel=Channel.APP)
        assert data == {operation: {"id": gid(type_name, pk)}}
    assert await snapshot(engine) == before


async def test_R31_a_call_stored_before_an_optional_argument_existed_still_answers_its_replay(
    client, make, world, engine
):
    """An argument at its default is left out of the fingerprint: a createNote stored when the
    mutation took only meetingId and text is recognised when replayed by a client that now
    writes `shared: false` out, and a replay that sets the newer argument is another request."""
    meeting = await _meeting(make, world)
    note = await make.note(meeting, author=world.am)
    arguments = {"meetingId": gid("Meeting", meeting), "text": "Hello"}
    canonical = json.dumps({"operation": "createNote", "arguments": arguments}, sort_keys=True)
    async with engine.begin() as connection:
        await connection.execute(
            mutation_outcomes.insert().values(
                user_id=world.am,
                client_mutation_id="the-old-key",
                operation="createNote",
                request_hash=hashlib.sha256(canonical.encode()).hexdigest(),
                result_type="Note",
                result_id=note,
                created_at=utcnow(),
            )
        )
    before = await snapshot(engine)
    call = (
        f'createNote(clientMutationId: "the-old-key", meetingId: "{gid("Meeting", meeting)}", text: "Hello"'
    )
    data = await client.data(
        f"mutation {{ {call}, shared: false) {{ id }} }}", as_user=world.am, channel=Channel.APP
    )
    assert data == {"createNote": {"id": gid("Note", note)}}
    body = await client.post(
        f"mutation {{ {call}, shared: true) {{ id }} }}", as_user=world.am, channel=Channel.APP
    )
    assert codes(body) == ["BAD_USER_INPUT"]
    assert await snapshot(engine) == before
