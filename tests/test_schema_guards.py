"""R15: the schema shows every guard, and no field opens a path around the scope.

The checked-in schema.graphql is what front-end teams read (and `make schema-check`
keeps it equal to the code), so this walks it: every field that returns a scoped
type (an object with a global id, the Node interface, or a connection of them)
must carry @scoped; a new field without it fails here before it can leak.
"""

from __future__ import annotations

from graphql import (
    InterfaceTypeDefinitionNode,
    ListTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    parse,
)
from salescoord.schema.root import schema

from tests.conftest import ROOT

SDL = (ROOT / "schema.graphql").read_text()
DOCUMENT = parse(SDL)
DEFINITIONS = {
    d.name.value: d
    for d in DOCUMENT.definitions
    if isinstance(d, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode)
}
SCOPED_TYPES = {"Node"} | {
    name
    for name, d in DEFINITIONS.items()
    if any(i.name.value == "Node" for i in getattr(d, "interfaces", ()) or ())
}
CONNECTIONS = {f"{name}Connection" for name in SCOPED_TYPES} | {f"{name}Edge" for name in SCOPED_TYPES}


def named(type_node) -> str:
    while isinstance(type_node, NonNullTypeNode | ListTypeNode):
        type_node = type_node.type
    return type_node.name.value


def directives(field) -> set[str]:
    return {d.name.value for d in field.directives or ()}


def scoped_fields():
    for type_name, definition in DEFINITIONS.items():
        if type_name in CONNECTIONS:
            continue  # their parent field carries the scope
        for field in definition.fields:
            returns = named(field.type)
            if returns in SCOPED_TYPES or returns in CONNECTIONS:
                yield type_name, field


def test_R15_scoped_types_are_the_node_types():
    assert {"User", "Company", "Territory", "List", "ListItem", "Content", "Node"} <= SCOPED_TYPES


def test_R15_every_field_returning_a_scoped_type_goes_through_the_scope():
    unguarded = [
        f"{type_name}.{field.name.value}"
        for type_name, field in scoped_fields()
        if "scoped" not in directives(field)
    ]
    assert unguarded == []
    assert len(list(scoped_fields())) > 25  # the walk saw the graph, not an empty file


def test_R15_every_mutation_declares_who_may_call_it():
    mutation = DEFINITIONS["Mutation"]
    open_fields = [
        f.name.value for f in mutation.fields if not directives(f) & {"requires", "authenticated", "scoped"}
    ]
    # R4: sign-in (also with a set-password or reset link, and the app's refresh, R30) and
    # sign-up are the anonymous mutations, and asking for a reset link (R32)
    assert open_fields == [
        "login", "refreshSession", "register", "setPassword", "requestPasswordReset", "resetPassword"
    ]  # fmt: skip


def test_R15_guards_print_with_their_arguments():
    assert "directive @requires(permission: Permission!) on FIELD_DEFINITION" in SDL
    assert "directive @scoped(by: ScopeBasis!) on FIELD_DEFINITION" in SDL
    assert "@requires(permission: MANAGE_USERS)" in SDL
    assert "@requires(permission: MANAGE_GLOBAL_LISTS)" in SDL
    assert "@scoped(by: LISTS_SECTION)" in SDL


def test_R15_checked_in_schema_matches_the_code():
    assert schema.as_str() + "\n" == SDL


def on_web_only(field) -> bool:
    return any(
        d.name.value == "onChannel"
        and any(a.name.value == "is" and a.value.value == "WEB" for a in d.arguments)
        for d in field.directives or ()
    )


def test_R16_every_mutation_an_app_token_may_send_takes_a_key():
    """The app's mutations carry a client-generated key (R16); back-office ones are refused on
    the app channel (@onChannel(is: WEB)), so no mutation reachable with an app token runs
    without one. Signing in and signing up are anonymous (R4) and make no object to replay;
    a refresh is single-use by design, and signing out or revoking a device twice is once (R30)."""
    mutation = DEFINITIONS["Mutation"]
    keyless = [
        f.name.value
        for f in mutation.fields
        if not on_web_only(f) and "clientMutationId" not in {a.name.value for a in f.arguments or ()}
    ]
    assert keyless == [
        "login", "refreshSession", "signOut", "revokeDevice", "register", "setPassword",
        "requestPasswordReset", "resetPassword",
    ]  # fmt: skip
    lists = {"createList", "renameList", "deleteList", "addListItem", "moveListItem", "removeListItem"}
    keyed = {f.name.value for f in mutation.fields if not on_web_only(f)} - set(keyless)
    assert lists | {"updateListItemNote", "createNote", "startMeeting", "sendMeetingSummary"} <= keyed
    assert {"createUser", "setRolePermissions", "approveRegistration", "createContent"} <= {
        f.name.value for f in mutation.fields if on_web_only(f)
    }


ADMINISTRATION = {"MANAGE_USERS", "MANAGE_ROLES", "MANAGE_TERRITORIES", "MANAGE_REGISTRATIONS"}


def required_permissions(field) -> set[str]:
    return {
        a.value.value
        for d in field.directives or ()
        if d.name.value == "requires"
        for a in d.arguments
        if a.name.value == "permission"
    }


def test_R10_every_back_office_field_is_on_the_web_only():
    """The outbox holds emails to new buyers and the audit trail every change: an app token, an
    admin's too, never reads or changes the back office (R10); the SDL says so on each field."""
    back_office = {
        f"{type_name}.{field.name.value}": field
        for type_name in ("Query", "Mutation")
        for field in DEFINITIONS[type_name].fields
        if required_permissions(field) & ADMINISTRATION
    }
    assert {"Query.outbox", "Query.auditEvents", "Mutation.createUser"} <= set(back_office)
    assert [name for name, field in back_office.items() if not on_web_only(field)] == []
