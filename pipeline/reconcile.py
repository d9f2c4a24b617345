"""Evaluate the reconciliation rules of ``schemas/rules.yaml`` on one report's figures (the ``report``-scope checks).

The checks themselves, with the parameters and scope each declares, are registered in ``pipeline.checks.CHECKS``.
A rule with a null (blank) operand is skipped: blank is not zero.
"""

from __future__ import annotations

from .checks import CHECKS, TOLERANCE, CellKey, NarrativeCtx, ReportCtx, Scope, Values, YearPairCtx
from .issues import Issue
from .specs import Schema

# where each check runs, derived from ``CHECKS`` (kept for callers that ask by name)
CHECK_SCOPES: dict[str, str] = {name: check.scope for name, check in CHECKS.items()}


def reconcile(
    schema: Schema,
    templates: dict[str, str | None],
    values: Values,
    where: dict[CellKey, int | None] | None = None,
) -> list[Issue]:
    """Issues for every report-scope rule that fails on this report. ``templates``: table -> template read as;
    ``where``: the page each value was printed on (the issue names the page of the first cell it read)."""
    out: list[Issue] = []
    for rule in schema.rules:
        tpl = templates.get(rule.table)
        check = CHECKS[rule.check]
        if tpl is None or check.scope != Scope.REPORT:
            continue
        out += check(ReportCtx(rule, schema.tables[rule.table], tpl, values, where or {}))
    return out


__all__ = ["CHECKS", "CHECK_SCOPES", "TOLERANCE", "NarrativeCtx", "ReportCtx", "Values", "YearPairCtx", "reconcile"]
