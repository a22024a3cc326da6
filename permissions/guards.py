"""Permission classes for fields: each decides whether a field may run, and names what it
requires in the words of `permissions.enums` (a permission, a scope basis, a channel), which
`schema.directives` prints as its directive in schema.graphql (R15).

Attach them with `schema.guards.guard()` (or `scoped()`, `back_office()`), never through the
permission-classes argument of a field (that prints nothing):

    outbox: Connection[OutboxEmail] = strawberry.field(
        resolver=resolve.outbox, extensions=[guard(HasPermission(Permission.MANAGE_USERS))]
    )

Guards decide *whether* a field may run; which rows it returns is the scope's
job (`permissions.scope`), applied in SQL by every query behind the field.
"""

from __future__ import annotations

from typing import Any

from salescoord.permissions.enums import Channel, Permission, RoleName, ScopeBasis
from strawberry.permission import BasePermission

from salescoord.context import Info
from salescoord.errors import Forbidden, Unauthenticated


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

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return _viewer(info) is not None

    def on_unauthorized(self) -> None:
        raise Unauthenticated()


class SeesReporting(BasePermission):
    """Staff only: buyers see no reporting (FORBIDDEN); the rows are the scope's
    `reporting_users()` (R12).

    >>> guard(SeesReporting())  # prints @scoped(by: REPORTING)
    """

    basis = ScopeBasis.REPORTING

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return _signed_in(info).role is not RoleName.BUYER

    def on_unauthorized(self) -> None:
        raise Forbidden("Buyers see no reporting.")


class OnChannel(BasePermission):
    """Only for requests made with a token of `channel` (R10). With `host_only`, the field
    also acts only on meetings the viewer hosts: the request's scope must confine it to them
    (`Scope.acts_as_host_only`, the rule by which a non-host's meeting reads as missing).

    >>> guard(OnChannel(Channel.APP, host_only=True))  # @onChannel(is: APP, hostOnly: true)
    """

    def __init__(self, channel: Channel, *, host_only: bool = False) -> None:
        self.channel = channel
        self.host_only = host_only

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        on_channel = _signed_in(info).channel is self.channel
        return on_channel and (not self.host_only or info.context.scope.acts_as_host_only)

    def on_unauthorized(self) -> None:
        raise Forbidden(f"Only through the {self.channel.value.lower()} channel (R10).")
