"""A mixed workload against real server processes on PostgreSQL, for `make load` and
`make faults`: SC dashboards, note and list writes from app tokens, user searches.

Every acknowledged write is remembered and checked against the database afterwards, so a
run proves that nothing acknowledged was lost. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.bulk import plain

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DATABASE = "salescoord_load"
PASSWORD = "salescoord-demo"
DOMAIN = "demo.salescoord.test"

SC_DASHBOARD = """query ScDashboard { viewer { accountManagers(first: 10) { nodes { name
  associatedBuyers(first: 10) { totalCount nodes { name company { name territory { name } } } } } } } }"""
MY_ITEMS = """query MyItems { viewer { lists(first: 20) { nodes { kind
  items(first: 50) { nodes { id version } } } } } }"""
MY_LISTS = (
    "query MyLists { lists(kind: PERSONAL, first: 5) { nodes { id } } contents(first: 50) { nodes { id } } }"
)
# Every mutation sent with an app token carries its client-generated key (R16).
NOTE = """mutation ItemNote($id: ID!, $note: String, $version: Int!, $key: String!) {
  updateListItemNote(id: $id, note: $note, version: $version, clientMutationId: $key) { id version note } }"""
ADD_ITEM = """mutation AddItem($list: ID!, $content: ID!, $key: String!) {
  addListItem(listId: $list, contentId: $content, clientMutationId: $key) { id } }"""
LOGIN = """mutation Login($e: String!, $p: String!, $c: Channel!) {
  login(email: $e, password: $p, client: $c) { token } }"""
MY_MEETINGS = "query MyMeetings { meetings(first: 5) { nodes { id } } }"
MEETING_NOTE = """mutation MeetingNote($meeting: ID!, $text: String!, $key: String!) {
  createNote(meetingId: $meeting, text: $text, clientMutationId: $key) { id text } }"""
REGISTER = """mutation Register($email: String!) {
  register(input: {name: "Load Test", email: $email, companyName: "Load Co"}) { email status } }"""
REPORTING = """query Reporting {
  reporting(start: "2026-07-01T00:00:00+00:00", end: "2026-10-01T00:00:00+00:00") {
    totals { total meetingsHeld notesWritten }
    byAccountManager(first: 10) { nodes { label } } } }"""
SEARCH = "query UserSearch($s: String) { users(search: $s, first: 20) { totalCount nodes { id name } } }"


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[tuple[float, str, str]] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # item id -> last acknowledged note
    added: list[str] = field(default_factory=list)  # acknowledged new item ids
    meeting_notes: dict[str, str] = field(default_factory=dict)  # note id -> text
    registered: list[str] = field(default_factory=list)  # acknowledged sign-up emails
    started: float = field(default_factory=time.monotonic)

    def error(self, operation: str, what: str) -> None:
        self.errors.append((time.monotonic() - self.started, operation, what[:200]))


def default_server_url() -> str:
    """The PostgreSQL server to load: DATABASE_URL when it names one (an operator's), else
    TEST_DATABASE_URL (a developer's), else the local server on libpq's own default port."""
    for name in ("DATABASE_URL", "TEST_DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith("postgresql"):
            return url
    return "postgresql+asyncpg://postgres@127.0.0.1/test"


def add_arguments(parser: argparse.ArgumentParser, port: int) -> None:
    parser.add_argument(
        "--database-url",
        default=default_server_url(),
        help="a database on the PostgreSQL server to use (default: DATABASE_URL, else TEST_DATABASE_URL)",
    )
    parser.add_argument("--database", default=DATABASE, help="created afresh on that server for the run")
    parser.add_argument("--port", type=int, default=port, help="the servers listen on 127.0.0.1:PORT")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of the result file")
    parser.add_argument(
        "--data-dir", type=Path, default=ROOT / "var" / "load", help="the servers' data folder and log"
    )


@dataclass(frozen=True)
class Setup:
    """Where a run works: its own database beside the one `server_url` names (never that
    one), a port on 127.0.0.1, the folder of its result file and the servers' data folder."""

    server_url: str
    database: str
    port: int
    results: Path
    data_dir: Path

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> Setup:
        return cls(args.database_url, args.database, args.port, args.results, args.data_dir)

    @property
    def url(self) -> str:
        """The run's database, for the service (SQLAlchemy with asyncpg)."""
        target = make_url(self.server_url).set(drivername="postgresql+asyncpg", database=self.database)
        return target.render_as_string(hide_password=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def server_log(self) -> Path:
        return self.data_dir / "server.log"


def _env(setup: Setup) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": setup.url,
        "SALESCOORD_SECRET": "load-secret-" + "x" * 40,
        "SALESCOORD_DATA_DIR": str(setup.data_dir),
        "LOG_LEVEL": "warning",
        "DB_POOL_SIZE": "10",
        # one loopback address plays every client: per-IP and per-user budgets are for people
        "RATE_LOGIN_PER_IP": "0",
        "RATE_REGISTER_PER_IP": "0",
        "RATE_REQUESTS_PER_USER": "0",
    }


async def fresh_database(setup: Setup, scale: int) -> str:
    """The run's database, dropped if it was there, created and loaded with the demo data."""
    if setup.database == make_url(setup.server_url).database:
        raise SystemExit(f"--database {setup.database} is the database of --database-url: name another")
    admin = await asyncpg.connect(plain(setup.server_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{setup.database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{setup.database}"')
    finally:
        await admin.close()
    demo = subprocess.run(
        [sys.executable, "-m", "salescoord.cli", "demo", "--scale", str(scale)],
        env=_env(setup),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if demo.returncode:
        raise SystemExit(f"loading the demo data failed:\n{demo.stderr}")
    return setup.url


async def drop_database(setup: Setup) -> None:
    admin = await asyncpg.connect(plain(setup.server_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{setup.database}" WITH (FORCE)')
    finally:
        await admin.close()


def start_server(setup: Setup, workers: int) -> subprocess.Popen:
    """`salescoord serve` with `workers` processes; what it writes goes to setup.server_log."""
    setup.data_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "salescoord.cli", "serve", "--host", "127.0.0.1", "--port"]
    with setup.server_log.open("w") as log:
        return subprocess.Popen(
            [*command, str(setup.port), "--workers", str(workers), "--no-migrate"],
            env=_env(setup),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_server(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


async def wait_ready(base: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get(f"{base}/readyz", timeout=2)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("server not ready")


async def gql(http: httpx.AsyncClient, query: str, token: str | None, **variables: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    response.raise_for_status()
    return response.json()


async def login(http: httpx.AsyncClient, email: str, client: str = "WEB") -> str:
    body = await gql(
        http,
        LOGIN,
        None,
        e=email,
        p=PASSWORD,
        c=client,
    )
    return body["data"]["login"]["token"]


@dataclass
class Actor:
    """One simulated client: an SC for dashboards, and an AM (app token) whose items it owns
    alone, so its note writes never race another client's (conflicts would be real errors)."""

    sc_token: str
    am_token: str
    admin_token: str
    items: dict[str, int]  # item id -> version last read
    personal_list: str | None
    contents: list[str]
    meetings: list[str]


async def actors(base: str, clients: int) -> list[Actor]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        admin = await login(http, f"admin@{DOMAIN}")
        scs = [await login(http, f"sc{i + 1}@{DOMAIN}") for i in range(4)]
        result = []
        for n in range(clients):
            am_email = f"am{n % 6 + 1}@{DOMAIN}"
            am = await login(http, am_email, "APP")
            lists = (await gql(http, MY_ITEMS, am))["data"]["viewer"]["lists"]["nodes"]
            items = [i for lst in lists if lst["kind"] != "GLOBAL" for i in lst["items"]["nodes"]]
            mine = {i["id"]: i["version"] for i in items[n // 6 :: (clients + 5) // 6]}
            catalogue = (await gql(http, MY_LISTS, am))["data"]
            personal = catalogue["lists"]["nodes"][0]["id"] if catalogue["lists"]["nodes"] else None
            hosted = [m["id"] for m in (await gql(http, MY_MEETINGS, am))["data"]["meetings"]["nodes"]]
            contents = [c["id"] for c in catalogue["contents"]["nodes"]]
            result.append(Actor(scs[n % 4], am, admin, mine, personal, contents, hosted))
        return result


OPERATIONS = [
    ("ScDashboard", 35),
    ("ItemNote", 15),
    ("MeetingNote", 15),
    ("AddItem", 5),
    ("UserSearch", 10),
    ("Reporting", 10),
    ("Register", 10),
]


async def client_loop(base: str, actor: Actor, stats: Stats, until: float, seed: int) -> None:
    """Each operation once, so that however short the run every one is exercised, then the
    weighted mix until `until`."""
    rng = random.Random(seed)
    names, weights = zip(*OPERATIONS, strict=True)
    first_round = list(names)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < until:
            operation = first_round.pop(0) if first_round else rng.choices(names, weights)[0]
            began = time.perf_counter()
            try:
                ok = await _run(http, operation, actor, stats, rng)
            except (httpx.HTTPError, KeyError, TypeError) as error:
                stats.error(operation, repr(error))
                continue
            if ok:
                stats.latencies[operation].append(time.perf_counter() - began)


async def _run(
    http: httpx.AsyncClient, operation: str, actor: Actor, stats: Stats, rng: random.Random
) -> bool:
    if operation == "ScDashboard":
        body = await gql(http, SC_DASHBOARD, actor.sc_token)
    elif operation == "Reporting":
        body = await gql(http, REPORTING, actor.sc_token)
    elif operation == "Register":
        email = f"load-{rng.randrange(10**12)}@applicant.example"
        body = await gql(http, REGISTER, None, email=email)
        if not body.get("errors"):
            stats.registered.append(email)
    elif operation == "MeetingNote" and actor.meetings:
        text = f"in meeting {rng.randrange(10**9)}"
        body = await gql(
            http, MEETING_NOTE, actor.am_token, meeting=rng.choice(actor.meetings), text=text, key=_key()
        )
        if not body.get("errors"):
            stats.meeting_notes[body["data"]["createNote"]["id"]] = text
    elif operation == "UserSearch":
        body = await gql(http, SEARCH, actor.admin_token, s=rng.choice(["a", "sc", "buyer1", "Lind"]))
    elif operation == "ItemNote" and actor.items:
        item = rng.choice(sorted(actor.items))
        note = f"note {rng.randrange(10**9)}"
        body = await gql(
            http, NOTE, actor.am_token, id=item, note=note, version=actor.items[item], key=_key()
        )
        if not body.get("errors"):
            actor.items[item] = body["data"]["updateListItemNote"]["version"]
            stats.notes[item] = note
    elif operation == "AddItem" and actor.personal_list and actor.contents:
        content = rng.choice(actor.contents)
        body = await gql(
            http, ADD_ITEM, actor.am_token, list=actor.personal_list, content=content, key=_key()
        )
        if not body.get("errors"):
            stats.added.append(body["data"]["addListItem"]["id"])
    else:
        return False
    if body.get("errors"):
        stats.error(operation, json.dumps(body["errors"])[:200])
        return False
    return True


def _key() -> str:
    return f"load-{uuid.uuid4()}"


async def lost_writes(setup: Setup, stats: Stats) -> list[str]:
    """Acknowledged writes that the database does not hold."""
    import base64

    def pk(global_id: str) -> int:
        return int(base64.b64decode(global_id).decode().split(":")[1])

    connection = await asyncpg.connect(plain(setup.url))
    try:
        lost = []
        for item, note in stats.notes.items():
            stored = await connection.fetchval("SELECT note FROM list_items WHERE id = $1", pk(item))
            if stored != note:
                lost.append(f"note {item}: {stored!r} != {note!r}")
        for item in stats.added:
            if await connection.fetchval("SELECT count(*) FROM list_items WHERE id = $1", pk(item)) != 1:
                lost.append(f"added item {item} missing")
        for note, text in stats.meeting_notes.items():
            if await connection.fetchval("SELECT text FROM notes WHERE id = $1", pk(note)) != text:
                lost.append(f"meeting note {note} missing")
        for email in stats.registered:
            if await connection.fetchval("SELECT count(*) FROM registrations WHERE email = $1", email) != 1:
                lost.append(f"registration {email} missing")
        return lost
    finally:
        await connection.close()


def summary(stats: Stats, seconds: float) -> dict[str, Any]:
    table = {}
    for operation, samples in sorted(stats.latencies.items()):
        ordered = sorted(samples)
        table[operation] = {
            "requests": len(ordered),
            "per_second": round(len(ordered) / seconds, 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
        }
    return table


def write_result(setup: Setup, name: str, result: dict[str, Any]) -> Path:
    setup.results.mkdir(parents=True, exist_ok=True)
    path = setup.results / f"{time.strftime('%Y-%m-%d')}-{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def print_table(table: dict[str, Any]) -> None:
    print(f"{'operation':<14}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for operation, row in table.items():
        print(
            f"{operation:<14}{row['requests']:>10}{row['per_second']:>9}{row['p50_ms']:>9}{row['p99_ms']:>9}"
        )


async def gql_status(base: str) -> bool:
    """Whether the service answers a query right now (after a fault)."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        try:
            token = await login(http, f"admin@{DOMAIN}")
            body = await gql(http, "query { viewer { id } }", token)
            return not body.get("errors")
        except (httpx.HTTPError, KeyError, TypeError):
            return False


def acknowledged(stats: Stats) -> int:
    return len(stats.notes) + len(stats.added) + len(stats.meeting_notes) + len(stats.registered)
