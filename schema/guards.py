"""How a field declares its guards (R15): the permission classes of `permissions.guards`, run
before the field, each printed in schema.graphql as its directive (`schema.directives`).

    outbox: Connection[OutboxEmail] = strawberry.field(
        resolver=resolve.outbox, extensions=[guard(HasPermission(Permission.MANAGE_USERS))]
    )  # prints @requires(permission: MANAGE_USERS)
"""

from __future__ import annotations

from salescoord.permissions.enums import Channel, Permission, ScopeBasis
from salescoord.permissions.guards import HasPermission, OnChannel, ScopedBy
from salescoord.schema.directives import printed
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types.field import StrawberryField


class Guarded(PermissionExtension):
    """Strawberry's permission extension, printing each guard as `schema.directives` spells it
    (Strawberry's own would print a directive named after the class)."""

    def __init__(self, permissions: list[BasePermission]) -> None:
        super().__init__(permissions=permissions, use_directives=False)

    def apply(self, field: StrawberryField) -> None:
        super().apply(field)
        for directive in map(printed, self.permissions):
            if directive not in field.directives:
                field.directives.append(directive)


def guard(*permissions: BasePermission) -> PermissionExtension:
    return Guarded(list(permissions))


def scoped(basis: ScopeBasis = ScopeBasis.ACCOUNT_MANAGER) -> PermissionExtension:
    return guard(ScopedBy(basis))


def back_office(
    permission: Permission, basis: ScopeBasis | None = ScopeBasis.ACCOUNT_MANAGER
) -> PermissionExtension:
    """Administration and decisions: a permission of the role, on the web only. The app sends
    the host's meeting, note and list work, each with a key (R16); an app token lives 30 days
    on a device carried to buyers, so it never changes users, roles, places or registrations.

    >>> back_office(Permission.MANAGE_USERS)
    ... # @requires(permission: MANAGE_USERS) @onChannel(is: WEB) @scoped(by: ACCOUNT_MANAGER)
    """
    permissions: list[BasePermission] = [HasPermission(permission), OnChannel(Channel.WEB)]
    return guard(*permissions, *([ScopedBy(basis)] if basis is not None else []))
