"""THE scope: what one viewer may see, as SQL predicates (R1-R3, R11, R13).

Every query, loader, connection, count and `node(id:)` that returns a row of a
scoped table filters it with a predicate built here, so the visibility rules
live in one place and are evaluated by the database on every request. Nothing
is cached across requests, so a changed assignment, territory parent, company
territory or direct AM counts on the next request (R3).

    scope = Scope(viewer)
    select(users.c.id).where(scope.users())          # people the viewer may see
    select(companies.c.id).where(scope.companies())  # companies the viewer may see

Who sees whom:
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

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from db.tables import (
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
from permissions.enums import Channel, RoleName
from permissions.viewer import Viewer

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


def _nobody() -> sa.Select:
    return sa.select(users.c.id).where(NOTHING).correlate(None)


class Scope:
    """The rows one viewer may see. Built once per request; every method returns SQL."""

    def __init__(self, viewer: Viewer | None) -> None:
        self.viewer = viewer
        self._tree: sa.CTE | None = None
        self._associations: sa.Subquery | None = None

    @property
    def is_everything(self) -> bool:
        return self.viewer is not None and self.viewer.role is RoleName.ADMIN

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

    def _scope_tree(self) -> sa.CTE:
        if self._tree is None:
            self._tree = territory_tree(self.account_managers(), "scope_tree")
        return self._tree

    def _territory_ids(self) -> sa.Select:
        return sa.select(self._scope_tree().c.territory_id)

    def _buyer_ids(self) -> sa.Select:
        if self._associations is None:
            self._associations = associations(
                self.account_managers(), "scope_buyers", tree=self._scope_tree()
            )
        return sa.select(self._associations.c.buyer_id)

    # -- people and places -------------------------------------------------------------
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
                users.c.id.in_(self._buyer_ids()),
            )
        if viewer.role is RoleName.SALES_COORDINATOR:
            return sa.or_(me, users.c.id.in_(self.account_managers()), users.c.id.in_(self._buyer_ids()))
        return NOTHING

    def companies(self) -> ColumnElement[bool]:
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        if self.is_everything:
            return EVERYTHING
        seen = users.alias("seen_buyer")
        of_seen_buyers = sa.select(seen.c.company_id).where(
            seen.c.company_id.is_not(None),
            seen.c.id.in_(self._buyer_ids()) if viewer.role is not RoleName.BUYER else seen.c.id == viewer.id,
        )
        if viewer.role is RoleName.BUYER:
            return companies.c.id.in_(of_seen_buyers)
        return sa.or_(
            companies.c.territory_id.in_(self._territory_ids()),
            companies.c.id.in_(of_seen_buyers),
        )

    def territories(self) -> ColumnElement[bool]:
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        if self.is_everything:
            return EVERYTHING
        seen = companies.alias("seen_company")
        of_seen_companies = sa.select(seen.c.territory_id).where(
            seen.c.id.in_(sa.select(companies.c.id).where(self.companies()).correlate(None))
        )
        if viewer.role is RoleName.BUYER:
            return territories.c.id.in_(of_seen_companies)
        return sa.or_(
            territories.c.id.in_(self._territory_ids()),
            territories.c.id.in_(of_seen_companies),
        )

    # -- meetings, lists, content ------------------------------------------------------
    def managed_meetings(self) -> ColumnElement[bool]:
        """Meetings the viewer may manage: on the web their own and their AMs' (R9);
        through the app only those they host (R10)."""
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        if viewer.channel is Channel.APP:
            return meetings.c.host_id == viewer.id
        if self.is_everything:
            return EVERYTHING
        if viewer.role in (RoleName.ACCOUNT_MANAGER, RoleName.SALES_COORDINATOR):
            return sa.or_(
                meetings.c.host_id == viewer.id,
                meetings.c.host_id.in_(self.account_managers()),
            )
        return NOTHING

    def meetings(self) -> ColumnElement[bool]:
        """Meetings the viewer may see: those they may manage (R9, R10), and on the web, for a
        buyer, the meetings they attend (R13). Through the app only the host sees a meeting."""
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        if viewer.role is RoleName.BUYER and viewer.channel is Channel.WEB:
            attended = (
                sa.select(meeting_attendees.c.meeting_id)
                .where(meeting_attendees.c.buyer_id == viewer.id)
                .correlate(None)
            )
            return meetings.c.id.in_(attended)
        return self.managed_meetings()

    def notes(self) -> ColumnElement[bool]:
        """Notes of the meetings the viewer may see; a buyer never sees host-only notes (R13)."""
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        visible = sa.select(meetings.c.id).where(self.meetings()).correlate(None)
        predicate = notes.c.meeting_id.in_(visible)
        if viewer.role is RoleName.BUYER:
            return sa.and_(predicate, notes.c.host_only.is_(False))
        return predicate

    def hosts_once_managed(self, host: ColumnElement[int]) -> ColumnElement[bool]:
        """Whether meetings hosted by `host` are (now) within the viewer's reach: for the change
        feed to tell a meeting that left the viewer's sight (its host changed, its attendee was
        removed) from one they never saw (R18)."""
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        if viewer.channel is Channel.APP or viewer.role is RoleName.BUYER:
            return host == viewer.id
        if self.is_everything:
            return EVERYTHING
        return sa.or_(host == viewer.id, host.in_(self.account_managers()))

    def lists_section(self) -> ColumnElement[bool]:
        """The Lists section (R11): own lists and every GLOBAL list; for a buyer, the lists
        shared with them. An SC therefore never meets an AM's BUYER list here."""
        viewer = self.viewer
        if viewer is None:
            return NOTHING
        if viewer.role is RoleName.BUYER:
            return sa.and_(lists.c.kind == "BUYER", lists.c.buyer_id == viewer.id)
        return sa.or_(lists.c.owner_id == viewer.id, lists.c.kind == "GLOBAL")

    def lists(self) -> ColumnElement[bool]:
        """Every list the viewer may open (`node(id:)`, its items): the Lists section, plus
        the lists attached to a meeting the viewer may manage, while attached (R11)."""
        through_meetings = (
            sa.select(meeting_lists.c.list_id)
            .join(meetings, meetings.c.id == meeting_lists.c.meeting_id)
            .where(self.managed_meetings())
            .correlate(None)
        )
        return sa.or_(self.lists_section(), lists.c.id.in_(through_meetings))

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
