"""Every table, importable from one place so that `SQLModel.metadata` is complete."""

from salescoord.db.models.content import Content, List, ListItem
from salescoord.db.models.devices import Device, DeviceOutcome, RefreshToken
from salescoord.db.models.limits import RateCounter
from salescoord.db.models.meetings import Meeting, MeetingAttendee, MeetingList, Note
from salescoord.db.models.people import AccountManagerCoordinator, AccountManagerTerritory, Role, User
from salescoord.db.models.places import Company, Territory
from salescoord.db.models.records import Activity, AuditEvent, Email
from salescoord.db.models.registrations import Registration
from salescoord.db.models.sync import ChangeLogEntry, MutationOutcome

__all__ = [
    "AccountManagerCoordinator",
    "AccountManagerTerritory",
    "Activity",
    "AuditEvent",
    "ChangeLogEntry",
    "Company",
    "Content",
    "Device",
    "DeviceOutcome",
    "Email",
    "List",
    "ListItem",
    "Meeting",
    "MeetingAttendee",
    "MeetingList",
    "MutationOutcome",
    "Note",
    "RateCounter",
    "RefreshToken",
    "Registration",
    "Role",
    "Territory",
    "User",
]
