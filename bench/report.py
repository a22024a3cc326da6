"""The results of one run: every ratio, the issue's targets met or missed, the table on
stdout and bench/results/<date>-<db>[-s<scale>][-only-<operations>].json.

Ratios are of req/s at 8 clients (higher is better for the service) unless named p50
(at 1 client; lower is better, so service/x below 1 means the service is faster).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
NAMES = {"service": "a", "naive": "b", "floor": "c", "postgraphile": "d"}

# (what the issue asks, operations, ratio, at least)
TARGETS = [
    ("service ≥ 10× naive", ["Q1", "Q3"], "service/naive req/s", 10.0),
    ("service ≥ 50× naive", ["Q2"], "service/naive req/s", 50.0),
    ("service ≥ 0.4× the raw floor", ["Q0", "Q1"], "service/floor req/s", 0.4),
    ("service ≥ 0.5× PostGraphile", ["Q1", "Q2"], "service/postgraphile req/s", 0.5),
]
SAME_STATEMENTS = "statements per request identical at scale 1 and 10"


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def ratios(entry: dict[str, Any]) -> dict[str, float | None]:
    pairs = [("service", "naive"), ("service", "floor"), ("service", "postgraphile")]
    pairs += [("naive", "floor"), ("postgraphile", "floor")]
    result = {}
    for left, right in pairs:
        if left in entry and right in entry:
            result[f"{left}/{right} req/s"] = ratio(entry[left]["per_second"], entry[right]["per_second"])
            result[f"{left}/{right} p50"] = ratio(entry[left]["p50_ms"], entry[right]["p50_ms"])
    return result


def _verdict(value: float | None, needed: float) -> dict[str, Any]:
    if value is None:
        return {"ratio": None, "needed": needed, "met": None, "how_much": "not measured"}
    met = value >= needed
    factor = value / needed
    how = f"{factor:.2f}× the target" if met else f"missed: needs {needed / value:.1f}× more"
    return {"ratio": value, "needed": needed, "met": met, "how_much": how}


def targets(report: dict[str, Any], other: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Each target of issue 5 for each operation it names, from this run's own ratios."""
    rows = [_same_statements(report, other)]
    for name, operations, key, needed in TARGETS:
        for operation in operations:
            entry = report["operations"].get(operation)
            value = entry["ratios"].get(key) if entry else None
            row = {"target": name, "operation": operation, "measure": key} | _verdict(value, needed)
            if key.startswith("service/postgraphile") and report["db"] != "postgresql":
                row["how_much"] = "PostgreSQL only"
            rows.append(row)
    return rows


def _same_statements(report: dict[str, Any], other: dict[str, Any] | None) -> dict[str, Any]:
    row: dict[str, Any] = {"target": SAME_STATEMENTS}
    if other is None:
        return row | {"met": None, "how_much": "no run at the other scale to compare with"}
    scales = sorted([report["scale"], other["scale"]])
    by_operation, differing = {}, []
    for name, entry in report["operations"].items():
        theirs = other["operations"].get(name, {}).get("statements")
        if theirs is None:
            continue
        counts = {report["scale"]: entry["statements"], other["scale"]: theirs}
        by_operation[name] = {
            t: {f"scale {s}": counts[s][t] for s in scales} for t in entry["statements"] if t in theirs
        }
        if entry["statements"]["service"] != theirs["service"]:
            differing.append(name)
    met = not differing and bool(by_operation)
    how = "identical for every operation" if met else f"differ for {', '.join(differing) or 'none compared'}"
    return row | {
        "met": met,
        "how_much": how,
        "compared_with": other.get("file", f"scale {other['scale']} of this run"),
        "statements": by_operation,
    }


def counterpart(
    report: dict[str, Any], others: list[dict[str, Any]], folder: Path = RESULTS
) -> dict[str, Any] | None:
    """The run at the other scale (1 against 10): from this invocation, else the newest
    results file of the same database in `folder`."""
    wanted = 10 if report["scale"] == 1 else 1
    for other in others:
        if other["db"] == report["db"] and other["scale"] == wanted:
            return other
    pattern = f"*-{report['db']}.json" if wanted == 1 else f"*-{report['db']}-s{wanted}.json"
    files = sorted(folder.glob(pattern))
    if not files:
        return None
    newest = files[-1]
    shown = (
        newest.relative_to(RESULTS.parent.parent) if newest.is_relative_to(RESULTS.parent.parent) else newest
    )
    return json.loads(newest.read_text()) | {"file": str(shown)}


def write(report: dict[str, Any], folder: Path = RESULTS) -> Path:
    """The results file of a run; a run of some operations only (`--only`) is named for them,
    so that it never replaces a whole run's file of the same day."""
    suffix = "" if report["scale"] == 1 else f"-s{report['scale']}"
    if report.get("only"):
        suffix += "-only-" + "-".join(report["only"])
    path = folder / f"{datetime.now(UTC).date()}-{report['db']}{suffix}.json"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return path


def _joined(entry: dict[str, Any], targets_run: list[str], key: str) -> str:
    return "/".join(f"{entry[t][key]:.1f}" for t in targets_run)


def print_table(report: dict[str, Any]) -> None:
    targets_run = [t for t in NAMES if any(t in e for e in report["operations"].values())]
    letters = "/".join(NAMES[t] for t in targets_run)
    print(
        f"\n{report['db']}, scale {report['scale']}, {report['seconds_per_measurement']} s per measurement, "
        f"load average {report['load_average']}"
    )
    header = f"{'op':4}" + "".join(f"{'req/s (' + NAMES[t] + ')':>11}" for t in targets_run)
    header += "".join(f"{'a/' + NAMES[t]:>7}" for t in targets_run[1:])
    header += f"  {'p50 ' + letters + ' ms':>28}  {'p99 ' + letters + ' ms':>30}"
    header += f"  {'SQL ' + letters:>16}  equal"
    print(header)
    print("-" * len(header))
    for name, e in report["operations"].items():
        line = f"{name:4}" + "".join(f"{e[t]['per_second']:11.1f}" for t in targets_run)
        line += "".join(f"{e['ratios'].get('service/' + t + ' req/s') or 0:7.2f}" for t in targets_run[1:])
        line += f"  {_joined(e, targets_run, 'p50_ms'):>28}  {_joined(e, targets_run, 'p99_ms'):>30}"
        line += f"  {'/'.join(str(e['statements'][t]) for t in targets_run):>16}"
        line += "  " + ("yes" if e["equal_data"] and e.get("equal_peer", True) else "NO")
        print(line)
    print("\ntargets (issue 5), from this run's ratios of req/s at 8 clients:")
    for t in report["targets"]:
        mark = {True: "met   ", False: "MISSED", None: "n/a   "}[t["met"]]
        what = t["target"] + (f" on {t['operation']}" if "operation" in t else "")
        value = f" ({t['ratio']:.2f})" if t.get("ratio") is not None else ""
        print(f"  {mark} {what}{value}: {t['how_much']}")


def first_difference(a: Any, b: Any, path: str = "data") -> str:
    """Where two answers first part: the path and both values, for a run that fails."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if a.get(key, "<missing>") != b.get(key, "<missing>"):
                return first_difference(a.get(key, "<missing>"), b.get(key, "<missing>"), f"{path}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            if x != y:
                return first_difference(x, y, f"{path}[{i}]")
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
    return f"{path}: {str(a)[:200]} != {str(b)[:200]}"
