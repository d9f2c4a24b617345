"""The reconciliation checks a rule of ``schemas/rules.yaml`` can name, registered once in ``CHECKS``.

Each registered check declares the parameters a rule gives it (required and optional) and its scope: ``report``
(one report's tables, at ingest), ``years`` (two reports of one agency in consecutive years, ``xxgk audit``),
``peers`` (two agencies' reports of the same year, ``xxgk audit``) or ``narrative`` (what a report's text states,
``xxgk audit``). The schema loader validates rules against these declarations; ``pipeline.reconcile`` and
``pipeline.audit`` run them. The checks on one report are here; those on two reports are in ``checks_years``, those
on the text in ``checks_text``.

A rule with a null (blank) operand is skipped: blank is not zero. Every issue a check raises carries the cells it
read as ``(role, table, row, col)``, the role being the rule parameter that named the cell (total, parts, lhs …).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, NamedTuple, TypeVar

from .checks_base import TOLERANCE, CellKey, RowCol, Values
from .checks_base import show as _show
from .checks_text import NarrativeCtx, check_narrative_equals, check_sections_present
from .checks_years import (
    YearPairCtx,
    check_previous_year_at_least,
    check_previous_year_equals,
    check_same_table,
    check_year_on_year_ratio,
    operand_lines,
    same_table_lines,
)
from .issues import Issue
from .specs import Rule, TableSpec, expand


class Scope(StrEnum):
    """Where a check runs."""

    REPORT = "report"  # one report's tables, at ingest
    YEARS = "years"  # two reports of one agency in consecutive years (xxgk audit)
    PEERS = "peers"  # two agencies' reports of the same year (xxgk audit)
    NARRATIVE = "narrative"  # figures stated in the text against the tables (xxgk audit)


# --- one report -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    """One line a rule is evaluated on: a column (axis=column, operands are rows) or a row (axis=row)."""

    key: str
    operand_keys: list[str]
    by_column: bool

    def cell(self, operand: str) -> RowCol:
        return (operand, self.key) if self.by_column else (self.key, operand)


class Operands(NamedTuple):
    cells: list[RowCol]
    values: list[float]


class ReportCtx:
    """One rule on one report: the table's spec, the template it was read as, its values and their pages."""

    def __init__(
        self, rule: Rule, spec: TableSpec, template: str, values: Values, where: dict[CellKey, int | None]
    ) -> None:
        self.rule, self.spec, self.template, self.values, self.where = rule, spec, template, values, where
        self.rows = spec.row_keys(template)
        self.cols = spec.column_keys(template)

    @property
    def params(self) -> dict[str, Any]:
        return self.rule.params

    def get(self, row: str, col: str) -> float | None:
        return self.values.get((self.spec.table, row, col))

    def lines(self) -> Iterator[Line]:
        """Each column for axis=column (operands are rows), each row for axis=row (operands are columns)."""
        if self.params.get("axis", "column") == "column":
            yield from (Line(c, self.rows, by_column=True) for c in self.cols)
        else:
            yield from (Line(r, self.cols, by_column=False) for r in self.rows)

    def operands(self, line: Line, param: str) -> Operands | None:
        """The cells parameter ``param`` names on this line, or None when none is, or one is missing or blank."""
        names = expand(self.params[param], line.operand_keys)
        if not names:
            return None
        cells = [line.cell(k) for k in names]
        vals = [self.get(*rc) for rc in cells]
        if any(v is None for v in vals):
            return None
        return Operands(cells, [v for v in vals if v is not None])

    def issue(
        self,
        code: str,
        message: str,
        at: tuple[str | None, str | None],
        expected: float | None,
        actual: float | None,
        cells: list[tuple[str, RowCol]],
    ) -> Issue:
        """An issue of this rule at (row, col); ``cells`` are the (role, (row, col)) the rule read."""
        t = self.spec.table
        page = next((self.where[(t, *rc)] for _, rc in cells if (t, *rc) in self.where), None)
        return Issue(
            code,
            message,
            table=t,
            row=at[0],
            col=at[1],
            page=page,
            rule=self.rule.name,
            expected=expected,
            actual=actual,
            difference=None if expected is None or actual is None else actual - expected,
            severity=self.rule.severity,
            cells=tuple((role, t, r, c) for role, (r, c) in cells),
        )


