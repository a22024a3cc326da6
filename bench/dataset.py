"""The benchmark's data set: deterministic for a scale, loaded in bulk.

Scale 1: 20 AMs, 20 SCs (each supporting two or three AMs), a 3-level territory tree
(4 regions › 16 territories › 96 districts), 500 companies, 10,000 buyers (a third with a
direct AM), 20,000 meetings with 1-3 attendees associated with the host AM (R9), 100,000
notes and 300,000 activity events over 2026, and the content catalogue with its lists
(`bench.catalogue`: a BUYER list on every fourth meeting, a GLOBAL one on every tenth).
Scale 10 is ten times each count (the tree's districts too).

Rows are built as tuples in column order; `bench.bulk` writes them after the Alembic
migrations made the tables.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from salescoord.db.queries.activity import ActivityKind

from bench import catalogue

YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
SECONDS_IN_YEAR = 365 * 24 * 3600
ADMIN_ID = 1


@dataclass
class Dataset:
    scale: int
    tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = field(default_factory=dict)
    am_ids: list[int] = field(default_factory=list)
    sc_ids: list[int] = field(default_factory=list)
    buyer_ids: list[int] = field(default_factory=list)
    meeting_ids: list[int] = field(default_factory=list)

    def add(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        self.tables[table] = (columns, rows)

    def sizes(self) -> dict[str, int]:
        return {name: len(rows) for name, (_, rows) in self.tables.items()}


def generate(scale: int = 1, seed: int = 20261128) -> Dataset:
    rng = random.Random(seed * 100 + scale)
    data = Dataset(scale)
    now = YEAR_START

    def moment() -> datetime:
        return YEAR_START + timedelta(seconds=rng.randrange(SECONDS_IN_YEAR))

    # territories: region › territory › district
    territories, regions, middles, districts = [], [], [], []
    next_id = iter(range(1, 10**9))
    for r in range(4):
        region = next(next_id)
        regions.append(region)
        territories.append((region, f"Region {r + 1}", None, now))
        for t in range(4):
            middle = next(next_id)
            middles.append(middle)
            territories.append((middle, f"Territory {r + 1}.{t + 1}", region, now))
            for d in range(6 * scale):
                district = next(next_id)
                districts.append(district)
                territories.append((district, f"District {r + 1}.{t + 1}.{d + 1}", middle, now))
    data.add("territories", ["id", "name", "parent_id", "created_at"], territories)

    companies = []
    for c in range(500 * scale):
        territory = districts[c % len(districts)] if c % 5 else middles[c % len(middles)]
        companies.append((c + 1, f"Company {c + 1:05d}", territory, now))
    data.add("companies", ["id", "name", "territory_id", "created_at"], companies)

    user_columns = [
        "id",
        "email",
        "name",
        "role",
        "active",
        "password_hash",
        "company_id",
        "direct_am_id",
        "created_at",
        "updated_at",
    ]
    users = [(ADMIN_ID, "analyst@bench.test", "Analyst", "ADMIN", True, None, None, None, now, now)]
    uid = ADMIN_ID + 1
    for i in range(20 * scale):
        users.append(
            (
                uid,
                f"am{i + 1}@bench.test",
                f"AM {i + 1:04d}",
                "ACCOUNT_MANAGER",
                True,
                None,
                None,
                None,
                now,
                now,
            )
        )
        data.am_ids.append(uid)
        uid += 1
    for i in range(20 * scale):
        users.append(
            (
                uid,
                f"sc{i + 1}@bench.test",
                f"SC {i + 1:04d}",
                "SALES_COORDINATOR",
                True,
                None,
                None,
                None,
                now,
                now,
            )
        )
        data.sc_ids.append(uid)
        uid += 1
    first = ["Ada", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea"]
    last = ["Lind", "Moreau", "Novak", "Okafor", "Park", "Quist", "Rossi", "Sato", "Tanaka", "Vega"]
    for i in range(10_000 * scale):
        direct = rng.choice(data.am_ids) if i % 3 == 0 else None
        name = f"{rng.choice(first)} {rng.choice(last)} {i + 1:06d}"
        company = rng.randrange(len(companies)) + 1
        users.append((uid, f"buyer{i + 1}@bench.test", name, "BUYER", True, None, company, direct, now, now))
        data.buyer_ids.append(uid)
        uid += 1
    data.add("users", user_columns, users)

    # AM ↔ territory: one in four AMs covers a territory, the others a district and a second one
    am_territories = set()
    for i, am in enumerate(data.am_ids):
        if i % 4 == 0:
            am_territories.add((am, middles[i % len(middles)]))
        else:
            am_territories.add((am, districts[(i * 7) % len(districts)]))
            am_territories.add((am, districts[(i * 13 + 5) % len(districts)]))
    data.add(
        "account_manager_territories",
        ["am_id", "territory_id", "created_at"],
        [(*p, now) for p in sorted(am_territories)],
    )
    pairs = set()
    for i, sc in enumerate(data.sc_ids):
        for k in range(2 + i % 2):
            pairs.add((data.am_ids[(i + k * 7) % len(data.am_ids)], sc))
    data.add(
        "account_manager_coordinators", ["am_id", "sc_id", "created_at"], [(*p, now) for p in sorted(pairs)]
    )

    # attendees are buyers associated with the host (R9 accepts no others)
    associated = associations(territories, companies, users, am_territories)
    meetings, attendees = [], []
    for m in range(20_000 * scale):
        host = rng.choice(data.am_ids)
        starts = moment()
        ends = starts + timedelta(hours=1)
        meetings.append(
            (m + 1, host, host, f"Meeting {m + 1}", starts, ends, "ENDED", None, None, 1, now, now)
        )
        data.meeting_ids.append(m + 1)
        for buyer in rng.sample(associated[host], min(len(associated[host]), rng.randint(1, 3))):
            attendees.append((m + 1, buyer))
    data.add(
        "meetings",
        [
            "id",
            "host_id",
            "created_by_id",
            "title",
            "starts_at",
            "ends_at",
            "status",
            "started_at",
            "ended_at",
            "version",
            "created_at",
            "updated_at",
        ],
        meetings,
    )
    data.add("meeting_attendees", ["meeting_id", "buyer_id"], attendees)
    notes = []
    for n in range(100_000 * scale):
        meeting = rng.randrange(len(meetings))
        notes.append(
            (
                n + 1,
                meeting + 1,
                meetings[meeting][1],
                "IN_MEETING",
                True,  # shared with the attendees (R37)
                f"Note {n + 1}",
                None,
                1,
                now,
                now,
            )
        )
    data.add(
        "notes",
        [
            "id",
            "meeting_id",
            "author_id",
            "phase",
            "shared",
            "text",
            "client_id",
            "version",
            "created_at",
            "updated_at",
        ],
        notes,
    )
    data.add(
        "activities",
        ["id", "user_id", "kind", "subject_id", "meeting_id", "at"],
        list(_activities(rng, data, moment)),
    )
    catalogue.add(data, random.Random(seed * 100 + scale + 1), now)
    return data


def associations(
    territories: list[tuple[Any, ...]],
    companies: list[tuple[Any, ...]],
    users: list[tuple[Any, ...]],
    am_territories: set[tuple[int, int]],
) -> dict[int, list[int]]:
    """R1 in Python, over the rows about to be written: each AM's buyers, direct or by a
    company in or below one of the AM's territories (sorted, so sampling is deterministic)."""
    children: dict[int, list[int]] = defaultdict(list)
    for tid, _, parent, _ in territories:
        if parent is not None:
            children[parent].append(tid)
    companies_in: dict[int, list[int]] = defaultdict(list)
    for cid, _, tid, _ in companies:
        companies_in[tid].append(cid)
    buyers_of: dict[int, list[int]] = defaultdict(list)
    result: dict[int, set[int]] = defaultdict(set)
    for uid, _, _, role, _, _, company, direct, _, _ in users:
        if role == "BUYER":
            buyers_of[company].append(uid)
            if direct is not None:
                result[direct].add(uid)
    for am, root in am_territories:
        stack = [root]
        while stack:
            tid = stack.pop()
            stack.extend(children[tid])
            for cid in companies_in[tid]:
                result[am].update(buyers_of[cid])
    return {am: sorted(buyers) for am, buyers in result.items()}


AM_KINDS = [
    ActivityKind.MEETING_HELD,
    ActivityKind.NOTE_WRITTEN,
    ActivityKind.ITEM_ADDED,
    ActivityKind.SUMMARY_SENT,
]


def _activities(rng: random.Random, data: Dataset, moment: Any) -> Iterator[tuple[Any, ...]]:
    """60% by AMs (about a buyer), 20% by SCs, 20% buyers signing in."""
    for n in range(300_000 * data.scale):
        roll = rng.random()
        if roll < 0.6:
            kind = rng.choice(AM_KINDS) if rng.random() < 0.8 else ActivityKind.SIGN_IN
            subject = rng.choice(data.buyer_ids) if kind is not ActivityKind.SIGN_IN else None
            yield (n + 1, rng.choice(data.am_ids), kind.value, subject, None, moment())
        elif roll < 0.8:
            kind = ActivityKind.REGISTRATION_DECIDED if rng.random() < 0.3 else ActivityKind.SIGN_IN
            yield (n + 1, rng.choice(data.sc_ids), kind.value, None, None, moment())
        else:
            yield (n + 1, rng.choice(data.buyer_ids), ActivityKind.SIGN_IN.value, None, None, moment())
