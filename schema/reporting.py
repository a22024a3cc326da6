"""The `reporting` root field (R12): activity of the users the viewer may report on."""

from __future__ import annotations

import strawberry

from permissions.guards import SeesReporting
from resolvers import reporting as resolve
from schema.guards import guard
from schema.types.reporting import Reporting


@strawberry.type
class ReportingQuery:
    reporting: Reporting = strawberry.field(
        resolver=resolve.reporting,
        extensions=[guard(SeesReporting())],
        description="Activity reports for staff; buyers get FORBIDDEN (R12). Times without offset: UTC.",
    )
