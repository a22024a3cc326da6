"""The worst CPU an anonymous request can cost before it is refused or runs (R24): parse,
the validation work bound and graphql-core's validation of the costliest documents this
script can build within the default bounds.

    .venv/bin/python -m bench.validation_cost [--repeat 5]

Each shape is swept over its sizes up to the token bound; a document either passes the
validation work bound (then it is parsed, bounded and validated, and timed) or is refused
by it (then parsing and the refusal are timed). The shapes are the known ways to make
validation quadratic or worse: one field repeated, repeated fields with repeated
sub-fields, fragments repeating each other's fields, mutually exclusive inline fragments,
repeated fields with arguments, fragment chains under many operations, conflicting aliases
and unknown fields (error reporting), plus a wide document of distinct fields as a baseline.
Timings are CPU seconds of this process (`time.process_time`), the best of `--repeat` runs
(about 9 minutes in all on a busy two-core machine).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from graphql import GraphQLError, parse, specified_rules, validate
from salescoord.schema.limits.overlap import TooDeep, TooMuchWork, merging_steps
from salescoord.schema.root import schema

from salescoord.errors import QueryTooComplex
from salescoord.settings import Settings

SETTINGS = Settings(database_url="", secret_keys=("unused",))


def repeated_leaf(k: int) -> str:
    return "query { viewer { " + "name " * k + "} }"


def repeated_objects(k: int) -> str:
    return "query { viewer { " + "company { name } " * k + "} }"


def repeated_in_repeated(k: int) -> str:
    inner = "name " * k
    return "query { viewer { " + f"company {{ {inner}}} " * k + "} }"


def three_levels(k: int) -> str:
    inner = "name " * k
    middle = f"territory {{ {inner}}} " * k
    return "query { viewer { " + f"company {{ {middle}}} " * k + "} }"


def overlapping_fragments(k: int) -> str:
    spreads = " ".join(f"...F{n}" for n in range(k))
    fragments = " ".join(f"fragment F{n} on User {{ name company {{ name }} }}" for n in range(k))
    return f"query {{ viewer {{ {spreads} }} }} {fragments}"


def fragments_in_repeats(k: int) -> str:
    """Repeated fields whose sub-selections are fragments that repeat each other's fields."""
    spreads = " ".join(f"...C{n}" for n in range(k))
    fragments = " ".join(f"fragment C{n} on Company {{ name territory {{ name }} }}" for n in range(k))
    return "query { viewer { " + f"company {{ {spreads} }} " * k + f"}} }} {fragments}"


def exclusive_inline_fragments(k: int) -> str:
    branches = "... on User { name } ... on Company { name } " * k
    return f'query {{ node(id: "VXNlcjox") {{ {branches}}} }}'


def repeated_with_arguments(k: int) -> str:
    return "query { " + 'users(first: 1, search: "a", role: BUYER) { totalCount } ' * k + "}"


def chained_fragments(k: int) -> str:
    """k operations, each spreading the head of a chain of k fragments: the variable rules
    walk the chain once per operation."""
    operations = " ".join(f"query Q{n}($v: Int) {{ viewer {{ ...F0 }} }}" for n in range(k))
    chain = " ".join(f"fragment F{n} on User {{ id ...F{n + 1} }}" for n in range(k))
    return f"{operations} {chain} fragment F{k} on User {{ name }}"


def conflicting_aliases(k: int) -> str:
    return "query { viewer { " + "x: name x: email " * k + "} }"


def unknown_fields(k: int) -> str:
    return "query { viewer { " + " ".join(f"nam{n}" for n in range(k)) + " } }"


def distinct_fields(k: int) -> str:
    return "query { viewer { " + " ".join(f"a{n}: name" for n in range(k)) + " } }"