def _roles(role: str, cells: list[RowCol]) -> list[tuple[str, RowCol]]:
    return [(role, rc) for rc in cells]


def _slash(cell: RowCol) -> str:
    return "/".join(cell)


def check_sum_equals(ctx: ReportCtx) -> list[Issue]:
    out = []
    for line in ctx.lines():
        total, parts = ctx.operands(line, "total"), ctx.operands(line, "parts")
        if total is None or parts is None:
            continue
        (tcell,), (tval,) = total
        expected = sum(parts.values)
        if abs(tval - expected) > TOLERANCE:
            names = " + ".join(f"{_slash(c)}={_show(v)}" for c, v in zip(*parts, strict=True))
            message = (
                f"{ctx.rule.name}: {_slash(tcell)} is {_show(tval)} but the sum of its "
                f"parts is {_show(expected)} ({names})"
            )
            read = [("total", tcell), *_roles("parts", parts.cells)]
            out.append(ctx.issue("sum-mismatch", message, tcell, expected, tval, read))
    return out


def _side(line: Line, ops: Operands) -> str:
    """One side of a balance on its line: each operand's key (a row on a column, a column on a row) and value."""
    return " + ".join(f"{c[0] if line.by_column else c[1]}={_show(v)}" for c, v in zip(*ops, strict=True))


def check_balance(ctx: ReportCtx) -> list[Issue]:
    out = []
    for line in ctx.lines():
        lhs, rhs = ctx.operands(line, "lhs"), ctx.operands(line, "rhs")
        if lhs is None or rhs is None:
            continue
        left, right = sum(lhs.values), sum(rhs.values)
        if abs(left - right) > TOLERANCE:
            at = (None, line.key) if line.by_column else (line.key, None)
            message = (
                f"{ctx.rule.name} [{line.key}]: {_side(line, lhs)} = {_show(left)} "
                f"but {_side(line, rhs)} = {_show(right)}"
            )
            read = [*_roles("lhs", lhs.cells), *_roles("rhs", rhs.cells)]
            out.append(ctx.issue("balance-mismatch", message, at, left, right, read))
    return out


def check_less_equal(ctx: ReportCtx) -> list[Issue]:
    out = []
    for line in ctx.lines():
        lesser, greater = ctx.operands(line, "lesser"), ctx.operands(line, "greater")
        if lesser is None or greater is None:
            continue
        (a, *_), (av, *_) = lesser
        (b, *_), (bv, *_) = greater
        if av > bv + TOLERANCE:
            message = f"{ctx.rule.name}: {_slash(a)}={_show(av)} exceeds {_slash(b)}={_show(bv)}"
            out.append(ctx.issue("order-violation", message, a, bv, av, [("lesser", a), ("greater", b)]))
    return out


def check_sum_non_negative(ctx: ReportCtx) -> list[Issue]:
    out = []
    patterns = ctx.params["parts"]
    n_patterns = 1 if isinstance(patterns, str) else len(patterns)
    for line in ctx.lines():
        parts = ctx.operands(line, "parts")
        if parts is None or len(parts.values) < n_patterns:  # a part this line lacks: nothing to add up
            continue
        if sum(parts.values) < -TOLERANCE:
            message = f"{ctx.rule.name} [{line.key}]: the sum {' + '.join(map(_show, parts.values))} is below zero"
            at = (parts.cells[0][0], None)
            out.append(ctx.issue("negative-value", message, at, 0.0, sum(parts.values), _roles("parts", parts.cells)))
    return out


def _each_value(ctx: ReportCtx) -> Iterator[tuple[str, str, float]]:
    """Every printed value of the rule's rows and columns (all of the template's when the rule names none)."""
    rows = expand(ctx.params["rows"], ctx.rows) if "rows" in ctx.params else ctx.rows
    cols = expand(ctx.params["columns"], ctx.cols) if "columns" in ctx.params else ctx.cols
    for r in rows:
        for c in cols:
            v = ctx.get(r, c)
            if v is not None:
                yield r, c, v


def check_non_negative(ctx: ReportCtx) -> list[Issue]:
    return [
        ctx.issue("negative-value", f"{ctx.rule.name}: {r}/{c} is {_show(v)}", (r, c), None, v, [("cell", (r, c))])
        for r, c, v in _each_value(ctx)
        if v < -TOLERANCE
    ]


