"""The raw floor: the benchmark's operations as hand-written SQL, serialised with orjson.

What the service does for a request, minus GraphQL and SQLAlchemy: read the token, load
the viewer, run one statement per operation through the driver (asyncpg, or sqlite3),
and write the same JSON the service answers. It knows only the benchmark's operations
(by operationName) and its viewers' roles, so it is a floor to compare against, not a
second implementation of the rules.

    uvicorn bench.floor:create_floor --factory   (DATABASE_URL, SALESCOORD_SECRET)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from salescoord.db.queries.pages import decode_cursor, encode_cursor
from salescoord.schema.ids import decode_id, encode_id

from salescoord.settings import Settings
from salescoord.tokens import read_token

KINDS = ["SIGN_IN", "MEETING_HELD", "NOTE_WRITTEN", "ITEM_ADDED", "SUMMARY_SENT", "REGISTRATION_DECIDED"]
COUNT_FIELDS = [
    "signIns",
    "meetingsHeld",
    "notesWritten",
    "itemsAdded",
    "summariesSent",
    "registrationsDecided",
]

# An SC's scope (R2): their AMs, the AMs' territory trees, the buyers associated with them (R1).
SC_SCOPE = """
ams AS (SELECT am_id FROM account_manager_coordinators WHERE sc_id = {sc}),
tree(am_id, territory_id) AS (
  SELECT am_id, territory_id FROM account_manager_territories WHERE am_id IN (SELECT am_id FROM ams)
  UNION SELECT tree.am_id, t.id FROM territories t JOIN tree ON t.parent_id = tree.territory_id),
assoc(am_id, buyer_id) AS (
  SELECT direct_am_id, id FROM users WHERE role = 'BUYER' AND direct_am_id IN (SELECT am_id FROM ams)
  UNION SELECT tree.am_id, u.id FROM tree JOIN companies c ON c.territory_id = tree.territory_id
  JOIN users u ON u.company_id = c.id WHERE u.role = 'BUYER')"""

# The territory half of R1 for the SC's AMs, and a buyer's test against it: a direct buyer
# of one of the AMs, or a company in one of their trees. Q1 and Q2 test the buyers they
# walk in name order (ix_users_role_name_id) and stop at the page's end, rather than build
# the whole association set first as Q4, which counts over all of it, has to.
SC_TREE = """
ams AS (SELECT am_id FROM account_manager_coordinators WHERE sc_id = {sc}),
tree(am_id, id) AS (
  SELECT am_id, territory_id FROM account_manager_territories WHERE am_id IN (SELECT am_id FROM ams)
  UNION SELECT tree.am_id, t.id FROM territories t JOIN tree ON t.parent_id = tree.id)"""
BUYER_COLUMNS = """u.id, u.name, c.id, c.name, t.id, t.name FROM users u
LEFT JOIN companies c ON c.id = u.company_id LEFT JOIN territories t ON t.id = c.territory_id"""

VIEWER = "SELECT id, role FROM users WHERE id = {p1} AND active"
# Q1: the SC's first ten AMs, then each one's first ten associated buyers (one branch per AM).
Q1_AMS = """SELECT id, name FROM users
WHERE id IN (SELECT am_id FROM account_manager_coordinators WHERE sc_id = {sc}) ORDER BY name, id LIMIT 10"""
Q1_BUYERS = "WITH RECURSIVE" + SC_TREE + "\n{branches}\nORDER BY 1, 3, 2"
Q1_BRANCH = """SELECT * FROM (SELECT {n} AS k, {BUYER_COLUMNS}
  WHERE u.role = 'BUYER'
    AND (u.direct_am_id = {am} OR c.territory_id IN (SELECT id FROM tree WHERE am_id = {am}))
  ORDER BY u.name, u.id LIMIT 10) AS b{n}"""
Q2 = (
    "WITH RECURSIVE"
    + SC_TREE
    + """
SELECT u.email, """
    + BUYER_COLUMNS
    + """
WHERE u.role = 'BUYER'
  AND (u.direct_am_id IN (SELECT am_id FROM ams) OR c.territory_id IN (SELECT id FROM tree))
ORDER BY u.name, u.id LIMIT 100"""
)
# Q3: the meeting, if the SC manages it (R9), with its first 20 notes; then, only if it
# is, its attendees as far as the SC sees them (a direct buyer of one of their AMs or a
# company inside their territories) with their companies, and its lists (visible through
# the managed meeting, R11) with their first 20 items and each item's content.
Q3_MEETING = """SELECT m.id, m.title, m.starts_at, m.status, n.id, n.text, n.phase FROM meetings m
LEFT JOIN notes n ON n.meeting_id = m.id
WHERE m.id = {p1} AND (m.host_id = {sc}
  OR m.host_id IN (SELECT am_id FROM account_manager_coordinators WHERE sc_id = {sc}))
