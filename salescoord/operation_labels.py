"""The operation label of a request's metrics, from a bounded set (Prometheus keeps a series
per label value: labels chosen by clients would grow without limit).

- the names of the service's own documents: the README's tour, the benchmark's operations and
  the load harness's, and the names an operator adds with `METRICS_OPERATIONS` (the front
  ends' own, say);
- for an operation without a name, its kind and its one root field (`query:users`), the
  name the logs give it too (schema/operation_name.py);
- `unparsed` for a request refused before it ran, and `other` for everything else.

    labels = OperationLabels(schema, extra=("CmsHome",))
    labels("ScDashboard"), labels("query:users"), labels("Anything")  # ..., "other"
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import GraphQLSchema

KNOWN_OPERATIONS = frozenset(
    {
        # README.md, whose tour GraphiQL opens on (salescoord/graphiql/tour.py)
        "ScDashboard", "AmHome", "Territories", "One", "Quarter", "Year", "Queue", "Outbox", "Audit",
        "LiveMeeting", "WhyVisible",
        # bench/operations.py
        "Q0", "Q1", "Q2", "Q3", "Q4", "Q5",
        # bench/harness.py (make load, make faults)
        "MyItems", "MyLists", "ItemNote", "AddItem", "Login", "MyMeetings", "MeetingNote", "Register",
        "Reporting", "UserSearch",
        # salescoord/sync/snapshot.graphql, quoted in docs/sync-protocol.md: how an iPad fills up
        "SyncCursor", "SnapshotMeetings", "SnapshotMeetingAttendees", "SnapshotMeetingNotes",
        "SnapshotMeetingLists", "SnapshotLists", "SnapshotListItems", "SnapshotCatalogue",
        # ipad_client/operations.graphql, quoted in docs/sync-protocol.md: what the app sends
        "SignIn", "Refresh", "SignOut", "MyDevice", "CreateList", "RenameList", "AddListItem",
        "UpdateListItemNote", "CreateNote", "UpdateNote", "StartMeeting", "EndMeeting", "Changes",
        "MeetingWhole", "ListWhole", "LiveNotes",
    }
)  # fmt: skip
OTHER = "other"
UNPARSED = "unparsed"


class OperationLabels:
    def __init__(self, schema: GraphQLSchema, extra: Iterable[str] = ()) -> None:
        roots = {"query": schema.query_type, "mutation": schema.mutation_type}
        roots["subscription"] = schema.subscription_type
        one_field = {f"{kind}:{field}" for kind, root in roots.items() if root for field in root.fields}
        self.labels = KNOWN_OPERATIONS | frozenset(extra) | one_field | {UNPARSED}

    def __call__(self, operation: str) -> str:
        return operation if operation in self.labels else OTHER
