"""The reconciliation checks a rule of ``schemas/rules.yaml`` can name, registered once in ``CHECKS``.

Each registered check declares the parameters a rule gives it (required and optional) and its scope: ``report``
(one report's tables, at ingest), ``years`` (two reports of one agency in consecutive years, ``xxgk audit``) or
``narrative`` (the figures a report's text states against its tables, ``xxgk audit``). The schema loader validates
rules against these declarations; ``pipeline.reconcile`` and ``pipeline.audit`` run them.

A rule with a null (blank) operand is skipped: blank is not zero. Every issue a check raises carries the cells it
read as ``(role, table, row, col)``, the role being the rule parameter that named the cell (total, parts, lhs …).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, NamedTuple, TypeVar

from .issues import Issue
from .specs import Rule, TableSpec, expand

TOLERANCE = 1e-6  # figures are whole numbers or money to the cent: closer than this is equal
CellKey = tuple[str, str, str]  # (table, row, col)
# (table, row, col) -> value (None for blank)
Values = dict[CellKey, float | None]
RowCol = tuple[str, str]


def _show(x: float) -> str:
    """A figure as a message prints it (7, 2.5, not 7.0)."""
    return f"{x:g}"


class Scope(StrEnum):
    """Where a check runs."""

    REPORT = "report"  # one report's tables, at ingest
    YEARS = "years"  # two reports of one agency in consecutive years (xxgk audit)
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


# --- two years of one agency ----------------------------------------------------------------------------------
YEAR_OPERANDS = ("current", "previous", "plus", "minus")  # the year-pair rule's parameters, in message order
# operand name -> (table, row, col) and value of each cell it names
YearOperands = dict[str, list[tuple[CellKey, float | None]]]


class YearPairCtx:
    """Two reports of one agency in consecutive years: ``prev`` (Y−1) and ``cur`` (Y), each table -> values."""

    def __init__(
        self,
        rule: Rule,
        spec: TableSpec,
        prev: Values,
        cur: Values,
        prev_template: str | None,
        cur_template: str | None,
    ) -> None:
        self.rule, self.spec, self.prev, self.cur = rule, spec, prev, cur
        self.prev_template, self.cur_template = prev_template, cur_template

    @property
    def by_column(self) -> bool:
        return self.rule.params.get("axis", "column") == "column"

    def lines(self) -> Iterator[tuple[str, YearOperands]]:
        """(line key, {operand name: [(cell, value)]}) for every line both years print."""
        if self.prev_template is None or self.cur_template is None:
            return
        for line in self._line_keys(self.prev_template, self.cur_template):
            ops = self._operands(line)
            if ops is not None:
                yield line, ops

    def _line_keys(self, prev_tpl: str, cur_tpl: str) -> list[str]:
        spec = self.spec
        if self.by_column:
            return [c for c in spec.column_keys(cur_tpl) if c in spec.column_keys(prev_tpl)]
        lines = [r for r in spec.row_keys(cur_tpl) if r in spec.row_keys(prev_tpl)]
        return expand(self.rule.params["rows"], lines) if "rows" in self.rule.params else lines

    def _operand_keys(self, line: str, template: str | None) -> list[str]:
        """The rows (axis=column) or the line's own columns (axis=row) a template prints."""
        if self.by_column:
            return self.spec.row_keys(template)
        return list(self.spec.row(line).columns.get(template or "", ()))

    def _cell(self, line: str, key: str) -> CellKey:
        return (self.spec.table, key, line) if self.by_column else (self.spec.table, line, key)

    def _operands(self, line: str) -> YearOperands | None:
        """None when an operand names a key a template does not have: the rule does not apply to this line."""
        ops: YearOperands = {}
        for name in YEAR_OPERANDS:
            pats = self.rule.params.get(name)
            if pats is None:
                ops[name] = []
                continue
            pats = [pats] if isinstance(pats, str) else pats
            src, tpl = (self.prev, self.prev_template) if name == "previous" else (self.cur, self.cur_template)
            names = expand(pats, self._operand_keys(line, tpl))
            if len(names) < len(pats):
                return None
            ops[name] = [(self._cell(line, k), src.get(self._cell(line, k))) for k in names]
        return ops


def _year_terms(ops: dict[str, list[tuple[CellKey, float]]]) -> str:
    """previous(Y−1) + plus − minus, as the message spells the expectation."""
    terms = " + ".join(f"{'/'.join(c[1:])}(Y−1)={_show(v)}" for c, v in ops["previous"])
    terms += "".join(f" + {'/'.join(c[1:])}={_show(v)}" for c, v in ops["plus"])
    terms += "".join(f" − {'/'.join(c[1:])}={_show(v)}" for c, v in ops["minus"])
    return terms


def _known(ops: YearOperands) -> dict[str, list[tuple[CellKey, float]]] | None:
    """The operands' values, or None when one is blank or missing (never read as zero)."""
    known = {name: [(c, v) for c, v in cells if v is not None] for name, cells in ops.items()}
    return known if all(len(known[n]) == len(ops[n]) for n in ops) else None


