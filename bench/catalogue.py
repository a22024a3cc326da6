"""The benchmark's content catalogue and lists, as Q3 (a meeting's detail) reads them.

Scale 1: 1,000 contents; 20 GLOBAL lists of the analyst, a PERSONAL list per AM, and a
BUYER list (the host's, for the first attendee) on every fourth meeting; every tenth
meeting also uses a GLOBAL list, so every twentieth has both (R11: the SC managing the
meeting reaches the AM's BUYER list only through it). Each list holds 3-12 distinct
contents at dense positions, a third of them with a note.

Drawn from a random generator of its own, after the rest of the data set, so adding the
catalogue changed nothing else.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.dataset import Dataset

KINDS = ["PRODUCT", "LOOKBOOK", "VIDEO", "DOCUMENT"]
LIST_COLUMNS = ["id", "owner_id", "kind", "name", "buyer_id", "version", "created_at", "updated_at"]
ITEM_COLUMNS = ["id", "list_id", "content_id", "position", "note", "version", "created_at", "updated_at"]


def _reference(n: int, kind: str) -> str:
    return f"SKU-{n:06d}" if kind == "PRODUCT" else f"https://cdn.bench.test/{kind.lower()}/{n:06d}"


def add(data: Dataset, rng: random.Random, now: datetime) -> None:
    from bench.dataset import ADMIN_ID

    scale = data.scale
    contents = []
    for n in range(1, 1_000 * scale + 1):
        kind = KINDS[n % len(KINDS)]
        contents.append((n, f"{kind.title()} {n:06d}", kind, _reference(n, kind), now))
    data.add("contents", ["id", "title", "kind", "reference", "created_at"], contents)

    lists: list[tuple[Any, ...]] = []

    def new_list(owner: int, kind: str, name: str, buyer: int | None = None) -> int:
        lists.append((len(lists) + 1, owner, kind, name, buyer, 1, now, now))
        return len(lists)

    global_lists = [new_list(ADMIN_ID, "GLOBAL", f"Collection {g + 1:03d}") for g in range(20 * scale)]
    for am in data.am_ids:
        new_list(am, "PERSONAL", "My picks")
    first_attendee: dict[int, int] = {}
    for meeting_id, buyer in data.tables["meeting_attendees"][1]:
        first_attendee.setdefault(meeting_id, buyer)
    meeting_lists = []
    for meeting_id, host, *_ in data.tables["meetings"][1]:
        if meeting_id % 4 == 0:
            buyer = first_attendee[meeting_id]
            meeting_lists.append((meeting_id, new_list(host, "BUYER", f"For meeting {meeting_id}", buyer)))
        if meeting_id % 10 == 0:
            meeting_lists.append((meeting_id, global_lists[(meeting_id // 10) % len(global_lists)]))
    data.add("lists", LIST_COLUMNS, lists)
    data.add("meeting_lists", ["meeting_id", "list_id"], meeting_lists)

    items = []
    for list_id, *_ in lists:
        for position, content in enumerate(rng.sample(range(1, len(contents) + 1), rng.randint(3, 12))):
            note = f"Note on item {len(items) + 1}" if rng.random() < 1 / 3 else None
            items.append((len(items) + 1, list_id, content, position, note, 1, now, now))
    data.add("list_items", ITEM_COLUMNS, items)
