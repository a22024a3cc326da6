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
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from salescoord.db.models.content import ListKind
from salescoord.db.models.meetings import NotePhase
from salescoord.db.tables import (
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
    registrations,
    territories,
    users,
)
from salescoord.permissions.enums import Channel, Permission, RoleName
from salescoord.permissions.viewer import Viewer
from sqlalchemy.sql.elements import ColumnElement

EVERYTHING: ColumnElement[bool] = sa.true()
NOTHING: ColumnElement[bool] = sa.false()


def territory_tree(am_ids: sa.Select, name: str) -> sa.CTE:
    """(am_id, territory_id) for every territory of the AMs in `am_ids` and every territory
    below them: the territory half of R1, walked by a recursive CTE on both databases."""
    roots = sa.select(am_territories.c.am_id, am_territories.c.territory_id).where(
        am_territories.c.am_id.in_(am_ids)
    )
    tree = roots.cte(name, recursive=True)
    child = territories.alias(f"{name}_child")
    below = sa.select(tree.c.am_id, child.c.id).join(tree, child.c.parent_id == tree.c.territory_id)
    return tree.union(below)


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


def is_associated(buyer: sa.FromClause, am_ids: sa.Select, tree: sa.CTE) -> ColumnElement[bool]:
    """Whether the row `buyer` (the users table or an alias of it) is a buyer associated with
    an AM of `am_ids` (R1): its direct AM is one of them, or its company lies in their
    territory trees (`tree` is `territory_tree(am_ids)`). A test of one row against two
    small id sets: a page of buyers ordered by name stops after its rows, where joining
    the union of `associations()` would first build every pair."""
    company = companies.alias("associated_company")
    in_trees = (
        sa.select(company.c.id)
        .where(company.c.territory_id.in_(sa.select(tree.c.territory_id)))
        .correlate(None)
    )
    return sa.and_(
        buyer.c.role == RoleName.BUYER,
        sa.or_(buyer.c.direct_am_id.in_(am_ids), buyer.c.company_id.in_(in_trees)),
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
    def _territory_ids(self) -> sa.Select:
        return sa.select(self._scope_tree().c.territory_id)

    @_memoized
    def _buyer_ids(self) -> sa.Select:
        pairs = associations(self.account_managers(), "scope_buyers", tree=self._scope_tree())
        return sa.select(pairs.c.buyer_id)

    # -- people and places -------------------------------------------------------------
    @_memoized
    def users(self) -> ColumnElement[bool]:
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        if self.is_everything:
            return EVERYTHING
        me = users.c.id == viewer.id
        if viewer.role is RoleName.BUYER:
            mine = users.alias("my_account")
            my_am = sa.select(mine.c.direct_am_id).where(mine.c.id == viewer.id)
            return sa.or_(me, users.c.id.in_(my_am))
        if viewer.role is RoleName.ACCOUNT_MANAGER:
            my_coordinators = sa.select(am_coordinators.c.sc_id).where(am_coordinators.c.am_id == viewer.id)
            return sa.or_(
                me,
                users.c.id.in_(my_coordinators.correlate(None)),
                is_associated(users, self.account_managers(), self._scope_tree()),
            )
        if viewer.role is RoleName.SALES_COORDINATOR:
            return sa.or_(
                me,
                users.c.id.in_(self.account_managers()),
                is_associated(users, self.account_managers(), self._scope_tree()),
            )
        return NOTHING

    @_memoized
    def companies(self) -> ColumnElement[bool]:
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        if self.is_everything:
            return EVERYTHING
        if viewer.role is RoleName.BUYER:
            return companies.c.id.in_(self._own_company())
        # A buyer associated by territory has a company inside the territory tree already, so
        # beyond the tree only the companies of direct buyers (R1 a) remain: the same rows as
        # "companies of every associated buyer", without the association query in each lookup.
        buyer = users.alias("direct_buyer")
        return sa.or_(
            companies.c.territory_id.in_(self._territory_ids()),
            companies.c.id.in_(sa.select(buyer.c.company_id).where(self._direct_buyers(buyer))),
        )

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
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        host = meeting.c.host_id
        if self.acts_as_host_only:
            return host == viewer.id
        if self.is_everything:
            return EVERYTHING
        if viewer.role in (RoleName.ACCOUNT_MANAGER, RoleName.SALES_COORDINATOR):
            return sa.or_(host == viewer.id, host.in_(self.account_managers()))
        return NOTHING

    def _sees(self, meeting: sa.FromClause) -> ColumnElement[bool]:
        """`meetings()` for the row `meeting` (the meetings table or an alias)."""
        viewer = self.viewer
        if viewer is not None and viewer.role is RoleName.BUYER and viewer.channel is Channel.WEB:
            attended = meeting_attendees.alias("attended")
            return (
                sa.exists()
                .where(attended.c.meeting_id == meeting.c.id, attended.c.buyer_id == viewer.id)
                .correlate(meeting)
            )
        return self._manages(meeting)

    @_memoized
    def meetings(self) -> ColumnElement[bool]:
        """Meetings the viewer may see: those they may manage (R9, R10), and on the web, for a
        buyer, the meetings they attend (R13). Through the app only the host sees a meeting."""
        return self._sees(meetings)

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
    def lists_section(self) -> ColumnElement[bool]:
        """The Lists section (R11): own lists and every GLOBAL list; for a buyer, the lists
        shared with them. An SC therefore never meets an AM's BUYER list here."""
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        if viewer.role is RoleName.BUYER:
            return sa.and_(lists.c.kind == ListKind.BUYER, lists.c.buyer_id == viewer.id)
        return sa.or_(lists.c.owner_id == viewer.id, lists.c.kind == ListKind.GLOBAL)

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
    def lists(self) -> ColumnElement[bool]:
        """Every list the viewer may open (`node(id:)`, its items): the Lists section, plus
        the lists attached to a meeting the viewer may manage, while attached (R11)."""
        return sa.or_(self.lists_section(), self._on_managed_meeting())

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
