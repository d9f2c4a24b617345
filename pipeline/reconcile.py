"""Evaluate the reconciliation rules of ``schemas/rules.yaml`` on one report's figures.

Each check is a plain function registered in ``CHECKS``; a rule names its check and parameters. A rule with a null
(blank) operand is skipped: blank is not zero.
"""
from __future__ import annotations

from typing import Callable, Iterator

from .issues import Issue
from .schema import Rule, Schema, TableSpec, expand

TOLERANCE = 1e-6
# (table, row, col) -> value (None for blank), plus where each value was printed
Values = dict[tuple[str, str, str], float | None]


def _fmt(x: float) -> str:
    return f"{x:g}"


class _Ctx:
    def __init__(self, rule: Rule, spec: TableSpec, template: str, values: Values, where: dict):
        self.rule, self.spec, self.template, self.values, self.where = rule, spec, template, values, where
        self.rows = [r.key for r in spec.rows if template in r.columns]
        self.cols = list(dict.fromkeys(c for r in spec.rows for c in r.columns.get(template, ())))

    def get(self, row: str, col: str):
        return self.values.get((self.spec.table, row, col))

    def present(self, row: str, col: str) -> bool:
        return (self.spec.table, row, col) in self.values

    def lines(self) -> Iterator[tuple[str, list[str], Callable[[str], tuple[str, str]]]]:
        """For each line (a column for axis=column, a row for axis=row): its key, the operand keys and a key->cell map."""
        axis = self.rule.params.get("axis", "column")
        if axis == "column":
            for c in self.cols:
                yield c, self.rows, (lambda k, c=c: (k, c))
        else:
            for r in self.rows:
                yield r, self.cols, (lambda k, r=r: (r, k))

    def issue(self, code, message, row, col, expected=None, actual=None, cells=()):
        page = next((self.where[(self.spec.table, *rc)] for rc in cells if (self.spec.table, *rc) in self.where), None)
        return Issue(code, message, table=self.spec.table, row=row, col=col, page=page, rule=self.rule.name,
                     expected=expected, actual=actual,
                     difference=None if expected is None or actual is None else actual - expected,
                     severity=self.rule.severity)


def _operands(ctx: _Ctx, keys: list[str], patterns, cell):
    """The cells the patterns name on this line, or None when one is missing or blank (the rule is skipped)."""
    names = expand(patterns if isinstance(patterns, list) else [patterns], keys)
    if not names:
        return None
    cells = [cell(k) for k in names]
    vals = [ctx.get(*rc) for rc in cells]
    if any(v is None for v in vals):
        return None
    return cells, vals


def check_sum_equals(ctx: _Ctx) -> list[Issue]:
    out = []
    for line, keys, cell in ctx.lines():
        total, parts = _operands(ctx, keys, ctx.rule.params["total"], cell), _operands(ctx, keys, ctx.rule.params["parts"], cell)
        if total is None or parts is None:
            continue
        (tcell,), (tval,) = total
        expected = sum(parts[1])
        if abs(tval - expected) > TOLERANCE:
            names = " + ".join(f"{'/'.join(c)}={_fmt(v)}" for c, v in zip(*parts))
            out.append(ctx.issue("sum-mismatch", f"{ctx.rule.name}: {'/'.join(tcell)} is {_fmt(tval)} but the sum of its "
                                 f"parts is {_fmt(expected)} ({names})", tcell[0], tcell[1], expected, tval,
                                 [tcell, *parts[0]]))
    return out


