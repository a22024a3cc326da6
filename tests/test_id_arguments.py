"""R11, R13, R22, R23: every id argument of the schema answers a missing object, an object out
of the caller's sight, an id of another type and a tampered id with one and the same answer
(docs/security.md): NOT_FOUND naming the argument, null from `node`/`nodes`, and for the
anonymous `register` the documented BAD_USER_INPUT. Nothing is written.

The arguments are read from schema.graphql, every argument and input field of type ID or
[ID] of every query and mutation: a new one without a row in `calls` below fails here, and so
does one that answers any of the four differently.
"""

from __future__ import annotations

import base64
import copy
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import (
    GraphQLInputObjectType,
    GraphQLObjectType,
    build_schema,
    get_named_type,
)
from salescoord.permissions.enums import Channel, Permission

from tests.conftest import ROOT
from tests.db_state import snapshot
from tests.helpers import PASSWORD, gid

SCHEMA = build_schema((ROOT / "schema.graphql").read_text())
GUARDS = {"authenticated", "requires", "scoped", "onChannel"}
MISSING_PK = 10**9
# Arguments of type ID that give a new object its id rather than name an existing one: the
# client id an app gives what it creates (R31, tests/test_client_ids.py).
NEW_OBJECT_IDS = {"clientId"}
# The types an app creates: their id arguments also take the creator's client ids (R31).
CLIENT_ID_KINDS = ("Meeting", "Note", "List", "ListItem")


def client_id(label: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"test_id_arguments/{label}"))


ALL_PERMISSIONS = sorted(p.value for p in Permission)


