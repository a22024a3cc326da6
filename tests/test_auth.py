"""Signing in and bearer tokens (R4, R10): login per channel, failures that all read the same,
tokens that read as anonymous, signing-key rotation, and every root field closed to anonymous
callers except signing in."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import httpx
import jwt
import pytest
import sqlalchemy as sa
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    get_named_type,
    is_composite_type,
    is_required_argument,
    is_required_input_field,
    parse,
    validate,
)
from salescoord.db.tables import users
from salescoord.permissions.enums import Channel
from salescoord.schema.root import schema
from sqlalchemy.ext.asyncio import AsyncEngine

from salescoord.app import attach_engine, create_app
from salescoord.settings import Settings
from salescoord.tokens import ALGORITHM, ISSUER, issue_token, read_token
from tests.db_state import snapshot
from tests.helpers import PASSWORD, Client, codes, gid

LOGIN = """mutation($email: String!, $password: String!, $client: Channel!) {
  login(email: $email, password: $password, client: $client) { token expiresAt user { id email role } }
}"""
VIEWER = "query { viewer { id } }"
DEACTIVATE = "mutation($id: ID!) { updateUser(input: {id: $id, active: false}) { id active } }"
FAILED_LOGIN_MESSAGE = "Wrong email or password."


@asynccontextmanager
async def client_with(engine: AsyncEngine, settings: Settings) -> AsyncIterator[Client]:
    """A client of an app built with these settings, on the test's database."""
    app = create_app(settings)
    attach_engine(app, engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        yield Client(http, settings, engine)


async def viewer_id(client: Client, token: str) -> str | None:
    """The viewer's id, or None when the request reads as anonymous (and says so)."""
    body = await client.post(VIEWER, token=token)
    if body.get("errors"):
        assert codes(body) == ["UNAUTHENTICATED"], body
        assert body["data"] is None
        return None
    return body["data"]["viewer"]["id"]


# -- login ----------------------------------------------------------------------------------
@pytest.mark.parametrize("channel", [Channel.WEB, Channel.APP])
async def test_R10_login_issues_a_token_for_the_channel_asked_for(client, make, settings, channel):
    user = await make.user("ACCOUNT_MANAGER", "Ann", email="ann@example.test")
    before = time.time()
    data = await client.data(
        LOGIN, {"email": "  Ann@Example.TEST ", "password": PASSWORD, "client": channel.name}
    )
    login = data["login"]
    assert login["user"] == {"id": gid("User", user), "email": "ann@example.test", "role": "ACCOUNT_MANAGER"}
    claims = read_token(settings, login["token"])
    assert claims is not None
    assert (claims.user_id, claims.channel) == (user, channel)
    ttl = settings.app_access_token_seconds if channel is Channel.APP else settings.web_token_ttl_seconds
    expires_at = datetime.fromisoformat(login["expiresAt"]).timestamp()
    assert expires_at == claims.expires_at
    assert before + ttl - 5 <= expires_at <= time.time() + ttl + 5
    assert await viewer_id(client, login["token"]) == gid("User", user)


async def test_R4_wrong_password_unknown_email_and_inactive_user_fail_alike(client, make):
    await make.user("ACCOUNT_MANAGER", email="known@example.test")
    await make.user("ACCOUNT_MANAGER", email="gone@example.test", active=False)
    attempts = {
        "wrong password": ("known@example.test", PASSWORD.upper()),
        "unknown email": ("nobody@example.test", PASSWORD),
        "inactive user": ("gone@example.test", PASSWORD),
    }
    messages = set()
    for case, (email, password) in attempts.items():
        body = await client.post(LOGIN, {"email": email, "password": password, "client": "WEB"})
        assert codes(body) == ["UNAUTHENTICATED"], case
        assert body["data"] is None, case
        messages.add(body["errors"][0]["message"])
    assert messages == {FAILED_LOGIN_MESSAGE}
    # the control: the same form with the right password signs in
    data = await client.data(LOGIN, {"email": "known@example.test", "password": PASSWORD, "client": "WEB"})
    assert data["login"]["token"]


# -- tokens that read as anonymous ----------------------------------------------------------
def _claims(user_id: int, **changes: object) -> dict[str, object]:
    now = int(time.time())
    return {"sub": str(user_id), "ch": "WEB", "iat": now, "exp": now + 600, "iss": ISSUER, **changes}


def _sign(settings: Settings, claims: dict[str, object], key: str | None = None) -> str:
    return jwt.encode(claims, key or settings.secret_keys[0], algorithm=ALGORITHM)


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _tampered(settings: Settings, user_id: int, admin_id: int) -> str:
    """A valid token of `user_id` whose payload is rewritten to name the admin."""
    header, _, signature = issue_token(settings, user_id, Channel.WEB)[0].split(".")
    return ".".join([header, _b64(_claims(admin_id)), signature])


def _unsigned(settings: Settings, user_id: int, admin_id: int) -> str:
    return ".".join([_b64({"alg": "none", "typ": "JWT"}), _b64(_claims(admin_id)), ""])


BAD_TOKENS: dict[str, Callable[[Settings, int, int], str]] = {
    "expired": lambda s, user, _: _sign(
        s, _claims(user, iat=int(time.time()) - 700, exp=int(time.time()) - 1)
    ),
    "signed with another key": lambda s, user, _: _sign(s, _claims(user), key="another-key-" + "y" * 40),
    "payload tampered to name the admin": _tampered,
    "signature cut off": lambda s, user, _: issue_token(s, user, Channel.WEB)[0].rsplit(".", 1)[0] + ".",
    "alg none naming the admin": _unsigned,
    "another issuer": lambda s, user, _: _sign(s, _claims(user, iss="someone-else")),
    "unknown channel": lambda s, user, _: _sign(s, _claims(user, ch="TV")),
    "no expiry": lambda s, user, _: _sign(s, {k: v for k, v in _claims(user).items() if k != "exp"}),
    "not a jwt": lambda s, user, _: "not-a-token",
}


@pytest.mark.parametrize("case", BAD_TOKENS)
async def test_R4_a_bad_token_reads_as_anonymous(client, make, settings, case):
    user = await make.user("ACCOUNT_MANAGER")
    admin = await make.admin()
    assert await viewer_id(client, client.token(user)) == gid("User", user)  # the control
    token = BAD_TOKENS[case](settings, user, admin)
    assert read_token(settings, token) is None
    assert await viewer_id(client, token) is None


async def test_R4_token_of_a_deactivated_user_reads_as_anonymous(client, make):
    user = await make.user("ACCOUNT_MANAGER")
    admin = await make.admin()
    token = await client.app_token(user)
    assert await viewer_id(client, token) == gid("User", user)
    data = await client.data(DEACTIVATE, {"id": gid("User", user)}, as_user=admin)
    assert data["updateUser"]["active"] is False
    assert await viewer_id(client, token) is None


async def test_R4_token_of_a_deleted_user_reads_as_anonymous(client, make):
    user = await make.user("ACCOUNT_MANAGER")
    token = client.token(user)
    assert await viewer_id(client, token) == gid("User", user)
    await make.execute(sa.delete(users).where(users.c.id == user))
    assert await viewer_id(client, token) is None


async def test_signing_key_rotation_keeps_tokens_of_the_old_key_until_it_is_dropped(engine, make):
    old, new = "old-key-" + "o" * 40, "new-key-" + "n" * 40
    user = await make.user("SALES_COORDINATOR", email="sam@example.test")
    old_token = issue_token(Settings(database_url="unused", secret_keys=(old,)), user, Channel.WEB)[0]

    async with client_with(engine, Settings(database_url="unused", secret_keys=(new, old))) as rotated:
        assert await viewer_id(rotated, old_token) == gid("User", user)
        data = await rotated.data(LOGIN, {"email": "sam@example.test", "password": PASSWORD, "client": "APP"})
        new_token = data["login"]["token"]
    # the new key signs: a server that knows only the new key accepts what was issued
    assert read_token(Settings(database_url="unused", secret_keys=(new,)), new_token) is not None
    assert read_token(Settings(database_url="unused", secret_keys=(old,)), new_token) is None

    async with client_with(engine, Settings(database_url="unused", secret_keys=(new,))) as dropped:
        assert await viewer_id(dropped, new_token) == gid("User", user)
        assert await viewer_id(dropped, old_token) is None


async def test_a_token_accepted_before_is_refused_once_it_expires(client, make, settings):
    """Verified tokens are remembered between requests; their expiry is still checked."""
    user = await make.user("ACCOUNT_MANAGER")
    token = _sign(settings, _claims(user, exp=int(time.time()) + 1))
    assert await viewer_id(client, token) == gid("User", user)
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    await asyncio.sleep(max(0.0, expires - time.time()) + 0.05)
    assert read_token(settings, token) is None
    assert await viewer_id(client, token) is None


# -- R4: every root field but signing in needs a signed-in caller ---------------------------
# R4: sign up, sign in, ask for a password reset (R32); `setPassword` and `resetPassword` are
# sign-ins with a link, and answer UNAUTHENTICATED to a token that is none
OPEN_TO_ANONYMOUS = {"login", "register", "requestPasswordReset"}
DUMMY_SCALARS = {
    "ID": json.dumps(gid("User", 1)),
    "String": '"x"',
    "Int": "1",
    "Float": "1.5",
    "Boolean": "true",
    "DateTime": '"2026-01-01T00:00:00+00:00"',
}


def _literal(type_: object) -> str:
    """A valid literal of an input type; a scalar nobody taught this table fails the test."""
    if isinstance(type_, GraphQLNonNull):
        return _literal(type_.of_type)
    if isinstance(type_, GraphQLList):
        return f"[{_literal(type_.of_type)}]"
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        fields = [
            f"{name}: {_literal(f.type)}" for name, f in type_.fields.items() if is_required_input_field(f)
        ]
        return "{" + ", ".join(fields) + "}"
    return DUMMY_SCALARS[type_.name]  # type: ignore[attr-defined]


def _operation(keyword: str, name: str) -> str:
    root = schema._schema.query_type if keyword == "query" else schema._schema.mutation_type
    field = root.fields[name]
    args = [f"{arg}: {_literal(a.type)}" for arg, a in field.args.items() if is_required_argument(a)]
    arguments = f"({', '.join(args)})" if args else ""
    selection = " { __typename }" if is_composite_type(get_named_type(field.type)) else ""
    return f"{keyword} {{ {name}{arguments}{selection} }}"


ROOT_FIELDS = [
    (keyword, name)
    for keyword, root in (("query", schema._schema.query_type), ("mutation", schema._schema.mutation_type))
    for name in root.fields
    if name not in OPEN_TO_ANONYMOUS
]


def test_R4_the_walk_sees_the_root_fields():
    names = {name for _, name in ROOT_FIELDS}
    assert {"viewer", "users", "node", "createUser", "setRolePermissions"} <= names
    assert "login" in schema._schema.mutation_type.fields


async def test_R4_every_root_field_but_login_is_unauthenticated_for_anonymous_callers(client, engine):
    before = await snapshot(engine)
    wrong = {}
    for keyword, name in ROOT_FIELDS:
        operation = _operation(keyword, name)
        assert validate(schema._schema, parse(operation)) == [], operation
        body = await client.post(operation)
        answered = body["data"] if body["data"] is None else body["data"][name]
        if codes(body) != ["UNAUTHENTICATED"] or answered is not None:
            wrong[operation] = body
    assert wrong == {}
    assert await snapshot(engine) == before
