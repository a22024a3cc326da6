"""The fuzzed write matrix (R5-R13, R16, R17, R22, R25, R37): every mutation of
schema.graphql, drawn with valid, invalid and adversarial arguments (tests/fuzz_mutations.py),
sent through the HTTP app by each of the seven viewers of the query matrix, on both channels.

Around each mutation the database is read whole (tests/db_changes.py) and the rows it
changed are judged by `tests/fuzz_rights.py`, the rules in plain Python: no INTERNAL, no row
written outside the viewer's rights, nothing written by a refused mutation (audit events
included), one audit event per successful one, a replayed key acting no more (R16), and the
payload's objects all in the viewer's sight. Each viewer's mutations run in order on a
world that evolves; it is restored every RESTORE_EVERY mutations and whenever the viewer's
own account or a role changed.

Profiles: `make test` runs FAST_MUTATIONS mutations per viewer on each database; `make
fuzz` (SALESCOORD_FUZZ=long) LONG_MUTATIONS.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import time
from collections import Counter
from typing import Any

import graphql
from salescoord.db.models.base import utcnow
from salescoord.db.tables import meetings, notes, registrations
from salescoord.permissions.enums import Channel

from tests import db_changes, fuzz_mutations
from tests.apps import client_with
from tests.db_copies import copies
from tests.fuzz_oracle import Asker
from tests.fuzz_queries import NODE_TYPES
from tests.fuzz_rights import Judge, oracle_tables
from tests.helpers import gid
from tests.test_fuzz_scope import CURSORS, FUZZ_REPORT, TAMPERED, decode, object_ids, realistic_world

RESTORE_EVERY = 100
REPLAY_EVERY = 7  # every 7th keyed mutation that succeeded is sent again as it was
CODES = {
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "CONFLICT",
    "QUERY_TOO_COMPLEX",
    "RATE_LIMITED",
    "RESYNC_REQUIRED",
    "ALREADY_APPLIED",
    "OUT_OF_ORDER",
}  # fmt: skip  (R22, R31; INTERNAL is a finding of its own)

# What the logged cause of an INTERNAL says, and what the request must carry, for it to
# count as "INTERNAL on bad input".
BAD_INPUT_CAUSES = re.compile(
    r"surrogates not allowed|NUL|\\x00|0x00|int32|integer out of range|too large to convert|"
    r"out of range|OverflowError",
    re.IGNORECASE,
)
ADVERSARIAL = re.compile(r"\\u0000|\x00|[\ud800-\udfff]|\\ud[89a-f]|0001-01-01|9999-12-31")

PLACEHOLDER = re.compile(r"@(\w+):(\d+)")
GARBAGE = ("!!not an id", "TGlzdDphYmM=", "TWVldGluZzotMQ==")  # raw text, "List:abc", "Meeting:-1"
TABLE_OF_TYPE = {
    "User": "users", "Company": "companies", "Territory": "territories", "List": "lists",
    "ListItem": "list_items", "Content": "contents", "Registration": "registrations",
    "Meeting": "meetings", "Note": "notes",
}  # fmt: skip
_fresh = itertools.count(1)


async def mutation_world(make, client) -> dict[str, Asker]:
    """The query matrix's world, and what only writes meet: a meeting under way and one
    ended (in-meeting notes, R10), a note written in a meeting, a decided registration."""
    askers = await realistic_world(make, client)
    host = askers["app-host"].user_id
    for status in ("IN_PROGRESS", "ENDED"):
        meeting = await make.meeting(host, title=f"{status.title()} meeting")
        await make.execute(meetings.update().where(meetings.c.id == meeting).values(status=status))
        await make.note(meeting, author=host, phase="IN_MEETING")
    await make.execute(
        registrations.insert().values(
            name="Decided", email="decided@example.test", company_name="Decided Co", status="REJECTED",
            decision_reason="Not a buyer", created_at=utcnow(),
        )
    )  # fmt: skip
    await make.execute(notes.update().values(text="Talked about the spring range"))
    for asker in askers.values():  # the app's sign-ins, kept by every restore (R30)
        if asker.channel == "APP" and asker.user_id not in client.devices:
            client.devices[asker.user_id] = await make.device(asker.user_id)
    return askers


class Causes(logging.Handler):
    """The exception behind each INTERNAL, by request id, from the service's error log."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.by_request: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        request = record.args[0] if isinstance(record.args, tuple) and record.args else None
        cause = repr(record.exc_info[1]) if record.exc_info else record.getMessage()
        self.by_request[str(request)] = cause