def _previous_year(ctx: YearPairCtx, at_least: bool) -> list[Issue]:
    out = []
    for line, ops in ctx.lines():
        known = _known(ops)
        if known is None:
            continue
        ((ccell, actual),) = known["current"]
        expected = (
            sum(v for _, v in known["previous"]) + sum(v for _, v in known["plus"]) - sum(v for _, v in known["minus"])
        )
        failed = (actual < expected - TOLERANCE) if at_least else (abs(actual - expected) > TOLERANCE)
        if failed:
            rel = "at least " if at_least else ""
            message = (
                f"{ctx.rule.name} [{line}]: {'/'.join(ccell[1:])} is "
                f"{_show(actual)} but {rel}{_year_terms(known)} = {_show(expected)} was expected"
            )
            out.append(_year_issue(ctx, message, ccell, expected, actual, ops))
    return out


def _year_issue(
    ctx: YearPairCtx, message: str, at: CellKey, expected: float, actual: float, ops: YearOperands
) -> Issue:
    return Issue(
        "cross-year-mismatch",
        message,
        table=ctx.spec.table,
        row=at[1],
        col=at[2],
        rule=ctx.rule.name,
        expected=expected,
        actual=actual,
        difference=actual - expected,
        severity=ctx.rule.severity,
        cells=tuple((name, *c) for name in ops for c, _ in ops[name]),
    )


def check_previous_year_equals(ctx: YearPairCtx) -> list[Issue]:
    return _previous_year(ctx, at_least=False)


def check_previous_year_at_least(ctx: YearPairCtx) -> list[Issue]:
    return _previous_year(ctx, at_least=True)


# --- the text against the tables ------------------------------------------------------------------------------
class NarrativeCtx:
    """One report's table values and the figures its text states: figure name -> [(value, raw text, paragraph)]."""

    def __init__(
        self, rule: Rule, spec: TableSpec, values: Values, stated: dict[str, list[tuple[float, str, int]]]
    ) -> None:
        self.rule, self.spec, self.values, self.stated = rule, spec, values, stated


def check_narrative_equals(ctx: NarrativeCtx) -> list[Issue]:
    out = []
    for fig in ctx.rule.params["figures"]:
        cells = [(ctx.spec.table, r, c) for r, c in fig["cells"]]
        vals = [ctx.values.get(k) for k in cells]
        known = [v for v in vals if v is not None]
        if len(known) < len(vals):  # a blank or missing cell: nothing to compare with
            continue
        table_value = sum(known)
        where = " + ".join(f"{r}/{c}={_show(v)}" for (_, r, c), v in zip(cells, known, strict=True))
        for stated, raw, para in ctx.stated.get(fig["name"], []):
            if abs(stated - table_value) > TOLERANCE:
                out.append(_narrative_issue(ctx, fig["name"], cells, table_value, stated, raw, para, where))
    return out


def _narrative_issue(
    ctx: NarrativeCtx,
    figure: str,
    cells: list[CellKey],
    table_value: float,
    stated: float,
    raw: str,
    para: int,
    where: str,
) -> Issue:
    return Issue(
        "narrative-mismatch",
        f"{ctx.rule.name} [{figure}]: the text says {_show(stated)} ({raw!r}) but the table has {where}",
        table=ctx.spec.table,
        row=cells[0][1],
        col=cells[0][2],
        rule=ctx.rule.name,
        expected=table_value,
        actual=stated,
        difference=stated - table_value,
        raw=raw,
        row_index=para,
        severity=ctx.rule.severity,
        cells=tuple(("cells", *k) for k in cells),
        figure=figure,
    )


# --- the registry ---------------------------------------------------------------------------------------------
Ctx = TypeVar("Ctx", ReportCtx, YearPairCtx, NarrativeCtx)


@dataclass(frozen=True)
class Check(Generic[Ctx]):
    """A registered check: the function, where it runs, and the parameters a rule gives it."""

    run: Callable[[Ctx], list[Issue]]
    scope: Scope
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    @property
    def params(self) -> tuple[str, ...]:
        return (*self.required, *self.optional)

    def __call__(self, ctx: Ctx) -> list[Issue]:
        return self.run(ctx)


# the cell filters of the single-value checks and of row-wise year rules
_FILTERS = ("rows", "columns")

CHECKS: dict[str, Check[Any]] = {
    "sum_equals": Check(check_sum_equals, Scope.REPORT, ("axis", "total", "parts")),
    "balance": Check(check_balance, Scope.REPORT, ("axis", "lhs", "rhs")),
    "less_equal": Check(check_less_equal, Scope.REPORT, ("axis", "lesser", "greater")),
    "sum_non_negative": Check(check_sum_non_negative, Scope.REPORT, ("axis", "parts")),
    "non_negative": Check(check_non_negative, Scope.REPORT, (), _FILTERS),
    "non_negative_integer": Check(check_non_negative_integer, Scope.REPORT, (), _FILTERS),
    "previous_year_equals": Check(
        check_previous_year_equals, Scope.YEARS, ("axis", "current", "previous"), ("rows", "plus", "minus")
    ),
    "previous_year_at_least": Check(
        check_previous_year_at_least, Scope.YEARS, ("axis", "current", "previous"), ("rows", "plus", "minus")
    ),
    "narrative_equals": Check(check_narrative_equals, Scope.NARRATIVE, ("figures",)),
}
