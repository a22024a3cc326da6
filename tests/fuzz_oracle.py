"""Who may see what, computed from the tables in plain Python: the oracle of the fuzzed
matrix, written from the SPEC (R1, R2, R10, R11, R13, R30, R37) and never through
`permissions.scope`, so a mistake in the scope cannot hide itself.

Each Node type of the schema needs a rule here; the fuzz test fails on a type without one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

QUERIES = {
    "users": "SELECT id, role, company_id, direct_am_id FROM users",
    "territories": "SELECT id, parent_id FROM territories",
    "companies": "SELECT id, territory_id FROM companies",
    "am_territories": "SELECT am_id, territory_id FROM account_manager_territories",
    "am_coordinators": "SELECT am_id, sc_id FROM account_manager_coordinators",
    "lists": "SELECT id, owner_id, kind, buyer_id FROM lists",
    "items": "SELECT id, list_id, content_id FROM list_items",
    "contents": "SELECT id FROM contents",
    "meetings": "SELECT id, host_id FROM meetings",
    "attendees": "SELECT meeting_id, buyer_id FROM meeting_attendees",
    "notes": "SELECT id, meeting_id, shared FROM notes",
    "meeting_lists": "SELECT meeting_id, list_id FROM meeting_lists",
    "registrations": "SELECT id, requested_am_id, territory_id FROM registrations",
    "devices": "SELECT id, user_id FROM devices",
    "roles": "SELECT id FROM roles",
}


@dataclass(frozen=True)
class Asker:
    user_id: int
    role: str
    channel: str  # WEB or APP


class Tables:
    def __init__(self, rows: dict[str, list]) -> None:
        self.rows = rows
        self.users = {r.id: r for r in rows["users"]}
        self.company_territory = {r.id: r.territory_id for r in rows["companies"]}
        self.children = defaultdict(set)
        for r in rows["territories"]:
            if r.parent_id is not None:
                self.children[r.parent_id].add(r.id)

    @classmethod
    async def read(cls, engine: AsyncEngine) -> Tables:
        async with engine.connect() as connection:
            return cls({name: list(await connection.execute(sa.text(q))) for name, q in QUERIES.items()})

    def below(self, roots: set[int]) -> set[int]:
        seen, todo = set(), list(roots)
        while todo:
            territory = todo.pop()
            if territory not in seen:
                seen.add(territory)
                todo.extend(self.children[territory])
        return seen

    def am_territories(self, am: int) -> set[int]:
        return self.below({r.territory_id for r in self.rows["am_territories"] if r.am_id == am})

    def associated_buyers(self, am: int) -> set[int]:
        """R1: direct, or by a company in or below one of the AM's territories."""
        covered = self.am_territories(am)
        return {
            u.id
            for u in self.users.values()
            if u.role == "BUYER"
            and (u.direct_am_id == am or self.company_territory.get(u.company_id) in covered)
        }

    def ams_of(self, asker: Asker) -> set[int]:
        if asker.role == "ACCOUNT_MANAGER":
            return {asker.user_id}
        if asker.role == "SALES_COORDINATOR":
            return {r.am_id for r in self.rows["am_coordinators"] if r.sc_id == asker.user_id}
        return set()

    def visible(self, asker: Asker) -> dict[str, set[int]]:
        everything = asker.role == "ADMIN"
        me = self.users[asker.user_id]
        ams = self.ams_of(asker)
        if everything:
            users = set(self.users)
            companies = set(self.company_territory)
            territories = {r.id for r in self.rows["territories"]}
        elif asker.role == "BUYER":
            users = {me.id} | ({me.direct_am_id} if me.direct_am_id else set())
            companies = {me.company_id} if me.company_id else set()
            territories = {self.company_territory[c] for c in companies}
        else:
            buyers = set().union(*(self.associated_buyers(am) for am in ams)) if ams else set()
            coordinators = {r.sc_id for r in self.rows["am_coordinators"] if r.am_id == me.id}
            users = {me.id} | buyers | (ams if asker.role == "SALES_COORDINATOR" else coordinators)
            covered = set().union(*(self.am_territories(am) for am in ams)) if ams else set()
            companies = {c for c, t in self.company_territory.items() if t in covered}
            companies |= {self.users[b].company_id for b in buyers if self.users[b].company_id}
            territories = covered | {self.company_territory[c] for c in companies}
        lists = self._lists(asker, ams, everything)
        items = {r.id for r in self.rows["items"] if r.list_id in lists}
        if asker.role == "BUYER":
            shared = self._lists_section(asker)
            contents = {r.content_id for r in self.rows["items"] if r.list_id in shared}
        else:
            contents = {r.id for r in self.rows["contents"]}
        if everything:
            registrations = {r.id for r in self.rows["registrations"]}
        else:  # R6: requested one of the viewer's AMs, or inside one of their territories
            covered_by_ams = set().union(*(self.am_territories(am) for am in ams)) if ams else set()
            registrations = {
                r.id
                for r in self.rows["registrations"]
                if r.requested_am_id in ams or r.territory_id in covered_by_ams
            }
        meetings = self._managed(asker, ams, everything)
        if asker.role == "BUYER" and asker.channel == "WEB":  # R13: meetings they attend
            meetings |= {r.meeting_id for r in self.rows["attendees"] if r.buyer_id == asker.user_id}
        notes = {
            r.id
            for r in self.rows["notes"]
            if r.meeting_id in meetings and (r.shared or asker.role != "BUYER")  # R37
        }
        return {
            "Meeting": meetings,
            "Note": notes,
            "Registration": registrations,
            "User": users,
            "Company": companies,
            "Territory": territories,
            "List": lists,
            "ListItem": items,
            "Content": contents,
            # R30: your own devices; an admin everyone's
            "Device": {r.id for r in self.rows["devices"] if everything or r.user_id == asker.user_id},
            "Role": {r.id for r in self.rows["roles"]},  # R14, R34: every signed-in user reads roles
        }

    def _lists_section(self, asker: Asker) -> set[int]:
        """R11: own lists and every GLOBAL list; a buyer, the BUYER lists made for them."""
        if asker.role == "BUYER":
            return {r.id for r in self.rows["lists"] if r.kind == "BUYER" and r.buyer_id == asker.user_id}
        return {r.id for r in self.rows["lists"] if r.owner_id == asker.user_id or r.kind == "GLOBAL"}

    def _lists(self, asker: Asker, ams: set[int], everything: bool) -> set[int]:
        """R11: plus the lists attached to a meeting the viewer may manage, as far as the
        attachment showed them to no one new (R37): a GLOBAL list, or one whose owner manages
        that meeting on the web (the owner chose to show it to the meeting's other managers)."""
        managed = self._managed(asker, ams, everything)
        kind_and_owner = {r.id: (r.kind, r.owner_id) for r in self.rows["lists"]}
        hosts = {m.id: m.host_id for m in self.rows["meetings"]}
        attached = {
            r.list_id
            for r in self.rows["meeting_lists"]
            if r.meeting_id in managed
            and (
                kind_and_owner[r.list_id][0] == "GLOBAL"
                or self._manages_on_the_web(kind_and_owner[r.list_id][1], hosts[r.meeting_id])
            )
        }
        return self._lists_section(asker) | attached

    def _manages_on_the_web(self, user: int, host: int) -> bool:
        """R9: the host, an SC of the host AM, or an admin."""
        if user == host or self.users[user].role == "ADMIN":
            return True
        return any(r.am_id == host and r.sc_id == user for r in self.rows["am_coordinators"])

    def _managed(self, asker: Asker, ams: set[int], everything: bool) -> set[int]:
        """R9, R10: through the app only meetings they host; on the web their own and their
        AMs' (admins: all)."""
        if asker.channel == "APP":
            managed = {m.id for m in self.rows["meetings"] if m.host_id == asker.user_id}
        elif everything:
            managed = {m.id for m in self.rows["meetings"]}
        elif asker.role in ("ACCOUNT_MANAGER", "SALES_COORDINATOR"):
            managed = {m.id for m in self.rows["meetings"] if m.host_id == asker.user_id or m.host_id in ams}
        else:
            managed = set()
        return managed
