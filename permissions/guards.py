"""Permission classes for fields. Each prints its directive in schema.graphql (R15).

Attach them as an extension, never through the permission-classes argument of a field (that prints nothing):

    @strawberry.field(extensions=[guard(HasPermission(Permission.MANAGE_USERS))])
    def users(...): ...

Guards decide *whether* a field may run; which rows it returns is the scope's
job (`permissions.scope`), applied in SQL by every query behind the field.
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info
from strawberry.types.unset import UNSET

from permissions.enums import Channel, Permission, RoleName
from salescoord.errors import Forbidden, Unauthenticated
from schema import directives
from schema.enums import ScopeBasis


def _viewer(info: Info) -> Any:
    return info.context.viewer


def _signed_in(info: Info) -> Any:
    """The viewer; anonymous callers are refused before any other check (R4). Guard
    instances are shared by all requests, so nothing about one call is kept on them."""
    viewer = info.context.viewer
    if viewer is None:
        raise Unauthenticated()
    return viewer


class IsAuthenticated(BasePermission):
    """Any signed-in user (R4).

    >>> guard(IsAuthenticated())  # prints @authenticated
    """

    _schema_directive = directives.Authenticated()

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return _viewer(info) is not None

    def on_unauthorized(self) -> None:
        raise Unauthenticated()


class HasPermission(BasePermission):
    """A permission flag of the viewer's role, read fresh on every request (R14).

    >>> guard(HasPermission(Permission.MANAGE_USERS))  # @requires(permission: MANAGE_USERS)
    """

    def __init__(self, permission: Permission) -> None:
        self.permission = permission
        self._schema_directive = directives.Requires(permission=permission)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return _signed_in(info).can(self.permission)

    def on_unauthorized(self) -> None:
        raise Forbidden(f"Needs the {self.permission.value} permission.")


class ScopedBy(BasePermission):
    """Marks a field whose rows come through the viewer's scope, and requires a viewer.

    >>> guard(ScopedBy(ScopeBasis.ACCOUNT_MANAGER))  # @scoped(by: ACCOUNT_MANAGER)
    """

    def __init__(self, basis: ScopeBasis) -> None:
        self.basis = basis
        self._schema_directive = directives.Scoped(by=basis)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return _viewer(info) is not None

    def on_unauthorized(self) -> None:
        raise Unauthenticated()


class SeesReporting(BasePermission):
    """Staff only: buyers see no reporting (FORBIDDEN); the rows are the scope's
    `reporting_users()` (R12).

    >>> guard(SeesReporting())  # prints @scoped(by: REPORTING)
    """

    _schema_directive = directives.Scoped(by=ScopeBasis.REPORTING)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return _signed_in(info).role is not RoleName.BUYER

    def on_unauthorized(self) -> None:
        raise Forbidden("Buyers see no reporting.")


def guard(*permissions: BasePermission) -> PermissionExtension:
    return PermissionExtension(permissions=list(permissions))


def scoped(basis: ScopeBasis = ScopeBasis.ACCOUNT_MANAGER) -> PermissionExtension:
    return guard(ScopedBy(basis))


class OnChannel(BasePermission):
    """Only for requests made with a token of `channel` (R10). With `host_only`, the field
    also acts only on meetings the viewer hosts; that half is the scope's (through the app a
    meeting is visible only to its host), so a non-host's meeting reads as missing.

    >>> guard(OnChannel(Channel.APP, host_only=True))  # @onChannel(is: APP, hostOnly: true)
    """

    def __init__(self, channel: Channel, *, host_only: bool = False) -> None:
        self.channel = channel
        self.host_only = host_only
        # unset, not false, prints `@onChannel(is: WEB)`: the directive's default says the rest
        self._schema_directive = directives.OnChannel(is_=channel, host_only=host_only or UNSET)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return _signed_in(info).channel is self.channel

    def on_unauthorized(self) -> None:
        raise Forbidden(f"Only through the {self.channel.value.lower()} channel (R10).")


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
