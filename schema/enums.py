"""GraphQL enums. Role, permission and channel names are the Python enums of `permissions`,
so the database, the guards and the schema spell them the same way."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from permissions import enums

Permission = strawberry.enum(enums.Permission, name="Permission")
RoleName = strawberry.enum(enums.RoleName, name="RoleName")
Channel = strawberry.enum(enums.Channel, name="Channel")


@strawberry.enum
class ListKind(StrEnum):
    PERSONAL = "PERSONAL"
    GLOBAL = "GLOBAL"
    BUYER = "BUYER"


@strawberry.enum
class ContentKind(StrEnum):
    PRODUCT = "PRODUCT"
    LOOKBOOK = "LOOKBOOK"
    VIDEO = "VIDEO"
    DOCUMENT = "DOCUMENT"


@strawberry.enum(description="The relationship whose scope filters a field's rows (R1-R3, R11).")
class ScopeBasis(StrEnum):
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
    MEETING = "MEETING"
    """Meetings one manages on the web (own and one's AMs'), hosts through the app, or attends
    as a buyer, and their notes (host-only notes never for buyers) (R9, R10, R13)."""


@strawberry.enum(description="How reporting buckets time: UTC days, ISO weeks (from Monday), months.")
class PeriodUnit(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@strawberry.enum
class MeetingStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    ENDED = "ENDED"


@strawberry.enum
class NotePhase(StrEnum):
    PRE_MEETING = "PRE_MEETING"
    IN_MEETING = "IN_MEETING"


@strawberry.enum(description="What a change-feed entry tells the app to do with its copy (R18).")
class ChangeKind(StrEnum):
    UPSERT = "UPSERT"
    """Created or changed, and visible: store `node` (fetch a new meeting's notes and lists)."""
    DELETED = "DELETED"
    """Deleted for good: drop it (a meeting's notes, a list's items with it)."""
    REMOVED_FROM_VIEW = "REMOVED_FROM_VIEW"
    """Still exists, but you may no longer see it: drop it the same way."""
