"""GraphQL enums. Each is a Python enum of the layer that owns its values (`permissions` for
roles, permissions, channels and scope bases; the models for statuses and kinds), wrapped
here, so the database, the guards and the schema spell them the same way."""

from __future__ import annotations

import strawberry
from salescoord.db.models import content, meetings, records, registrations, sync
from salescoord.permissions import enums

Permission = strawberry.enum(enums.Permission, name="Permission")
RoleName = strawberry.enum(
    enums.RoleName,
    name="RoleName",
    description="The built-in roles, and the kind of every role: what its holders see (R34).",
)
Channel = strawberry.enum(enums.Channel, name="Channel")
ScopeBasis = strawberry.enum(
    enums.ScopeBasis,
    name="ScopeBasis",
    description="The relationship whose scope filters a field's rows (R1-R3, R11).",
)
Audience = strawberry.enum(
    enums.Audience,
    name="Audience",
    description="Whose activity a report counts (R36): MINE, your own reporting scope (R12); "
    "ALL, everyone (needs VIEW_REPORTING_ALL_USERS).",
)
VisibilityBasis = strawberry.enum(
    enums.VisibilityBasis,
    name="VisibilityBasis",
    description="A branch of the scope: one reason an object is in your sight (R35).",
)
for _value in VisibilityBasis.__strawberry_definition__.values:
    _value.description = enums.VISIBILITY_BASES[enums.VisibilityBasis(_value.value)]
ListKind = strawberry.enum(content.ListKind, name="ListKind")
ContentKind = strawberry.enum(content.ContentKind, name="ContentKind")
PeriodUnit = strawberry.enum(
    records.PeriodUnit,
    name="PeriodUnit",
    description="How reporting buckets time: UTC days, ISO weeks (from Monday), months.",
)
MeetingStatus = strawberry.enum(meetings.MeetingStatus, name="MeetingStatus")
NotePhase = strawberry.enum(meetings.NotePhase, name="NotePhase")
RegistrationStatus = strawberry.enum(registrations.RegistrationStatus, name="RegistrationStatus")
EmailStatus = strawberry.enum(records.EmailStatus, name="EmailStatus")
ChangeKind = strawberry.enum(
    sync.ChangeKind,
    name="ChangeKind",
    description="What a change-feed entry tells the app to do with its copy (R18).",
)
