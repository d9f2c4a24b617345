"""Every registered check on tiny hand-made figures: it fails where it should, skips blanks, and its issue carries
every cell it read, each with the role the rule's parameter gives it (total/parts, lhs/rhs, lesser/greater,
current/previous/plus/minus, cells)."""

import pytest

from pipeline.checks import CHECKS, NarrativeCtx, ReportCtx, Scope, YearPairCtx
from pipeline.specs import Rule


def _rule(check, table, **params):
    return Rule(name=f"test-{check}", check=check, table=table, severity="error", params=params)


def _values(table, cells):
    return {(table, r, c): v for (r, c), v in cells.items()}


# check -> (rule, template, values, the issue's (row, col), the cells it read as (role, row, col))
REPORT_CASES = {
    "sum_equals": (
        _rule("sum_equals", "requests", axis="column", total="handled_total", parts=["granted", "partial"]),
        "2021",
        {("handled_total", "total"): 5, ("granted", "total"): 1, ("partial", "total"): 2},
        ("handled_total", "total"),
        [("total", "handled_total", "total"), ("parts", "granted", "total"), ("parts", "partial", "total")],
    ),
    "balance": (
        _rule("balance", "requests", axis="column", lhs=["new", "carried_over"], rhs=["handled_total"]),
        "2019",
        {("new", "research"): 3, ("carried_over", "research"): 1, ("handled_total", "research"): 3},
        (None, "research"),
        [("lhs", "new", "research"), ("lhs", "carried_over", "research"), ("rhs", "handled_total", "research")],
    ),
    "less_equal": (
        _rule("less_equal", "proactive", axis="row", lesser="published", greater="total_published"),
        "2019",
        {("rules", "published"): 4, ("rules", "total_published"): 3},
        ("rules", "published"),
        [("lesser", "rules", "published"), ("greater", "rules", "total_published")],
    ),
    "sum_non_negative": (
        _rule("sum_non_negative", "proactive", axis="row", parts=["prev_items", "change"]),
        "2019",
        {("licensing", "prev_items"): 2, ("licensing", "change"): -5},
        ("licensing", None),
        [("parts", "licensing", "prev_items"), ("parts", "licensing", "change")],
    ),
    "non_negative": (
        _rule("non_negative", "proactive", rows=["fees"], columns=["amount"]),
        "2021",
        {("fees", "amount"): -1, ("licensing", "decisions"): -1},  # the second is outside the rule's cells
        ("fees", "amount"),
        [("cell", "fees", "amount")],
    ),
    "non_negative_integer": (
        _rule("non_negative_integer", "appeals"),
        "2019",
        {("cases", "review.upheld"): 2.5},
        ("cases", "review.upheld"),
        [("cell", "cases", "review.upheld")],
    ),
}


def test_every_registered_check_is_tested():
    assert set(CHECKS) == {*REPORT_CASES, "previous_year_equals", "previous_year_at_least", "narrative_equals"}


@pytest.mark.parametrize("check", sorted(REPORT_CASES))
def test_a_report_check_names_the_cells_it_read(schema, check):
    rule, template, cells, at, read = REPORT_CASES[check]
    assert CHECKS[check].scope == Scope.REPORT
    table = rule.table
    values = _values(table, cells)
    where = {k: 7 for k in values}  # every figure printed on page 7
    (issue,) = CHECKS[check](ReportCtx(rule, schema.tables[table], template, values, where))
    assert (issue.rule, issue.table, issue.row, issue.col, issue.severity) == (rule.name, table, *at, "error")
    assert issue.cells == tuple((role, table, r, c) for role, r, c in read)
    assert issue.page == 7


@pytest.mark.parametrize("check", sorted(REPORT_CASES))
def test_a_blank_operand_skips_the_rule(schema, check):
    rule, template, cells, _at, read = REPORT_CASES[check]
    values = _values(rule.table, cells)
    _role, r, c = read[-1]
    values[(rule.table, r, c)] = None  # blank is not zero
    assert CHECKS[check](ReportCtx(rule, schema.tables[rule.table], template, values, {})) == []


def test_cross_year_rules_name_both_years_cells(schema):
    rule = _rule("previous_year_equals", "requests", axis="column", current="carried_over", previous="carried_forward")
    prev = _values("requests", {("carried_forward", "total"): 4})
    cur = _values("requests", {("carried_over", "total"): 6})
    (issue,) = CHECKS["previous_year_equals"](YearPairCtx(rule, schema.tables["requests"], prev, cur, "2019", "2021"))
    assert (issue.code, issue.row, issue.col, issue.expected, issue.actual) == (
        "cross-year-mismatch",
        "carried_over",
        "total",
        4,
        6,
    )
    assert issue.cells == (
        ("current", "requests", "carried_over", "total"),
        ("previous", "requests", "carried_forward", "total"),
    )


def test_cross_year_plus_and_minus_are_read_and_named(schema):
    rule = _rule(
        "previous_year_at_least",
        "proactive",
        axis="row",
        rows=["rules"],
        current="in_force",
        previous="in_force",
        plus=["issued"],
        minus=["repealed"],
    )
    prev = _values("proactive", {("rules", "in_force"): 10})
    cur = _values("proactive", {("rules", "in_force"): 9, ("rules", "issued"): 2, ("rules", "repealed"): 1})
    (issue,) = CHECKS["previous_year_at_least"](
        YearPairCtx(rule, schema.tables["proactive"], prev, cur, "2021", "2021")
    )
    assert (issue.expected, issue.actual) == (11, 9)  # at least 10 + 2 − 1
    assert [role for role, *_ in issue.cells] == ["current", "previous", "plus", "minus"]
    cur[("proactive", "rules", "in_force")] = 12  # more than expected is fine for "at least"
    assert (
        CHECKS["previous_year_at_least"](YearPairCtx(rule, schema.tables["proactive"], prev, cur, "2021", "2021")) == []
    )


def test_the_narrative_check_names_the_figure_and_its_cells(schema):
    rule = _rule(
        "narrative_equals",
        "appeals",
        figures=[
            {"name": "litigation", "cells": [["cases", "suit_direct.total"], ["cases", "suit_after_review.total"]]}
        ],
    )
    values = _values("appeals", {("cases", "suit_direct.total"): 2, ("cases", "suit_after_review.total"): 1})
    stated = {"litigation": [(4.0, "行政诉讼4件", 3), (3.0, "诉讼共3件", 5)]}  # the second agrees with the table
    (issue,) = CHECKS["narrative_equals"](NarrativeCtx(rule, schema.tables["appeals"], values, stated))
    assert (issue.figure, issue.expected, issue.actual, issue.raw, issue.row_index) == (
        "litigation",
        3,
        4,
        "行政诉讼4件",
        3,
    )
    assert issue.cells == (
        ("cells", "appeals", "cases", "suit_direct.total"),
        ("cells", "appeals", "cases", "suit_after_review.total"),
    )