def fill(value: Any, state: db_changes.State) -> Any:
    """A placeholder's value in the current data set."""
    if isinstance(value, list):
        return [fill(inner, state) for inner in value]
    if isinstance(value, dict):
        return {key: fill(inner, state) for key, inner in value.items()}
    if not isinstance(value, str) or not PLACEHOLDER.fullmatch(value):
        return value
    kind, n = PLACEHOLDER.fullmatch(value).group(1), int(PLACEHOLDER.fullmatch(value).group(2))
    if kind == "Tampered":
        return TAMPERED
    if kind == "Cursor":
        return CURSORS[n]
    if kind == "Garbage":
        return GARBAGE[n % len(GARBAGE)]
    if kind == "Huge":  # past int4; every other one past int8 too
        return gid(NODE_TYPES[n % len(NODE_TYPES)], 2**31 + 7 if n % 2 else 2**63 + 7)
    if kind == "Fresh":
        return f"fresh-{next(_fresh)}"
    if kind == "Email":
        people = sorted(state.rows("users"), key=lambda row: row["id"])
        return people[n % len(people)]["email"]
    pks = sorted(key[0] for key in state.tables[TABLE_OF_TYPE[kind]])
    return gid(kind, pks[n]) if n < len(pks) else gid(kind, 10**9 + n)


def filled_query(template: str, state: db_changes.State) -> str:
    return re.sub(r'"(@\w+:\d+)"', lambda m: json.dumps(fill(m.group(1), state)), template)


