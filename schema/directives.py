"""The guard directives printed in schema.graphql, so a front-end team reads each field's
rules where it reads the field (R15). The guards in `permissions.guards` attach them."""

from __future__ import annotations

import strawberry
from strawberry.schema_directive import Location

from schema.enums import Channel, Permission, ScopeBasis


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="Needs a signed-in viewer; anonymous calls get UNAUTHENTICATED (R4).",
)
class Authenticated:
    pass


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="Needs this permission on the viewer's role; otherwise FORBIDDEN (R14).",
)
class Requires:
    permission: Permission


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description=("Rows are filtered in SQL by the viewer's scope; rows outside it read as missing."),
)
class Scoped:
    by: ScopeBasis


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="Only for requests on this channel; hostOnly: only the meeting's host (R10).",
)
class OnChannel:
    is_: Channel = strawberry.directive_field(name="is")
    host_only: bool = False
