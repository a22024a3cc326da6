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


class Audience(StrEnum):
    """Whose activity a report counts (R36)."""

    MINE = "MINE"
    """The users of the viewer's own reporting scope (R12), as without VIEW_REPORTING_ALL_USERS."""
    ALL = "ALL"
    """Everyone: only with VIEW_REPORTING_ALL_USERS."""


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
    DEVICE = "DEVICE"
    """The app's devices: a user's own, and everyone's for an admin (R30)."""
    ROLES = "ROLES"
    """Roles and their flags: every signed-in user reads every role (R14, R34)."""
    MEETING = "MEETING"
    """Meetings one manages on the web (own and one's AMs'), hosts through the app, or attends
    as a buyer, and their notes (host-only notes never for buyers) (R9, R10, R13)."""
    VISIBILITY = "VISIBILITY"
    """Why an object is in sight: the branches of the scope that let it through, with the links
    they followed (R35). Null for an object out of sight."""


class VisibilityBasis(StrEnum):
    """A branch of the scope (`permissions.scope.Branch`): one of the reasons an object may be
    in the viewer's sight (R35). The scope's filter is the union of its branches."""

    OWN = "OWN"
    ASSIGNED = "ASSIGNED"
    DIRECT_AM = "DIRECT_AM"
    TERRITORY = "TERRITORY"
    MANAGED_MEETING = "MANAGED_MEETING"
    ATTENDED_MEETING = "ATTENDED_MEETING"
    GLOBAL_LIST = "GLOBAL_LIST"
    SHARED_LIST = "SHARED_LIST"
    ROLE_PERMISSION = "ROLE_PERMISSION"


# What each basis means, printed beside it in schema.graphql.
VISIBILITY_BASES: dict[VisibilityBasis, str] = {
    VisibilityBasis.OWN: "Yourself, your own list, a meeting you host, a buyer's own company.",
    VisibilityBasis.ASSIGNED: "An AM-SC assignment: an SC's AM, an AM's SC; accountManager is the AM "
    "(R2, R5).",
    VisibilityBasis.DIRECT_AM: "A buyer whose direct AM is accountManager, or that buyer's company; for a "
    "buyer, their own direct AM (R1, R13).",
    VisibilityBasis.TERRITORY: "A buyer or company in accountManager's territories or below them, along "
    "territoryPath (R1).",
    VisibilityBasis.MANAGED_MEETING: "A meeting you manage as an SC of its host, accountManager (R9); a list "
    "attached to meeting, a meeting you manage (R11).",
    VisibilityBasis.ATTENDED_MEETING: "A meeting you attend as a buyer (R13).",
    VisibilityBasis.GLOBAL_LIST: "A GLOBAL list: in every staff member's Lists section (R11).",
    VisibilityBasis.SHARED_LIST: "A BUYER list made for you, the buyer (R11, R13).",
    VisibilityBasis.ROLE_PERMISSION: "Your role sees every object of this kind (ADMIN).",
}


DEFAULT_PERMISSIONS: dict[RoleName, frozenset[Permission]] = {
    RoleName.ADMIN: frozenset(Permission),
    RoleName.ACCOUNT_MANAGER: frozenset({Permission.MANAGE_MEETINGS, Permission.MANAGE_REGISTRATIONS}),
    RoleName.SALES_COORDINATOR: frozenset({Permission.MANAGE_REGISTRATIONS, Permission.MANAGE_MEETINGS}),
    RoleName.BUYER: frozenset(),
}
