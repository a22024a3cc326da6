"""A root field's plan as one statement whose only value is the field's answer as JSON text,
shaped by PostgreSQL (`json_build_object`, `json_agg`).

The rows are read level by level, as the loaders read them, but as the CTEs of one statement
instead of one statement per level: each level's rows are its Node type's scoped rows
(`db.loaders.ROWS_BY_ID`) or a relation's scoped page of children (`Relation.statement`,
every parent's page at once with ROW_NUMBER() OVER (PARTITION BY parent)), restricted to
the parents of the level above. So the scope predicates of `permissions.scope` are those of
every other path, inlined at every level, and the statement's size grows with the depth of
the operation, never with its rows. Each level's objects are then built bottom up: a to-one
relation is a LEFT JOIN on its key, a connection a LEFT JOIN on the children grouped by
parent.

Cursors are the one thing the database does not write: a cursor is base64 of the sort key
as Python's JSON writes it (`pages.encode_cursor`); the statement returns each page's keys
under "$keys" and `cursors.fill` encodes them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from salescoord.db.loaders import ROWS_BY_ID
from salescoord.db.queries import people
from salescoord.db.queries.pages import _between, _reading
from salescoord.permissions.scope import Scope
from salescoord.schema.ids import encode_id
from salescoord.schema.planner.fields import Leaf
from salescoord.schema.planner.plan import Many, Obj, One, Root, Typename
from sqlalchemy.dialects.postgresql import aggregate_order_by

from salescoord.errors import ServiceError

KEYS = "$keys"
# Types whose to-one rows are probed LATERAL by key. The scopes of lists, items, meetings and
# notes hold EXISTS subqueries correlated to their row, which SQLAlchemy's FROM linter reads
# as a cartesian product once inside a LATERAL; they are read by `IN` (keys), as the loaders do.
PROBED_BY_KEY = frozenset({"User", "Company", "Territory"})
EMPTY = sa.literal_column("'[]'::json")


class _Unbuildable(ServiceError):
    """A plan this module cannot write (a column the rows do not hold)."""


def _json(*pairs: Any) -> Any:
    return sa.func.json_build_object(*pairs)


def _global_id(type_name: str, column: Any) -> Any:
    text = sa.literal(f"{type_name}:", sa.Text) + sa.cast(column, sa.Text)
    return sa.func.encode(sa.func.convert_to(text, sa.literal("UTF8")), sa.literal("base64"))


def _datetime(column: Any) -> Any:
    """Python's `isoformat()` of an aware UTC datetime: microseconds only when there are any."""
    utc = sa.func.timezone(sa.literal("UTC"), column)
    seconds = sa.func.to_char(utc, sa.literal('YYYY-MM-DD"T"HH24:MI:SS'))
    micro = sa.func.to_char(utc, sa.literal(".US"))
    fraction = sa.case((micro == sa.literal(".000000"), sa.literal("")), else_=micro)
    return sa.case((column.is_(None), sa.null()), else_=seconds + fraction + sa.literal("+00:00"))


def _leaf(level: Any, type_name: str, leaf: Leaf) -> Any:
    if leaf.column not in level.c:
        raise _Unbuildable(leaf.column)
    column = level.c[leaf.column]
    if leaf.encoding == "id":
        return _global_id(type_name, column)
    if leaf.encoding == "datetime":
        return _datetime(column)
    if leaf.encoding == "enum" and leaf.enum_names:
        return sa.case(
            *((column == value, sa.literal(name)) for value, name in leaf.enum_names), else_=column
        )
    return column


