"""The checks on two reports at once: one agency in consecutive years, or two agencies in the same year.

``YearPairCtx`` holds the two reports' figures (``prev``: the year before, or the other agency's report; ``cur``:
the report the failure is recorded on) and the template each printed the rule's table on. Every check here also
says which lines it evaluated (``*_lines``), so the audit can record a held, failed or skipped row for each.
"""

from __future__ import annotations

from collections.abc import Iterator

from .checks_base import TOLERANCE, CellKey, Values, show
from .issues import Issue
from .specs import Rule, TableSpec, expand

YEAR_OPERANDS = ("current", "previous", "plus", "minus")  # the year-pair rule's parameters, in message order
# operand name -> (table, row, col) and value of each cell it names
YearOperands = dict[str, list[tuple[CellKey, float | None]]]


class YearPairCtx:
    """Two reports: ``prev`` (Y−1, or another agency's) and ``cur`` (Y), each (table, row, col) -> value."""

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


def operand_lines(ctx: YearPairCtx) -> Iterator[tuple[str, str | None]]:
    """(line, why it was skipped or None): a line with a blank operand is skipped, never read as zero."""
    for line, ops in ctx.lines():
        yield line, None if all(v is not None for cells in ops.values() for _, v in cells) else "skipped-blank"


def _year_terms(ops: dict[str, list[tuple[CellKey, float]]]) -> str:
    """previous(Y−1) + plus − minus, as the message spells the expectation."""
    terms = " + ".join(f"{'/'.join(c[1:])}(Y−1)={show(v)}" for c, v in ops["previous"])
    terms += "".join(f" + {'/'.join(c[1:])}={show(v)}" for c, v in ops["plus"])
    terms += "".join(f" − {'/'.join(c[1:])}={show(v)}" for c, v in ops["minus"])
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
                f"{show(actual)} but {rel}{_year_terms(known)} = {show(expected)} was expected"
            )
            out.append(_year_issue(ctx, "cross-year-mismatch", message, ccell, expected, actual, ops))
    return out


def _year_issue(
    ctx: YearPairCtx, code: str, message: str, at: CellKey, expected: float, actual: float, ops: YearOperands
) -> Issue:
    return Issue(
        code,
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


def check_year_on_year_ratio(ctx: YearPairCtx) -> list[Issue]:
    """A figure that grew or fell by more than ``max_ratio`` times from one year to the next (a jump worth a look:
    a misprint, a unit, or a real change). Not judged when both years are below ``min_value`` (small counts jump
    by chance) or when last year's is 0 (no ratio)."""
    out = []
    max_ratio, floor = float(ctx.rule.params["max_ratio"]), float(ctx.rule.params.get("min_value", 0))
    for line, ops in ctx.lines():
        known = _known(ops)
        if known is None:
            continue
        ((ccell, actual),) = known["current"]
        before = sum(v for _, v in known["previous"])
        if before <= 0 or max(actual, before) < floor:
            continue
        ratio = actual / before
        if ratio > max_ratio or ratio < 1 / max_ratio:
            message = (
                f"{ctx.rule.name} [{line}]: {'/'.join(ccell[1:])} went from {show(before)} to {show(actual)} "
                f"(× {ratio:.2f}; beyond × {show(max_ratio)} or ÷ {show(max_ratio)})"
            )
            out.append(_year_issue(ctx, "implausible-change", message, ccell, before, actual, ops))
    return out


# --- a table the same as another report's ------------------------------------------------------------------------
def table_figures(values: Values, table: str) -> dict[tuple[str, str], float]:
    """The figures a report prints in one table: (row, col) -> value, blanks left out."""
    return {(r, c): v for (t, r, c), v in values.items() if t == table and v is not None}


def _same_table_applies(ctx: YearPairCtx) -> bool:
    """Both reports print the table on one template, with at least ``min_distinct`` different non-zero figures: a
    table of a few small counts (or all zeros) is the same as another by chance, not by copying."""
    if ctx.prev_template is None or ctx.prev_template != ctx.cur_template:
        return False
    figures = table_figures(ctx.cur, ctx.spec.table)
    distinct = {v for v in figures.values() if abs(v) > TOLERANCE}
    return len(distinct) >= int(ctx.rule.params.get("min_distinct", 1))


def same_table_lines(ctx: YearPairCtx) -> Iterator[tuple[str, str | None]]:
    """One line, the whole table: evaluated when the rule applies."""
    yield ctx.spec.table, None if _same_table_applies(ctx) else "not-applicable"


def check_same_table(ctx: YearPairCtx) -> list[Issue]:
    """Every figure of the table equal to the other report's (last year's: a report copied and the year changed;
    another agency's the same year: tables copied between agencies)."""
    if not _same_table_applies(ctx):
        return []
    t = ctx.spec.table
    cur = table_figures(ctx.cur, t)
    if cur != table_figures(ctx.prev, t):
        return []
    message = f"{ctx.rule.name}: all {len(cur)} figures of table {t} are the same as in the other report"
    return [
        Issue(
            "identical-table",
            message,
            table=t,
            rule=ctx.rule.name,
            actual=float(len(cur)),
            severity=ctx.rule.severity,
        )
    ]
