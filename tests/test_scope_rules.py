"""R9, R10, R11: who may host a meeting, who writes a note of which phase, who makes which
list and what the app channel confines one to are named predicates of `permissions/scope.py`.
The resolvers and the `@onChannel(hostOnly: true)` guard ask them, so each rule has one home;
these rows pin each predicate, the API tests (test_meetings, test_lists) its every answer."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import strawberry
from salescoord.db.models.content import ListKind
from salescoord.db.models.meetings import NotePhase
from salescoord.db.tables import users
from salescoord.permissions.enums import DEFAULT_PERMISSIONS, Channel, Permission, RoleName
from salescoord.permissions.guards import OnChannel
from salescoord.permissions.scope import Scope
from salescoord.permissions.viewer import Viewer
from salescoord.schema.guards import guard

WEB, APP = Channel.WEB, Channel.APP


def viewer(pk: int, role: RoleName, channel: Channel = WEB, *extra: Permission) -> Viewer:
    permissions = DEFAULT_PERMISSIONS[role] | frozenset(extra)
    return Viewer(id=pk, email="", name="", role=role, permissions=permissions, channel=channel)


# (label, viewer, their role, channel, the users they may set up meetings for)
HOSTS = [
    ("R9-admin-any-active-am-or-sc", "admin", RoleName.ADMIN, WEB, {"am", "other_am", "sc"}),
    ("R9-am-themselves", "am", RoleName.ACCOUNT_MANAGER, WEB, {"am"}),
    ("R9-sc-themselves-and-their-am", "sc", RoleName.SALES_COORDINATOR, WEB, {"am", "sc"}),
    ("R10-sc-app-themselves-only", "sc", RoleName.SALES_COORDINATOR, APP, {"sc"}),
    ("R10-am-app-themselves-only", "am", RoleName.ACCOUNT_MANAGER, APP, {"am"}),
    ("R10-admin-app-nobody-an-admin-hosts-nothing", "admin", RoleName.ADMIN, APP, set()),
    ("R9-buyer-nobody", "buyer", RoleName.BUYER, WEB, set()),
]


async def test_R9_R10_allowed_hosts_are_the_staff_one_sets_up_meetings_for(engine, make):
    people = {"admin": await make.admin(), "am": await make.am(), "other_am": await make.am()}
    people["sc"] = await make.sc(ams=[people["am"]])
    people["retired_am"] = await make.user("ACCOUNT_MANAGER", active=False)
    await make.link_sc(people["retired_am"], people["sc"])
    people["buyer"] = await make.buyer(await make.company(await make.territory()), direct_am=people["am"])
    names = {pk: name for name, pk in people.items()}
    found = {}
    async with engine.connect() as connection:
        for label, who, role, channel, _ in HOSTS:
            scope = Scope(viewer(people[who], role, channel))
            rows = await connection.execute(sa.select(users.c.id).where(scope.allowed_hosts()))
            found[label] = {names[row.id] for row in rows}
    assert found == {label: hosts for label, *_, hosts in HOSTS}


# (label, the note's phase, whether the viewer hosts the meeting, may write it)
NOTES = [
    ("R9-an-sc-managing-it-writes-before-it-starts", NotePhase.PRE_MEETING, False, True),
    ("R9-the-host-writes-before-it-starts", NotePhase.PRE_MEETING, True, True),
    ("R10-the-host-writes-in-it", NotePhase.IN_MEETING, True, True),
    ("R10-an-sc-managing-it-does-not-write-in-it", NotePhase.IN_MEETING, False, False),
]


@pytest.mark.parametrize(("phase", "hosts", "may"), [row[1:] for row in NOTES], ids=[r[0] for r in NOTES])
def test_R9_R10_who_writes_a_note_of_which_phase(phase, hosts, may):
    scope = Scope(viewer(7, RoleName.SALES_COORDINATOR))
    assert scope.may_write_note(phase, host_id=7 if hosts else 8) is may


# (label, role, extra permission, kind, may make it)
LISTS = [
    ("R11-staff-make-personal-lists", RoleName.SALES_COORDINATOR, None, ListKind.PERSONAL, True),
    ("R11-global-needs-the-permission", RoleName.ACCOUNT_MANAGER, None, ListKind.GLOBAL, False),
    (
        "R11-global-with-the-permission",
        RoleName.SALES_COORDINATOR,
        Permission.MANAGE_GLOBAL_LISTS,
        ListKind.GLOBAL,
        True,
    ),
    ("R11-a-buyer-list-is-an-ams", RoleName.ACCOUNT_MANAGER, None, ListKind.BUYER, True),
    ("R11-an-sc-makes-no-buyer-list", RoleName.SALES_COORDINATOR, None, ListKind.BUYER, False),
    ("R11-an-admin-makes-no-buyer-list", RoleName.ADMIN, None, ListKind.BUYER, False),
    ("R11-buyers-make-no-lists", RoleName.BUYER, None, ListKind.PERSONAL, False),
]


@pytest.mark.parametrize(
    ("role", "extra", "kind", "may"), [row[1:] for row in LISTS], ids=[r[0] for r in LISTS]
)
def test_R11_who_makes_which_list(role, extra, kind, may):
    scope = Scope(viewer(7, role, WEB, *([extra] if extra else [])))
    assert scope.may_create_list(kind) is may


class Request:
    """What the guard reads of a request's context: its viewer, and the scope it reads through."""

    def __init__(self, who: Viewer, scope: Scope) -> None:
        self.viewer, self.scope = who, scope


def host_only_field() -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field(extensions=[guard(OnChannel(APP, host_only=True))])
        def start(self) -> str:
            return "started"

    return strawberry.Schema(query=Query)


@pytest.mark.parametrize(
    ("who", "reads_through", "passes"),
    [
        pytest.param(APP, APP, True, id="R10-app-token-confined-to-hosted-meetings"),
        pytest.param(WEB, WEB, False, id="R10-web-token"),
        # an app token read through a scope that is not confined to the host's meetings: the
        # guard checks what it declares, hostOnly, and not the channel alone
        pytest.param(APP, WEB, False, id="R10-app-token-whose-scope-reaches-other-meetings"),
    ],
)
async def test_R10_on_channel_host_only_checks_the_scope_confines_the_viewer_to_their_meetings(
    who: Channel, reads_through: Channel, passes: bool
) -> None:
    context: Any = Request(
        viewer(7, RoleName.ACCOUNT_MANAGER, who), Scope(viewer(7, RoleName.ACCOUNT_MANAGER, reads_through))
    )
    result = await host_only_field().execute("{ start }", context_value=context)
    assert (result.data == {"start": "started"}) is passes
    assert bool(result.errors) is not passes