def id_paths(argument_type: Any, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Paths to every ID inside an argument (through input objects, to any depth)."""
    named = get_named_type(argument_type)
    if named.name == "ID":
        return [path]
    if isinstance(named, GraphQLInputObjectType):
        return [p for name, field in named.fields.items() for p in id_paths(field.type, (*path, name))]
    return []


def id_arguments() -> dict[tuple[str, str], Any]:
    """(root field, dotted path) -> the root field's definition, for every id argument."""
    found = {}
    for root in (SCHEMA.query_type, SCHEMA.mutation_type):
        for name, field in root.fields.items():
            for argument_name, argument in field.args.items():
                if argument_name in NEW_OBJECT_IDS:
                    continue
                for path in id_paths(argument.type, (argument_name,)):
                    found[(name, ".".join(path))] = (root, field)
    return found


def test_R22_id_arguments_are_only_on_root_fields():
    """The walk below covers the root fields; an id argument on a nested field would need it
    to cover that field too."""
    nested = [
        f"{type_name}.{field_name}"
        for type_name, named in SCHEMA.type_map.items()
        if isinstance(named, GraphQLObjectType)
        and named not in (SCHEMA.query_type, SCHEMA.mutation_type, SCHEMA.subscription_type)
        for field_name, field in named.fields.items()
        if any(id_paths(argument.type, ()) for argument in field.args.values())
    ]
    assert nested == []


@dataclass
class World:
    """`am` asks, with every permission on their role. `inside` holds one object of each type
    in their sight, `outside` one of each out of it (the catalogue has no such object)."""

    am: int
    inside: dict[str, int]
    outside: dict[str, int]
    buyer_outside: int  # an existing user who is no account manager: out of `register`'s reach
    email: str  # the AM's, to sign in with

    def id(self, type_name: str) -> str:
        return gid(type_name, self.inside[type_name])


@pytest.fixture
async def world(make) -> World:
    north, south = await make.territory("North"), await make.territory("South")
    northwind, southwind = await make.company(north), await make.company(south)
    am = await make.am(territories=[north])
    other_am = await make.am(territories=[south])
    sc, other_sc = await make.sc(ams=[am]), await make.sc(ams=[other_am])
    buyer, stranger = await make.buyer(northwind, direct_am=am), await make.buyer(southwind)
    content = await make.content()
    # the objects out of sight carry their creator's client ids, so that naming them by those
    # ids is tried too; of the objects in sight, the meeting and the note carry the caller's
    mine, theirs = await make.list(am), await make.list(other_am, client_id=client_id("outside/List"))
    meeting = await make.meeting(am, client_id=client_id("inside/Meeting"))
    other_meeting = await make.meeting(other_am, client_id=client_id("outside/Meeting"))
    await make.attendee(meeting, buyer)
    await make.attach_list(meeting, mine)
    await make.set_permissions("ACCOUNT_MANAGER", ALL_PERMISSIONS)
    return World(
        am=am,
        inside={
            "User": am,
            "Buyer": buyer,
            "Coordinator": sc,
            "Territory": north,
            "Company": northwind,
            "List": mine,
            "ListItem": await make.item(mine, content, 0),
            "Content": content,
            "Registration": await make.registration(requested_am=am),
            "Meeting": meeting,
            "Note": await make.note(meeting, author=am, client_id=client_id("inside/Note")),
            "Device": await make.device(am),
            "Role": await make.role("BUYER", [], "Inside"),  # every role is in everyone's sight
        },
        outside={
            "User": other_am,
            "Buyer": stranger,
            "Coordinator": other_sc,
            "Territory": south,
            "Company": southwind,
            "List": theirs,
            "ListItem": await make.item(
                theirs, content, 0, created_by=other_am, client_id=client_id("outside/ListItem")
            ),
            "Registration": await make.registration(requested_am=other_am, territory=south),
            "Meeting": other_meeting,
            "Note": await make.note(other_meeting, author=other_am, client_id=client_id("outside/Note")),
            "Device": await make.device(other_am),
        },
        buyer_outside=stranger,
        email=await make.email_of(am),
    )


def calls(w: World) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
    """(root field, id path) -> (arguments that pass every other check, the kind of object the
    id at the path names). The id at the path is replaced by each bad id in turn."""
    am, buyer, sc = w.id("User"), gid("User", w.inside["Buyer"]), gid("User", w.inside["Coordinator"])
    territory, company, meeting = w.id("Territory"), w.id("Company"), w.id("Meeting")
    lst, item, note, registration = w.id("List"), w.id("ListItem"), w.id("Note"), w.id("Registration")
    new_buyer = {"email": "new@example.test", "name": "New", "role": "BUYER", "companyId": company}
    applicant = {"name": "Ann", "email": "ann@example.test", "companyName": "Ann's"}
    return {
        ("node", "id"): ({"id": meeting}, "Meeting"),
        ("nodes", "ids"): ({"ids": [meeting]}, "Meeting"),
        ("registrations", "territoryId"): ({"territoryId": territory}, "Territory"),
        ("registrations", "accountManagerId"): ({"accountManagerId": am}, "User"),
        ("auditEvents", "actorId"): ({"actorId": am}, "User"),
        ("meetings", "hostId"): ({"hostId": am}, "User"),
        ("meetings", "buyerId"): ({"buyerId": buyer}, "Buyer"),
        ("offeredBuyers", "hostId"): ({"hostId": am}, "User"),
        ("createUser", "input.companyId"): ({"input": new_buyer}, "Company"),
        ("createUser", "input.directAccountManagerId"): (
            {"input": {**new_buyer, "directAccountManagerId": am}},
            "User",
        ),
        ("updateUser", "input.id"): ({"input": {"id": buyer, "name": "Renamed"}}, "Buyer"),
        ("updateUser", "input.companyId"): ({"input": {"id": buyer, "companyId": company}}, "Company"),
        ("updateUser", "input.directAccountManagerId"): (
            {"input": {"id": buyer, "directAccountManagerId": am}},
            "User",
        ),
        **{
            (field, "accountManagerId"): ({"accountManagerId": am, "coordinatorIds": [sc]}, "User")
            for field in ("assignCoordinators", "unassignCoordinators")
        },
        **{
            (field, "coordinatorIds"): ({"accountManagerId": am, "coordinatorIds": [sc]}, "Coordinator")
            for field in ("assignCoordinators", "unassignCoordinators")
        },
        **{
            (field, "accountManagerId"): ({"accountManagerId": am, "territoryIds": [territory]}, "User")
            for field in ("assignTerritories", "unassignTerritories")
        },
        **{
            (field, "territoryIds"): ({"accountManagerId": am, "territoryIds": [territory]}, "Territory")
            for field in ("assignTerritories", "unassignTerritories")
        },
        ("createTerritory", "parentId"): ({"name": "New", "parentId": territory}, "Territory"),
        ("updateTerritory", "input.id"): ({"input": {"id": territory, "name": "Renamed"}}, "Territory"),
        ("updateTerritory", "input.parentId"): (
            {"input": {"id": territory, "parentId": territory}},
            "Territory",
        ),
        ("createCompany", "territoryId"): ({"name": "New", "territoryId": territory}, "Territory"),
        ("updateCompany", "input.id"): ({"input": {"id": company, "name": "Renamed"}}, "Company"),
        ("updateCompany", "input.territoryId"): (
            {"input": {"id": company, "territoryId": territory}},
            "Territory",
        ),
        ("createList", "buyerId"): ({"name": "New", "kind": "BUYER", "buyerId": buyer}, "Buyer"),
        ("renameList", "id"): ({"id": lst, "name": "Renamed"}, "List"),
        ("deleteList", "id"): ({"id": lst}, "List"),
        ("addListItem", "listId"): ({"listId": lst, "contentId": w.id("Content")}, "List"),
        ("addListItem", "contentId"): ({"listId": lst, "contentId": w.id("Content")}, "Content"),
        ("moveListItem", "id"): ({"id": item, "position": 0}, "ListItem"),
        ("removeListItem", "id"): ({"id": item}, "ListItem"),
        ("updateListItemNote", "id"): ({"id": item, "note": "Noted", "version": 1}, "ListItem"),
        ("register", "input.accountManagerId"): ({"input": {**applicant, "accountManagerId": am}}, "User"),
        ("register", "input.territoryId"): ({"input": {**applicant, "territoryId": territory}}, "Territory"),
        ("approveRegistration", "input.id"): ({"input": {"id": registration}}, "Registration"),
        ("approveRegistration", "input.companyId"): (
            {"input": {"id": registration, "companyId": company}},
            "Company",
        ),
        ("approveRegistration", "input.newCompanyTerritoryId"): (
            {"input": {"id": registration, "newCompanyTerritoryId": territory}},
            "Territory",
        ),
        ("rejectRegistration", "id"): ({"id": registration, "reason": "No"}, "Registration"),
        ("reassignRegistrationCompany", "id"): ({"id": registration, "companyId": company}, "Registration"),
        ("reassignRegistrationCompany", "companyId"): ({"id": registration, "companyId": company}, "Company"),
        ("createMeeting", "hostId"): (
            {"hostId": am, "title": "New", "startsAt": "2027-01-01T10:00:00Z", "attendeeIds": [buyer]},
            "User",
        ),
        ("createMeeting", "attendeeIds"): (
            {"hostId": am, "title": "New", "startsAt": "2027-01-01T10:00:00Z", "attendeeIds": [buyer]},
            "Buyer",
        ),
        ("updateMeeting", "id"): ({"id": meeting, "title": "Renamed"}, "Meeting"),
        ("updateMeeting", "hostId"): ({"id": meeting, "hostId": am}, "User"),
        **{
            (field, path): ({"meetingId": meeting, "buyerIds": [buyer]}, kind)
            for field in ("addAttendees", "removeAttendees")
            for path, kind in (("meetingId", "Meeting"), ("buyerIds", "Buyer"))
        },
        **{
            (field, path): ({"meetingId": meeting, "listId": lst}, kind)
            for field in ("attachList", "detachList")
            for path, kind in (("meetingId", "Meeting"), ("listId", "List"))
        },
        ("startMeeting", "id"): ({"id": meeting, "clientMutationId": "start"}, "Meeting"),
        ("endMeeting", "id"): ({"id": meeting, "clientMutationId": "end"}, "Meeting"),
        ("createNote", "meetingId"): ({"meetingId": meeting, "text": "Noted"}, "Meeting"),
        ("updateNote", "id"): ({"id": note, "version": 1, "text": "Edited"}, "Note"),
        ("deleteNote", "id"): ({"id": note, "version": 1}, "Note"),
        ("sendMeetingSummary", "meetingId"): ({"meetingId": meeting}, "Meeting"),
        ("sendMeetingSummary", "buyerIds"): ({"meetingId": meeting, "buyerIds": [buyer]}, "Buyer"),
        ("cancelMeeting", "meetingId"): ({"meetingId": meeting, "reason": "Host is ill"}, "Meeting"),
        ("rescheduleMeeting", "meetingId"): (
            {"meetingId": meeting, "startsAt": "2027-02-01T10:00:00Z", "timeZone": "Europe/Paris"},
            "Meeting",
        ),
        ("updateContent", "id"): ({"id": w.id("Content"), "title": "Renamed"}, "Content"),
        ("archiveContent", "id"): ({"id": w.id("Content")}, "Content"),
        ("restoreContent", "id"): ({"id": w.id("Content")}, "Content"),
        ("deleteTerritory", "id"): ({"id": territory}, "Territory"),
        ("mergeTerritory", "sourceId"): ({"sourceId": territory, "targetId": territory}, "Territory"),
        ("mergeTerritory", "targetId"): ({"sourceId": territory, "targetId": territory}, "Territory"),
        ("deleteCompany", "id"): ({"id": company}, "Company"),
        ("mergeCompany", "sourceId"): ({"sourceId": company, "targetId": company}, "Company"),
        ("mergeCompany", "targetId"): ({"sourceId": company, "targetId": company}, "Company"),
        ("login", "deviceId"): (
            {"email": w.email, "password": PASSWORD, "client": "APP", "deviceId": w.id("Device")},
            "Device",
        ),
        ("revokeDevice", "id"): ({"id": w.id("Device")}, "Device"),
        ("createUser", "input.roleId"): (
            {"input": {"email": "new@example.test", "name": "New", "roleId": w.id("Role")}},
            "Role",
        ),
        ("updateUser", "input.roleId"): ({"input": {"id": buyer, "roleId": w.id("Role")}}, "Role"),
        ("setRolePermissions", "roleId"): ({"roleId": w.id("Role"), "permissions": []}, "Role"),
        ("renameRole", "roleId"): ({"roleId": w.id("Role"), "name": "Renamed"}, "Role"),
        ("deleteRole", "roleId"): ({"roleId": w.id("Role")}, "Role"),
    }


def operation(root: GraphQLObjectType, field: Any, name: str, arguments: dict[str, Any]) -> str:
    """The field called with every argument given as a variable of its own declared type."""
    kind = "query" if root is SCHEMA.query_type else "mutation"
    declared = ", ".join(f"${a}: {field.args[a].type}" for a in arguments)
    passed = ", ".join(f"{a}: ${a}" for a in arguments)
    selection = "" if get_named_type(field.type).name in ("ID", "String") else " { __typename }"
    return f"{kind}({declared}) {{ {name}({passed}){selection} }}"


def with_id(arguments: dict[str, Any], path: list[str], value: str) -> dict[str, Any]:
    changed = copy.deepcopy(arguments)
    holder = changed
    for part in path[:-1]:
        holder = holder[part]
    holder[path[-1]] = [value] if isinstance(holder[path[-1]], list) else value
    return changed


def bad_ids(w: World, kind: str, anonymous: bool, typed: bool) -> dict[str, str | None]:
    """The four ids that must answer alike, for an argument naming a `kind` (for `node`, which
    takes any type, three: an id of another type is simply another object)."""
    type_name = "User" if kind in ("Buyer", "Coordinator") else kind
    pk = w.inside[kind]
    other = "User" if type_name == "Meeting" else "Meeting"  # a real object, in sight, of another type
    outside = w.outside.get(kind)
    if anonymous and type_name == "User":
        outside = w.buyer_outside  # an existing user, but no account manager
    elif anonymous:
        outside = None  # every territory may be named in a sign-up
    bad = {
        "missing": gid(type_name, MISSING_PK),
        "another type": gid(other, w.inside[other]) if typed else None,
        "tampered": base64.b64encode(f"{type_name.swapcase()}:{pk}".encode()).decode(),
        "out of sight": gid(type_name, outside) if outside is not None else None,
    }
    if type_name in CLIENT_ID_KINDS:  # R31: a client id answers like a global id
        mine_of_other_type = "Note" if type_name == "Meeting" else "Meeting"
        bad |= {
            "unknown client id": client_id("nobody's"),
            "someone else's client id": client_id(f"outside/{type_name}"),
            "own client id of another type": client_id(f"inside/{mine_of_other_type}") if typed else None,
        }
    return bad


def is_guarded(field: Any) -> bool:
    return any(d.name.value in GUARDS for d in field.ast_node.directives or ())


def channel_of(field: Any) -> Channel:
    for directive in field.ast_node.directives or ():
        if directive.name.value == "onChannel":
            return Channel(next(a.value.value for a in directive.arguments if a.name.value == "is"))
    return Channel.WEB


async def test_R22_R23_every_id_argument_answers_missing_out_of_sight_other_type_and_tampered_alike(
    client, world, engine
):
    arguments = id_arguments()
    table = calls(world)
    assert sorted(set(arguments) - set(table)) == [], "id arguments without a row in calls()"
    assert sorted(set(table) - set(arguments)) == [], "rows of calls() the schema no longer has"
    before = await snapshot(engine)
    wrong = {}
    for (name, dotted), (root, field) in sorted(arguments.items()):
        valid, kind = table[(name, dotted)]
        path = dotted.split(".")
        anonymous = not is_guarded(field)
        query = operation(root, field, name, valid)
        answers = {}
        for label, bad in bad_ids(world, kind, anonymous, typed=name not in ("node", "nodes")).items():
            if bad is None:
                continue
            answers[label] = await client.post(
                query,
                with_id(valid, path, bad),
                as_user=None if anonymous else world.am,
                channel=channel_of(field),
            )
        missing = answers["missing"]
        differing = {label: body for label, body in answers.items() if body != missing}
        if differing:
            wrong[f"{name}({dotted})"] = {"missing": missing, **differing}
            continue
        if name in ("node", "nodes"):
            expected_data = {"node": None} if name == "node" else {"nodes": [None]}
            if missing != {"data": expected_data, "extensions": missing.get("extensions")}:
                wrong[f"{name}({dotted})"] = missing
            continue
        errors = missing.get("errors") or [{}]
        code = "BAD_USER_INPUT" if anonymous else "NOT_FOUND"
        if [e.get("extensions", {}).get("code") for e in errors] != [code] or errors[0]["extensions"].get(
            "field"
        ) != path[-1]:
            wrong[f"{name}({dotted})"] = missing
    assert not wrong, "\n".join(f"{key}: {value}" for key, value in wrong.items())
    assert await snapshot(engine) == before
