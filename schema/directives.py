"""The guard directives printed in schema.graphql, so a front-end team reads each field's
rules where it reads the field (R15). A guard of `permissions.guards` names what it requires;
`printed(guard)` spells that as the directive here.

    printed(HasPermission(Permission.MANAGE_USERS))  # @requires(permission: MANAGE_USERS)
"""

from __future__ import annotations

from functools import singledispatch

import strawberry
from salescoord.permissions import guards
from salescoord.schema.enums import Channel, Permission, ScopeBasis
from strawberry.permission import BasePermission
from strawberry.schema_directive import Location
from strawberry.types.unset import UNSET


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="Needs a signed-in viewer; anonymous calls get UNAUTHENTICATED (R4).",
)
class Authenticated:
    pass


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="Needs this permission on the viewer's role; otherwise FORBIDDEN (R14).",
)
class Requires:
    permission: Permission


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description=("Rows are filtered in SQL by the viewer's scope; rows outside it read as missing."),
)
class Scoped:
    by: ScopeBasis


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="Only for requests on this channel; hostOnly: only the meeting's host (R10).",
)
class OnChannel:
    is_: Channel = strawberry.directive_field(name="is")
    host_only: bool = False


@singledispatch
def printed(guard: BasePermission) -> object:
    """A permission class of no guard here prints as Strawberry names it."""
    return guard.schema_directive


@printed.register
def _(guard: guards.IsAuthenticated) -> object:
    return Authenticated()


@printed.register
def _(guard: guards.HasPermission) -> object:
    return Requires(permission=guard.permission)


@printed.register
def _(guard: guards.ScopedBy | guards.SeesReporting) -> object:
    return Scoped(by=guard.basis)


@printed.register
def _(guard: guards.OnChannel) -> object:
    # unset, not false, prints `@onChannel(is: WEB)`: the directive's default says the rest
    return OnChannel(is_=guard.channel, host_only=guard.host_only or UNSET)