SHAPES: dict[str, Callable[[int], str]] = {
    "repeated leaf": repeated_leaf,
    "repeated objects": repeated_objects,
    "repeated in repeated": repeated_in_repeated,
    "three levels": three_levels,
    "overlapping fragments": overlapping_fragments,
    "fragments in repeats": fragments_in_repeats,
    "exclusive inline fragments": exclusive_inline_fragments,
    "repeated with arguments": repeated_with_arguments,
    "chained fragments": chained_fragments,
    "conflicting aliases": conflicting_aliases,
    "unknown fields": unknown_fields,
    "distinct fields": distinct_fields,
}


def sizes() -> Iterator[int]:
    """2, 3, 4 ... then about 10% apart: every size up to the token bound, sampled."""
    size = 2
    while True:
        yield size
        size = max(size + 1, int(size * 1.1))


@dataclass
class Timing:
    shape: str
    size: int
    tokens: int
    refused: str | None
    seconds: float


def cpu(action: Callable[[], object], repeat: int) -> float:
    """The best of `repeat` runs, without the garbage collector's pauses (they belong to the
    whole process, not to one request)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            started = time.process_time()
            action()
            best = min(best, time.process_time() - started)
        finally:
            gc.enable()
    return best


def bounded(text: str) -> str | None:
    """The bound that refuses the document before validation, or None."""
    document = parse(text, max_tokens=SETTINGS.max_tokens)
    try:
        merging_steps(document, SETTINGS.max_validation_steps, SETTINGS.max_depth)
    except TooMuchWork:
        return "validation"
    except TooDeep:
        return "depth"
    return None


def anonymous_request(text: str) -> None:
    """What the service does with a document before it runs it or refuses it."""
    document = parse(text, max_tokens=SETTINGS.max_tokens)
    try:
        merging_steps(document, SETTINGS.max_validation_steps, SETTINGS.max_depth)
    except (TooMuchWork, TooDeep):
        raise QueryTooComplex("refused") from None
    validate(schema._schema, document, specified_rules)


def measure(shape: str, build: Callable[[int], str], repeat: int) -> Iterator[Timing]:
    for size in sizes():
        text = build(size)
        try:
            parse(text, max_tokens=SETTINGS.max_tokens)
        except GraphQLError:
            return  # past the token bound: larger sizes are refused while parsing
        refused = bounded(text)

        def run(text: str = text) -> None:
            with contextlib.suppress(QueryTooComplex):
                anonymous_request(text)

        yield Timing(shape, size, _tokens(text), refused, cpu(run, repeat))


def _tokens(text: str) -> int:
    from graphql.language import Lexer, Source, TokenKind

    lexer, count = Lexer(Source(text)), 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(
        f"bounds: tokens {SETTINGS.max_tokens}, validation steps {SETTINGS.max_validation_steps},"
        f" depth {SETTINGS.max_depth}; CPU ms, best of {args.repeat}"
    )
    print(f"{'shape':28} {'worst validated':>28} {'worst refused':>28}")
    worst: list[Timing] = []
    for shape, build in SHAPES.items():
        timings = list(measure(shape, build, args.repeat))
        passed = [t for t in timings if t.refused is None]
        refused = [t for t in timings if t.refused is not None]
        row = [shape]
        for group in (passed, refused):
            top = max(group, key=lambda t: t.seconds, default=None)
            row.append(_describe(top))
            if top is not None:
                worst.append(top)
        print(f"{row[0]:28} {row[1]:>28} {row[2]:>28}")
    top = max(worst, key=lambda t: t.seconds)
    print(
        f"worst: {top.seconds * 1000:.1f} ms CPU ({top.shape}, size {top.size}, {top.tokens} tokens,"
        f" {'refused: ' + top.refused if top.refused else 'validated'})"
    )


def _describe(timing: Timing | None) -> str:
    if timing is None:
        return "-"
    return f"{timing.seconds * 1000:7.1f} ms (n={timing.size}, {timing.tokens} tok)"


if __name__ == "__main__":
    main()