def root_arguments(query: str, variables: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """The mutation's name and its arguments as sent (variables resolved)."""
    try:
        operation = graphql.parse(query).definitions[0]
    except graphql.GraphQLError:
        return "", {}
    root = operation.selection_set.selections[0]
    return root.name.value, {
        argument.name.value: graphql.value_from_ast_untyped(argument.value, variables or {})
        for argument in root.arguments or ()
    }


def refused(body: dict[str, Any]) -> bool:
    """The mutation itself failed (not a field of its payload)."""
    return any(len(error.get("path") or ()) <= 1 for error in body.get("errors") or [])


class Run:
    """One viewer's mutations in order, each judged, with what was found."""

    def __init__(self, client, engine, saved, asker: Asker, causes: Causes) -> None:
        self.client, self.engine, self.saved, self.asker, self.causes = client, engine, saved, asker, causes
        self.token = client.token(asker.user_id, Channel(asker.channel))
        self.tally: Counter = Counter()
        self.findings: list[str] = []
        self.used_keys: set[tuple[int, str]] = set()
        self.past_int4 = False  # the mutation names an id past int4

    async def restore(self) -> db_changes.State:
        await db_changes.restore(self.engine, self.saved)
        self.used_keys.clear()
        self.tally["restores"] += 1
        return await db_changes.read(self.engine)

    async def post(self, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        # ASCII JSON: a lone surrogate travels as an escape, as a client's JSON encoder sends it
        content = json.dumps({"query": query, "variables": variables}).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        response = await self.client.http.post("/graphql", content=content, headers=headers)
        try:
            return response.json()
        except ValueError:
            return {"errors": [{"message": f"HTTP {response.status_code}", "extensions": {"code": None}}]}

    def note(self, kind: str, detail: str, request: str) -> None:
        self.findings.append(f"{self.asker} {kind}: {detail}\n{request}")

    async def run(self, pool) -> None:
        state = await self.restore()
        for n, (template, variables) in enumerate(pool):
            if n and n % RESTORE_EVERY == 0:
                state = await self.restore()
            query = filled_query(template, state)
            sent = fill(variables, state) if variables is not None else None
            self.past_int4 = "@Huge:" in template or "@Huge:" in json.dumps(variables)
            state, body = await self.one(query, sent, state)
            replay = self.tally["keyed successes"] % REPLAY_EVERY == 1 and body.get("_keyed_success")
            if replay:
                first = body
                state, body = await self.one(query, sent, state, replay=True)
                if first.get("_root") != body.get("_root"):
                    self.note(
                        "replay answered differently (R16)", f"{first} then {body}", _request(query, sent)
                    )
            if self._changed_viewer(state):
                state = await self.restore()

    def _changed_viewer(self, state: db_changes.State) -> bool:
        me = state.tables["users"].get((self.asker.user_id,))
        saved = next(row for row in self.saved["users"] if row["id"] == self.asker.user_id)
        roles = {row["name"]: row["permissions"] for row in self.saved["roles"]}
        return (
            me is None
            or (me["role"], me["active"]) != (saved["role"], saved["active"])
            or self._signed_out(state)
            or any(row["permissions"] != roles.get(row["name"]) for row in state.rows("roles"))
        )

    def _signed_out(self, state: db_changes.State) -> bool:
        """The app's device revoked (signOut, revokeDevice, R30): its token no longer works."""
        return self.asker.channel == "APP" and any(
            row["user_id"] == self.asker.user_id and row["revoked_at"] is not None
            for row in state.rows("devices")
        )

    async def one(
        self, query: str, variables: dict[str, Any] | None, before: db_changes.State, replay: bool = False
    ) -> tuple[db_changes.State, dict[str, Any]]:
        request = _request(query, variables)
        try:
            body = await self.post(query, variables)
        except Exception as error:  # the app crashed: no answer at all
            body = {"errors": [{"message": repr(error), "extensions": {"code": "INTERNAL"}}]}
        after = await db_changes.read(self.engine, since=before)
        changes = db_changes.diff(before, after)
        self.tally["replays" if replay else "mutations"] += 1
        codes = [(error.get("extensions") or {}).get("code") for error in body.get("errors") or []]
        self.tally.update(f"error {code}" for code in set(codes))
        for error, code in zip(body.get("errors") or [], codes, strict=True):
            if code == "INTERNAL":
                cause = self.causes.by_request.get(str((error.get("extensions") or {}).get("requestId")), "")
                adversarial = self.past_int4 or ADVERSARIAL.search(request)
                bad_input = BAD_INPUT_CAUSES.search(cause) and adversarial
                kind = "INTERNAL on bad input" if bad_input else "INTERNAL"
                self.note(kind, cause or error.get("message", ""), request)
            elif code not in CODES:
                self.note("error without an R22 code", repr(error), request)
        operation, arguments = root_arguments(query, variables)
        was_refused = refused(body) or not operation
        self.tally["refused" if was_refused else "succeeded"] += 1
        if not was_refused and not replay:
            self.tally[f"ok {operation}"] += 1
        if operation:
            judge = Judge(
                operation, arguments, before, after, changes, self.asker, was_refused, self.used_keys
            )
            for finding in judge.findings:
                self.note(finding.kind, finding.detail, request)
            self.tally["rows judged"] += sum(
                len(c.added) + len(c.removed) + len(c.changed) for c in changes.values()
            )
        for row in changes.get("mutation_outcomes", db_changes.Changes()).added:
            self.used_keys.add((row["user_id"], row["client_mutation_id"]))
        for row in changes.get("device_outcomes", db_changes.Changes()).added:  # R31
            self.used_keys.add((self.asker.user_id, f"#{row['mutation_number']}"))
        if not was_refused:
            self._payload_in_sight(body, after, request)
            data = body.get("data") or {}
            root = next(iter(data.values()), None) if data else None
            body["_root"] = root.get("_oid") if isinstance(root, dict) else root
            body["_keyed_success"] = bool(
                arguments.get("clientMutationId") or arguments.get("mutationNumber")
            )
            self.tally["keyed successes"] += body["_keyed_success"]
        return after, body

    def _payload_in_sight(self, body: dict[str, Any], after: db_changes.State, request: str) -> None:
        me = after.tables["users"].get((self.asker.user_id,))
        if me is None or not me["active"]:
            return
        visible = oracle_tables(after).visible(Asker(self.asker.user_id, me["role"], self.asker.channel))
        for global_id in object_ids(body.get("data")):
            type_name, pk = decode(global_id)
            self.tally["payload objects checked"] += 1
            if pk not in visible.get(type_name, set()):
                self.note("payload outside the viewer's sight", f"{type_name} {pk}", request)


def _request(query: str, variables: dict[str, Any] | None) -> str:
    return query if variables is None else f"{query}\nvariables: {json.dumps(variables)[:2000]}"


async def test_R5_R13_R25_fuzzed_mutations_write_only_what_the_viewer_may(
    engine, settings, make, backend, client
):
    askers = await mutation_world(make, client)
    devices = dict(client.devices)
    saved = await db_changes.dump(engine)
    started = time.monotonic()
    pool = await asyncio.to_thread(fuzz_mutations.pool, fuzz_mutations.profile_size())
    drawn_in = time.monotonic() - started
    causes = Causes()
    logging.getLogger("salescoord.errors").addHandler(causes)
    runs: dict[str, Run] = {}

    async def run_as(role: str, asker: Asker, copy) -> None:
        # sign-ins past the first two a minute are refused before argon2 (its cost is not the
        # subject here, and its own tests bound it)
        async with client_with(copy, settings, requests_per_user=0, login_attempts_per_ip=2) as client:
            client.devices.update(devices)
            runs[role] = Run(client, copy, saved, asker, causes)
            await runs[role].run(pool)

    try:
        # side by side, as real clients are, each viewer on a database of its own to judge
        async with copies(backend, len(askers)) as engines:
            await asyncio.gather(
                *(run_as(*each) for each in zip(askers, askers.values(), engines, strict=True))
            )
    finally:
        logging.getLogger("salescoord.errors").removeHandler(causes)
    elapsed = time.monotonic() - started
    lines = [
        f"fuzzed mutations on {backend[0]}: {len(pool)} generated mutations per viewer "
        f"(waited {drawn_in:.1f} s for the pool, {elapsed:.1f} s in all)",
        *(f"  {role:13} {dict(runs[role].tally)}" for role in askers),
    ]
    print("\n" + "\n".join(lines))
    FUZZ_REPORT.extend(lines)
    findings = [finding for run in runs.values() for finding in run.findings]
    assert not findings, f"{len(findings)} findings; the first:\n\n" + "\n\n".join(findings[:5])
    for role, run in runs.items():
        assert run.tally["mutations"] == len(pool), role
        # the proof is not vacuous: every viewer but the buyer (who may only sign up) writes
        assert role == "buyer" or run.tally["succeeded"] > 0, role
    assert sum(run.tally["rows judged"] for run in runs.values()) > 0
