"""The start of the day, ISO week or month a timestamp falls in, as 'YYYY-MM-DD' text, on both
databases: SQLite and PostgreSQL spell date arithmetic differently, so the expression
compiles per dialect. Timestamps are UTC (db.models.base), so buckets are UTC days.

    select(period_start(PeriodUnit.WEEK, activities.c.at))  -> '2026-11-23' (a Monday)
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from salescoord.db.models.records import PeriodUnit
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class _PeriodStart(FunctionElement):
    type = sa.String()
    inherit_cache = True
    unit = PeriodUnit.DAY


class DayStart(_PeriodStart):
    inherit_cache = True
    unit = PeriodUnit.DAY


class WeekStart(_PeriodStart):
    inherit_cache = True
    unit = PeriodUnit.WEEK


class MonthStart(_PeriodStart):
    inherit_cache = True
    unit = PeriodUnit.MONTH


_BY_UNIT = {PeriodUnit.DAY: DayStart, PeriodUnit.WEEK: WeekStart, PeriodUnit.MONTH: MonthStart}
_SQLITE = {
    PeriodUnit.DAY: "strftime('%Y-%m-%d', {})",
    # 'weekday 0' moves to the next Sunday (or stays on one); six days back is that week's Monday
    PeriodUnit.WEEK: "strftime('%Y-%m-%d', {}, 'weekday 0', '-6 days')",
    PeriodUnit.MONTH: "strftime('%Y-%m-01', {})",
}


def period_start(unit: PeriodUnit, column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    return _BY_UNIT[unit](column)


@compiles(_PeriodStart, "sqlite")
def _sqlite(element: _PeriodStart, compiler: Any, **kw: Any) -> str:
    return _SQLITE[element.unit].format(compiler.process(element.clauses, **kw))


@compiles(_PeriodStart, "postgresql")
def _postgresql(element: _PeriodStart, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char(date_trunc('{element.unit}', {column} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
