"""Evaluate the reconciliation rules of ``schemas/rules.yaml`` on one report's figures.

Each check is a plain function registered in ``CHECKS``; a rule names its check and parameters. A rule with a null
(blank) operand is skipped: blank is not zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

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
        """An issue of this rule; ``cells`` are the (role, (row, col)) the rule read, role being its operand's name."""
        t = self.spec.table
        page = next((self.where[(t, *rc)] for _, rc in cells if (t, *rc) in self.where), None)
        return Issue(
            code,
            message,
            table=self.spec.table,
            row=row,
            col=col,
            page=page,
            rule=self.rule.name,
            expected=expected,
            actual=actual,
            difference=None if expected is None or actual is None else actual - expected,
            severity=self.rule.severity,
            cells=tuple((role, t, r, c) for role, (r, c) in cells),
        )


def _roles(role: str, cells) -> list:
    return [(role, rc) for rc in cells]


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
    for _line, keys, cell in ctx.lines():
        total, parts = (
            _operands(ctx, keys, ctx.rule.params["total"], cell),
            _operands(ctx, keys, ctx.rule.params["parts"], cell),
        )
        if total is None or parts is None:
            continue
        (tcell,), (tval,) = total
        expected = sum(parts[1])
        if abs(tval - expected) > TOLERANCE:
            names = " + ".join(f"{'/'.join(c)}={_fmt(v)}" for c, v in zip(*parts, strict=False))
            out.append(
                ctx.issue(
                    "sum-mismatch",
                    f"{ctx.rule.name}: {'/'.join(tcell)} is {_fmt(tval)} but the sum of its "
                    f"parts is {_fmt(expected)} ({names})",
                    tcell[0],
                    tcell[1],
                    expected,
                    tval,
                    [("total", tcell), *_roles("parts", parts[0])],
                )
            )
    return out


def check_balance(ctx: _Ctx) -> list[Issue]:
    out = []
    for line, keys, cell in ctx.lines():
        lhs, rhs = (
            _operands(ctx, keys, ctx.rule.params["lhs"], cell),
            _operands(ctx, keys, ctx.rule.params["rhs"], cell),
        )
        if lhs is None or rhs is None:
            continue
        left, right = sum(lhs[1]), sum(rhs[1])
        if abs(left - right) > TOLERANCE:
            desc = lambda side: " + ".join(
                f"{c[0] if ctx.rule.params.get('axis') == 'column' else c[1]}={_fmt(v)}"
                for c, v in zip(*side, strict=False)
            )
            row, col = (None, line) if ctx.rule.params.get("axis", "column") == "column" else (line, None)
            out.append(
                ctx.issue(
                    "balance-mismatch",
                    f"{ctx.rule.name} [{line}]: {desc(lhs)} = {_fmt(left)} but {desc(rhs)} = {_fmt(right)}",
                    row,
                    col,
                    left,
                    right,
                    [*_roles("lhs", lhs[0]), *_roles("rhs", rhs[0])],
                )
            )
    return out


def check_less_equal(ctx: _Ctx) -> list[Issue]:
    out = []
    for _line, keys, cell in ctx.lines():
        a, b = (
            _operands(ctx, keys, ctx.rule.params["lesser"], cell),
            _operands(ctx, keys, ctx.rule.params["greater"], cell),
        )
        if a is None or b is None:
            continue
        if a[1][0] > b[1][0] + TOLERANCE:
            out.append(
                ctx.issue(
                    "order-violation",
                    f"{ctx.rule.name}: {'/'.join(a[0][0])}={_fmt(a[1][0])} exceeds {'/'.join(b[0][0])}={_fmt(b[1][0])}",
                    a[0][0][0],
                    a[0][0][1],
                    b[1][0],
                    a[1][0],
                    [("lesser", a[0][0]), ("greater", b[0][0])],
                )
            )
    return out