def check_balance(ctx: _Ctx) -> list[Issue]:
    out = []
    for line, keys, cell in ctx.lines():
        lhs, rhs = _operands(ctx, keys, ctx.rule.params["lhs"], cell), _operands(ctx, keys, ctx.rule.params["rhs"], cell)
        if lhs is None or rhs is None:
            continue
        left, right = sum(lhs[1]), sum(rhs[1])
        if abs(left - right) > TOLERANCE:
            desc = lambda side: " + ".join(f"{c[0] if ctx.rule.params.get('axis') == 'column' else c[1]}={_fmt(v)}"
                                           for c, v in zip(*side))
            row, col = (None, line) if ctx.rule.params.get("axis", "column") == "column" else (line, None)
            out.append(ctx.issue("balance-mismatch", f"{ctx.rule.name} [{line}]: {desc(lhs)} = {_fmt(left)} but "
                                 f"{desc(rhs)} = {_fmt(right)}", row, col, left, right, [*lhs[0], *rhs[0]]))
    return out


def check_less_equal(ctx: _Ctx) -> list[Issue]:
    out = []
    for line, keys, cell in ctx.lines():
        a, b = _operands(ctx, keys, ctx.rule.params["lesser"], cell), _operands(ctx, keys, ctx.rule.params["greater"], cell)
        if a is None or b is None:
            continue
        if a[1][0] > b[1][0] + TOLERANCE:
            out.append(ctx.issue("order-violation", f"{ctx.rule.name}: {'/'.join(a[0][0])}={_fmt(a[1][0])} exceeds "
                                 f"{'/'.join(b[0][0])}={_fmt(b[1][0])}", a[0][0][0], a[0][0][1], b[1][0], a[1][0],
                                 [a[0][0], b[0][0]]))
    return out


def check_sum_non_negative(ctx: _Ctx) -> list[Issue]:
    out = []
    for line, keys, cell in ctx.lines():
        parts = _operands(ctx, keys, ctx.rule.params["parts"], cell)
        if parts is None or len(parts[1]) < len(ctx.rule.params["parts"]):
            continue
        if sum(parts[1]) < -TOLERANCE:
            out.append(ctx.issue("negative-value", f"{ctx.rule.name} [{line}]: the sum "
                                 f"{' + '.join(_fmt(v) for v in parts[1])} is below zero", parts[0][0][0], None,
                                 0.0, sum(parts[1]), parts[0]))
    return out


def _each_value(ctx: _Ctx):
    rows = expand(ctx.rule.params["rows"], ctx.rows) if "rows" in ctx.rule.params else ctx.rows
    cols = expand(ctx.rule.params["columns"], ctx.cols) if "columns" in ctx.rule.params else ctx.cols
    for r in rows:
        for c in cols:
            v = ctx.get(r, c)
            if v is not None:
                yield r, c, v


def check_non_negative(ctx: _Ctx) -> list[Issue]:
    return [ctx.issue("negative-value", f"{ctx.rule.name}: {r}/{c} is {_fmt(v)}", r, c, None, v, [(r, c)])
            for r, c, v in _each_value(ctx) if v < -TOLERANCE]


def check_non_negative_integer(ctx: _Ctx) -> list[Issue]:
    out = check_non_negative(ctx)
    out += [ctx.issue("non-integer-value", f"{ctx.rule.name}: {r}/{c} is {_fmt(v)}, not a whole number", r, c, None, v,
                      [(r, c)]) for r, c, v in _each_value(ctx) if abs(v - round(v)) > TOLERANCE]
    return out


CHECKS: dict[str, Callable[[_Ctx], list[Issue]]] = {
    "sum_equals": check_sum_equals,
    "balance": check_balance,
    "less_equal": check_less_equal,
    "sum_non_negative": check_sum_non_negative,
    "non_negative": check_non_negative,
    "non_negative_integer": check_non_negative_integer,
}


def reconcile(schema: Schema, templates: dict[str, str | None], values: Values, where: dict | None = None) -> list[Issue]:
    """Issues for every rule that fails on this report. ``templates``: table -> template it was read as."""
    out: list[Issue] = []
    for rule in schema.rules:
        tpl = templates.get(rule.table)
        if tpl is None:
            continue
        out += CHECKS[rule.check](_Ctx(rule, schema.tables[rule.table], tpl, values, where or {}))
    return out
