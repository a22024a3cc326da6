"""THE scope: what one viewer may see, as SQL predicates (R1-R3, R11, R13).

Every query, loader, connection, count and `node(id:)` that returns a row of a
scoped table filters it with a predicate built here, so the visibility rules
live in one place and are evaluated by the database on every request. No row
is kept across requests (only the SQL, per viewer: `Scope.of`), so a changed
assignment, territory parent, company territory or direct AM counts on the next
request (R3).

    scope = Scope.of(viewer)
    select(users.c.id).where(scope.users())          # people the viewer may see
    select(companies.c.id).where(scope.companies())  # companies the viewer may see

Who sees whom, by the KIND of the viewer's role (`Viewer.role`, the `users.role` column): a
custom role is ADMIN-, ACCOUNT_MANAGER-, SALES_COORDINATOR- or BUYER-like and its holders get
exactly the scope of that built-in role (R34); only their permission flags differ.
- an ADMIN sees every row;
- an ACCOUNT_MANAGER sees themselves, their coordinators and their associated
  buyers (R1): buyers whose direct AM they are, and buyers of companies in
  their territories or anywhere below them in the territory tree;
- a SALES_COORDINATOR sees themselves, the AMs assigned to them and the union
  of those AMs' associated buyers (R2);
- a BUYER sees themselves and their direct AM (R13);
- nobody else sees anything.
Companies and territories follow: those in the viewer's territory subtrees,
and those of every buyer the viewer sees.

Each of the filters of users, companies, meetings and lists is the OR of named branches
(`Branch`: own, an assignment, a direct AM, a territory path, a managed or attended
meeting, a global or shared list, the role): "why can I see this?" (R35) reads the same
branches with the links each followed (`Scope.reasons`), so the explanation and the
filter are one rule set.

    scope.user_branches()                        # (Branch(OWN, …), Branch(ASSIGNED, …), …)
    scope.reasons(users, scope.user_branches())  # one select per branch: id, basis, links
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from salescoord.db.models.content import ListKind
from salescoord.db.models.meetings import NotePhase
from salescoord.db.tables import (
    am_coordinators,
    am_territories,
    companies,
    contents,
    devices,
    list_items,
    lists,
    meeting_attendees,
    meeting_lists,
    meetings,
    notes,
    registrations,
    territories,
    users,
)
from salescoord.permissions.enums import Channel, Permission, RoleName
from salescoord.permissions.enums import VisibilityBasis as Basis
from salescoord.permissions.viewer import Viewer
from sqlalchemy.sql.elements import ColumnElement

EVERYTHING: ColumnElement[bool] = sa.true()
NOTHING: ColumnElement[bool] = sa.false()


def territory_tree(am_ids: sa.Select, name: str, *, roots: bool = False) -> sa.CTE:
    """(am_id, territory_id) for every territory of the AMs in `am_ids` and every territory
    below them: the territory half of R1, walked by a recursive CTE on both databases.
    With `roots`, each row also names the AM's own territory it lies below (`root_id`): where
    a territory path of R35 starts."""
    top = [am_territories.c.am_id, am_territories.c.territory_id]
    if roots:
        top.append(am_territories.c.territory_id.label("root_id"))
    tree = sa.select(*top).where(am_territories.c.am_id.in_(am_ids)).cte(name, recursive=True)
    child = territories.alias(f"{name}_child")
    down = [tree.c.am_id, child.c.id, *([tree.c.root_id] if roots else [])]
    below = sa.select(*down).join(tree, child.c.parent_id == tree.c.territory_id)
    return tree.union(below)


@dataclass(frozen=True)
class Branch:
    """One reason a row may be in the viewer's sight (R35). `predicate`, on the scoped table,
    picks the rows this branch lets through; the scope's filter is the OR of its branches
    (`any_of`), so what explains a row and what lets it through are the same SQL.

    The rest names the link the branch followed, read only when someone asks why
    (`Scope.reasons`): `account_manager`, a column holding the AM whose link it is;
    `territory`, the column of the row's territory, found in `tree` (a `territory_tree` with
    roots: the AM and the AM's territory the path starts from); `meeting`, the meeting it
    came through; `joins`, what those columns read.

    >>> Branch(Basis.DIRECT_AM, users.c.direct_am_id.in_(ams), account_manager=users.c.direct_am_id)
    """

    basis: Basis
    predicate: ColumnElement[bool]
    account_manager: ColumnElement[Any] | None = None
    territory: ColumnElement[Any] | None = None
    tree: sa.CTE | None = None
    meeting: ColumnElement[Any] | None = None
    joins: tuple[tuple[sa.FromClause, ColumnElement[bool]], ...] = ()


def any_of(branches: Sequence[Branch]) -> ColumnElement[bool]:
    """The filter of `branches`: a row any of them lets through."""
    if not branches:
        return NOTHING
    if len(branches) == 1:
        return branches[0].predicate
    return sa.or_(*(branch.predicate for branch in branches))


def _id_or_null(column: ColumnElement[Any] | None, label: str) -> sa.Label[Any]:
    return (column if column is not None else sa.cast(sa.null(), sa.Integer)).label(label)


def associations(am_ids: sa.Select, name: str = "associations", tree: sa.CTE | None = None) -> sa.Subquery:
    """(am_id, buyer_id) for every buyer associated with an AM of `am_ids` (R1): directly,
    or by a company whose territory lies in or below one of the AM's territories.
    `tree` is `territory_tree(am_ids)` when the caller has built it already."""
    tree = tree if tree is not None else territory_tree(am_ids, f"{name}_tree")
    buyer = users.alias(f"{name}_buyer")
    company = companies.alias(f"{name}_company")
    direct = sa.select(buyer.c.direct_am_id.label("am_id"), buyer.c.id.label("buyer_id")).where(
        buyer.c.role == RoleName.BUYER, buyer.c.direct_am_id.in_(am_ids)
    )
    by_territory = (
        sa.select(tree.c.am_id, buyer.c.id.label("buyer_id"))
        .join(company, company.c.territory_id == tree.c.territory_id)
        .join(buyer, buyer.c.company_id == company.c.id)
        .where(buyer.c.role == RoleName.BUYER)
    )
    return sa.union(direct, by_territory).subquery(name)


def association_branches(
    buyer: sa.FromClause, am_ids: sa.Select, tree: sa.CTE, roots: sa.CTE
) -> tuple[Branch, Branch]:
    """The two ways the row `buyer` (the users table or an alias of it) is a buyer associated
    with an AM of `am_ids` (R1): its direct AM is one of them (DIRECT_AM), or its company lies
    in their territory trees (TERRITORY; `tree` is `territory_tree(am_ids)`, `roots` the same
    with roots). Each a test of one row against a small id set: a page of buyers ordered by
    name stops after its rows, where joining the union of `associations()` would first build
    every pair."""
    company = companies.alias("associated_company")
    in_trees = (
        sa.select(company.c.id)
        .where(company.c.territory_id.in_(sa.select(tree.c.territory_id)))
        .correlate(None)
    )
    is_buyer = buyer.c.role == RoleName.BUYER
    theirs = companies.alias("explained_company")
    return (
        Branch(
            Basis.DIRECT_AM,
            sa.and_(is_buyer, buyer.c.direct_am_id.in_(am_ids)),
            account_manager=buyer.c.direct_am_id,
        ),
        Branch(
            Basis.TERRITORY,
            sa.and_(is_buyer, buyer.c.company_id.in_(in_trees)),
            territory=theirs.c.territory_id,
            tree=roots,
            joins=((theirs, theirs.c.id == buyer.c.company_id),),
        ),
    )


def registration_watchers(requested_am_id: int | None, territory_id: int | None) -> sa.Select:
    """(id, email) of the active AMs and SCs in whose scope a registration falls (R6, R8): the
    requested AM, the AMs whose territory subtree holds the registration's territory, and the
    SCs of those AMs. The same two links as `Scope.registrations()`, read the other way round."""
    account_manager = users.alias("watching_am")
    links = []
    if requested_am_id is not None:
        links.append(account_manager.c.id == requested_am_id)
    if territory_id is not None:
        every_am = sa.select(users.c.id).where(users.c.role == RoleName.ACCOUNT_MANAGER)
        tree = territory_tree(every_am, "watch_tree")
        links.append(
            account_manager.c.id.in_(sa.select(tree.c.am_id).where(tree.c.territory_id == territory_id))
        )
    ams = sa.select(account_manager.c.id).where(
        account_manager.c.role == RoleName.ACCOUNT_MANAGER, sa.or_(NOTHING, *links)
    )
    their_scs = sa.select(am_coordinators.c.sc_id).where(am_coordinators.c.am_id.in_(ams))
    watcher = users.alias("watcher")
    return (
        sa.select(watcher.c.id, watcher.c.email)
        .where(
            watcher.c.active.is_(True),
            sa.or_(
                sa.and_(watcher.c.role == RoleName.ACCOUNT_MANAGER, watcher.c.id.in_(ams)),
                sa.and_(watcher.c.role == RoleName.SALES_COORDINATOR, watcher.c.id.in_(their_scs)),
            ),
        )
        .order_by(watcher.c.id)
    )


def _nobody() -> sa.Select:
    return sa.select(users.c.id).where(NOTHING).correlate(None)


T = TypeVar("T")


def _memoized(method: Callable[[Scope], T]) -> Callable[[Scope], T]:
    """A predicate is built once per Scope: it holds no data, only SQL to evaluate."""
    name = method.__name__

    @functools.wraps(method)
    def memoized(self: Scope) -> T:
        try:
            return self._memo[name]
        except KeyError:
            value = self._memo[name] = method(self)
            return value

    return memoized


class Scope:
    """The rows one viewer may see; every method returns SQL.

    `Scope.of(viewer)` keeps the scopes of recently seen viewers, so the statements a
    request needs are built once per viewer, not once per request (building them is most
    of the Python a small request costs). They hold no data: the links they read (AM ↔ SC,
    territories, companies, direct AMs) are read by the database at every execution (R3),
    and the viewer's role and permissions, read fresh at every request, are part of the
    key, so a changed role or permission takes a scope of its own (R14).
    """

    def __init__(self, viewer: Viewer | None) -> None:
        self.viewer = viewer
        self._memo: dict[Any, Any] = {}

    @classmethod
    def of(cls, viewer: Viewer | None) -> Scope:
        if viewer is None:
            return _scope_of(None)
        return _scope_of((viewer.id, viewer.role, viewer.channel, viewer.permissions))

    def memo(self, key: Any, build: Callable[[], T]) -> T:
        """What `build()` makes of this scope, made once per scope and kept under `key`."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = build()
            return value

    @property
    def is_everything(self) -> bool:
        return self.viewer is not None and self.viewer.role is RoleName.ADMIN

    @_memoized
    def account_managers(self) -> sa.Select:
        """Ids of the AMs whose scope the viewer works in (the viewer, or an SC's AMs)."""
        viewer = self.viewer
        if viewer is None:
            return _nobody()
        if viewer.role is RoleName.ACCOUNT_MANAGER:
            return sa.select(sa.literal(viewer.id))
        if viewer.role is RoleName.SALES_COORDINATOR:
            return (
                sa.select(am_coordinators.c.am_id).where(am_coordinators.c.sc_id == viewer.id).correlate(None)
            )
        return _nobody()

    @_memoized
    def _scope_tree(self) -> sa.CTE:
        return territory_tree(self.account_managers(), "scope_tree")

    @_memoized
    def _roots_tree(self) -> sa.CTE:
        """The scope's territory tree with the AM's territory each path starts from (R35)."""
        return territory_tree(self.account_managers(), "path_tree", roots=True)

    @_memoized
    def _territory_ids(self) -> sa.Select:
        return sa.select(self._scope_tree().c.territory_id)

    @_memoized
    def _buyer_ids(self) -> sa.Select:
        pairs = associations(self.account_managers(), "scope_buyers", tree=self._scope_tree())
        return sa.select(pairs.c.buyer_id)

    # -- why a row is in sight (R35) ---------------------------------------------------------
    def reasons(self, table: sa.Table, branches: Sequence[Branch]) -> list[sa.Select]:
        """For each branch, the rows of `table` it lets through with the link it followed:
        (id, basis, account_manager_id, root_territory_id, territory_id, meeting_id), the
        territory path running from root_territory_id down to territory_id. Each select's
        filter is its branch's own predicate, the one the scope's filter ORs: a row has a
        reason exactly when the filter lets it through.

        >>> sa.union(*(s.where(users.c.id.in_(ids)) for s in scope.reasons(users, scope.user_branches())))
        """
        selects = []
        for branch in branches:
            source: sa.FromClause = table
            for target, on in branch.joins:
                source = source.join(target, on)
            account_manager, root, territory = branch.account_manager, None, None
            if branch.tree is not None:
                source = source.join(branch.tree, branch.tree.c.territory_id == branch.territory)
                account_manager, root, territory = (
                    branch.tree.c.am_id,
                    branch.tree.c.root_id,
                    branch.territory,
                )
            selects.append(
                sa.select(
                    table.c.id.label("id"),
                    sa.literal(branch.basis.value, sa.String).label("basis"),
                    _id_or_null(account_manager, "account_manager_id"),
                    _id_or_null(root, "root_territory_id"),
                    _id_or_null(territory, "territory_id"),
                    _id_or_null(branch.meeting, "meeting_id"),
                )
                .select_from(source)
                .where(branch.predicate)
            )
        return selects

    # -- people and places -------------------------------------------------------------
    @_memoized
    def user_branches(self) -> tuple[Branch, ...]:
        """The branches of `users()`: yourself (OWN); an AM's SCs and an SC's AMs (ASSIGNED);
        the associated buyers (DIRECT_AM, TERRITORY: R1, R2); for a buyer their direct AM
        (DIRECT_AM, R13); everyone for an admin (ROLE_PERMISSION)."""
        viewer = self.viewer
        if viewer is None:
            return ()
        if self.is_everything:
            return (Branch(Basis.ROLE_PERMISSION, EVERYTHING),)
        me = Branch(Basis.OWN, users.c.id == viewer.id)
        if viewer.role is RoleName.BUYER:
            mine = users.alias("my_account")
            my_am = sa.select(mine.c.direct_am_id).where(mine.c.id == viewer.id)
            return (me, Branch(Basis.DIRECT_AM, users.c.id.in_(my_am), account_manager=users.c.id))
        if viewer.role is RoleName.ACCOUNT_MANAGER:
            my_coordinators = sa.select(am_coordinators.c.sc_id).where(am_coordinators.c.am_id == viewer.id)
            assigned = Branch(
                Basis.ASSIGNED,
                users.c.id.in_(my_coordinators.correlate(None)),
                account_manager=sa.literal(viewer.id, sa.Integer),
            )
        elif viewer.role is RoleName.SALES_COORDINATOR:
            assigned = Branch(
                Basis.ASSIGNED, users.c.id.in_(self.account_managers()), account_manager=users.c.id
            )
        else:
            return ()
        associated = association_branches(
            users, self.account_managers(), self._scope_tree(), self._roots_tree()
        )
        return (me, assigned, *associated)

    @_memoized
    def users(self) -> ColumnElement[bool]:
        return any_of(self.user_branches())

    @_memoized
    def company_branches(self) -> tuple[Branch, ...]:
        """The branches of `companies()`: a buyer's own company (OWN); companies in the
        viewer's AMs' territory trees (TERRITORY) and those of their direct buyers (DIRECT_AM);
        every company for an admin (ROLE_PERMISSION)."""
        viewer = self.viewer
        if viewer is None:
            return ()
        if self.is_everything:
            return (Branch(Basis.ROLE_PERMISSION, EVERYTHING),)
        if viewer.role is RoleName.BUYER:
            return (Branch(Basis.OWN, companies.c.id.in_(self._own_company())),)
        # A buyer associated by territory has a company inside the territory tree already, so
        # beyond the tree only the companies of direct buyers (R1 a) remain: the same rows as
        # "companies of every associated buyer", without the association query in each lookup.
        buyer = users.alias("direct_buyer")
        explained = users.alias("explained_buyer")
        return (
            Branch(
                Basis.TERRITORY,
                companies.c.territory_id.in_(self._territory_ids()),
                territory=companies.c.territory_id,
                tree=self._roots_tree(),
            ),
            Branch(
                Basis.DIRECT_AM,
                companies.c.id.in_(sa.select(buyer.c.company_id).where(self._direct_buyers(buyer))),
                account_manager=explained.c.direct_am_id,
                joins=(
                    (
                        explained,
                        sa.and_(explained.c.company_id == companies.c.id, self._direct_buyers(explained)),
                    ),
                ),
            ),
        )

    @_memoized
    def companies(self) -> ColumnElement[bool]:
        return any_of(self.company_branches())

    @_memoized
    def territories(self) -> ColumnElement[bool]:
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        if self.is_everything:
            return EVERYTHING
        seen = companies.alias("seen_company")
        of_companies = sa.select(seen.c.territory_id).correlate(None)
        if viewer.role is RoleName.BUYER:
            return territories.c.id.in_(of_companies.where(seen.c.id.in_(self._own_company())))
        # The territories of the companies in sight (above): the tree, and where the companies
        # of direct buyers lie.
        buyer = users.alias("direct_buyer")
        of_direct_buyers = of_companies.join(buyer, buyer.c.company_id == seen.c.id).where(
            self._direct_buyers(buyer)
        )
        return sa.or_(territories.c.id.in_(self._territory_ids()), territories.c.id.in_(of_direct_buyers))

    @_memoized
    def _own_company(self) -> sa.Select:
        mine = users.alias("own_account")
        return sa.select(mine.c.company_id).where(mine.c.id == self.viewer.id).correlate(None)

    def _direct_buyers(self, buyer: sa.FromClause) -> ColumnElement[bool]:
        """`buyer` is a buyer whose direct AM is one of the viewer's AMs: found through the
        (direct_am_id, role) index, a few hundred rows of the whole users table."""
        return sa.and_(buyer.c.direct_am_id.in_(self.account_managers()), buyer.c.role == RoleName.BUYER)

    @_memoized
    def roles(self) -> ColumnElement[bool]:
        """Roles (R14, R34): every signed-in user may read every role and its flags; what a
        role lets its holders do is decided by the guards, not by hiding it."""
        return NOTHING if self.viewer is None else EVERYTHING

    @_memoized
    def covered_territories(self) -> ColumnElement[bool]:
        """Territories inside the viewer's AMs' territory subtrees (all, for an admin): where a
        decider may settle a new company when approving a registration (R7)."""
        if self.is_everything:
            return EVERYTHING
        if self.viewer is None or self.viewer.role is RoleName.BUYER:
            return NOTHING
        return territories.c.id.in_(self._territory_ids())

    # -- the app's devices ---------------------------------------------------------------
    @_memoized
    def devices(self) -> ColumnElement[bool]:
        """Devices (R30): a user sees and revokes their own; admins everyone's."""
        if self.viewer is None:
            return NOTHING
        if self.is_everything:
            return EVERYTHING
        return devices.c.user_id == self.viewer.id

    # -- registrations -----------------------------------------------------------------
    @_memoized
    def registrations(self) -> ColumnElement[bool]:
        """The approval queue (R6): an SC sees the registrations whose requested AM is one of
        their AMs or whose territory lies inside one of those AMs' territory subtrees; an AM
        those linked to themselves or inside their territories; admins all; buyers none."""
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        if self.is_everything:
            return EVERYTHING
        if viewer.role not in (RoleName.ACCOUNT_MANAGER, RoleName.SALES_COORDINATOR):
            return NOTHING
        return sa.or_(
            registrations.c.requested_am_id.in_(self.account_managers()),
            registrations.c.territory_id.in_(self._territory_ids()),
        )

    # -- meetings, lists, content ------------------------------------------------------
    @property
    def acts_as_host_only(self) -> bool:
        """Through the app a viewer acts on a meeting only as its host (R10): the app channel's
        rule, which `_manages` applies to rows and the `@onChannel(hostOnly: true)` guard checks."""
        return self.viewer is not None and self.viewer.channel is Channel.APP

    def hosts(self, host_id: int) -> bool:
        """Whether the viewer is the host `host_id` of a meeting."""
        return self.viewer is not None and self.viewer.id == host_id

    @_memoized
    def allowed_hosts(self) -> ColumnElement[bool]:
        """The users the viewer may set up meetings for, as a predicate on `users` (R9): an
        active AM or SC who is the viewer or one of the viewer's AMs, any of them for an admin;
        through the app only the viewer themselves (R10).

        >>> select(users.c.id).where(users.c.id == host_id, scope.allowed_hosts())
        """
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        hosts = sa.and_(
            users.c.role.in_((RoleName.ACCOUNT_MANAGER, RoleName.SALES_COORDINATOR)),
            users.c.active.is_(True),
        )
        if self.acts_as_host_only:
            return sa.and_(hosts, users.c.id == viewer.id)
        if self.is_everything:
            return hosts
        return sa.and_(hosts, sa.or_(users.c.id == viewer.id, users.c.id.in_(self.account_managers())))

    def may_write_note(self, phase: NotePhase, host_id: int) -> bool:
        """Who writes a note of `phase` in a meeting of `host_id` the viewer manages already
        (`managed_meetings`): before it starts whoever manages it, host or SC (R9); once it has
        started, the host only (R10)."""
        return phase is NotePhase.PRE_MEETING or self.hosts(host_id)

    @_memoized
    def managed_meetings(self) -> ColumnElement[bool]:
        """Meetings the viewer may manage: on the web their own and their AMs' (R9);
        through the app only those they host (R10)."""
        return self._manages(meetings)

    def _manages(self, meeting: sa.FromClause) -> ColumnElement[bool]:
        """`managed_meetings()` for the row `meeting` (the meetings table or an alias)."""
        return any_of(self._managing(meeting))

    def _managing(self, meeting: sa.FromClause) -> tuple[Branch, ...]:
        """The branches of `_manages`: the host (OWN), an SC of the host AM (MANAGED_MEETING),
        an admin on the web (ROLE_PERMISSION)."""
        viewer = self.viewer
        if viewer is None:
            return ()
        host = meeting.c.host_id
        hosting = Branch(Basis.OWN, host == viewer.id)
        if self.acts_as_host_only:
            return (hosting,)
        if self.is_everything:
            return (Branch(Basis.ROLE_PERMISSION, EVERYTHING),)
        if viewer.role in (RoleName.ACCOUNT_MANAGER, RoleName.SALES_COORDINATOR):
            assigned = Branch(Basis.MANAGED_MEETING, host.in_(self.account_managers()), account_manager=host)
            return (hosting, assigned)
        return ()

    def _sees(self, meeting: sa.FromClause) -> ColumnElement[bool]:
        """`meetings()` for the row `meeting` (the meetings table or an alias)."""
        return any_of(self._seeing(meeting))

    def _seeing(self, meeting: sa.FromClause) -> tuple[Branch, ...]:
        viewer = self.viewer
        if viewer is not None and viewer.role is RoleName.BUYER and viewer.channel is Channel.WEB:
            attended = meeting_attendees.alias("attended")
            predicate = (
                sa.exists()
                .where(attended.c.meeting_id == meeting.c.id, attended.c.buyer_id == viewer.id)
                .correlate(meeting)
            )
            return (Branch(Basis.ATTENDED_MEETING, predicate),)
        return self._managing(meeting)

    @_memoized
    def meeting_branches(self) -> tuple[Branch, ...]:
        """The branches of `meetings()`: hosted (OWN), managed as an SC of the host
        (MANAGED_MEETING), attended by a buyer (ATTENDED_MEETING), all for an admin on the web
        (ROLE_PERMISSION)."""
        return self._seeing(meetings)

    @_memoized
    def meetings(self) -> ColumnElement[bool]:
        """Meetings the viewer may see: those they may manage (R9, R10), and on the web, for a
        buyer, the meetings they attend (R13). Through the app only the host sees a meeting."""
        return any_of(self.meeting_branches())

    @_memoized
    def notes(self) -> ColumnElement[bool]:
        """Notes of the meetings the viewer may see; a buyer only those their writer shared
        (R13, R37): a note is internal unless shared."""
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        # probed per note through the meeting's primary key, not a set of every visible meeting
        meeting = meetings.alias("noted_meeting")
        predicate = (
            sa.exists().where(meeting.c.id == notes.c.meeting_id, self._sees(meeting)).correlate(notes)
        )
        if viewer.role is RoleName.BUYER:
            return sa.and_(predicate, notes.c.shared.is_(True))
        return predicate

    def hosts_once_managed(self, host: ColumnElement[int]) -> ColumnElement[bool]:
        """Whether meetings hosted by `host` are (now) within the viewer's reach: for the change
        feed to tell a meeting that left the viewer's sight (its host changed, its attendee was
        removed) from one they never saw (R18)."""
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        if self.acts_as_host_only or viewer.role is RoleName.BUYER:
            return host == viewer.id
        if self.is_everything:
            return EVERYTHING
        return sa.or_(host == viewer.id, host.in_(self.account_managers()))

    @_memoized
    def _section_branches(self) -> tuple[Branch, ...]:
        viewer = self.viewer
        if viewer is None:
            return ()
        if viewer.role is RoleName.BUYER:
            mine = sa.and_(lists.c.kind == ListKind.BUYER, lists.c.buyer_id == viewer.id)
            return (Branch(Basis.SHARED_LIST, mine),)
        return (
            Branch(Basis.OWN, lists.c.owner_id == viewer.id),
            Branch(Basis.GLOBAL_LIST, lists.c.kind == ListKind.GLOBAL),
        )

    @_memoized
    def lists_section(self) -> ColumnElement[bool]:
        """The Lists section (R11): own lists and every GLOBAL list; for a buyer, the lists
        shared with them. An SC therefore never meets an AM's BUYER list here."""
        return any_of(self._section_branches())

    @_memoized
    def _on_managed_meeting(self) -> ColumnElement[bool]:
        """The list row is attached to a meeting the viewer manages: probed per list through
        meeting_lists' list index, not a set of the lists of every managed meeting."""
        attached = meeting_lists.alias("attached_list")
        meeting = meetings.alias("attaching_meeting")
        if self._manages(meeting) is NOTHING:  # and_() would fold to false and drop the join
            return NOTHING
        return (
            sa.exists()
            .where(
                attached.c.list_id == lists.c.id,
                meeting.c.id == attached.c.meeting_id,
                self._manages(meeting),
            )
            .correlate(lists)
        )

    @_memoized
    def list_branches(self) -> tuple[Branch, ...]:
        """The branches of `lists()`: the Lists section's (OWN, GLOBAL_LIST, for a buyer
        SHARED_LIST) and a meeting the viewer manages that the list is attached to
        (MANAGED_MEETING, naming the meeting)."""
        through = self._on_managed_meeting()
        if through is NOTHING:
            return self._section_branches()
        attached = meeting_lists.alias("explained_attachment")
        meeting = meetings.alias("explained_meeting")
        on_meeting = sa.and_(meeting.c.id == attached.c.meeting_id, self._manages(meeting))
        managed = Branch(
            Basis.MANAGED_MEETING,
            through,
            meeting=meeting.c.id,
            joins=((attached, attached.c.list_id == lists.c.id), (meeting, on_meeting)),
        )
        return (*self._section_branches(), managed)

    @_memoized
    def lists(self) -> ColumnElement[bool]:
        """Every list the viewer may open (`node(id:)`, its items): the Lists section, plus
        the lists attached to a meeting the viewer may manage, while attached (R11)."""
        return any_of(self.list_branches())

    def attachable_lists(self, host_id: int) -> ColumnElement[bool]:
        """Lists the viewer may attach to a meeting hosted by `host_id` (R37, refining R11).
        Attaching shows a list to everyone who manages the meeting (the host, the host's SCs,
        admins), so only a list they all see already, or one its owner chooses to show them:
        the viewer's own list, a GLOBAL list (every staff member's Lists section), or a list
        already attached to a meeting of the same host (managed by exactly the same people).
        An SC who reached another AM's BUYER list through that AM's meeting cannot carry it
        into this host's meeting; nor can an admin, who sees every list.

        >>> select(lists.c.id).where(lists.c.id == list_id, scope.attachable_lists(host_id))
        """
        viewer = self.viewer
        if viewer is None or viewer.role is RoleName.BUYER:
            return NOTHING
        used = meeting_lists.alias("used_list")
        same_host = meetings.alias("same_host_meeting")
        in_same_hosts_meeting = (
            sa.exists()
            .where(
                used.c.list_id == lists.c.id,
                same_host.c.id == used.c.meeting_id,
                same_host.c.host_id == host_id,
            )
            .correlate(lists)
        )
        return sa.and_(
            self.lists(),
            sa.or_(lists.c.owner_id == viewer.id, lists.c.kind == ListKind.GLOBAL, in_same_hosts_meeting),
        )

    # -- changing lists: each of these is a part of `lists()` -----------------------------
    def may_create_list(self, kind: ListKind) -> bool:
        """Who makes a list of `kind` (R11): staff make PERSONAL lists, GLOBAL ones need
        MANAGE_GLOBAL_LISTS, a BUYER list is an account manager's; buyers make none."""
        viewer = self.viewer
        if viewer is None or viewer.role is RoleName.BUYER:
            return False
        if kind is ListKind.GLOBAL:
            return viewer.can(Permission.MANAGE_GLOBAL_LISTS)
        if kind is ListKind.BUYER:
            return viewer.role is RoleName.ACCOUNT_MANAGER
        return True

    @_memoized
    def owned_lists(self) -> ColumnElement[bool]:
        """Lists the viewer edits as theirs (rename, delete, items, notes), on either channel:
        their own PERSONAL and BUYER lists, and GLOBAL lists with MANAGE_GLOBAL_LISTS (R11).
        The host uses their own lists in front of a buyer, so the app may change them too."""
        viewer = self.viewer
        if viewer is None or viewer.role is RoleName.BUYER:  # a buyer's lists are shared with them
            return NOTHING
        mine = sa.and_(lists.c.kind != ListKind.GLOBAL, lists.c.owner_id == viewer.id)
        if viewer.can(Permission.MANAGE_GLOBAL_LISTS):
            return sa.or_(mine, lists.c.kind == ListKind.GLOBAL)
        return mine

    @_memoized
    def _meeting_lists(self) -> ColumnElement[bool]:
        """A PERSONAL or BUYER list attached to a meeting the viewer manages: through the app
        one they host (R10). A GLOBAL list stays with MANAGE_GLOBAL_LISTS wherever it is used."""
        return sa.and_(lists.c.kind != ListKind.GLOBAL, self._on_managed_meeting())

    @_memoized
    def item_lists(self) -> ColumnElement[bool]:
        """Lists whose items the viewer adds, moves and removes: their own (`owned_lists`), and
        through the app a list of a meeting they host, since only the host adds content to
        the lists used in a meeting (R10). On the web only the owner changes a list's items."""
        if self.viewer is None:
            return NOTHING
        if self.acts_as_host_only:
            return sa.or_(self.owned_lists(), self._meeting_lists())
        return self.owned_lists()

    @_memoized
    def annotated_lists(self) -> ColumnElement[bool]:
        """Lists whose item notes the viewer writes: their own, and a list of a meeting they
        manage (R9, R11: an SC annotates the AM's list attached to the meeting); through the
        app only a meeting they host (R10)."""
        if self.viewer is None:
            return NOTHING
        return sa.or_(self.owned_lists(), self._meeting_lists())

    @_memoized
    def contents(self) -> ColumnElement[bool]:
        """Staff see the whole catalogue; a buyer only what is on a list shared with them."""
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        if viewer.role is not RoleName.BUYER:
            return EVERYTHING
        shared = (
            sa.select(list_items.c.content_id)
            .join(lists, lists.c.id == list_items.c.list_id)
            .where(self.lists_section())
            .correlate(None)
        )
        return contents.c.id.in_(shared)

    # -- reporting ---------------------------------------------------------------------
    @property
    def reports_on_everyone(self) -> bool:
        return self.viewer is not None and self.viewer.can(Permission.VIEW_REPORTING_ALL_USERS)

    def reporting_mine(self) -> Scope:
        """The scope a report for the audience MINE counts with (R36): this one for a viewer
        without VIEW_REPORTING_ALL_USERS; for one with it, the scope their role gives without
        that permission (an SC's AMs and buyers, an AM's buyers, an admin themselves).
        Made once per scope."""
        viewer = self.viewer
        if viewer is None or not self.reports_on_everyone:
            return self
        narrowed = dataclasses.replace(
            viewer, permissions=viewer.permissions - {Permission.VIEW_REPORTING_ALL_USERS}
        )
        return self.memo("reporting_mine", lambda: type(self)(narrowed))

    @_memoized
    def reporting_users(self) -> ColumnElement[bool]:
        """Whose activity the viewer may count (R12), as a predicate on `users`: a role with
        VIEW_REPORTING_ALL_USERS everyone; an AM themselves and their associated buyers
        (R1); an SC themselves, their AMs and those AMs' associated buyers (R2); anyone
        else (a buyer) nobody. Read from the role on every request, so a permission
        granted at run time counts on the next one (R14)."""
        ids = self.reporting_user_ids()
        return EVERYTHING if ids is None else users.c.id.in_(ids)

    @_memoized
    def reporting_user_ids(self) -> sa.CompoundSelect | sa.Select | None:
        """The ids behind `reporting_users()` as one union, None for everyone: what an
        aggregate filters its events by (`activities.c.user_id.in_(ids)`)."""
        viewer = self.viewer
        if viewer is None or viewer.role is RoleName.BUYER:
            return _nobody()
        if self.reports_on_everyone:
            return None
        me = sa.select(sa.literal(viewer.id).label("id"))
        if viewer.role is RoleName.ACCOUNT_MANAGER:
            return sa.union(me, self._buyer_ids())
        if viewer.role is RoleName.SALES_COORDINATOR:
            return sa.union(me, self.account_managers(), self._buyer_ids())
        return me

    @_memoized
    def reporting_account_managers(self) -> sa.Select:
        """The AMs whose groups a report shows: an SC's AMs, an AM themselves, every AM for
        VIEW_REPORTING_ALL_USERS, nobody for a buyer."""
        viewer = self.viewer
        if viewer is None or viewer.role is RoleName.BUYER:
            return _nobody()
        if self.reports_on_everyone:
            every = users.alias("reporting_am")
            return sa.select(every.c.id).where(every.c.role == RoleName.ACCOUNT_MANAGER).correlate(None)
        return self.account_managers()


SCOPES_KEPT = 1024


@functools.lru_cache(maxsize=SCOPES_KEPT)
def _scope_of(identity: tuple[int, RoleName, Channel, frozenset[Permission]] | None) -> Scope:
    if identity is None:
        return Scope(None)
    user_id, role, channel, permissions = identity
    # the scope needs who, not their profile: name and email stay out of the key
    return Scope(Viewer(id=user_id, email="", name="", role=role, permissions=permissions, channel=channel))
