"""Who may write what, in plain Python from the tables before a request: the oracle of the
fuzzed write matrix, written from the SPEC (R5-R13, R16, R17, R25, R37) and never through
`permissions.scope`, like `tests/fuzz_oracle.py` for reads.

`judge` reads the rows one mutation changed (tests/db_changes.py) and answers what is wrong
with them: a refused mutation that wrote anything, a row no rule lets this viewer write, a
table the mutation has no business in, a replay that acted again (R16), or other than one
audit event per change (R25). Each finding names its class, so the test can tell the
classes other work is closing from new ones.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from tests.db_changes import Changes, State
from tests.fuzz_oracle import Asker, Tables

ORACLE_TABLES = {  # fuzz_oracle's names for the tables it reads
    "users": "users",
    "territories": "territories",
    "companies": "companies",
    "am_territories": "account_manager_territories",
    "am_coordinators": "account_manager_coordinators",
    "lists": "lists",
    "items": "list_items",
    "contents": "contents",
    "meetings": "meetings",
    "attendees": "meeting_attendees",
    "notes": "notes",
    "meeting_lists": "meeting_lists",
    "registrations": "registrations",
    "devices": "devices",
    "roles": "roles",
}
# devices: a numbered mutation moves its device's last number on, in its own transaction (R31)
BOOKKEEPING = {"audit_events", "change_log", "mutation_outcomes", "device_outcomes", "devices"}
# The tables each mutation may change besides BOOKKEEPING (R25, R16, R18, R31).
FOOTPRINT: dict[str, set[str]] = {
    "login": {"activities", "devices", "refresh_tokens"},
    "register": {"registrations", "emails"},
    "setPassword": set(),  # the fuzz holds no set-password link: it can never succeed
    "createUser": {"users", "emails"},  # without a password: an invitation (R32)
    "updateUser": {"users", "account_manager_coordinators", "account_manager_territories"},
    "assignCoordinators": {"account_manager_coordinators"},
    "unassignCoordinators": {"account_manager_coordinators"},
    "assignTerritories": {"account_manager_territories"},
    "unassignTerritories": {"account_manager_territories"},
    "setRolePermissions": {"roles"},
    "createTerritory": {"territories"},
    "updateTerritory": {"territories"},
    "createCompany": {"companies"},
    "updateCompany": {"companies"},
    "createContent": {"contents"},
    "approveRegistration": {"registrations", "users", "companies", "emails", "activities"},
    "rejectRegistration": {"registrations", "emails", "activities"},
    "reassignRegistrationCompany": {"registrations"},
    "createList": {"lists"},
    "renameList": {"lists"},
    "deleteList": {"lists", "list_items", "meeting_lists"},
    "addListItem": {"lists", "list_items", "activities"},
    "moveListItem": {"lists", "list_items"},
    "removeListItem": {"lists", "list_items"},
    "updateListItemNote": {"list_items"},
    "createMeeting": {"meetings", "meeting_attendees"},
    "updateMeeting": {"meetings"},
    "addAttendees": {"meetings", "meeting_attendees"},
    "removeAttendees": {"meetings", "meeting_attendees"},
    "attachList": {"meetings", "meeting_lists"},
    "detachList": {"meetings", "meeting_lists"},
    "startMeeting": {"meetings"},
    "endMeeting": {"meetings", "activities"},
    "createNote": {"notes", "activities"},
    "updateNote": {"notes"},
    "deleteNote": {"notes"},
    "sendMeetingSummary": {"emails", "activities"},
    "cancelMeeting": {"meetings", "emails"},
    "rescheduleMeeting": {"meetings", "emails"},
    "updateContent": {"contents"},
    "archiveContent": {"contents"},
    "restoreContent": {"contents"},
    "deleteTerritory": {"territories"},
    "mergeTerritory": {"territories", "companies", "account_manager_territories", "registrations"},
    "deleteCompany": {"companies"},
    "mergeCompany": {"companies", "users", "registrations"},
    "requestPasswordReset": {"emails"},  # an email to an active account only (R32)
    "resetPassword": set(),  # the fuzz holds no reset link: it can never succeed
    "refreshSession": {"devices", "refresh_tokens"},
    "signOut": {"devices", "refresh_tokens"},
    "revokeDevice": {"devices", "refresh_tokens"},
    "createRole": {"roles"},
    "renameRole": {"roles"},
    "deleteRole": {"roles"},
}
TOUCH = {"version", "updated_at"}  # what a write to a child bumps on its parent

# Classes of finding.
PARTIAL = "refused mutation wrote"
OUTSIDE = "write outside the viewer's rights"
FOOTPRINT_CLASS = "write outside the mutation's tables"
REPLAY = "replay acted again (R16)"
AUDIT = "audit events (R25)"
NOTE_SHARED_BY_DEFAULT = "R37 note shared with buyers without saying so"
LIST_ATTACHMENT = "R37 list attachment widens who sees the list"


@dataclass(frozen=True)
class Finding:
    kind: str
    detail: str


def oracle_tables(state: State) -> Tables:
    return Tables(
        {name: [SimpleNamespace(**row) for row in state.rows(table)] for name, table in ORACLE_TABLES.items()}
    )


def decoded(global_id: Any) -> tuple[str, int] | None:
    try:
        type_name, _, pk = base64.b64decode(global_id, validate=True).decode().partition(":")
        return type_name, int(pk)
    except (ValueError, TypeError, UnicodeError):
        return None


def held_role(state: State, user: dict[str, Any]) -> dict[str, Any] | None:
    """The role a user holds (R34): their custom role, else the built-in one named by their kind."""
    if user.get("role_id") is None:
        return state.tables["roles"].get((user["role"],))
    return next((row for row in state.rows("roles") if row["id"] == user["role_id"]), None)


class Rights:
    """What the viewer may write in the state before the request."""

    def __init__(self, state: State, asker: Asker) -> None:
        self.state = state
        self.tables = oracle_tables(state)
        me = state.tables["users"].get((asker.user_id,))
        self.id = asker.user_id
        self.active = me is not None and bool(me["active"])
        self.role = me["role"] if me else None
        self.web = asker.channel == "WEB"
        self.app = not self.web
        role = held_role(state, me) if me else None
        self.permissions = set(role["permissions"] or ()) if role and self.active else set()
        self.me = Asker(asker.user_id, self.role, asker.channel)
        self.admin = self.role == "ADMIN"
        self.ams = self.tables.ams_of(self.me) if self.active else set()
        self.visible = self.tables.visible(self.me) if self.active else {}

    def can(self, permission: str, web_only: bool = True) -> bool:
        return permission in self.permissions and (self.web or not web_only)

    def sees(self, type_name: str, pk: Any) -> bool:
        return pk in self.visible.get(type_name, set())

    def row(self, table: str, pk: Any) -> dict[str, Any] | None:
        return self.state.tables[table].get((pk,))

    # -- meetings (R9, R10) ------------------------------------------------------------
    def manages(self, meeting_id: int) -> bool:
        if not self.active:
            return False
        return meeting_id in self.tables._managed(self.me, self.ams, self.admin)

    def may_host(self, host_id: int) -> bool:
        """R9: themselves or one of their AMs (an admin: any active AM or SC); R10: through
        the app only themselves."""
        host = self.row("users", host_id)
        if host is None or not host["active"] or host["role"] not in ("ACCOUNT_MANAGER", "SALES_COORDINATOR"):
            return False
        if self.app:
            return host_id == self.id
        return self.admin or host_id == self.id or host_id in self.ams

    def associated_with_host(self, buyer_id: int, host_id: int) -> bool:
        """R1, R9: the host AM's buyers; for an SC hosting themselves, their AMs' buyers."""
        host = self.row("users", host_id)
        host_ams = {host_id} if host and host["role"] == "ACCOUNT_MANAGER" else set()
        host_ams |= {r.am_id for r in self.tables.rows["am_coordinators"] if r.sc_id == host_id}
        return any(buyer_id in self.tables.associated_buyers(am) for am in host_ams)

    # -- lists (R10, R11) --------------------------------------------------------------
    def owns(self, list_row: dict[str, Any]) -> bool:
        if not self.active or self.role == "BUYER":
            return False
        if list_row["kind"] == "GLOBAL":
            return self.can("MANAGE_GLOBAL_LISTS", web_only=False)
        return list_row["owner_id"] == self.id

    def on_managed_meeting(self, list_row: dict[str, Any]) -> bool:
        return list_row["kind"] != "GLOBAL" and any(
            r.list_id == list_row["id"] and self.manages(r.meeting_id)
            for r in self.tables.rows["meeting_lists"]
        )

    def changes_items(self, list_row: dict[str, Any]) -> bool:
        """On the web the owner; through the app also the host, on the lists of their meeting."""
        return self.owns(list_row) or (self.app and self.on_managed_meeting(list_row))

    def annotates(self, list_row: dict[str, Any]) -> bool:
        """R9, R11: also an SC, on the lists of a meeting they manage."""
        return self.owns(list_row) or self.on_managed_meeting(list_row)

    def may_attach_without_widening(self, list_row: dict[str, Any], meeting_id: int) -> bool:
        """R37: a GLOBAL list, the attaching user's own, or one already attached to a meeting
        of the same host (managed by exactly the same people)."""
        meeting = self.row("meetings", meeting_id)
        if list_row["kind"] == "GLOBAL" or list_row["owner_id"] == self.id:
            return True
        if meeting is None:
            return False
        same_host = {m.id for m in self.tables.rows["meetings"] if m.host_id == meeting["host_id"]}
        attached = self.tables.rows["meeting_lists"]
        return any(r.list_id == list_row["id"] and r.meeting_id in same_host for r in attached)

    # -- places and registrations (R6, R7) ---------------------------------------------
    def covers(self, territory_id: int) -> bool:
        if self.admin:
            return True
        return any(territory_id in self.tables.am_territories(am) for am in self.ams)


def _changed_columns(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {column for column in after if before.get(column) != after[column]}


class Judge:
    """The findings of one mutation: `Judge(...).findings`. `used_keys` are the (user, key)
    pairs stored so far, whose replays must act no more (R16)."""

    def __init__(
        self,
        operation: str,
        arguments: dict[str, Any],
        before: State,
        after: State,
        changes: dict[str, Changes],
        asker: Asker,
        refused: bool,
        used_keys: set[tuple[int, str]],
    ) -> None:
        self.operation, self.arguments = operation, arguments
        self.before, self.after, self.changes = before, after, changes
        self.rights = Rights(before, asker)
        self.used_keys = used_keys
        self.findings: list[Finding] = []
        if refused:
            for table, change in changes.items():
                self.flag(PARTIAL, f"{table}: {_summary(change)}")
        elif self._replayed():
            for table, change in changes.items():
                self.flag(REPLAY, f"{table}: {_summary(change)}")
        else:
            self._judge_success()

    def flag(self, kind: str, detail: str) -> None:
        self.findings.append(Finding(kind, detail))

    def check(self, allowed: Any, table: str, what: str, row: Any) -> None:
        if not allowed:
            self.flag(OUTSIDE, f"{self.operation} {what} in {table}: {_short(row)}")

    def _key(self) -> str | None:
        number = self.arguments.get("mutationNumber")
        if self.rights.app and isinstance(number, int):  # R31: the device's number is the key
            return f"#{number}"
        key = self.arguments.get("clientMutationId")
        if key is None and self.operation == "createNote":
            key = self.arguments.get("clientId")
        return key if isinstance(key, str) else None

    def _replayed(self) -> bool:
        """R16, R31: the viewer used this key (or their device this number) before; the call
        must answer from the stored outcome."""
        key = self._key()
        return key is not None and (self.rights.id, key) in self.used_keys

    # -- a successful mutation ---------------------------------------------------------
    def _judge_success(self) -> None:
        allowed = FOOTPRINT[self.operation] | BOOKKEEPING
        for table, change in self.changes.items():
            if table not in allowed:
                self.flag(FOOTPRINT_CLASS, f"{self.operation} changed {table}: {_summary(change)}")
            elif change.missing_log_rows:
                self.flag(OUTSIDE, f"{self.operation} removed {change.missing_log_rows} rows of {table}")
        for table, change in self.changes.items():
            judge = getattr(self, f"_{table}", None)
            if judge is not None and table in allowed:
                judge(change)
        self._audit()

    def _audit(self) -> None:
        events = self.changes.get("audit_events", Changes()).added
        expected = 1
        if self.operation == "login":
            expected = 0
        elif self.operation == "createMeeting" and "meeting_attendees" in self.changes:
            expected = 2  # the meeting, and its attendees
        elif self.operation == "approveRegistration" and "companies" in self.changes:
            expected = 2  # the new company, and the decision
        if len(events) != expected:
            actions = [event["action"] for event in events]
            self.flag(AUDIT, f"{self.operation} wrote {len(events)} audit events {actions}, not {expected}")
        actor = None if self.operation in ("register", "requestPasswordReset") else self.rights.id
        for event in events:
            if event["actor_id"] != actor:
                self.flag(AUDIT, f"{self.operation}: audit event by {event['actor_id']}, not {actor}")

    def _mutation_outcomes(self, change: Changes) -> None:
        for row in change.added:
            self.check(row["user_id"] == self.rights.id and self._key(), "mutation_outcomes", "added", row)

    def _activities(self, change: Changes) -> None:
        for row in change.added:
            mine = row["user_id"] == self.rights.id or (
                self.operation == "login" and row["kind"] == "SIGN_IN"
            )
            self.check(mine, "activities", "added", row)

    # -- people, roles, places (R5, R14) -----------------------------------------------
    def _users(self, change: Changes) -> None:
        r = self.rights
        decided = {row["email"] for _, row in self._decisions("APPROVED")}
        for row in change.added:
            if self.operation == "approveRegistration":
                self.check(row["role"] == "BUYER" and row["email"] in decided, "users", "added", row)
                continue
            self.check(
                r.can("MANAGE_USERS")
                and (row["role"] != "ADMIN" or r.admin)
                and (row["company_id"] is None or r.sees("Company", row["company_id"]))
                and (row["direct_am_id"] is None or r.sees("User", row["direct_am_id"])),
                "users",
                "added",
                row,
            )
        role_changed = {new["id"] for old, new in change.changed if old["role"] != new["role"]}
        for old, new in change.changed:
            columns = _changed_columns(old, new)
            if self.operation == "mergeCompany":  # R34: the buyers move with their company
                allowed = columns <= {"company_id", "updated_at"} and self._moved(
                    "Company", old["company_id"], new["company_id"]
                )
                self.check(allowed, "users", f"changed {sorted(columns)}", new)
                continue
            if columns <= {"direct_am_id", "updated_at"} and old["direct_am_id"] in role_changed:
                continue  # their AM left the role: the link goes with it
            self.check(
                r.can("MANAGE_USERS")
                and r.sees("User", old["id"])
                and (r.admin or "ADMIN" not in (old["role"], new["role"]))
                and (new["company_id"] in (None, old["company_id"]) or r.sees("Company", new["company_id"]))
                and (
                    new["direct_am_id"] in (None, old["direct_am_id"]) or r.sees("User", new["direct_am_id"])
                ),
                "users",
                f"changed {sorted(columns)}",
                new,
            )
        for row in change.removed:
            self.check(False, "users", "removed", row)

    def _role_changed(self, user_id: int) -> bool:
        return any(
            old["id"] == user_id and old["role"] != new["role"]
            for old, new in self.changes.get("users", Changes()).changed
        )

    def _account_manager_coordinators(self, change: Changes) -> None:
        r = self.rights
        for row in change.added:
            self.check(
                r.can("MANAGE_USERS") and r.sees("User", row["am_id"]) and r.sees("User", row["sc_id"]),
                "account_manager_coordinators",
                "added",
                row,
            )
        for row in change.removed:
            dropped = self._role_changed(row["am_id"]) or self._role_changed(row["sc_id"])
            self.check(
                dropped or (r.can("MANAGE_USERS") and r.sees("User", row["am_id"])),
                "account_manager_coordinators",
                "removed",
                row,
            )

    def _account_manager_territories(self, change: Changes) -> None:
        r = self.rights
        if self.operation == "mergeTerritory":  # R34: the source's AMs take the target
            source, target = self._merge("Territory")
            had = {
                row["am_id"]
                for row in self.before.rows("account_manager_territories")
                if row["territory_id"] == source
            }
            for row in change.added:
                self.check(
                    source is not None and row["territory_id"] == target and row["am_id"] in had,
                    "account_manager_territories",
                    "added",
                    row,
                )
            for row in change.removed:
                self.check(
                    source is not None and row["territory_id"] == source,
                    "account_manager_territories",
                    "removed",
                    row,
                )
            return
        for row in change.added:
            self.check(
                r.can("MANAGE_TERRITORIES")
                and r.sees("User", row["am_id"])
                and r.sees("Territory", row["territory_id"]),
                "account_manager_territories",
                "added",
                row,
            )
        for row in change.removed:
            self.check(
                self._role_changed(row["am_id"])
                or (r.can("MANAGE_TERRITORIES") and r.sees("User", row["am_id"])),
                "account_manager_territories",
                "removed",
                row,
            )

    def _roles(self, change: Changes) -> None:
        """R14, R34: MANAGE_ROLES on the web; a role of kind ADMIN only by an admin, and the ADMIN
        role keeps MANAGE_ROLES; built-in roles are neither renamed nor deleted, a held role not
        deleted. A rename changes the key (the name): a removed and an added row of one id."""
        r = self.rights
        may = r.can("MANAGE_ROLES")

        def may_touch(row: dict[str, Any]) -> bool:
            return may and (row["kind"] != "ADMIN" or r.admin)

        for old, new in change.changed:
            self.check(
                may_touch(new)
                and _changed_columns(old, new) <= {"permissions", "updated_at"}
                and (new["name"] != "ADMIN" or "MANAGE_ROLES" in new["permissions"]),
                "roles",
                "changed",
                new,
            )
        renamed = {row["id"] for row in change.added} & {row["id"] for row in change.removed}
        held = {row["role_id"] for row in self.rights.state.rows("users")}
        for row in change.added:
            self.check(may_touch(row) and not row["built_in"], "roles", "added", row)
        for row in change.removed:
            kept = row["id"] in renamed or row["id"] not in held
            self.check(may_touch(row) and not row["built_in"] and kept, "roles", "removed", row)

    def _merge(self, type_name: str) -> tuple[int | None, int | None]:
        """R34: (source, target) of a merge of `type_name` the viewer may make: both in sight,
        with MANAGE_TERRITORIES on the web; (None, None) otherwise."""
        r = self.rights
        if self.operation != f"merge{type_name}":
            return None, None
        source, target = decoded(self.arguments.get("sourceId")), decoded(self.arguments.get("targetId"))
        if source is None or target is None or source[0] != type_name or target[0] != type_name:
            return None, None
        if source[1] == target[1] or not r.can("MANAGE_TERRITORIES"):
            return None, None
        if not (r.sees(type_name, source[1]) and r.sees(type_name, target[1])):
            return None, None
        return source[1], target[1]

    def _empty(self, table: str, column: str, pk: int) -> bool:
        return not any(row[column] == pk for row in self.before.rows(table))

    def _deletable_territory(self, row: dict[str, Any]) -> bool:
        """R34: an empty territory, deleted by deleteTerritory, or the source of a merge."""
        r, pk = self.rights, row["id"]
        if self.operation == "mergeTerritory":
            return self._merge("Territory")[0] == pk
        return (
            self.operation == "deleteTerritory"
            and r.can("MANAGE_TERRITORIES")
            and r.sees("Territory", pk)
            and self._empty("companies", "territory_id", pk)
            and self._empty("territories", "parent_id", pk)
            and self._empty("account_manager_territories", "territory_id", pk)
            and self._empty("registrations", "territory_id", pk)
        )

    def _deletable_company(self, row: dict[str, Any]) -> bool:
        r, pk = self.rights, row["id"]
        if self.operation == "mergeCompany":
            return self._merge("Company")[0] == pk
        return (
            self.operation == "deleteCompany"
            and r.can("MANAGE_TERRITORIES")
            and r.sees("Company", pk)
            and self._empty("users", "company_id", pk)
            and self._empty("registrations", "company_id", pk)
        )

    def _moved(self, type_name: str, old: Any, new: Any) -> bool:
        """R34: a row that pointed at a merge's source now points at its target."""
        source, target = self._merge(type_name)
        return source is not None and (old, new) == (source, target)

    def _territories(self, change: Changes) -> None:
        r = self.rights
        for row in change.added:
            self.check(
                r.can("MANAGE_TERRITORIES")
                and (row["parent_id"] is None or r.sees("Territory", row["parent_id"])),
                "territories",
                "added",
                row,
            )
        for old, new in change.changed:
            if self.operation == "mergeTerritory":
                allowed = _changed_columns(old, new) <= {"parent_id"} and self._moved(
                    "Territory", old["parent_id"], new["parent_id"]
                )
                self.check(allowed, "territories", "changed", new)
                continue
            self.check(
                r.can("MANAGE_TERRITORIES")
                and r.sees("Territory", old["id"])
                and (new["parent_id"] in (None, old["parent_id"]) or r.sees("Territory", new["parent_id"])),
                "territories",
                "changed",
                new,
            )
        parents = {row["id"]: row["parent_id"] for row in self.after.rows("territories")}
        for start in parents:
            seen, at = set(), start
            while at is not None and at not in seen:
                seen.add(at)
                at = parents.get(at)
            self.check(at is None, "territories", "made a cycle through", start)
        for row in change.removed:
            self.check(self._deletable_territory(row), "territories", "removed", row)

    def _companies(self, change: Changes) -> None:
        r = self.rights
        for row in change.added:
            if self.operation == "approveRegistration":
                allowed = r.can("MANAGE_REGISTRATIONS") and r.covers(row["territory_id"])
            else:
                allowed = r.can("MANAGE_TERRITORIES") and r.sees("Territory", row["territory_id"])
            self.check(allowed, "companies", "added", row)
        for old, new in change.changed:
            if self.operation == "mergeTerritory":
                allowed = _changed_columns(old, new) <= {"territory_id"} and self._moved(
                    "Territory", old["territory_id"], new["territory_id"]
                )
                self.check(allowed, "companies", "changed", new)
                continue
            self.check(
                r.can("MANAGE_TERRITORIES")
                and r.sees("Company", old["id"])
                and (new["territory_id"] == old["territory_id"] or r.sees("Territory", new["territory_id"])),
                "companies",
                "changed",
                new,
            )
        for row in change.removed:
            self.check(self._deletable_company(row), "companies", "removed", row)

    def _contents(self, change: Changes) -> None:
        """R34: created, edited, archived (from offered) and restored (from archived)."""
        may = self.rights.can("MANAGE_GLOBAL_LISTS")
        for row in change.added:
            self.check(may, "contents", "added", row)
        for old, new in change.changed:
            columns = _changed_columns(old, new)
            allowed = {
                "updateContent": columns <= {"title", "kind", "reference"},
                "archiveContent": columns == {"archived_at"} and old["archived_at"] is None,
                "restoreContent": columns == {"archived_at"} and new["archived_at"] is None,
            }.get(self.operation, False)
            self.check(may and allowed, "contents", f"changed {sorted(columns)}", new)
        for row in change.removed:
            self.check(False, "contents", "removed", row)

    # -- registrations (R6, R7) --------------------------------------------------------
    def _decisions(self, status: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [
            (old, new)
            for old, new in self.changes.get("registrations", Changes()).changed
            if old["status"] == "PENDING" and new["status"] == status
        ]

    def _registrations(self, change: Changes) -> None:
        r = self.rights
        for row in change.added:
            self.check(
                self.operation == "register" and row["status"] == "PENDING" and row["decided_by_id"] is None,
                "registrations",
                "added",
                row,
            )
        new_companies = {row["id"] for row in self.changes.get("companies", Changes()).added}
        for old, new in change.changed:
            if self.operation in ("mergeTerritory", "mergeCompany"):  # R34: they follow the merge
                kind, column = (
                    ("Territory", "territory_id")
                    if "Territory" in self.operation
                    else ("Company", "company_id")
                )
                allowed = _changed_columns(old, new) <= {column} and self._moved(
                    kind, old[column], new[column]
                )
                self.check(allowed, "registrations", "changed", new)
                continue
            company = new["company_id"]
            self.check(
                r.can("MANAGE_REGISTRATIONS")
                and r.sees("Registration", old["id"])
                and old["status"] == "PENDING"
                and (new["status"] == "PENDING" or new["decided_by_id"] == r.id)
                and (
                    company in (None, old["company_id"])
                    or company in new_companies
                    or r.sees("Company", company)
                ),
                "registrations",
                f"changed {sorted(_changed_columns(old, new))}",
                new,
            )
        for row in change.removed:
            self.check(False, "registrations", "removed", row)

    def _emails(self, change: Changes) -> None:
        allowed: set[str] = set()
        if self.operation == "register":
            allowed = {
                u["email"]
                for u in self.before.rows("users")
                if u["role"] in ("ACCOUNT_MANAGER", "SALES_COORDINATOR")
            }
        elif self.operation in ("approveRegistration", "rejectRegistration"):
            allowed = {new["email"] for _, new in self.changes.get("registrations", Changes()).changed}
        elif self.operation in ("sendMeetingSummary", "cancelMeeting", "rescheduleMeeting"):
            buyers = {
                row["buyer_id"]
                for row in self.before.rows("meeting_attendees")
                if self.rights.manages(row["meeting_id"])
            }
            allowed = {u["email"] for u in self.before.rows("users") if u["id"] in buyers}
        elif self.operation == "createUser":  # invited: created without a password (R32)
            added = self.changes.get("users", Changes()).added
            allowed = {u["email"] for u in added if u["password_hash"] is None}
        elif self.operation == "requestPasswordReset":  # only an active account's own address (R32)
            asked = str(self.arguments.get("email", "")).strip().lower()
            allowed = {u["email"] for u in self.before.rows("users") if u["active"] and u["email"] == asked}
        for row in change.added:
            self.check(row["to_address"] in allowed, "emails", "added", row)

    # -- lists and items (R10, R11, R17) -----------------------------------------------
    def _list(self, list_id: int) -> dict[str, Any] | None:
        return self.rights.row("lists", list_id)

    def _lists(self, change: Changes) -> None:
        r = self.rights
        for row in change.added:
            kind, buyer = row["kind"], row["buyer_id"]
            self.check(
                r.active
                and r.role != "BUYER"
                and row["owner_id"] == r.id
                and (kind != "GLOBAL" or r.can("MANAGE_GLOBAL_LISTS", web_only=False))
                and (
                    (
                        kind == "BUYER"
                        and r.role == "ACCOUNT_MANAGER"
                        and r.sees("User", buyer)
                        and r.row("users", buyer)["role"] == "BUYER"
                    )
                    or (kind != "BUYER" and buyer is None)
                ),
                "lists",
                "added",
                row,
            )
        for old, new in change.changed:
            columns = _changed_columns(old, new)
            if columns <= TOUCH and self.operation in ("addListItem", "moveListItem", "removeListItem"):
                self.check(r.changes_items(old), "lists", "touched", new)
            else:
                self.check(
                    self.operation == "renameList" and r.owns(old), "lists", f"changed {sorted(columns)}", new
                )
        for row in change.removed:
            self.check(self.operation == "deleteList" and r.owns(row), "lists", "removed", row)

    def _list_items(self, change: Changes) -> None:
        r = self.rights
        deleted = {row["id"] for row in self.changes.get("lists", Changes()).removed}
        for row in change.added:
            target = self._list(row["list_id"])
            self.check(
                target is not None and r.changes_items(target) and r.sees("Content", row["content_id"]),
                "list_items",
                "added",
                row,
            )
        for old, new in change.changed:
            target, columns = self._list(old["list_id"]), _changed_columns(old, new)
            if self.operation == "updateListItemNote":
                allowed = columns <= {"note"} | TOUCH and r.annotates(target)
            else:
                allowed = columns <= {"position"} | TOUCH and r.changes_items(target)
            self.check(allowed, "list_items", f"changed {sorted(columns)}", new)
        for row in change.removed:
            target = self._list(row["list_id"])
            self.check(row["list_id"] in deleted or r.changes_items(target), "list_items", "removed", row)

    # -- meetings and notes (R9, R10, R17, R37) ----------------------------------------
    def _meetings(self, change: Changes) -> None:
        r = self.rights
        for row in change.added:
            self.check(
                r.can("MANAGE_MEETINGS", web_only=False)
                and row["created_by_id"] == r.id
                and row["status"] == "SCHEDULED"
                and r.may_host(row["host_id"]),
                "meetings",
                "added",
                row,
            )
        moves = {("SCHEDULED", "IN_PROGRESS"): "startMeeting", ("IN_PROGRESS", "ENDED"): "endMeeting"}
        for old, new in change.changed:
            columns = _changed_columns(old, new)
            if "status" in columns and new["status"] == "CANCELLED":  # R33: whoever manages it
                allowed = (
                    self.operation == "cancelMeeting"
                    and old["status"] == "SCHEDULED"
                    and columns - TOUCH <= {"status", "cancelled_at", "cancel_reason"}
                    and r.can("MANAGE_MEETINGS", web_only=False)
                    and r.manages(old["id"])
                )
            elif "status" in columns:
                allowed = (
                    r.app
                    and old["host_id"] == r.id
                    and moves.get((old["status"], new["status"])) == self.operation
                )
            elif self.operation == "rescheduleMeeting":  # R33: a SCHEDULED meeting's time
                allowed = (
                    old["status"] == "SCHEDULED"
                    and columns - TOUCH <= {"starts_at", "ends_at", "duration_minutes", "time_zone"}
                    and r.can("MANAGE_MEETINGS", web_only=False)
                    and r.manages(old["id"])
                )
            else:
                allowed = r.can("MANAGE_MEETINGS", web_only=False) and r.manages(old["id"])
                if "host_id" in columns:
                    attending = [
                        row["buyer_id"]
                        for row in self.before.rows("meeting_attendees")
                        if row["meeting_id"] == old["id"]
                    ]
                    allowed = (
                        allowed
                        and r.may_host(new["host_id"])
                        and all(r.associated_with_host(buyer, new["host_id"]) for buyer in attending)
                    )
                if columns - TOUCH - {"host_id"} and self.operation != "updateMeeting":
                    allowed = False
            self.check(allowed, "meetings", f"changed {sorted(columns)}", new)
        for row in change.removed:
            self.check(False, "meetings", "removed", row)

    def _meeting_host(self, meeting_id: int) -> int | None:
        meeting = self.after.tables["meetings"].get((meeting_id,))
        return meeting["host_id"] if meeting else None

    def _new_meeting(self, meeting_id: int) -> bool:
        return any(row["id"] == meeting_id for row in self.changes.get("meetings", Changes()).added)

    def _meeting_attendees(self, change: Changes) -> None:
        r = self.rights
        for row in change.added:
            meeting = row["meeting_id"]
            self.check(
                r.can("MANAGE_MEETINGS", web_only=False)
                and (r.manages(meeting) or self._new_meeting(meeting))
                and r.associated_with_host(row["buyer_id"], self._meeting_host(meeting)),
                "meeting_attendees",
                "added",
                row,
            )
        for row in change.removed:
            self.check(
                r.can("MANAGE_MEETINGS", web_only=False) and r.manages(row["meeting_id"]),
                "meeting_attendees",
                "removed",
                row,
            )

    def _meeting_lists(self, change: Changes) -> None:
        r = self.rights
        for row in change.added:
            target = self._list(row["list_id"])
            self.check(
                r.can("MANAGE_MEETINGS", web_only=False)
                and r.manages(row["meeting_id"])
                and r.sees("List", row["list_id"]),
                "meeting_lists",
                "added",
                row,
            )
            if target is not None and not r.may_attach_without_widening(target, row["meeting_id"]):
                self.flag(
                    LIST_ATTACHMENT,
                    f"{self.operation} attached {_short(target)} to meeting {row['meeting_id']}",
                )
        deleted = {row["id"] for row in self.changes.get("lists", Changes()).removed}
        for row in change.removed:
            self.check(
                row["list_id"] in deleted
                or (r.can("MANAGE_MEETINGS", web_only=False) and r.manages(row["meeting_id"])),
                "meeting_lists",
                "removed",
                row,
            )

    def _may_write_note(self, meeting_id: int, phase: str) -> bool:
        r = self.rights
        meeting = r.row("meetings", meeting_id)
        return (
            r.can("MANAGE_MEETINGS", web_only=False)
            and meeting is not None
            and r.manages(meeting_id)
            and (phase == "PRE_MEETING" or meeting["host_id"] == r.id)
        )

    def _notes(self, change: Changes) -> None:
        r = self.rights
        for row in change.added:
            meeting = r.row("meetings", row["meeting_id"])
            phase = "PRE_MEETING" if meeting and meeting["status"] == "SCHEDULED" else "IN_MEETING"
            self.check(
                row["author_id"] == r.id
                and row["phase"] == phase
                and self._may_write_note(row["meeting_id"], phase),
                "notes",
                "added",
                row,
            )
            if row["shared"] and self.arguments.get("shared") is not True:
                self.flag(NOTE_SHARED_BY_DEFAULT, f"{self.operation} wrote {_short(row)} without saying so")
        for old, new in change.changed:
            columns = _changed_columns(old, new)
            self.check(
                self.operation == "updateNote"
                and columns <= {"text", "shared"} | TOUCH
                and self._may_write_note(old["meeting_id"], old["phase"])
                and (old["shared"] or not new["shared"] or old["author_id"] == r.id),
                "notes",
                f"changed {sorted(columns)}",
                new,
            )
        for row in change.removed:
            self.check(
                self.operation == "deleteNote" and self._may_write_note(row["meeting_id"], row["phase"]),
                "notes",
                "removed",
                row,
            )


def _short(row: Any) -> str:
    if not isinstance(row, dict):
        return repr(row)
    shown = {k: v for k, v in row.items() if k not in ("created_at", "updated_at", "password_hash")}
    return repr(shown)[:300]


def _summary(change: Changes) -> str:
    parts = []
    if change.added:
        parts.append(f"added {[_short(r) for r in change.added[:2]]}")
    if change.removed:
        parts.append(f"removed {[_short(r) for r in change.removed[:2]]}")
    if change.changed:
        parts.append(f"changed {[_short(new) for _, new in change.changed[:2]]}")
    if change.missing_log_rows:
        parts.append(f"{change.missing_log_rows} log rows missing")
    return "; ".join(parts)