class Statement:
    """One root field's statement: levels are named in order, so a plan's SQL is the same text
    every time (PostgreSQL and SQLAlchemy cache it by that text)."""

    def __init__(self, scope: Scope, root: Root) -> None:
        self.scope = scope
        self.names = 0
        self.index = {id(many): n for n, many in enumerate(pages_of(root))}

    # The values of a page (its size, its cursor) are bound at execution (`parameters`), so
    # one statement serves every page of the same shape.
    def size(self, many: Many) -> Any:
        return sa.bindparam(f"m{self.index[id(many)]}_size", type_=sa.Integer)

    def read(self, many: Many) -> Any:
        """How many rows to read: one more than the page, to know whether more lie beyond."""
        return sa.bindparam(f"m{self.index[id(many)]}_read", type_=sa.Integer)

    def keyset(self, many: Many, order: tuple[Any, ...]) -> Any:
        page, n = many.page, self.index[id(many)]

        def cursor(name: str) -> list[Any]:
            return [sa.bindparam(f"m{n}_{name}{k}", type_=column.type) for k, column in enumerate(order)]

        return _between(
            order,
            cursor("after") if page.after is not None else None,
            cursor("before") if page.before is not None else None,
        )

    def name(self, base: str) -> str:
        self.names += 1
        return f"{base}_{self.names}"

    # -- levels: the rows ----------------------------------------------------------------
    def scoped_rows(self, type_name: str) -> tuple[Any, Any]:
        """The type's rows the viewer may see, as the loaders read them, and its key column."""
        build, key = ROWS_BY_ID[type_name]
        return self.scope.memo(("rows", type_name), lambda: build(self.scope)), key

    def rows_of(self, type_name: str, where: Any) -> Any:
        statement, key = self.scoped_rows(type_name)
        return (
            statement.add_columns(sa.literal(1).label("row_number")).where(where(key)).cte(self.name("rows"))
        )

    def rows_by_keys(self, type_name: str, keys: Any) -> Any:
        """The rows the distinct `keys` name, each looked up LATERAL by its key (an index probe
        per key, however large the table), with the type's scope applied."""
        statement, key = self.scoped_rows(type_name)
        each = keys.distinct().subquery(self.name("keys"))
        one = (
            statement.add_columns(sa.literal(1).label("row_number"))
            .where(key == each.c[0])
            .limit(1)  # a key names one row; and PostgreSQL keeps the probe instead of a join
            .lateral(self.name("row"))
        )
        return sa.select(*one.c).select_from(each.join(one, sa.true())).cte(self.name("rows"))

    def page_of_children(self, many: Many, parents: Any) -> tuple[Any, Any]:
        """Every parent's page of the relation: (the level, the whole relation's rows for counting).

        Each parent's page is read LATERAL, in the list's order up to its last row, where the
        relation has a form for one parent (`Relation.of_one_parent`); else every parent's
        children are numbered at once, as the loaders do."""
        assert many.relation is not None
        statement, parent = many.relation.statement(self.scope, parents, self.name("parents"))
        counted = statement.add_columns(parent.label("parent_key")).where(parent.in_(parents))
        order, page = many.relation.order, many.page
        reading = _reading(order, page.backward)
        keyset = self.keyset(many, order)
        each = parents.subquery(self.name("parent"))
        parent_key = each.c[parents.selected_columns[0].key]
        one = many.relation.of_one_parent(self.scope, parent_key, parents, self.name("one"))
        if one is not None:
            rows = (
                one.add_columns(sa.func.row_number().over(order_by=reading).label("row_number"))
                .where(keyset)
                .order_by(*reading)
                .limit(self.read(many))
                .lateral(self.name("lateral"))
            )
            level = (
                sa.select(parent_key.label("parent_key"), *rows.c)
                .select_from(each.join(rows, sa.true()))
                .cte(self.name("page"))
            )
            return level, counted
        numbered = (
            statement.add_columns(
                parent.label("parent_key"),
                sa.func.row_number().over(partition_by=parent, order_by=reading).label("row_number"),
            )
            .where(parent.in_(parents), keyset)
            .subquery(self.name("numbered"))
        )
        level = sa.select(numbered).where(numbered.c.row_number <= self.read(many)).cte(self.name("page"))
        return level, counted

    def top_page(self, many: Many) -> Any:
        order, page = many.order, many.page
        reading = _reading(order, page.backward)
        return (
            many.statement.add_columns(sa.func.row_number().over(order_by=reading).label("row_number"))
            .where(self.keyset(many, order))
            .order_by(*reading)
            .limit(self.read(many))
            .cte(self.name("top"))
        )

    # -- objects: the JSON ---------------------------------------------------------------
    def objects(self, level: Any, limit: int | None, obj: Obj, extra: tuple[Any, ...] = ()) -> Any:
        """(id, row_number, *extra, doc) for the level's rows (up to `limit` of each parent)."""
        source: Any = level
        pairs: list[Any] = []
        visible = [level.c.row_number <= limit] if limit is not None else []
        for key, what in obj.fields:
            pairs.append(sa.literal(key))
            if isinstance(what, Leaf):
                pairs.append(_leaf(level, obj.type_name, what))
            elif isinstance(what, Typename):
                pairs.append(sa.literal(what.name))
            elif isinstance(what, One):
                if what.key not in level.c:
                    raise _Unbuildable(what.key)
                keys = sa.select(level.c[what.key]).where(*visible)
                if what.target.type_name in PROBED_BY_KEY:
                    target = self.rows_by_keys(what.target.type_name, keys)
                else:
                    target = self.rows_of(what.target.type_name, lambda column, keys=keys: column.in_(keys))
                related = self.objects(target, None, what.target)
                source = source.outerjoin(related, related.c.id == level.c[what.key])
                pairs.append(related.c.doc)
            elif isinstance(what, Many):
                parents = sa.select(level.c.id).where(*visible)
                doc, joined = self.nested(what, parents, level.c.id)
                for subquery, on in joined:
                    source = source.outerjoin(subquery, on)
                pairs.append(doc)
        doc = _json(*pairs)
        return (
            sa.select(level.c.id, level.c.row_number, *extra, doc.label("doc"))
            .select_from(source)
            .where(*visible)
            .subquery(self.name("objects"))
        )

    def _ordered(self, rows: Any, value: Any, many: Many) -> Any:
        order = rows.c.row_number.desc() if many.page.backward else rows.c.row_number
        return sa.func.json_agg(aggregate_order_by(value, order))

    def _keys(self, level: Any, order: tuple[Any, ...]) -> Any:
        return sa.func.json_build_array(*(level.c[column.key] for column in order))

    def nested(self, many: Many, parents: Any, parent_id: Any) -> tuple[Any, list[tuple[Any, Any]]]:
        """A nested connection's JSON per parent, and the grouped subqueries it joins."""
        level, counted = self.page_of_children(many, parents)
        size = self.size(many)
        joined: list[tuple[Any, Any]] = []
        meta_columns = [level.c.parent_key, sa.func.count().label("n")]
        if many.cursors:
            keys = self._keys(level, many.relation.order)
            meta_columns.append(
                self._ordered(level, keys, many).filter(level.c.row_number <= size).label("keys")
            )
        meta = sa.select(*meta_columns).group_by(level.c.parent_key).subquery(self.name("meta"))
        joined.append((meta, meta.c.parent_key == parent_id))
        values: dict[int, Any] = {}
        for index, (_, part, inner) in enumerate(many.parts):
            if part in ("nodes", "edges"):
                node = _rows_object(part, inner)
                if node is None:
                    values[index] = None
                    continue
                objects = self.objects(level, size, node, (level.c.parent_key,))
                aggregated = (
                    sa.select(objects.c.parent_key, self._ordered(objects, objects.c.doc, many).label("docs"))
                    .group_by(objects.c.parent_key)
                    .subquery(self.name("agg"))
                )
                joined.append((aggregated, aggregated.c.parent_key == parent_id))
                values[index] = aggregated.c.docs
            elif part == "totalCount":
                inner_rows = counted.subquery(self.name("counted"))
                counts = (
                    sa.select(inner_rows.c.parent_key, sa.func.count().label("total"))
                    .group_by(inner_rows.c.parent_key)
                    .subquery(self.name("counts"))
                )
                joined.append((counts, counts.c.parent_key == parent_id))
                values[index] = sa.func.coalesce(counts.c.total, 0)
        n = sa.func.coalesce(meta.c.n, 0)
        keys_value = sa.func.coalesce(meta.c["keys"], EMPTY) if many.cursors else None
        return self.connection(many, values, n, keys_value), joined

    def connection(self, many: Many, values: dict[int, Any], n: Any, keys: Any) -> Any:
        size, page = self.size(many), many.page
        more = n > size
        has_next = sa.literal(page.before is not None) if page.backward else more
        has_previous = more if page.backward else sa.literal(page.after is not None)
        pairs: list[Any] = []
        for index, (key, part, inner) in enumerate(many.parts):
            pairs.append(sa.literal(key))
            if part == "nodes":
                pairs.append(sa.func.coalesce(values[index], EMPTY))
            elif part == "edges":
                pairs.append(self._edges(values[index], inner, n, size))
            elif part == "pageInfo":
                info: list[Any] = []
                for info_key, name in inner:
                    info.append(sa.literal(info_key))
                    if isinstance(name, Typename):
                        info.append(sa.literal(name.name))
                    elif name == "hasNextPage":
                        info.append(has_next)
                    elif name == "hasPreviousPage":
                        info.append(has_previous)
                    else:
                        info.append(sa.null())  # a cursor: filled from the keys
                pairs.append(_json(*info))
            elif part == "totalCount":
                pairs.append(values[index])
            else:
                pairs.append(sa.literal(inner))
        if keys is not None:
            pairs.extend([sa.literal(KEYS), keys])
        return _json(*pairs)

    def _edges(self, docs: Any, inner: list[tuple[str, Any]], n: Any, size: Any) -> Any:
        """Edges as their nodes' docs, or as many empty objects as rows: `cursors.fill` shapes
        each edge ({cursor, node, __typename} in the asked order) after the database."""
        if docs is not None:
            return sa.func.coalesce(docs, EMPTY)
        count = sa.func.least(n, size)
        return (
            sa.select(sa.func.coalesce(sa.func.json_agg(sa.literal_column("NULL::json")), EMPTY))
            .select_from(sa.func.generate_series(1, count))
            .scalar_subquery()
        )

    # -- roots ---------------------------------------------------------------------------
    def root(self, root: Root, viewer_id: int | None) -> Any:
        if root.kind == "viewer":
            level = (
                people.own_row(viewer_id)
                .add_columns(sa.literal(1).label("row_number"))
                .cte(self.name("viewer"))
            )
            objects = self.objects(level, None, root.target)
            return sa.select(objects.c.doc).scalar_subquery()
        if root.kind == "node":
            pk = sa.bindparam("node_pk", type_=sa.Integer)
            level = self.rows_of(root.target.type_name, lambda key: key == pk)
            objects = self.objects(level, None, root.target)
            return sa.select(objects.c.doc).scalar_subquery()
        many = root.many
        level = self.top_page(many)
        size = self.size(many)
        values: dict[int, Any] = {}
        for index, (_, part, inner) in enumerate(many.parts):
            if part in ("nodes", "edges"):
                node = _rows_object(part, inner)
                if node is None:
                    values[index] = None
                    continue
                objects = self.objects(level, size, node)
                values[index] = sa.select(self._ordered(objects, objects.c.doc, many)).scalar_subquery()
            elif part == "totalCount":
                values[index] = (
                    sa.select(sa.func.count())
                    .select_from(many.statement.subquery(self.name("all")))
                    .scalar_subquery()
                )
        n = sa.select(sa.func.count()).select_from(level).scalar_subquery()
        keys = None
        if many.cursors:
            keys = sa.func.coalesce(
                sa.select(self._ordered(level, self._keys(level, many.order), many))
                .where(level.c.row_number <= size)
                .scalar_subquery(),
                EMPTY,
            )
        return self.connection(many, values, n, keys)