def check_sum_non_negative(ctx: _Ctx) -> list[Issue]:
    out = []
    for line, keys, cell in ctx.lines():
        parts = _operands(ctx, keys, ctx.rule.params["parts"], cell)
        if parts is None or len(parts[1]) < len(ctx.rule.params["parts"]):
            continue
        if sum(parts[1]) < -TOLERANCE:
            out.append(
                ctx.issue(
                    "negative-value",
                    f"{ctx.rule.name} [{line}]: the sum {' + '.join(_fmt(v) for v in parts[1])} is below zero",
                    parts[0][0][0],
                    None,
                    0.0,
                    sum(parts[1]),
                    _roles("parts", parts[0]),
                )
            )
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
    return [
        ctx.issue("negative-value", f"{ctx.rule.name}: {r}/{c} is {_fmt(v)}", r, c, None, v, [("cell", (r, c))])
        for r, c, v in _each_value(ctx)
        if v < -TOLERANCE
    ]


def check_non_negative_integer(ctx: _Ctx) -> list[Issue]:
    out = check_non_negative(ctx)
    out += [
        ctx.issue(
            "non-integer-value",
            f"{ctx.rule.name}: {r}/{c} is {_fmt(v)}, not a whole number",
            r,
            c,
            None,
            v,
            [("cell", (r, c))],
        )
        for r, c, v in _each_value(ctx)
        if abs(v - round(v)) > TOLERANCE
    ]
    return out


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
    ):
        self.rule, self.spec, self.prev, self.cur = rule, spec, prev, cur
        self.prev_template, self.cur_template = prev_template, cur_template

    def lines(self):
        """(line key, {operand name: [(values, cell)]}) for every line both years print."""
        p, t = self.rule.params, self.spec.table
        axis = p.get("axis", "column")
        rows_of = lambda tpl: [r.key for r in self.spec.rows if tpl in r.columns]
        cols_of = lambda tpl: list(dict.fromkeys(c for r in self.spec.rows for c in r.columns.get(tpl, ())))
        if self.prev_template is None or self.cur_template is None:
            return
        if axis == "column":
            lines = [c for c in cols_of(self.cur_template) if c in cols_of(self.prev_template)]
            keys_prev, keys_cur = rows_of(self.prev_template), rows_of(self.cur_template)
            cell = lambda k, line: (k, line)
        else:
            lines = [r for r in rows_of(self.cur_template) if r in rows_of(self.prev_template)]
            if "rows" in p:
                lines = expand(p["rows"], lines)
            keys_prev = keys_cur = None
            cell = lambda k, line: (line, k)
        for line in lines:
            if keys_prev is None:  # row axis: the line's own columns in each template
                kp = list(self.spec.row(line).columns.get(self.prev_template, ()))
                kc = list(self.spec.row(line).columns.get(self.cur_template, ()))
            else:
                kp, kc = keys_prev, keys_cur
            ops = {}
            for name, src, keys in (
                ("current", self.cur, kc),
                ("previous", self.prev, kp),
                ("plus", self.cur, kc),
                ("minus", self.cur, kc),
            ):
                pats = p.get(name)
                if pats is None:
                    ops[name] = []
                    continue
                pats = [pats] if isinstance(pats, str) else pats
                names = expand(pats, keys)
                if len(names) < len(pats):  # an operand this template does not have: the rule does not apply
                    ops = None
                    break
                ops[name] = [((t, *cell(k, line)), src.get((t, *cell(k, line)))) for k in names]
            if ops is not None:
                yield line, ops


