"""The role names and permission flags of SPEC §1, shared by the database and the schema."""

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


DEFAULT_PERMISSIONS: dict[RoleName, frozenset[Permission]] = {
    RoleName.ADMIN: frozenset(Permission),
    RoleName.ACCOUNT_MANAGER: frozenset({Permission.MANAGE_MEETINGS, Permission.MANAGE_REGISTRATIONS}),
    RoleName.SALES_COORDINATOR: frozenset({Permission.MANAGE_REGISTRATIONS, Permission.MANAGE_MEETINGS}),
    RoleName.BUYER: frozenset(),
}