ORDER BY n.id LIMIT 20"""
Q3_ATTENDEES = """WITH RECURSIVE
ams AS (SELECT am_id FROM account_manager_coordinators WHERE sc_id = {sc}),
tree(id) AS (
  SELECT territory_id FROM account_manager_territories WHERE am_id IN (SELECT am_id FROM ams)
  UNION SELECT t.id FROM territories t JOIN tree ON t.parent_id = tree.id)
SELECT u.id, u.name, c.id, c.name FROM meeting_attendees a JOIN users u ON u.id = a.buyer_id
LEFT JOIN companies c ON c.id = u.company_id
WHERE a.meeting_id = {p1}
  AND (u.direct_am_id IN (SELECT am_id FROM ams) OR c.territory_id IN (SELECT id FROM tree))
ORDER BY u.name, u.id LIMIT 10"""
Q3_LISTS = """WITH used AS (
  SELECT l.id, l.name, l.kind FROM meeting_lists ml JOIN lists l ON l.id = ml.list_id
  WHERE ml.meeting_id = {p1} ORDER BY l.name, l.id LIMIT 5),
ranked AS (
  SELECT i.list_id, i.id, i.position, i.note, i.content_id,
         row_number() OVER (PARTITION BY i.list_id ORDER BY i.position, i.id) AS rn
  FROM list_items i WHERE i.list_id IN (SELECT id FROM used))
SELECT used.id, used.name, used.kind, r.id, r.position, r.note, c.id, c.title, c.kind, c.reference
FROM used LEFT JOIN ranked r ON r.list_id = used.id AND r.rn <= 20
LEFT JOIN contents c ON c.id = r.content_id
ORDER BY used.name, used.id, r.rn"""
Q4 = (
    "WITH RECURSIVE"
    + SC_SCOPE
    + """,
visible(id) AS (SELECT {sc} UNION SELECT am_id FROM ams UNION SELECT buyer_id FROM assoc),
ev AS (SELECT id, user_id, kind, subject_id FROM activities
       WHERE at >= {p1} AND at < {p2} AND user_id IN (SELECT id FROM visible)),
attributed AS (
  SELECT id AS event_id, user_id AS am_id FROM ev WHERE user_id IN (SELECT am_id FROM ams)
  UNION SELECT ev.id, assoc.am_id FROM ev JOIN assoc ON assoc.buyer_id = ev.subject_id
  UNION SELECT ev.id, assoc.am_id FROM ev JOIN assoc ON assoc.buyer_id = ev.user_id)
SELECT u.name, """
    + ", ".join(f"sum(CASE WHEN ev.kind = '{k}' THEN 1 ELSE 0 END)" for k in KINDS)
    + """, count(*)
FROM attributed a JOIN ev ON ev.id = a.event_id JOIN users u ON u.id = a.am_id
GROUP BY a.am_id, u.name ORDER BY -count(*), a.am_id LIMIT 20"""
)
Q5 = """SELECT u.id, u.name, u.email, u.role, u.active, c.name FROM users u
LEFT JOIN companies c ON c.id = u.company_id
WHERE u.role = 'BUYER' AND (u.name, u.id) > ({p1}, {p2})
ORDER BY u.name, u.id LIMIT 101"""


class Database:
    """One statement at a time through the plain driver; counts what it sends."""

    statements = 0

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite")
        self._pool: Any = None
        self._sqlite: sqlite3.Connection | None = None

    def sql(self, template: str, sc: int = 0) -> str:
        marks = ("?", "?", "?") if self.sqlite else ("$1", "$2", "$3")
        return template.format(p1=marks[0], p2=marks[1], p3=marks[2], sc=int(sc))

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        Database.statements += 1
        if self.sqlite:
            if self._sqlite is None:
                self._sqlite = sqlite3.connect(self.url.split("///", 1)[1], check_same_thread=False)
            return self._sqlite.execute(sql, args).fetchall()
        if self._pool is None:
            import asyncpg

            self._pool = await asyncpg.create_pool(
                self.url.replace("+asyncpg", ""), min_size=1, max_size=10, server_settings={"jit": "off"}
            )  # as the service's engine (db.session)
        async with self._pool.acquire() as connection:
            return [tuple(r) for r in await connection.fetch(sql, *args)]

    def moment(self, text: str) -> Any:
        value = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else value


def _company(cid: Any, cname: Any, tid: Any, tname: Any) -> Any:
    if cid is None:
        return None
    return {
        "id": encode_id("Company", cid),
        "name": cname,
        "territory": {"id": encode_id("Territory", tid), "name": tname},
    }


async def q0(db: Database, viewer: int, variables: dict[str, Any]) -> Any:
    return {"viewer": {"id": encode_id("User", viewer)}}


async def q1(db: Database, viewer: int, variables: dict[str, Any]) -> Any:
    ams = await db.fetch(db.sql(Q1_AMS, viewer))
    nodes = [{"id": encode_id("User", i), "name": n, "associatedBuyers": {"nodes": []}} for i, n in ams]
    if ams:
        branches = "\nUNION ALL\n".join(
            Q1_BRANCH.format(n=n, am=int(am), BUYER_COLUMNS=BUYER_COLUMNS) for n, (am, _) in enumerate(ams)
        )
        rows = await db.fetch(db.sql(Q1_BUYERS.replace("{branches}", branches), viewer))
        for n, bid, bname, *company in rows:
            buyer = {"id": encode_id("User", bid), "name": bname, "company": _company(*company)}
            nodes[n]["associatedBuyers"]["nodes"].append(buyer)
    return {"viewer": {"accountManagers": {"nodes": nodes}}}


async def q2(db: Database, viewer: int, variables: dict[str, Any]) -> Any:
    rows = await db.fetch(db.sql(Q2, viewer))
    return {
        "users": {
            "nodes": [
                {"id": encode_id("User", i), "name": n, "email": e, "company": _company(*rest)}
                for e, i, n, *rest in rows
            ]
        }
    }


def _iso(value: Any) -> str:
    """A moment as the service writes it; sqlite3 hands back the stored text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.isoformat()


