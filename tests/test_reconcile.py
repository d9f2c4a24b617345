"""Reconciliation rules on real reports: failures name the rule and column; blanks never fail a rule."""

from conftest import CORPUS, truth

from pipeline.reconcile import reconcile
from pipeline.run import process_file


def _rule_issues(path):
    r = process_file(path)
    return [i for i in r.issues if i["rule"]], r


def test_pingtan_2020_outcome_rows_do_not_add_up_to_the_total():
    # the real report's outcome rows sum to 27 where （七）总计 says 21 (templates.md, issue of the auditors)
    issues, r = _rule_issues(CORPUS / "docx" / "2020-fujian-pingtan-zone__docx_plain.docx")
    failing = {(i["rule"], i["col"]) for i in issues}
    assert ("requests-outcome-sum", "total") in failing
    assert ("requests-outcome-sum", "natural_person") in failing
    tot = next(i for i in issues if i["rule"] == "requests-outcome-sum" and i["col"] == "total")
    assert (tot["expected"], tot["actual"], tot["difference"]) == (27.0, 21.0, -6.0)
    assert tot["severity"] == "error" and tot["code"] == "sum-mismatch" and tot["row"] == "handled_total"
    assert r.report.status == "partial"


def test_a_report_that_reconciles_gets_no_error():
    issues, _r = _rule_issues(CORPUS / "docx" / "2021-fujian-pingtan-zone__docx_official.docx")
    assert [i for i in issues if i["severity"] == "error"] == []


def test_one_issue_per_failing_rule_and_column(schema):
    t = truth("2021-fujian-pingtan-zone")["values"]
    values = {(tb, r, c): v for tb, rows in t.items() for r, cols in rows.items() for c, v in cols.items()}
    values[("requests", "carried_forward", "natural_person")] += 2  # breaks identity (1) in one column …
    issues = reconcile(schema, {"requests": "2021", "proactive": "2021", "appeals": "2021"}, values)
    by_rule = {}
    for i in issues:
        by_rule.setdefault(i.rule, []).append(i)
    assert [i.col for i in by_rule["requests-column-identity"]] == ["natural_person"]
    # … and the applicant-row sum of that row (6), nothing else
    assert [i.row for i in by_rule["requests-applicant-sum"]] == ["carried_forward"]
    assert set(by_rule) == {"requests-column-identity", "requests-applicant-sum"}
    i = by_rule["requests-column-identity"][0]
    assert i.difference == 2.0 and i.severity == "error"


def test_a_rule_with_a_blank_operand_is_skipped(schema):
    t = truth("2020-fujian-pingtan-zone")["values"]
    values = {(tb, r, c): v for tb, rows in t.items() for r, cols in rows.items() for c, v in cols.items()}
    before = [i for i in reconcile(schema, {"requests": "2019"}, values) if i.rule == "requests-outcome-sum"]
    assert {i.col for i in before} >= {"total"}
    values[("requests", "other", "total")] = None  # a blank part: the total column cannot be checked
    after = [i for i in reconcile(schema, {"requests": "2019"}, values) if i.rule == "requests-outcome-sum"]
    assert "total" not in {i.col for i in after}


def test_appeals_group_sums(schema):
    values = {
        ("appeals", "cases", f"review.{k}"): v
        for k, v in dict(upheld=5, corrected=0, other=0, pending=2, total=7).items()
    }
    assert reconcile(schema, {"appeals": "2019"}, values) == []
    values[("appeals", "cases", "review.total")] = 9
    (i,) = reconcile(schema, {"appeals": "2019"}, values)
    assert (i.rule, i.col, i.expected, i.actual) == ("appeals-review-sum", "review.total", 7, 9)
