"""Choosing among the candidate files of one report: the one read best keeps its cells, the choice is recorded."""

from __future__ import annotations

from pipeline.candidates import Candidates, choose
from pipeline.tables import Report, Status


def _read(path: str, status: Status, n_cells: int, severities: tuple[str, ...] = (), error: str | None = None):
    report = Report(path, status, report_id=path[:2], n_cells=n_cells, n_issues=len(severities), error=error)
    issues = [{"code": "x", "severity": s, "source_path": path} for s in severities]
    return report, {"cells": [{"source_path": path}] * n_cells, "issues": issues}


def _by_path(rows):
    return {r.source_path: (r, rec) for r, rec in rows}


def test_the_most_cells_win_and_the_others_are_skipped_naming_it():
    rows = choose([_read("a.pdf", Status.PARTIAL, 141, ("warning",) * 17), _read("a.docx", Status.PARTIAL, 176)], {})
    got = _by_path(rows)
    winner, records = got["a.docx"]
    assert len(records["cells"]) == 176 and winner.n_issues == 1
    assert [i["code"] for i in records["issues"]] == ["candidate-chosen"]
    assert "a.pdf: partial, 141 cells, 17 issues (17 warning or error)" in records["issues"][0]["message"]
    loser, dropped = got["a.pdf"]
    assert loser.status == Status.SKIPPED and loser.duplicate_of == "a.docx" and loser.n_cells == 0
    assert dropped == {} and "read better (a.docx)" in loser.error


def test_with_as_many_cells_fewer_doubts_win_then_the_earlier_file():
    worse, better = _read("x.pdf", Status.PARTIAL, 198, ("error", "info")), _read("y.pdf", Status.OK, 198, ("info",))
    assert choose([worse, better], {})[0][0].source_path == "y.pdf"
    first, second = _read("p.html", Status.OK, 198), _read("q.pdf", Status.OK, 198)
    assert choose([second, first], {"p.html": 0, "q.pdf": 1})[0][0].source_path == "p.html"


def test_a_failed_file_never_wins_over_one_read_and_all_failed_keep_the_best_failure():
    rows = choose(
        [_read("a.doc", Status.FAILED, 0, error="LibreOffice missing"), _read("a.pdf", Status.PARTIAL, 3)], {}
    )
    got = _by_path(rows)
    assert got["a.pdf"][0].status == Status.PARTIAL
    assert "failed: LibreOffice missing" in got["a.doc"][0].error and got["a.doc"][0].status == Status.SKIPPED
    both = choose([_read("b.doc", Status.FAILED, 0, error="e1"), _read("b.pdf", Status.FAILED, 0, error="e2")], {})
    assert [r.status for r, _ in both] == [Status.FAILED, Status.SKIPPED]


def test_a_group_waits_for_its_last_file_and_a_lone_file_passes_through():
    c = Candidates({"a.pdf": "page1", "a.docx": "page1", "b.pdf": "page2"}, recorded_earlier={"b.pdf"})
    assert "a.pdf" in c and "b.pdf" not in c and "c.pdf" not in c
    assert c.hold(*_read("a.pdf", Status.PARTIAL, 10)) == []
    rows = c.hold(*_read("a.docx", Status.OK, 20))
    assert [r.source_path for r, _ in rows] == ["a.docx", "a.pdf"] and c.rest() == []
    c2 = Candidates({"a.pdf": "g", "a.docx": "g"})
    c2.hold(*_read("a.pdf", Status.OK, 5))
    assert [(r.source_path, r.status) for r, _ in c2.rest()] == [("a.pdf", Status.OK)]  # the other never came
