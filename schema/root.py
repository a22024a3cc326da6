"""The schema: the root Query and Mutation composed from each domain's fields."""

from __future__ import annotations

from datetime import datetime

import strawberry
from salescoord.resolvers import node as resolve_node
from salescoord.schema.admission import Admission
from salescoord.schema.anonymous_budget import AnonymousBudget
from salescoord.schema.auth import AuthMutation
from salescoord.schema.changes import ChangesQuery
from salescoord.schema.datetimes import DATE_TIME
from salescoord.schema.errors import ErrorCodes
from salescoord.schema.execution import DirectLeaves
from salescoord.schema.guards import scoped
from salescoord.schema.input_text import StorableText
from salescoord.schema.limits import (
    IntrospectionSwitch,
    QueryCostLimiter,
    TokenLimiter,
    ValidationWorkLimiter,
)
from salescoord.schema.lists import ListsMutation, ListsQuery
from salescoord.schema.live import MeetingsSubscription
from salescoord.schema.meetings import MeetingsMutation, MeetingsQuery
from salescoord.schema.node import Node
from salescoord.schema.operation_choice import OperationChoice
from salescoord.schema.operation_name import OperationName
from salescoord.schema.passwords import PasswordsMutation
from salescoord.schema.people import PeopleMutation, PeopleQuery
from salescoord.schema.places import PlacesMutation, PlacesQuery
from salescoord.schema.planner.extension import CompiledPlans
from salescoord.schema.records import RecordsQuery
from salescoord.schema.registrations import RegistrationsMutation, RegistrationsQuery
from salescoord.schema.reporting import ReportingQuery
from salescoord.schema.subscription_channel import SubscriptionChannel
from salescoord.schema.types.devices import Device
from salescoord.schema.types.lists import Content, List, ListItem
from salescoord.schema.types.meetings import Meeting, Note
from salescoord.schema.types.people import User
from salescoord.schema.types.places import Company, Territory
from salescoord.schema.types.registrations import Registration
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig


@strawberry.type
class NodeQuery:
    node: Node | None = strawberry.field(
        resolver=resolve_node.node,
        extensions=[scoped()],
        description="Any object by global id; one you may not see answers null, like a missing one.",
    )
    nodes: list[Node | None] = strawberry.field(
        resolver=resolve_node.nodes, extensions=[scoped()], description="Up to 100 objects by global id."
    )


@strawberry.type
class Query(
    NodeQuery,
    PeopleQuery,
    PlacesQuery,
    ListsQuery,
    RegistrationsQuery,
    RecordsQuery,
    ReportingQuery,
    MeetingsQuery,
    ChangesQuery,
):
    pass


@strawberry.type
class Mutation(
    AuthMutation,
    PeopleMutation,
    PlacesMutation,
    ListsMutation,
    RegistrationsMutation,
    MeetingsMutation,
    PasswordsMutation,
):
    pass


@strawberry.type
class Subscription(MeetingsSubscription):
    pass


class Schema(strawberry.Schema):
    def process_errors(self, errors: list, execution_context: object = None) -> None:
        """`ErrorCodes` logs what is unexpected, with its stack; a client's mistake is no
        server error and is not logged."""


def build_schema(*, caches: bool = True) -> strawberry.Schema:
    """`caches=False` only for the benchmark's naive baseline (settings.naive)."""
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        # Order matters: errors are formatted outermost; tokens bound the parse; the operation
        # to run is chosen once parsed (several without a name: an error); the work of
        # validation is bounded, and anonymous callers counted per IP, before it runs (ahead of
        # the validation cache, which validates on entering its hook); the query's limits run
        # after validation, then the channel and the strings are checked; the viewer is loaded
        # (and rate-limited) only then. The naive benchmark baseline drops the parser and
        # validation caches.
        extensions=[
            ErrorCodes,
            TokenLimiter,
            OperationChoice,
            IntrospectionSwitch,
            ValidationWorkLimiter,
            AnonymousBudget,
            *([ParserCache, ValidationCache] if caches else []),
            QueryCostLimiter,
            OperationName,
            SubscriptionChannel,
            StorableText,
            Admission,
            CompiledPlans,
        ],
        types=[User, Company, Territory, List, ListItem, Content, Registration, Meeting, Note, Device],
        config=StrawberryConfig(auto_camel_case=True),
        scalar_overrides={datetime: DATE_TIME},
        execution_context_class=DirectLeaves,
    )


schema = build_schema()
