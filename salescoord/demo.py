"""A deterministic demo data set (R26): the same seed gives the same rows on every machine.

At scale 1: a 3-level territory tree (3 regions › 9 territories › 18 districts),
6 account managers, 4 sales coordinators shared between them, 40 companies,
200 buyers (a third with a direct AM, some of those outside the AM's
territories, so both halves of R1 show), a content catalogue, personal, global
and buyer lists, a few meetings, pending registrations in the approval queue (their
notices wait in the email outbox) and a year of activity (calendar 2026, for the reporting
examples of the README). Every demo login has the password
DEMO_PASSWORD; the README names one login per role.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from salescoord.db.migrate import upgrade_async
from salescoord.db.models.base import utcnow
from salescoord.db.models.content import ContentKind, ListKind
from salescoord.db.models.meetings import MeetingStatus, NotePhase
from salescoord.db.queries.activity import ActivityKind
from salescoord.db.session import create_engine
from salescoord.db.tables import (
    activities,
    am_coordinators,
    am_territories,
    companies,
    contents,
    list_items,
    lists,
    meeting_attendees,
    meeting_lists,
    meetings,
    notes,
    territories,
    users,
)
from salescoord.passwords import hash_password
from salescoord.permissions.enums import RoleName
from salescoord.resolvers.registration_workflow import create_registration

DEMO_PASSWORD = "salescoord-demo"
DOMAIN = "demo.salescoord.test"
# one login per role, as the README and `salescoord serve --welcome` name them: (role, email, note)
DEMO_LOGINS = (
    ("ADMIN", f"admin@{DOMAIN}", ""),
    ("ACCOUNT_MANAGER", f"am1@{DOMAIN}", "covers the whole North Region"),
    ("SALES_COORDINATOR", f"sc1@{DOMAIN}", "supports am1 and am2"),
    ("BUYER", f"buyer1@{DOMAIN}", ""),
)
REGIONS = ["North", "South", "West"]
WORDS = [
    "Alder",
    "Birch",
    "Cedar",
    "Dune",
    "Elm",
    "Fjord",
    "Grove",
    "Harbor",
    "Iris",
    "Juniper",
    "Kestrel",
    "Linden",
    "Maple",
    "Nectar",
    "Oak",
    "Pine",
    "Quarry",
    "Rowan",
    "Spruce",
    "Tide",
]
FIRST = [
    "Ada",
    "Ben",
    "Cleo",
    "Dev",
    "Eli",
    "Fay",
    "Gus",
    "Hana",
    "Ivo",
    "Jun",
    "Kai",
    "Lea",
    "Milo",
    "Nia",
    "Omar",
    "Pia",
    "Quin",
    "Ravi",
    "Sana",
    "Theo",
]
LAST = [
    "Lind",
    "Moreau",
    "Novak",
    "Okafor",
    "Park",
    "Quist",
    "Rossi",
    "Sato",
    "Tanaka",
    "Ueda",
    "Vega",
    "Wolfe",
]
KINDS = list(ContentKind)
ACTIVITY_YEAR = 2026
# (kind, chance per working day) for each role; buyers only sign in now and then
STAFF_HABITS = {
    RoleName.ACCOUNT_MANAGER: [
        (ActivityKind.SIGN_IN, 0.9),
        (ActivityKind.MEETING_HELD, 0.3),
        (ActivityKind.NOTE_WRITTEN, 0.6),
        (ActivityKind.ITEM_ADDED, 0.5),
        (ActivityKind.SUMMARY_SENT, 0.25),
    ],
    RoleName.SALES_COORDINATOR: [
        (ActivityKind.SIGN_IN, 0.9),
        (ActivityKind.REGISTRATION_DECIDED, 0.3),
        (ActivityKind.NOTE_WRITTEN, 0.2),
    ],
    RoleName.BUYER: [(ActivityKind.SIGN_IN, 0.03)],
}
ABOUT_A_BUYER = {
    ActivityKind.MEETING_HELD,
    ActivityKind.NOTE_WRITTEN,
    ActivityKind.ITEM_ADDED,
    ActivityKind.SUMMARY_SENT,
}


async def load_demo(database_url: str, scale: int = 1, *, only_if_empty: bool = False) -> bool:
    """Migrate, then fill the database. False when `only_if_empty` found users already."""
    await upgrade_async(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            if only_if_empty:
                count = (await connection.execute(sa.select(sa.func.count()).select_from(users))).scalar()
                if count:
                    return False
            await _fill(connection, scale)
        return True
    finally:
        await engine.dispose()


async def _insert(connection: Any, table: sa.Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows and return their ids in order (one statement per row only for tables with
    an id, to read it back portably; link tables go in one executemany)."""
    if "id" not in table.c:
        if rows:
            await connection.execute(table.insert(), rows)
        return []
    ids = []
    for row in rows:
        ids.append(
            (await connection.execute(table.insert().values(**row).returning(table.c.id))).scalar_one()
        )
    return ids


