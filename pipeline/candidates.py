"""Several files that may each be one report (a web page and its attachments): all are read, the best is kept.

``Candidates`` holds the rows of a group's files as they are read and gives them back, together, once the last file
of the group is in: the file read best keeps its cells, with a ``candidate-chosen`` issue naming the others and what
each gave; every other file gets a ``skipped`` row whose ``duplicate_of`` names the file kept and whose error says
what it gave. Read best means: not failed, then the most cells, then the fewest issues of warning or error severity,
then the fewest issues, then the earlier candidate.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from pathlib import Path

from .issues import Issue, issues_to_records
from .tables import Report, Status

Row = tuple[Report, dict[str, list[dict]]]
SERIOUS = ("error", "warning")


class Candidates:
    """The groups of candidate files of one run (path -> group), and the rows held until a group is complete."""

    def __init__(self, groups: Mapping[str, str], recorded_earlier: Collection[str] = ()):
        self.group_of = {p: g for p, g in groups.items() if p not in recorded_earlier}
        self.order = {p: i for i, p in enumerate(groups)}
        self.waiting: dict[str, set[str]] = {}
        for path, group in self.group_of.items():
            self.waiting.setdefault(group, set()).add(path)
        self.held: dict[str, list[Row]] = {}

    def __contains__(self, path: object) -> bool:
        return path in self.group_of

    def hold(self, report: Report, records: dict[str, list[dict]]) -> list[Row]:
        """Nothing while the file's group waits for others; the group's rows, chosen, once it is complete."""
        group = self.group_of[report.source_path]
        self.held.setdefault(group, []).append((report, records))
        self.waiting[group].discard(report.source_path)
        if self.waiting[group]:
            return []
        return choose(self.held.pop(group), self.order)

    def rest(self) -> list[Row]:
        """The rows of groups some of whose files never came (an interrupted run): chosen among those held."""
        return [row for group in list(self.held) for row in choose(self.held.pop(group), self.order)]


def rank(row: Row, order: Mapping[str, int]) -> tuple:
    report, records = row
    serious = sum(1 for i in records.get("issues", ()) if i.get("severity") in SERIOUS)
    readable = report.status not in (Status.FAILED, Status.SKIPPED)
    return (readable, report.n_cells, -serious, -report.n_issues, -order.get(report.source_path, 0))


def choose(rows: list[Row], order: Mapping[str, int]) -> list[Row]:
    """The group's rows with the choice made: the best as read plus a ``candidate-chosen`` issue, the others
    skipped with their cells and issues dropped."""
    if len(rows) < 2:
        return rows
    best = max(rows, key=lambda r: rank(r, order))
    winner, records = best
    others = [r for r in rows if r is not best]
    said = "; ".join(f"{Path(r.source_path).name}: {_what_it_gave(r, rec)}" for r, rec in others)
    note = Issue(
        "candidate-chosen",
        f"read best of {len(rows)} candidate files for this report ({_what_it_gave(winner, records)}); not kept: "
        + said,
    )
    records = {**records, "issues": [*records.get("issues", []), *_records(note, winner)]}
    winner.n_issues += 1
    out: list[Row] = [(winner, records)]
    for r, rec in others:
        out.append((r, rec) if r.status == Status.SKIPPED else (_not_kept(r, rec, winner.source_path), {}))
    return out


def _what_it_gave(report: Report, records: dict[str, list[dict]]) -> str:
    if report.status == Status.FAILED:
        return f"failed: {report.error}"
    if report.status == Status.SKIPPED:
        return f"skipped: {report.error}"
    serious = sum(1 for i in records.get("issues", ()) if i.get("severity") in SERIOUS)
    return f"{report.status.value}, {report.n_cells} cells, {report.n_issues} issues ({serious} warning or error)"


def _not_kept(report: Report, records: dict[str, list[dict]], kept: str) -> Report:
    """The row of a candidate not kept: what it is and where from, but no cells or issues (the kept file has them)."""
    error = f"another candidate file of the same report read better ({Path(kept).name}); this one: "
    return replace(
        report,
        status=Status.SKIPPED,
        n_cells=0,
        n_issues=0,
        n_doubts=0,
        reconciles=None,
        n_failed_rules=0,
        error=error + _what_it_gave(report, records),
        duplicate_of=kept,
    )


def _records(issue: Issue, report: Report) -> list[dict]:
    return issues_to_records([issue], report_id=report.report_id, source_path=report.source_path)
