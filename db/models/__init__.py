"""Every table, importable from one place so that `SQLModel.metadata` is complete."""

from db.models.content import Content, List, ListItem
from db.models.limits import RateCounter
from db.models.meetings import Meeting, MeetingAttendee, MeetingList, Note
from db.models.people import AccountManagerCoordinator, AccountManagerTerritory, Role, User
from db.models.places import Company, Territory
from db.models.records import Activity, AuditEvent, Email
from db.models.registrations import Registration
from db.models.sync import ChangeLogEntry, MutationOutcome

__all__ = [
    "AccountManagerCoordinator",
    "AccountManagerTerritory",
    "Activity",
    "AuditEvent",
    "ChangeLogEntry",
    "Company",
    "Content",
    "Email",
    "List",
    "ListItem",
    "Meeting",
    "MeetingAttendee",
    "MeetingList",
    "MutationOutcome",
    "Note",
    "RateCounter",
    "Registration",
    "Role",
    "Territory",
    "User",
]
