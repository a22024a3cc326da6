"""Why the viewer sees a row (R35): the scope's branches read with the links they followed,
for a batch of ids, and the territory chains the explanations walk.

    reasons_statement(scope, "User")   # … WHERE users.id IN :keys, one select per branch
    territory_chains()                 # (start_id, territory_id, depth) up to each root
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from salescoord.db.tables import companies, lists, meetings, territories, users
from salescoord.permissions.scope import Branch, Scope

# Each explained type: its table and the scope's branches for it (those of its filter).
EXPLAINED: dict[str, tuple[sa.Table, Callable[[Scope], Sequence[Branch]]]] = {
    "User": (users, Scope.user_branches),
    "Company": (companies, Scope.company_branches),
    "Meeting": (meetings, Scope.meeting_branches),
    "List": (lists, Scope.list_branches),
}


def reasons_statement(scope: Scope, type_name: str) -> sa.Select | sa.CompoundSelect:
    """Every reason the viewer sees each row of `type_name` with an id in :keys (expanding):
    rows of (id, basis, account_manager_id, root_territory_id, territory_id, meeting_id). A row
    with no reason is out of sight, since the scope's filter is the OR of the same branches."""
    table, branches = EXPLAINED[type_name]
    keys = sa.bindparam("keys", expanding=True)
    selects = [select.where(table.c.id.in_(keys)) for select in scope.reasons(table, branches(scope))]
    if not selects:
        return sa.select(sa.cast(sa.null(), sa.Integer).label("id")).where(sa.false())
    if len(selects) == 1:
        return selects[0]
    return sa.union(*selects)


def territory_chains() -> sa.Select:
    """(start_id, territory_id, depth) for each territory in :keys and every territory above
    it, depth 0 the territory itself: the path a TERRITORY reason walks, read upwards."""
    keys = sa.bindparam("keys", expanding=True)
    start = sa.select(
        territories.c.id.label("start_id"),
        territories.c.id.label("territory_id"),
        territories.c.parent_id.label("parent_id"),
        sa.literal(0, sa.Integer).label("depth"),
    ).where(territories.c.id.in_(keys))
    chain = start.cte("territory_chain", recursive=True)
    parent = territories.alias("chain_parent")
    up = sa.select(chain.c.start_id, parent.c.id, parent.c.parent_id, chain.c.depth + 1).join(
        chain, parent.c.id == chain.c.parent_id
    )
    chain = chain.union_all(up)
    return sa.select(chain.c.start_id, chain.c.territory_id, chain.c.depth).order_by(
        chain.c.start_id, chain.c.depth
    )
