"""What the database leaves to Python in a plan's answer: cursors (base64 of the sort key as
Python's JSON writes it, `pages.encode_cursor`) and edges (each node with its cursor).

The walk follows the plan, and only into the branches that hold a connection with edges or
cursors, so an answer without them is returned as the database wrote it.
"""

from __future__ import annotations

from typing import Any

from salescoord.db.queries.pages import encode_cursor
from salescoord.schema.planner.plan import Many, Obj, One, Root, Typename
from salescoord.schema.planner.sql import KEYS


def _touched(many: Many) -> bool:
    return (
        many.cursors
        or any(part == "edges" for _, part, _ in many.parts)
        or any(part == "nodes" and needs(inner) for _, part, inner in many.parts)
        or any(
            part == "edges" and any(isinstance(o, Obj) and needs(o) for _, o in inner)
            for _, part, inner in many.parts
        )
    )


def needs(obj: Obj) -> bool:
    """Whether anything under `obj` is left to Python."""
    for _, what in obj.fields:
        if isinstance(what, One) and needs(what.target):
            return True
        if isinstance(what, Many) and _touched(what):
            return True
    return False


def fill_object(value: Any, obj: Obj) -> None:
    if value is None:
        return
    for key, what in obj.fields:
        if isinstance(what, One) and needs(what.target):
            fill_object(value[key], what.target)
        elif isinstance(what, Many) and _touched(what):
            fill_connection(value[key], what)


def fill_connection(value: dict[str, Any], many: Many) -> None:
    keys = value.pop(KEYS, None) or []
    cursors = [encode_cursor(tuple(key)) for key in keys]
    for key, part, inner in many.parts:
        if part == "nodes":
            if needs(inner):
                for node in value[key]:
                    fill_object(node, inner)
        elif part == "pageInfo":
            info = value[key]
            for info_key, name in inner:
                if name == "startCursor":
                    info[info_key] = cursors[0] if cursors else None
                elif name == "endCursor":
                    info[info_key] = cursors[-1] if cursors else None
        elif part == "edges":
            docs = value[key]
            edges = []
            for index, doc in enumerate(docs):
                edge: dict[str, Any] = {}
                for edge_key, what in inner:
                    if what == "cursor":
                        edge[edge_key] = cursors[index]
                    elif isinstance(what, Typename):
                        edge[edge_key] = what.name
                    else:
                        if needs(what):
                            fill_object(doc, what)
                        edge[edge_key] = doc
                edges.append(edge)
            value[key] = edges


def fill(value: Any, root: Root) -> Any:
    if root.kind == "connection":
        assert root.many is not None
        if _touched(root.many):
            fill_connection(value, root.many)
    elif root.target is not None and needs(root.target):
        fill_object(value, root.target)
    return value
