"""Core tables behind the models: queries select plain rows, not ORM objects (cheaper per row)."""

from salescoord.db.models import (
    AccountManagerCoordinator,
    AccountManagerTerritory,
    Activity,
    AuditEvent,
    ChangeLogEntry,
    Company,
    Content,
    Device,
    DeviceOutcome,
    Email,
    List,
    ListItem,
    Meeting,
    MeetingAttendee,
    MeetingList,
    MutationOutcome,
    Note,
    RateCounter,
    RefreshToken,
    Registration,
    Role,
    Territory,
    User,
)

roles = Role.__table__
users = User.__table__
territories = Territory.__table__
companies = Company.__table__
am_coordinators = AccountManagerCoordinator.__table__
am_territories = AccountManagerTerritory.__table__
contents = Content.__table__
lists = List.__table__
list_items = ListItem.__table__
meetings = Meeting.__table__
meeting_attendees = MeetingAttendee.__table__
meeting_lists = MeetingList.__table__
notes = Note.__table__
registrations = Registration.__table__
emails = Email.__table__
audit_events = AuditEvent.__table__
activities = Activity.__table__
mutation_outcomes = MutationOutcome.__table__
change_log = ChangeLogEntry.__table__
rate_counters = RateCounter.__table__
devices = Device.__table__
refresh_tokens = RefreshToken.__table__
device_outcomes = DeviceOutcome.__table__
