"""Keyed mutations (R16): the client-generated key every mutation the app sends carries, and
the field extension that makes a mutation exactly-once.

    create_meeting = strawberry.mutation(resolver=create_meeting, extensions=keyed(MANAGES))

    async def create_meeting(info: Info, host_id: strawberry.ID, ..., client_mutation_id: Key = None,
                             mutation_number: Number = None):
        call = keyed_call(info)                       # the replay check, already made
        if call.replayed is not None:
            return await _meeting(info, call.replayed.id)
        ...checks...
        async with call.transaction() as connection:
            ...
            call.settle("Meeting", meeting_id)

The request a key stands for is every argument Strawberry parsed, named as in the schema, but
the keys themselves: a new argument is part of it without anyone writing it down, and the same
arguments in another order, as variables or with their defaults written out are the same
request. An argument at its default (null when it declares none) is left out, so a mutation
that gains an optional argument still recognises the replays of calls stored before it had it.

Outcomes stored in the earlier form (every argument, null when absent) were stored before the
arguments a mutation gained since; `keyed(..., added_later=("time_zone",))` names those, and the
earlier form is matched without them while they are at their default.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import strawberry
from sqlalchemy.exc import IntegrityError
from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField

from salescoord.context import Info
from salescoord.errors import ServiceError
from salescoord.sync.exactly_once import Call

KEY = "client_mutation_id"
NUMBER = "mutation_number"
KEYS = frozenset({KEY, NUMBER})  # arguments that name the call rather than take part in it

Key = Annotated[
    str | None,
    strawberry.argument(
        description="A client-generated id: replays have one effect and the same answer (R16). "
        "Required with an app token."
    ),
]

Number = Annotated[
    int | None,
    strawberry.argument(
        description="The app device's number for this mutation: 1, 2, 3, … (R31). A replay is "
        "answered from its outcome or with ALREADY_APPLIED, at any age; a number past the next "
        "is OUT_OF_ORDER. With an app token send this or clientMutationId."
    ),
]


ClientId = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="The UUID your app gives the new object (lowercase canonical form): later "
        "mutations may name the object by it before this one is answered, and sending the "
        "create again answers with the same object (R31)."
    ),
]


@dataclasses.dataclass
class KeyedInfo(strawberry.Info):
    """The field's Info, with the call `ExactlyOnce` began for it."""

    call: Call | None = None


def keyed_call(info: Info) -> Call:
    if not isinstance(info, KeyedInfo) or info.call is None:
        raise TypeError(f"{info.field_name} needs the ExactlyOnce extension")
    return info.call


class ExactlyOnce(FieldExtension):
    """Makes a mutation keyed: its arguments' fingerprint, the replay check before the body
    runs, and the body run once more to answer like a copy that committed meanwhile. List it
    before the guards, so that it runs after them. One instance per field.

    >>> ExactlyOnce(also_keyed_by="client_id")  # createNote: the note's UUID serves as its key

    `added_later` names arguments a mutation gained after outcomes were stored in the form
    with every argument: that form leaves them out while they are at their default, so the
    outcomes stored before still answer their replays.
    """

    def __init__(self, *, also_keyed_by: str | None = None, added_later: tuple[str, ...] = ()) -> None:
        self.also_keyed_by = also_keyed_by
        self.added_later = frozenset(added_later)
        self.field: StrawberryField | None = None
        self._names: dict[str, str] | None = None

    def apply(self, field: StrawberryField) -> None:
        if self.field is not None and self.field is not field:
            raise TypeError("an ExactlyOnce extension belongs to one field")
        names = {argument.python_name for argument in field.arguments}
        if not names >= KEYS:
            raise TypeError(f"{field.python_name} takes no {KEY} and {NUMBER} to key it by")
        if not self.added_later <= names:
            raise TypeError(f"{field.python_name} takes no {sorted(self.added_later - names)}")
        self.field = field

    def arguments(self, info: Info, kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Every argument but the keys, by its schema name: those away from their default, and
        all of them (an argument left out reads as null), the form outcomes were first stored in."""
        if self._names is None:
            names = info.schema.config.name_converter
            self._names = {
                argument.python_name: (names.get_graphql_name(argument), _default(argument.default))
                for argument in self.field.arguments
                if argument.python_name not in KEYS
            }
        every = {
            name: kwargs.get(python_name)
            for python_name, (name, default) in self._names.items()
            if python_name not in self.added_later or kwargs.get(python_name) != default
        }
        chosen = {
            name: kwargs.get(python_name)
            for python_name, (name, default) in self._names.items()
            if kwargs.get(python_name) != default
        }
        return chosen, every

    async def resolve_async(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        key = kwargs.get(KEY)
        if self.also_keyed_by is not None:
            key = key or kwargs.get(self.also_keyed_by)
        context = info.context
        chosen, every = self.arguments(info, kwargs)
        call = await Call.begin(
            context.db,
            context.viewer,
            key,
            info.field_name,
            chosen,
            also=every,
            number=kwargs.get(NUMBER),
            kept=context.settings.kept_outcomes_per_device,
        )
        fields = {field.name: getattr(info, field.name) for field in dataclasses.fields(strawberry.Info)}
        keyed = KeyedInfo(**fields, call=call)
        try:
            return await next_(source, keyed, **kwargs)
        except (ServiceError, IntegrityError) as error:
            if not await call.committed_meanwhile(error):
                raise
        return await next_(source, keyed, **kwargs)


def _default(value: Any) -> Any:
    return None if value is strawberry.UNSET else value


def keyed(
    guards: list[FieldExtension], *, also_keyed_by: str | None = None, added_later: tuple[str, ...] = ()
) -> list[FieldExtension]:
    """A keyed mutation's extensions: its guards run first, then the replay check (Strawberry
    runs a field's extensions from the last listed to the first)."""
    return [ExactlyOnce(also_keyed_by=also_keyed_by, added_later=added_later), *guards]
