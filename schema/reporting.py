"""The `reporting` root field (R12): activity of the users the viewer may report on."""

from __future__ import annotations

import strawberry
from salescoord.permissions.guards import SeesReporting
from salescoord.resolvers import reporting as resolve
from salescoord.schema.guards import guard
from salescoord.schema.types.reporting import Reporting


@strawberry.type
class ReportingQuery:
    reporting: Reporting = strawberry.field(
        resolver=resolve.reporting,
        extensions=[guard(SeesReporting())],
        description="Activity reports for staff; buyers get FORBIDDEN (R12). Times without offset: UTC. "
        "`audience` defaults to ALL with VIEW_REPORTING_ALL_USERS, else MINE; ALL without that "
        "permission is FORBIDDEN (R36). Each grouping also downloads as CSV: "
        "GET /reports/<grouping>.csv?start=&end=&audience= (R36).",
    )
