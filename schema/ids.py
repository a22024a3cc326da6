"""Global ids: base64 of "Type:pk", opaque to clients, checked for type on the way in."""

from __future__ import annotations

import base64
import binascii
import re

from salescoord.db.storable import INTEGER, fits

from salescoord.errors import BadUserInput, NotFound

# A client id: a UUID in its canonical form (lowercase, hyphenated). A global id is base64 and
# never holds a hyphen, so the two never mistake each other.
CLIENT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_client_id(value: str) -> bool:
    return CLIENT_ID.fullmatch(value) is not None


def checked_client_id(value: str | None, *, field: str = "clientId") -> str | None:
    """A client id as the app sends it for an object it creates (R31): a UUID written in its
    canonical form, so one object never has two spellings; anything else is BAD_USER_INPUT."""
    if value is not None and not is_client_id(value):
        raise BadUserInput("clientId must be a UUID in lowercase canonical form.", field=field)
    return value


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
