"""Global ids: base64 of "Type:pk", opaque to clients, checked for type on the way in."""

from __future__ import annotations

import base64
import binascii

from salescoord.db.storable import INTEGER, fits

from salescoord.errors import BadUserInput, NotFound


def encode_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def decode_id(global_id: str, *, field: str = "id") -> tuple[str, int]:
    """(type name, primary key); malformed ids are BAD_USER_INPUT (R23), and so is a key that
    no row can have: keys are positive and PostgreSQL `integer` columns."""
    try:
        type_name, _, pk = base64.b64decode(global_id, validate=True).decode().partition(":")
        number = int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise BadUserInput("Malformed id.", field=field) from error
    if not type_name or number < 1 or not fits(number, INTEGER):
        raise BadUserInput("Malformed id.", field=field)
    return type_name, number


def expect_id(global_id: str, type_name: str, *, field: str) -> int:
    """The primary key of an id that must name a `type_name`. An id of another type reads
    as a missing object, exactly like one outside the viewer's scope."""
    actual, pk = decode_id(global_id, field=field)
    if actual != type_name:
        raise NotFound(f"No {type_name} with that id.", field=field)
    return pk