def _rows_object(part: str, inner: Any) -> Obj | None:
    """The object a `nodes` or `edges` part builds of each row (None: edges of cursors only)."""
    return inner if part == "nodes" else next((o for _, o in inner if isinstance(o, Obj)), None)


def pages_of(root: Root) -> list[Many]:
    """The root's pages in a fixed order (the order the plan is read in): what `parameters`
    binds and what a statement's shape is made of."""
    found: list[Many] = []

    def obj(node: Obj) -> None:
        for _, what in node.fields:
            if isinstance(what, One):
                obj(what.target)
            elif isinstance(what, Many):
                many(what)

    def many(page: Many) -> None:
        found.append(page)
        for _, part, inner in page.parts:
            if part == "nodes":
                obj(inner)
            elif part == "edges":
                for _, what in inner:
                    if isinstance(what, Obj):
                        obj(what)

    if root.many is not None:
        many(root.many)
    elif root.target is not None:
        obj(root.target)
    return found


def shape_of(root: Root) -> tuple[Any, ...]:
    """What the statement of `root` depends on besides the document and the viewer: the node's
    type, the filters of a root list, and which way each page is read from which cursors."""
    pages = tuple(
        (p.page.backward, p.page.after is not None, p.page.before is not None) for p in pages_of(root)
    )
    return (root.key, root.kind, root.target.type_name if root.target else None, root.filters, pages)


