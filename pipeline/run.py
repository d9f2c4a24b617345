"""The pipeline for one file, as named stages: extract → locate → match → normalise → reconcile.

``process_file`` never raises for a bad input file: the failure becomes the report's status and error, so one bad
file never stops a batch. ``ingest`` runs many files and gathers the three tidy frames.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from pathlib import Path

from .checks import CellKey, Values
from .errors import XxgkError
from .extract import extract, origin_of
from .files import Found, find_inputs, os_reason, unreadable
from .files import find_files as find_files  # where it lived before: the Python API keeps it
from .issues import Issue, issues_to_records
from .locate import locate
from .match import MatchedTable, MatchedValue, match_tables, report_template
from .meta import agency_year
from .model import Document
from .narrative import narrative_figures
from .normalise import parse_value
from .places import heading_candidates, place_from_candidates
from .reconcile import evaluated_rules, reconcile
from .schema import Schema, load_schema
from .settings import Settings
from .sidecar import SideFile, apply_meta, side_file
from .tables import CELLS, ISSUES, NARRATIVE, REPORTS, Batch, Report, Status
from .text import format_figure
from .textcodec import path_text

PARSE_NOTE_CODES = {
    "unparsed": "unparsed-value",
    "digit-grouping": "digit-grouping",
    "null-token": "null-token",
    "unit-unknown": "unit-unknown",
}
PARSE_NOTE_TEXT = {
    "unparsed-value": " is not a number",
    "digit-grouping": " has digits grouped other than in thousands or parted by white space; not joined, left blank",
    "null-token": " read as null",
    "unit-unknown": " has no unit (元 or 万元) in the cell or the header; kept as printed",
}
SERIOUS = ("error", "warning")


@dataclass
class Result:
    """One file's outcome: its reports row, its cells and its issues (records shaped by ``tables``)."""

    report: Report
    cells: list[dict] = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)
    document: Document | None = None
    matched: dict[str, MatchedTable] | None = None
    narrative: list[dict] = field(default_factory=list)  # figures 一、总体情况 states (rule 17, `xxgk audit`)
    place_query: list[str] = field(default_factory=list)  # title-line readings of the agency, for add_place

    @property
    def status(self) -> Status:
        return self.report.status


def _internal(stage: str, e: Exception) -> str:
    """An xxgk defect met on one file, said plainly with where it happened (the batch goes on)."""
    where = traceback.extract_tb(e.__traceback__)[-1]
    return f"internal error while {stage} ({type(e).__name__}: {e} at {Path(where.filename).name}:{where.lineno})"


def process_file(
    path: str | Path,
    schema: Schema | None = None,
    settings: Settings | dict | None = None,
    place: bool = True,
) -> Result:
    """Run every stage on one file. Never raises for a bad file; the error is in ``report.error``.

    ``place=False`` leaves the place columns to the caller (``add_place``): batch workers do not load the gazetteer.
    """
    schema = schema or load_schema()
    settings = Settings.resolve(settings)
    result = _process(str(path), schema, settings, place)
    if path_text(path) != str(path):  # kept as surrogates to be opened; written with its odd bytes escaped
        _add_issues(result, [Issue("path-undecodable", f"file name is not valid UTF-8: {result.report.source_path}")])
    return result


def _process(path: str, schema: Schema, settings: Settings, place: bool) -> Result:
    why, size = unreadable(path, settings.max_file_mb)  # from its stat: a FIFO or device is never opened
    if why is not None:
        return Result(Report.failed(path, why))
    if size == 0:
        return Result(Report.failed(path, "empty file (0 bytes)"))
    try:
        origin = origin_of(path, max_mb=settings.max_file_mb)
    except XxgkError as e:
        return Result(Report.failed(path, str(e)))
    except OSError as e:
        return Result(Report.failed(path, f"cannot read the file: {os_reason(e)}"))
    rid, fmt = origin.report_id, origin.format.value
    try:
        doc = extract(path, settings, origin=origin)
    except XxgkError as e:
        return Result(Report.failed(path, str(e), rid, fmt))
    except MemoryError:
        return Result(Report.failed(path, out_of_memory(settings), rid, fmt))
    except Exception as e:  # an extractor bug must not kill the batch: say so plainly, with where it happened
        return Result(Report.failed(path, _internal("reading", e), rid, fmt))
    try:
        result = document_to_result(doc, schema, settings)
        if place:
            finish_report(result.report, result.issues, result.place_query, meta_sides(settings))
        return result
    except MemoryError:
        return Result(Report.failed(path, out_of_memory(settings), rid, fmt))
    except Exception as e:  # a defect in a later stage: the file fails, the batch goes on, the place is named
        return Result(Report.failed(path, _internal("matching", e), rid, fmt))


