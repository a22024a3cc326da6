"""The role names and permission flags of SPEC §1, the channels, and the scope bases the guards
name: shared by the database, the guards and the schema."""

from __future__ import annotations

from enum import StrEnum


class RoleName(StrEnum):
    ADMIN = "ADMIN"
    ACCOUNT_MANAGER = "ACCOUNT_MANAGER"
    SALES_COORDINATOR = "SALES_COORDINATOR"
    BUYER = "BUYER"


class Permission(StrEnum):
    VIEW_REPORTING_ALL_USERS = "VIEW_REPORTING_ALL_USERS"
    MANAGE_REGISTRATIONS = "MANAGE_REGISTRATIONS"
    MANAGE_MEETINGS = "MANAGE_MEETINGS"
    MANAGE_USERS = "MANAGE_USERS"
    MANAGE_ROLES = "MANAGE_ROLES"
    MANAGE_TERRITORIES = "MANAGE_TERRITORIES"
    MANAGE_GLOBAL_LISTS = "MANAGE_GLOBAL_LISTS"


class Channel(StrEnum):
    """Which client a token was issued to: the web CMS or the iPad app (R10)."""

    WEB = "WEB"
    APP = "APP"


class ScopeBasis(StrEnum):
    """The relationship whose scope filters a field's rows (R1-R3, R11): what `@scoped(by:)` names."""

    ACCOUNT_MANAGER = "ACCOUNT_MANAGER"
    """Rows reached through the viewer's AMs: direct and territory associations (R1, R2)."""
    LISTS_SECTION = "LISTS_SECTION"
    """Own lists, GLOBAL lists, and for a buyer the lists shared with them (R11)."""
    LIST_ACCESS = "LIST_ACCESS"
    """The Lists section, plus lists attached to a meeting the viewer may manage (R9, R11)."""
    LIST_CHANGES = "LIST_CHANGES"
    """Lists you may change, a part of LIST_ACCESS: your own PERSONAL and BUYER lists, GLOBAL ones
    with MANAGE_GLOBAL_LISTS (R11); item notes also on the lists of a meeting you manage (R9);
    through the app adding, moving and removing items also on the lists of a meeting you host;
    a list of a meeting you do not host only if it is your own (R10, R11)."""
    CATALOGUE = "CATALOGUE"
    """Content: the whole catalogue for staff, shared items for a buyer (R13)."""
    REPORTING = "REPORTING"
    """Activity of the users one may report on: an SC's scope (R2), an AM's associated users and
    themselves, everyone with VIEW_REPORTING_ALL_USERS; buyers are refused (R12)."""
    ROLES = "ROLES"
    """Roles and their flags: every signed-in user reads every role (R14, R34)."""
    MEETING = "MEETING"
    """Meetings one manages on the web (own and one's AMs'), hosts through the app, or attends
    as a buyer, and their notes (host-only notes never for buyers) (R9, R10, R13)."""


DEFAULT_PERMISSIONS: dict[RoleName, frozenset[Permission]] = {
    RoleName.ADMIN: frozenset(Permission),
    RoleName.ACCOUNT_MANAGER: frozenset({Permission.MANAGE_MEETINGS, Permission.MANAGE_REGISTRATIONS}),
    RoleName.SALES_COORDINATOR: frozenset({Permission.MANAGE_REGISTRATIONS, Permission.MANAGE_MEETINGS}),
    RoleName.BUYER: frozenset(),
}