def parameters(root: Root) -> dict[str, Any]:
    """The values the statement of `root` is executed with."""
    values: dict[str, Any] = {}
    if root.kind == "node":
        values["node_pk"] = root.pk
    for n, many in enumerate(pages_of(root)):
        page = many.page
        values[f"m{n}_size"] = page.size
        values[f"m{n}_read"] = page.size + 1
        for name, key in (("after", page.after), ("before", page.before)):
            if key is not None:
                values.update((f"m{n}_{name}{k}", value) for k, value in enumerate(key))
    return values


def from_viewer_row(root: Root) -> bool:
    """`viewer { … }` of leaves only: the row read with the viewer answers it, as the resolver
    does, without a statement."""
    return root.kind == "viewer" and all(isinstance(what, Leaf | Typename) for _, what in root.target.fields)


def leaves_of(row: Any, obj: Obj) -> dict[str, Any]:
    """The leaves of `obj` from a row, written as the statement would write them."""
    answer: dict[str, Any] = {}
    for key, what in obj.fields:
        if isinstance(what, Typename):
            answer[key] = what.name
            continue
        value = getattr(row, what.column)
        if value is None:
            answer[key] = None
        elif what.encoding == "id":
            answer[key] = encode_id(obj.type_name, value)
        elif what.encoding == "datetime":
            answer[key] = value.isoformat()
        elif what.encoding == "enum":
            stored = getattr(value, "value", value)
            answer[key] = dict(what.enum_names).get(stored, stored)
        else:
            answer[key] = value
    return answer


def statement_of(root: Root, scope: Scope) -> sa.Select:
    """SELECT <the root field's JSON, as text>."""
    viewer = scope.viewer
    doc = Statement(scope, root).root(root, viewer.id if viewer is not None else None)
    return sa.select(sa.cast(doc, sa.Text).label("answer"))
