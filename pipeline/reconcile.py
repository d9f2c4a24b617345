"""Evaluate the reconciliation rules of ``schemas/rules.yaml`` on one report's figures (the ``report``-scope checks).

The checks themselves, with the parameters and scope each declares, are registered in ``pipeline.checks.CHECKS``.
A rule with a null (blank) operand is skipped: blank is not zero.
"""

from __future__ import annotations

from collections.abc import Iterator

from .checks import CHECKS, TOLERANCE, CellKey, NarrativeCtx, ReportCtx, Scope, Values, YearPairCtx, evaluated
from .issues import Issue
from .specs import Rule, Schema

# where each check runs, derived from ``CHECKS`` (kept for callers that ask by name)
CHECK_SCOPES: dict[str, str] = {name: check.scope for name, check in CHECKS.items()}


def _contexts(
    schema: Schema, templates: dict[str, str | None], values: Values, where: dict[CellKey, int | None]
) -> Iterator[tuple[Rule, ReportCtx]]:
    """Each report-scope rule whose table this report has, with its context."""
    for rule in schema.rules:
        tpl = templates.get(rule.table) if rule.table else None
        if tpl is None or rule.table is None or CHECKS[rule.check].scope != Scope.REPORT:
            continue
        yield rule, ReportCtx(rule, schema.tables[rule.table], tpl, values, where)


def reconcile(
    schema: Schema,
    templates: dict[str, str | None],
    values: Values,
    where: dict[CellKey, int | None] | None = None,
) -> list[Issue]:
    """Issues for every report-scope rule that fails on this report. ``templates``: table -> template read as;
    ``where``: the page each value was printed on (the issue names the page of the first cell it read)."""
    out: list[Issue] = []
    for rule, ctx in _contexts(schema, templates, values, where or {}):
        out += CHECKS[rule.check](ctx)
    return out


def evaluated_rules(schema: Schema, templates: dict[str, str | None], values: Values) -> list[Rule]:
    """The report-scope rules that could be evaluated on this report (some line with every operand printed)."""
    return [rule for rule, ctx in _contexts(schema, templates, values, {}) if evaluated(ctx)]


__all__ = [
    "CHECKS",
    "CHECK_SCOPES",
    "TOLERANCE",
    "NarrativeCtx",
    "ReportCtx",
    "Values",
    "YearPairCtx",
    "evaluated_rules",
    "reconcile",
]
