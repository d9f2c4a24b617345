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
    assert set(CHECKS) == {
        *REPORT_CASES,
        "previous_year_equals",
        "previous_year_at_least",
        "narrative_equals",
        "year_on_year_ratio",
        "same_as_last_year",
        "same_as_other_agency",
        "sections_present",
    }


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


def test_a_jump_beyond_the_ratio_is_flagged_small_counts_and_a_zero_base_are_not(schema):
    rule = _rule(
        "year_on_year_ratio",
        "requests",
        axis="row",
        rows=["new"],
        current="total",
        previous=["total"],
        max_ratio=5,
        min_value=20,
    )

    def jump(before, now):
        ctx = YearPairCtx(
            rule,
            schema.tables["requests"],
            _values("requests", {("new", "total"): before}),
            _values("requests", {("new", "total"): now}),
            "2021",
            "2021",
        )
        return CHECKS["year_on_year_ratio"](ctx)

    (issue,) = jump(30, 400)  # × 13.3
    assert (issue.code, issue.row, issue.col, issue.expected, issue.actual) == (
        "implausible-change",
        "new",
        "total",
        30,
        400,
    )
    assert [role for role, *_ in issue.cells] == ["current", "previous"]
    assert len(jump(400, 30)) == 1  # ÷ 13.3
    assert jump(30, 120) == []  # × 4: within the ratio
    assert jump(2, 15) == []  # both below min_value: small counts jump by chance
    assert jump(0, 300) == []  # no ratio from 0
    assert jump(None, 300) == []  # a blank is not zero


def _table(scale=1, extra=None):
    cells = {
        ("new", "total"): 30 * scale,
        ("granted", "total"): 12 * scale,
        ("partial", "total"): 7 * scale,
        ("new", "natural_person"): 25 * scale,
        ("new", "commercial"): 5 * scale,
        ("carried_over", "total"): 0,
    }
    return _values("requests", {**cells, **(extra or {})})


@pytest.mark.parametrize("check", ["same_as_last_year", "same_as_other_agency"])
def test_a_table_the_same_as_another_report_is_flagged_only_when_it_says_enough(schema, check):
    rule = _rule(check, "requests", min_distinct=5)
    spec = schema.tables["requests"]
    (issue,) = CHECKS[check](YearPairCtx(rule, spec, _table(), _table(), "2021", "2021"))
    assert (issue.code, issue.table, issue.actual, issue.cells) == ("identical-table", "requests", 6, ())
    assert (
        CHECKS[check](YearPairCtx(rule, spec, _table(), _table(extra={("granted", "total"): 13}), "2021", "2021")) == []
    )
    assert CHECKS[check](YearPairCtx(rule, spec, _table(), _table(), "2019", "2021")) == []  # two templates
    few = _values("requests", {("new", "total"): 3, ("granted", "total"): 3, ("carried_over", "total"): 0})
    assert CHECKS[check](YearPairCtx(rule, spec, few, dict(few), "2021", "2021")) == []  # 1 distinct figure: chance
    lines = list(CHECKS[check].lines(YearPairCtx(rule, spec, few, dict(few), "2021", "2021")))
    assert lines == [("requests", "not-applicable")]
    assert CHECKS[check].scope == (Scope.YEARS if check == "same_as_last_year" else Scope.PEERS)


def test_missing_sections_are_flagged_on_a_whole_report_not_on_an_excerpt(schema):
    sections = [
        {"name": n, "patterns": [n[0]]} for n in ("一、总体情况", "二、主动公开", "五、存在的主要问题", "六、其他")
    ]
    rule = Rule(
        name="test-sections",
        check="sections_present",
        table=None,
        severity="warning",
        params={"sections": sections, "min_found": 2},
    )
    found = {"一、总体情况": [(1.0, "一、总体情况", 0)], "二、主动公开": [(2.0, "二、主动公开", 4)]}
    (issue,) = CHECKS["sections_present"](NarrativeCtx(rule, None, {}, found))
    assert (issue.code, issue.figure, issue.expected, issue.actual) == (
        "section-missing",
        "五、存在的主要问题; 六、其他",
        4,
        2,
    )
    one = {"二、主动公开": found["二、主动公开"]}  # an excerpt: one heading is not a whole report
    assert CHECKS["sections_present"](NarrativeCtx(rule, None, {}, one)) == []
    everything = {s["name"]: [(1.0, s["name"], 0)] for s in sections}
    assert CHECKS["sections_present"](NarrativeCtx(rule, None, {}, everything)) == []
    assert CHECKS["sections_present"].table is False and CHECKS["sections_present"].scope == Scope.NARRATIVE