async def _fill(connection: Any, scale: int) -> None:
    rng = random.Random(20261128 + scale)
    now = utcnow()
    stamp = {"created_at": now}
    password_hash = hash_password(DEMO_PASSWORD)

    def person(email: str, name: str, role: RoleName, **extra: Any) -> dict[str, Any]:
        return {
            "email": email,
            "name": name,
            "role": role,
            "active": True,
            "password_hash": password_hash,
            "company_id": None,
            "direct_am_id": None,
            "created_at": now,
            "updated_at": now,
            **extra,
        }

    # territories: region › territory › district
    region_ids = await _insert(
        connection,
        territories,
        [{"name": f"{region} Region", "parent_id": None, **stamp} for region in REGIONS],
    )
    territory_ids, district_ids = [], []
    for region, region_id in zip(REGIONS, region_ids, strict=True):
        for _ in range(3):
            (territory_id,) = await _insert(
                connection,
                territories,
                [
                    {
                        "name": f"{region} {WORDS[len(territory_ids) % len(WORDS)]}",
                        "parent_id": region_id,
                        **stamp,
                    }
                ],
            )
            territory_ids.append(territory_id)
            district_ids += await _insert(
                connection,
                territories,
                [
                    {
                        "name": f"{region} {WORDS[len(territory_ids) % len(WORDS)]} District {d + 1}",
                        "parent_id": territory_id,
                        **stamp,
                    }
                    for d in range(2)
                ],
            )

    admin_id, *_ = await _insert(
        connection, users, [person(f"admin@{DOMAIN}", "Avery Admin", RoleName.ADMIN)]
    )
    am_ids = await _insert(
        connection,
        users,
        [
            person(f"am{i + 1}@{DOMAIN}", f"{FIRST[i % 20]} {LAST[i % 12]} (AM)", RoleName.ACCOUNT_MANAGER)
            for i in range(6 * scale)
        ],
    )
    sc_ids = await _insert(
        connection,
        users,
        [
            person(
                f"sc{i + 1}@{DOMAIN}",
                f"{FIRST[(i + 7) % 20]} {LAST[(i + 5) % 12]} (SC)",
                RoleName.SALES_COORDINATOR,
            )
            for i in range(4 * scale)
        ],
    )
    # AM ↔ territory: AM 1 covers a whole region, the others a territory or a district.
    links = [{"am_id": am_ids[0], "territory_id": region_ids[0], **stamp}]
    for i, am_id in enumerate(am_ids[1:], start=1):
        pool = territory_ids if i % 2 else district_ids
        links.append({"am_id": am_id, "territory_id": pool[(i * 5) % len(pool)], **stamp})
    await _insert(connection, am_territories, links)
    # AM ↔ SC: each SC supports two or three AMs; SCs share AMs.
    pairs = set()
    for i, sc_id in enumerate(sc_ids):
        for k in range(2 + i % 2):
            pairs.add((am_ids[(i * 2 + k) % len(am_ids)], sc_id))
    await _insert(connection, am_coordinators, [{"am_id": a, "sc_id": s, **stamp} for a, s in sorted(pairs)])

    company_ids = await _insert(
        connection,
        companies,
        [
            {
                "name": f"{WORDS[i % 20]} {['Goods', 'Retail', 'Trading', 'Studio'][i // 20 % 4]} {i + 1}",
                "territory_id": district_ids[i % len(district_ids)]
                if i % 3
                else territory_ids[i % len(territory_ids)],
                **stamp,
            }
            for i in range(40 * scale)
        ],
    )
    buyer_ids = await _insert(
        connection,
        users,
        [
            person(
                f"buyer{i + 1}@{DOMAIN}",
                f"{FIRST[rng.randrange(20)]} {LAST[rng.randrange(12)]}",
                RoleName.BUYER,
                company_id=company_ids[rng.randrange(len(company_ids))],
                direct_am_id=am_ids[rng.randrange(len(am_ids))] if i % 3 == 0 else None,
            )
            for i in range(200 * scale)
        ],
    )

    content_ids = await _insert(
        connection,
        contents,
        [
            {
                "title": f"{WORDS[i % 20]} {KINDS[i % 4].title()} {i + 1}",
                "kind": KINDS[i % 4],
                "reference": f"SKU-{10000 + i}"
                if KINDS[i % 4] is ContentKind.PRODUCT
                else f"https://cdn.{DOMAIN}/c/{i + 1}",
                **stamp,
            }
            for i in range(60)
        ],
    )

    def new_list(owner: int, kind: ListKind, name: str, buyer: int | None = None) -> dict[str, Any]:
        return {
            "owner_id": owner,
            "kind": kind,
            "name": name,
            "buyer_id": buyer,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }

    list_rows = [
        new_list(admin_id, ListKind.GLOBAL, "New season highlights"),
        new_list(admin_id, ListKind.GLOBAL, "Bestsellers"),
    ]
    buyer_lists: dict[int, list[int]] = {}
    for am_id in am_ids:
        list_rows.append(new_list(am_id, ListKind.PERSONAL, "My picks"))
    for sc_id in sc_ids:
        list_rows.append(new_list(sc_id, ListKind.PERSONAL, "Prep notes"))
    list_ids = await _insert(connection, lists, list_rows)
    for am_id in am_ids:
        candidates = [
            b for b, row in zip(buyer_ids, range(len(buyer_ids)), strict=True) if rng.random() < 0.02
        ]
        for buyer_id in candidates[:2]:
            (list_id,) = await _insert(
                connection, lists, [new_list(am_id, ListKind.BUYER, f"For buyer {buyer_id}", buyer_id)]
            )
            buyer_lists.setdefault(am_id, []).append(list_id)
            list_ids.append(list_id)
    items = []
    for list_id in list_ids:
        chosen = rng.sample(content_ids, rng.randint(3, 8))
        items += [
            {
                "list_id": list_id,
                "content_id": c,
                "position": p,
                "note": None,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for p, c in enumerate(chosen)
        ]
    await _insert(connection, list_items, items)

    # A few meetings per AM, some set up by an SC, with a buyer list attached.
    for i, am_id in enumerate(am_ids):
        for k in range(3):
            (meeting_id,) = await _insert(
                connection,
                meetings,
                [
                    {
                        "host_id": am_id,
                        "created_by_id": sc_ids[i % len(sc_ids)] if k == 0 else am_id,
                        "title": f"Season review {k + 1}",
                        "starts_at": now + timedelta(days=7 * k - 7),
                        "ends_at": now + timedelta(days=7 * k - 7, minutes=60),
                        "status": MeetingStatus.ENDED if k == 0 else MeetingStatus.SCHEDULED,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
            attendees = rng.sample(buyer_ids, 2)
            await _insert(
                connection, meeting_attendees, [{"meeting_id": meeting_id, "buyer_id": b} for b in attendees]
            )
            await _insert(
                connection,
                notes,
                [
                    {
                        "meeting_id": meeting_id,
                        "author_id": am_id,
                        "phase": NotePhase.PRE_MEETING,
                        "shared": True,
                        "text": "Bring the new lookbook.",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
            if k == 0 and buyer_lists.get(am_id):
                await _insert(
                    connection, meeting_lists, [{"meeting_id": meeting_id, "list_id": buyer_lists[am_id][0]}]
                )

    await _pending_registrations(connection, am_ids, territory_ids, district_ids)
    people = {RoleName.ACCOUNT_MANAGER: am_ids, RoleName.SALES_COORDINATOR: sc_ids, RoleName.BUYER: buyer_ids}
    await connection.execute(activities.insert(), activity_rows(20261128 + scale, people, buyer_ids))


async def _pending_registrations(
    connection: Any, am_ids: list[int], territory_ids: list[int], district_ids: list[int]
) -> None:
    """Sign-ups waiting in the queue (R6): one asking for am1 by name, some only naming a
    territory (so the SCs of the AMs above it see them), one naming neither (admins only)."""
    requests = [
        ("Rosa Lind", "Lind Interiors", am_ids[0], district_ids[0], "We met at the trade fair."),
        ("Sam Okafor", "Okafor & Sons", None, territory_ids[0], None),
        ("Tara Vega", "Vega Home", None, district_ids[7], "Looking for the new season lookbook."),
        ("Uma Park", "Park Studio", am_ids[1], None, None),
        ("Vic Sato", "Sato Goods", None, None, "Not sure who covers us."),
    ]
    for name, company, am_id, territory_id, message in requests:
        await create_registration(
            connection,
            {
                "name": name,
                "email": f"{name.split()[0].lower()}@applicant.{DOMAIN}",
                "company_name": company,
                "requested_am_id": am_id,
                "territory_id": territory_id,
                "message": message,
            },
            "http://127.0.0.1:8000/registrations",
        )


def activity_rows(
    seed: int, people: dict[RoleName, list[int]], buyer_ids: list[int], year: int = ACTIVITY_YEAR
) -> list[dict[str, Any]]:
    """A year of activity on working days (R12), the same for the same seed: `people` maps a
    role to its user ids; events about a buyer name one as their subject."""
    rng = random.Random(seed)
    rows = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        if day.weekday() < 5:
            for role, habits in STAFF_HABITS.items():
                for user_id in people.get(role, ()):
                    for kind, chance in habits:
                        if rng.random() < chance:
                            rows.append(
                                {
                                    "user_id": user_id,
                                    "kind": kind,
                                    "subject_id": rng.choice(buyer_ids) if kind in ABOUT_A_BUYER else None,
                                    "meeting_id": None,
                                    "at": day + timedelta(minutes=rng.randrange(8 * 60, 18 * 60)),
                                }
                            )
        day += timedelta(days=1)
    return rows