def _attendee(uid: int, name: str, cid: Any, cname: Any) -> dict[str, Any]:
    company = {"id": encode_id("Company", cid), "name": cname} if cid is not None else None
    return {"id": encode_id("User", uid), "name": name, "company": company}


def _lists(rows: list[tuple[Any, ...]]) -> list[Any]:
    lists: dict[int, Any] = {}
    for lid, name, kind, iid, position, note, cid, title, ckind, reference in rows:
        entry = lists.setdefault(
            lid, {"id": encode_id("List", lid), "name": name, "kind": kind, "items": {"nodes": []}}
        )
        if iid is not None:
            content = {"id": encode_id("Content", cid), "title": title, "kind": ckind, "reference": reference}
            entry["items"]["nodes"].append(
                {"id": encode_id("ListItem", iid), "position": position, "note": note, "content": content}
            )
    return list(lists.values())


async def q3(db: Database, viewer: int, variables: dict[str, Any]) -> Any:
    meeting = decode_id(variables["id"])[1]
    rows = await db.fetch(db.sql(Q3_MEETING, viewer), meeting)
    if not rows:
        return {"node": None}
    mid, title, starts_at, status = rows[0][:4]
    attendees = await db.fetch(db.sql(Q3_ATTENDEES, viewer), meeting)
    lists = await db.fetch(db.sql(Q3_LISTS), meeting)
    return {
        "node": {
            "id": encode_id("Meeting", mid),
            "title": title,
            "startsAt": _iso(starts_at),
            "status": status,
            "attendees": {"nodes": [_attendee(*row) for row in attendees]},
            "notes": {
                "nodes": [{"id": encode_id("Note", n), "text": t, "phase": p} for *_, n, t, p in rows if n]
            },
            "lists": {"nodes": _lists(lists)},
        }
    }


async def q4(db: Database, viewer: int, variables: dict[str, Any]) -> Any:
    start, end = db.moment(variables["start"]), db.moment(variables["end"])
    rows = await db.fetch(db.sql(Q4, viewer), start, end)
    nodes = [
        {"label": name, "counts": {**dict(zip(COUNT_FIELDS, counts[:-1], strict=True)), "total": counts[-1]}}
        for name, *counts in rows
    ]
    return {"reporting": {"byAccountManager": {"nodes": nodes}}}


async def q5(db: Database, viewer: int, variables: dict[str, Any]) -> Any:
    after = decode_cursor(variables["after"]) if variables.get("after") else ("", 0)
    rows = await db.fetch(db.sql(Q5), *after)
    page = rows[:100]
    nodes = [
        {
            "id": encode_id("User", i),
            "name": n,
            "email": e,
            "role": r,
            "active": bool(a),
            "company": {"name": c} if c is not None else None,
        }
        for i, n, e, r, a, c in page
    ]
    end = encode_cursor((page[-1][1], page[-1][0])) if page else None
    return {"users": {"pageInfo": {"hasNextPage": len(rows) > 100, "endCursor": end}, "nodes": nodes}}


OPERATIONS: dict[str, Callable[..., Any]] = {"Q0": q0, "Q1": q1, "Q2": q2, "Q3": q3, "Q4": q4, "Q5": q5}


def create_floor() -> Any:
    settings = Settings()
    db = Database(settings.database_url)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] == "GET":  # /healthz, and /statements for bench.servers
            payload: Any = {"status": "ok", "statements": Database.statements}
        else:
            request = orjson.loads(body)
            token = dict(scope["headers"]).get(b"authorization", b"").decode().partition(" ")[2]
            claims = read_token(settings, token)
            rows = await db.fetch(db.sql(VIEWER), claims.user_id) if claims else []
            if not rows:
                payload = {"data": None, "errors": [{"extensions": {"code": "UNAUTHENTICATED"}}]}
            else:
                handler = OPERATIONS[request["operationName"]]
                payload = {"data": await handler(db, rows[0][0], request.get("variables") or {})}
        response = orjson.dumps(payload)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(response)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": response})

    return app