def check_non_negative_integer(ctx: ReportCtx) -> list[Issue]:
    out = check_non_negative(ctx)
    out += [
        ctx.issue(
            "non-integer-value",
            f"{ctx.rule.name}: {r}/{c} is {_show(v)}, not a whole number",
            (r, c),
            None,
            v,
            [("cell", (r, c))],
        )
        for r, c, v in _each_value(ctx)
        if abs(v - round(v)) > TOLERANCE
    ]
    return out


# --- the registry ---------------------------------------------------------------------------------------------
Ctx = TypeVar("Ctx", ReportCtx, YearPairCtx, NarrativeCtx)


@dataclass(frozen=True)
class Check(Generic[Ctx]):
    """A registered check: the function, where it runs, and the parameters a rule gives it.

    ``settings`` are the parameters that are not keys of the table (thresholds, patterns); ``table``: whether a
    rule of this check names a table (a check on the text alone does not); ``lines``: for a check on two reports,
    the lines it evaluates on them, each with why it was skipped (None when evaluated: the audit records a row per
    line, held, failed or skipped).
    """

    run: Callable[[Ctx], list[Issue]]
    scope: Scope
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()
    table: bool = True
    lines: Callable[[Ctx], Iterator[tuple[str, str | None]]] | None = None

    @property
    def params(self) -> tuple[str, ...]:
        return (*self.required, *self.optional)

    def __call__(self, ctx: Ctx) -> list[Issue]:
        return self.run(ctx)


def evaluated(ctx: ReportCtx) -> bool:
    """Whether a report-scope rule could be evaluated on this report: some line with every operand printed (for a
    check on single values, some value printed). A report on which no rule could be evaluated is not said to
    reconcile."""
    operands = [p for p in CHECKS[ctx.rule.check].required if p != "axis"]
    if not operands:
        return next(_each_value(ctx), None) is not None
    return any(all(ctx.operands(line, p) is not None for p in operands) for line in ctx.lines())


# the cell filters of the single-value checks and of row-wise year rules
_FILTERS = ("rows", "columns")
_YEAR_OPERANDS = (("axis", "current", "previous"), ("rows", "plus", "minus"))

CHECKS: dict[str, Check[Any]] = {
    "sum_equals": Check(check_sum_equals, Scope.REPORT, ("axis", "total", "parts")),
    "balance": Check(check_balance, Scope.REPORT, ("axis", "lhs", "rhs")),
    "less_equal": Check(check_less_equal, Scope.REPORT, ("axis", "lesser", "greater")),
    "sum_non_negative": Check(check_sum_non_negative, Scope.REPORT, ("axis", "parts")),
    "non_negative": Check(check_non_negative, Scope.REPORT, (), _FILTERS),
    "non_negative_integer": Check(check_non_negative_integer, Scope.REPORT, (), _FILTERS),
    "previous_year_equals": Check(check_previous_year_equals, Scope.YEARS, *_YEAR_OPERANDS, lines=operand_lines),
    "previous_year_at_least": Check(check_previous_year_at_least, Scope.YEARS, *_YEAR_OPERANDS, lines=operand_lines),
    "year_on_year_ratio": Check(
        check_year_on_year_ratio,
        Scope.YEARS,
        ("axis", "current", "previous", "max_ratio"),
        ("rows", "min_value"),
        settings=("max_ratio", "min_value"),
        lines=operand_lines,
    ),
    "same_as_last_year": Check(
        check_same_table, Scope.YEARS, (), ("min_distinct",), settings=("min_distinct",), lines=same_table_lines
    ),
    "same_as_other_agency": Check(
        check_same_table, Scope.PEERS, (), ("min_distinct",), settings=("min_distinct",), lines=same_table_lines
    ),
    "narrative_equals": Check(check_narrative_equals, Scope.NARRATIVE, ("figures",), settings=("figures",)),
    "sections_present": Check(
        check_sections_present,
        Scope.NARRATIVE,
        ("sections",),
        ("min_found",),
        settings=("sections", "min_found"),
        table=False,
    ),
}

__all__ = [
    "CHECKS",
    "TOLERANCE",
    "CellKey",
    "Check",
    "NarrativeCtx",
    "ReportCtx",
    "RowCol",
    "Scope",
    "Values",
    "YearPairCtx",
    "evaluated",
]