def _add_issues(result: Result, issues: list[Issue]) -> None:
    """Issues about the file as a whole, added to its result (an ok report becomes partial for a warning)."""
    rep = result.report
    result.issues += issues_to_records(issues, report_id=rep.report_id, source_path=rep.source_path)
    rep.n_issues += len(issues)
    if rep.status == Status.OK and any(i.severity in SERIOUS for i in issues):
        rep.status = Status.PARTIAL


def out_of_memory(settings: Settings) -> str:
    """Why a file that ran out of memory failed: the worker's limit where one is set, else the machine's memory."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    limited = soft != resource.RLIM_INFINITY and settings.max_memory_mb
    limit = f"the limit of {settings.max_memory_mb:g} MB (max_memory_mb)" if limited else "the memory available"
    return f"out of memory: reading this file needed more than {limit}"


def _header_issues(doc: Document, agency: str | None, year: int | None) -> list[Issue]:
    issues: list[Issue] = []
    if agency is None:
        issues.append(Issue("agency-unknown", "no title of the form '<agency><year>年政府信息公开工作年度报告' found"))
    if year is None:
        issues.append(Issue("year-unknown", "no year in the title or the file name"))
    issues += [Issue("extractor-note", note) for note in doc.notes]
    issues += [Issue("extractor-warning", warning) for warning in doc.warnings]
    return issues


def _value_issue(code: str, message: str, kind: str, v: MatchedValue) -> Issue:
    """An issue about one placed value, with its raw text and where it was printed."""
    return Issue(
        code,
        message,
        table=kind,
        row=v.row,
        col=v.col,
        page=v.page,
        raw=v.raw,
        table_index=v.table_index,
        row_index=v.row_index,
        col_index=v.col_index,
    )


def _low_confidence(matched: dict[str, MatchedTable], floor: float) -> list[Issue]:
    return [
        _value_issue(
            "low-confidence",
            f"{v.row}/{v.col}: {v.raw!r} read by OCR with confidence {v.confidence:.0f} (below {floor:g})",
            k,
            v,
        )
        for k, m in matched.items()
        for v in m.values
        if v.confidence is not None and v.confidence < floor and v.raw.strip()
    ]


OCR_REMARK_CELLS = 12  # a rule failure names at most this many of its OCR'd cells


def _ocr_remark(issue: Issue, read: dict[tuple[str, str, str], MatchedValue], floor: float) -> Issue:
    """A rule failure on an OCR'd report, naming the figures it read by OCR and the confidence of each, so a reader
    can tell "may be misread" (some figure read with low confidence) from "the report does not add up" (every
    figure read with confidence). The figures themselves are never changed to make a rule hold."""
    cells = [read[(t, r, c)] for _, t, r, c in issue.cells if (t, r, c) in read]
    if not cells:
        return replace(issue, message=issue.message + " — figures read by OCR: a misread digit may be the cause")
    named = [f"{v.row}/{v.col} {v.raw!r} ({v.confidence:.0f})" for v in cells[:OCR_REMARK_CELLS]]
    if len(cells) > OCR_REMARK_CELLS:
        named.append(f"… {len(cells) - OCR_REMARK_CELLS} more")
    low = sum(1 for v in cells if v.confidence is not None and v.confidence < floor)
    verdict = (
        f"{low} read with confidence below {floor:g}: a misread digit may be the cause"
        if low
        else f"all read with confidence {floor:g} or more: as printed, the figures do not add up"
    )
    return replace(issue, message=f"{issue.message} — read by OCR (confidence 0-100): {', '.join(named)}; {verdict}")


def _cap(issues: list[Issue], limit: int) -> list[Issue]:
    if len(issues) <= limit:
        return issues
    n = len(issues) - limit
    return [*issues[:limit], Issue("issue-limit", f"{n} more issues not recorded (limit max_issues={limit})")]


@dataclass
class _Figures:
    """The matched values read as figures: the ``cells`` records, and per (table, row, col) value and page."""

    cells: list[dict] = field(default_factory=list)
    values: Values = field(default_factory=dict)
    pages: dict[CellKey, int | None] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)  # cells read as no number, as null, or with no unit


def _read_figures(matched: dict[str, MatchedTable], report: Report) -> _Figures:
    """Parse every matched value (the normalise stage), noting what did not read as a plain number."""
    out = _Figures()
    ident = dict(report_id=report.report_id, source_path=report.source_path, agency=report.agency, year=report.year)
    for kind, m in matched.items():
        out.issues += m.issues
        for v in m.values:
            p = parse_value(v.raw, v.unit_hint)
            if p.note in PARSE_NOTE_CODES and not (p.note == "unit-unknown" and p.value == 0):  # 0 needs no unit
                code = PARSE_NOTE_CODES[p.note]
                out.issues.append(
                    _value_issue(code, f"{kind}/{v.row}/{v.col}: {v.raw!r}" + PARSE_NOTE_TEXT[code], kind, v)
                )
            if p.marker:
                value = format_figure(p.value)
                text = f"{kind}/{v.row}/{v.col}: {v.raw!r} read as {value}, the footnote marker {p.marker!r} left out"
                out.issues.append(_value_issue("footnote-marker", text, kind, v))
            out.cells.append(
                dict(
                    **ident,
                    template=m.template,
                    table=kind,
                    row=v.row,
                    col=v.col,
                    value=p.value,
                    unit=p.unit,
                    raw=v.raw,
                    page=v.page,
                    table_index=v.table_index,
                    row_index=v.row_index,
                    col_index=v.col_index,
                    match_score=v.score,
                    confidence=v.confidence,
                )
            )
            out.values[(kind, v.row, v.col)] = p.value
            out.pages[(kind, v.row, v.col)] = v.page
    return out


def _rule_issues(
    schema: Schema, matched: dict[str, MatchedTable], figures: _Figures, settings: Settings
) -> list[Issue]:
    """The failed rules, and for figures read by OCR the low-confidence ones; a failure on a report read by OCR
    names its cells read by OCR, with their confidence (``_ocr_remark``)."""
    rule_issues = reconcile(schema, {k: m.template for k, m in matched.items()}, figures.values, figures.pages)
    if not any(v.confidence is not None for m in matched.values() for v in m.values):
        return rule_issues
    floor = settings.ocr_min_confidence
    read = {(k, v.row, v.col): v for k, m in matched.items() for v in m.values if v.confidence is not None}
    return [*_low_confidence(matched, floor), *(_ocr_remark(i, read, floor) for i in rule_issues)]


def _answer(
    report: Report, issues: list[Issue], schema: Schema, templates: dict[str, str | None], values: Values
) -> None:
    """The two answers, kept apart: how the file was read (its doubts: issues of warning or error severity that are
    not rule failures) and whether its figures add up (``reconciles``: the within-report rules of error severity).
    ``status`` keeps the two in one for older scripts."""
    report.n_doubts = sum(1 for i in issues if i.rule is None and i.severity in SERIOUS)
    failed = {str(i.rule) for i in issues if i.rule}
    report.n_failed_rules = len(failed)
    report.reconciles = _reconciles(failed, schema, templates, values)
    serious = report.n_doubts or any(i.rule and i.severity in SERIOUS for i in issues)
    report.status = Status.PARTIAL if serious else Status.OK


def _reconciles(failed: set[str], schema: Schema, templates: dict[str, str | None], values: Values) -> bool | None:
    """False when a rule of error severity fails, True when one could be evaluated and none fails, else None."""
    errors = {r.name for r in schema.rules if r.severity == "error"}
    if failed & errors:
        return False
    if any(r.name in errors for r in evaluated_rules(schema, templates, values)):
        return True
    return None


def document_to_result(doc: Document, schema: Schema, settings: Settings | dict | None = None) -> Result:
    """Locate, match, normalise and reconcile one extracted document."""
    settings = Settings.resolve(settings)
    origin = doc.origin
    path, rid = origin.path, origin.report_id
    agency, year, _ = agency_year(doc.title, doc.paragraphs, path)
    report = Report(
        source_path=path, status=Status.OK, report_id=rid, format=origin.format.value, agency=agency, year=year
    )
    issues = _header_issues(doc, agency, year)
    place_query = heading_candidates(agency, doc.title, doc.paragraphs)
    located, loc_issues = locate(doc, schema)
    issues += loc_issues
    if not located:
        report.status = Status.FAILED
        report.error = (
            f"no statistics table found among {len(doc.tables)} tables (not an annual report, or its tables are images)"
        )
        if doc.warnings:  # what the extractor left out or doubted may be why (a table over a limit)
            report.error += f"; {len(doc.warnings)} extractor warning(s), the first: {doc.warnings[0]}"
        records = issues_to_records(_cap(issues, settings.max_issues), report_id=rid, source_path=path)
        report.n_issues = len(records)
        return Result(report=report, issues=records, document=doc, place_query=place_query)
    matched = match_tables(located, schema.tables, year)
    issues += [
        Issue("table-missing", f"no {kind} table ({spec.title}) found", table=kind)
        for kind, spec in schema.tables.items()
        if kind not in matched
    ]
    figures = _read_figures(matched, report)
    issues += figures.issues + _rule_issues(schema, matched, figures, settings)
    _answer(report, issues, schema, {k: m.template for k, m in matched.items()}, figures.values)
    issues = _cap(issues, settings.max_issues)
    records = issues_to_records(issues, report_id=rid, source_path=path)
    report.template = report_template(matched, schema.tables)
    report.n_cells, report.n_issues = len(figures.cells), len(records)
    narrative = [dict(report_id=rid, source_path=path, **f) for f in narrative_figures(doc.paragraphs, schema)]
    return Result(
        report=report,
        cells=figures.cells,
        issues=records,
        document=doc,
        matched=matched,
        narrative=narrative,
        place_query=place_query,
    )


def meta_sides(settings: Settings, listed: SideFile | None = None) -> list[SideFile]:
    """Where a file's metadata is looked up, the first over the next: the side file (``--meta``), then the other
    columns of the address list a downloaded file was found from."""
    return [s for s in (side_file(settings.meta), listed) if s is not None]


def finish_report(
    report: Report,
    issues: list[dict],
    place_query: list[str],
    sides: Sequence[SideFile],
    shared: AbstractSet[str] = frozenset(),
) -> None:
    """What the process writing the reports adds to a file's row: its side files' metadata (``shared``: the
    addresses that find no one report), then its place."""
    candidates = apply_meta(report, issues, sides, place_query, shared)
    if candidates is not None:
        add_place(report, issues, candidates)


def add_place(report: Report, issues: list[dict], candidates: list[str] | None) -> None:
    """Fill the place columns of a reports row from its title-line readings, and add the place issues.

    Kept apart from ``document_to_result`` so that batch workers need not load the gazetteer (a few hundred MB):
    the process that writes the reports does it once.
    """
    if not candidates:
        return
    place, place_issues = place_from_candidates(candidates)
    report.place = place
    new = issues_to_records(place_issues, report_id=report.report_id, source_path=report.source_path)
    issues += new
    report.n_issues += len(new)
    doubts = sum(1 for i in place_issues if i.severity in SERIOUS)
    report.n_doubts += doubts
    if report.status == Status.OK and doubts:
        report.status = Status.PARTIAL


def iter_results(
    files: list[Path] | Found, schema: Schema | None = None, settings: Settings | dict | None = None
) -> Iterator[Result]:
    """Each file's result; given ``Found``, also a failed row for each thing named that cannot be read."""
    schema = schema or load_schema()
    settings = Settings.resolve(settings)
    for f in files.files if isinstance(files, Found) else files:
        yield process_file(f, schema, settings)
    for f, why in files.problems if isinstance(files, Found) else ():
        yield Result(Report.failed(str(f), why))


def results_to_batch(results: Iterable[Result]) -> Batch:
    cells, reports, issues, narrative = [], [], [], []
    for r in results:
        cells += r.cells
        reports.append(r.report.record())
        issues += r.issues
        narrative += r.narrative
    return Batch(
        cells=CELLS.frame(cells),
        reports=REPORTS.frame(reports),
        issues=ISSUES.frame(issues),
        narrative=NARRATIVE.frame(narrative),
    )


def ingest(
    paths: str | Path | Iterable[str | Path], settings: Settings | dict | None = None, schema: Schema | None = None
) -> Batch:
    """Read every report under ``paths`` into one tidy, checked dataset (the Python API behind ``xxgk ingest``)."""
    return results_to_batch(
        iter_results(find_inputs([paths] if isinstance(paths, str | Path) else paths), schema, settings)
    )