def _previous_year(ctx: YearPairCtx, at_least: bool) -> list[Issue]:
    out = []
    for line, ops in ctx.lines():
        vals = [v for name in ops for _, v in ops[name]]
        if any(v is None for v in vals):  # blank or missing operand: skipped, never read as zero
            continue
        ((ccell, actual),) = ops["current"]
        expected = sum(v for _, v in ops["previous"]) + sum(v for _, v in ops["plus"]) - sum(v for _, v in ops["minus"])
        if (actual < expected - TOLERANCE) if at_least else (abs(actual - expected) > TOLERANCE):
            terms = " + ".join(f"{'/'.join(c[1:])}(Y−1)={_fmt(v)}" for c, v in ops["previous"])
            terms += "".join(f" + {'/'.join(c[1:])}={_fmt(v)}" for c, v in ops["plus"])
            terms += "".join(f" − {'/'.join(c[1:])}={_fmt(v)}" for c, v in ops["minus"])
            rel = "at least" if at_least else ""
            out.append(
                Issue(
                    "cross-year-mismatch",
                    f"{ctx.rule.name} [{line}]: {'/'.join(ccell[1:])} is "
                    f"{_fmt(actual)} but {rel + ' ' if rel else ''}{terms} = {_fmt(expected)} was expected",
                    table=ctx.spec.table,
                    row=ccell[1],
                    col=ccell[2],
                    rule=ctx.rule.name,
                    expected=expected,
                    actual=actual,
                    difference=actual - expected,
                    severity=ctx.rule.severity,
                    cells=tuple((name, *c) for name in ops for c, _ in ops[name]),
                )
            )
    return out


def check_previous_year_equals(ctx: YearPairCtx) -> list[Issue]:
    return _previous_year(ctx, at_least=False)


def check_previous_year_at_least(ctx: YearPairCtx) -> list[Issue]:
    return _previous_year(ctx, at_least=True)


class NarrativeCtx:
    """One report's table values and the figures its text states: figure name -> [(value, raw text, paragraph)]."""

    def __init__(self, rule: Rule, spec: TableSpec, values: Values, stated: dict[str, list[tuple[float, str, int]]]):
        self.rule, self.spec, self.values, self.stated = rule, spec, values, stated


def check_narrative_equals(ctx: NarrativeCtx) -> list[Issue]:
    out = []
    for fig in ctx.rule.params["figures"]:
        cells = [(ctx.spec.table, r, c) for r, c in fig["cells"]]
        vals = [ctx.values.get(k) for k in cells]
        if any(v is None for v in vals):  # a blank or missing cell: nothing to compare with
            continue
        table_value = sum(vals)
        for stated, raw, para in ctx.stated.get(fig["name"], []):
            if abs(stated - table_value) > TOLERANCE:
                where = " + ".join(f"{r}/{c}={_fmt(v)}" for (_, r, c), v in zip(cells, vals, strict=False))
                out.append(
                    Issue(
                        "narrative-mismatch",
                        f"{ctx.rule.name} [{fig['name']}]: the text says "
                        f"{_fmt(stated)} ({raw!r}) but the table has {where}",
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
                        figure=fig["name"],
                    )
                )
    return out


# where a check runs: "report" (per report, at ingest), "years" (two reports of one agency), "narrative" (text)
CHECK_SCOPES = {"previous_year_equals": "years", "previous_year_at_least": "years", "narrative_equals": "narrative"}

CHECKS: dict[str, Callable[[_Ctx], list[Issue]]] = {
    "sum_equals": check_sum_equals,
    "balance": check_balance,
    "less_equal": check_less_equal,
    "sum_non_negative": check_sum_non_negative,
    "non_negative": check_non_negative,
    "non_negative_integer": check_non_negative_integer,
    "previous_year_equals": check_previous_year_equals,
    "previous_year_at_least": check_previous_year_at_least,
    "narrative_equals": check_narrative_equals,
}


def reconcile(
    schema: Schema, templates: dict[str, str | None], values: Values, where: dict | None = None
) -> list[Issue]:
    """Issues for every rule that fails on this report. ``templates``: table -> template it was read as."""
    out: list[Issue] = []
    for rule in schema.rules:
        tpl = templates.get(rule.table)
        if tpl is None or CHECK_SCOPES.get(rule.check, "report") != "report":
            continue
        out += CHECKS[rule.check](_Ctx(rule, schema.tables[rule.table], tpl, values, where or {}))
    return out
