"""How much work validation's field-merging rule would do on a document, counted before it
runs (R24).

graphql-core's "overlapping fields can be merged" rule compares every two fields that share
a response name in a selection set, and for each such pair every two fields of their
sub-selections that share one, and so on down: quadratic in the repeats at every level.
`query { viewer { company { name } ... } }` with the inner selection repeated 440 times stays
under every other bound (1,764 tokens, 880 fields) and cost 1.5 s of CPU to validate.

This walk counts the same work from the document alone, in graphql-core's own unit (its
`MAX_COMPLEXITY_BUDGET` steps) and as an upper bound of it: it expands fragments where they
are spread, where graphql-core compares a fragment once and remembers. A field collected
into a selection set is a step; a comparison of two fields is six, plus one per argument
(graphql-core counts two, one per type wrapper it unwraps and one per argument); a fragment
spread is a step, and two spreads in one selection set two more. The walk stops as soon as
it passes its budget, so counting never costs more than the budget either.

    merging_steps(parse("{ viewer { id id } }"), budget=10_000, max_depth=15)  # 9
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

PAIR = 6


@dataclass
class _Field:
    selection_set: SelectionSetNode | None
    arguments: int


Collected = dict[str, list[_Field]]  # by response name


class TooMuchWork(Exception):
    """Validating the document would take more steps than the budget."""


class TooDeep(Exception):
    """Compared fields nest deeper than the depth bound."""


def merging_steps(document: DocumentNode, budget: int, max_depth: int) -> int:
    """The steps the field-merging rule may take on `document`; raises TooMuchWork past
    `budget`, and TooDeep when fields to compare nest deeper than `max_depth`."""
    meter = _Meter(document, budget, max_depth)
    for selection_set in _selection_sets(document):
        meter.within(selection_set)
    return budget - meter.left


def _selection_sets(document: DocumentNode) -> list[SelectionSetNode]:
    """Every selection set the rule visits: all of the document's, except those of inline
    fragments, which belong to the selection set around them."""
    found: list[SelectionSetNode] = []
    stack = [
        (d.selection_set, False) for d in document.definitions if isinstance(d, ExecutableDefinitionNode)
    ]
    while stack:
        selection_set, inline = stack.pop()
        if not inline:
            found.append(selection_set)
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode) and selection.selection_set is not None:
                stack.append((selection.selection_set, False))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, True))
    return found


class _Meter:
    def __init__(self, document: DocumentNode, budget: int, max_depth: int) -> None:
        fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
        self.fragments = {fragment.name.value: fragment.selection_set for fragment in fragments}
        self.left = budget
        self.max_depth = max_depth

    def spend(self, steps: int) -> None:
        self.left -= steps
        if self.left < 0:
            raise TooMuchWork

    def within(self, selection_set: SelectionSetNode) -> None:
        """Every two fields of one selection set that share a response name."""
        for fields in self.collect(selection_set).values():
            count = len(fields)
            if count < 2:
                continue
            self.spend(count * (count - 1) // 2 * (PAIR + max(f.arguments for f in fields)))
            nested = [f.selection_set for f in fields if f.selection_set is not None]
            for index, first in enumerate(nested):
                for second in nested[index + 1 :]:
                    self.between(first, second, 1)

    def between(self, first: SelectionSetNode, second: SelectionSetNode, level: int) -> None:
        """The sub-selections of two compared fields: every field of one against each field
        of the other with its response name."""
        if level > self.max_depth:
            raise TooDeep
        others = self.collect(second)
        for name, fields in self.collect(first).items():
            matches = others.get(name)
            if not matches:
                continue
            arguments = max(f.arguments for f in (*fields, *matches))
            self.spend(len(fields) * len(matches) * (PAIR + arguments))
            for field in fields:
                for match in matches:
                    if field.selection_set is not None and match.selection_set is not None:
                        self.between(field.selection_set, match.selection_set, level + 1)

    def collect(self, selection_set: SelectionSetNode) -> Collected:
        """The fields of a selection set by response name, inline fragments flattened and
        each fragment spread expanded once (a fragment spread twice adds nothing to compare)."""
        collected: Collected = {}
        expanded: set[str] = set()
        spreads = 0
        stack = [selection_set]
        while stack:
            for selection in stack.pop().selections:
                if isinstance(selection, FieldNode):
                    self.spend(1)
                    name = (selection.alias or selection.name).value
                    field = _Field(selection.selection_set, len(selection.arguments or ()))
                    collected.setdefault(name, []).append(field)
                elif isinstance(selection, InlineFragmentNode):
                    stack.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    spreads += 1
                    self.spend(2 * spreads + 1)  # this spread, against the fields and each spread before
                    name = selection.name.value
                    if name in self.fragments and name not in expanded:
                        expanded.add(name)
                        stack.append(self.fragments[name])
        return collected
