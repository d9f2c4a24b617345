"""The pipeline for one file, as named stages: extract → locate → match → normalise → reconcile.

``process_file`` never raises for a bad input file: the failure becomes the report's status and error, so one bad
file never stops a batch. ``ingest`` runs many files and gathers the three tidy frames.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from .audit import NARRATIVE_COLUMNS, NARRATIVE_TYPES, narrative_figures
from .errors import XxgkError
from .extract import extract, origin_of
from .formats import SUFFIXES
from .issues import Issue, issues_to_records
from .locate import locate
from .match import MatchedTable, match_tables, report_template
from .meta import agency_year
from .model import Document
from .normalise import parse_value
from .places import PLACE_COLUMNS, PLACE_TYPES, heading_candidates, place_from_candidates
from .reconcile import reconcile
from .schema import Schema, load_schema

DEFAULT_MAX_ISSUES = 500  # per report; beyond it one "issue-limit" row says how many were left out
DEFAULT_MAX_FILE_BYTES = 200 * 1024 * 1024
DEFAULT_OCR_MIN_CONFIDENCE = 60  # Tesseract confidence (0-100) below which an OCR'd figure is reported

CELL_COLUMNS = [
    "report_id",
    "source_path",
    "agency",
    "year",
    "template",
    "table",
    "row",
    "col",
    "value",
    "unit",
    "raw",
    "page",
    "table_index",
    "row_index",
    "col_index",
    "match_score",
    "confidence",
]
REPORT_COLUMNS = [
    "report_id",
    "source_path",
    "format",
    "agency",
    "year",
    "template",
    "status",
    "n_cells",
    "n_issues",
    "error",
    "duplicate_of",
] + PLACE_COLUMNS  # duplicate_of: for a "skipped" row, the path read
ISSUE_COLUMNS = [
    "report_id",
    "source_path",
    "code",
    "severity",
    "rule",
    "table",
    "row",
    "col",
    "page",
    "expected",
    "actual",
    "difference",
    "raw",
    "message",
    "table_index",
    "row_index",
    "col_index",
]
PARSE_NOTE_CODES = {"unparsed": "unparsed-value", "null-token": "null-token", "unit-unknown": "unit-unknown"}


@dataclass
class Result:
    """One file's outcome: its reports row, its cells and its issues (plain records, ready for a frame)."""

    report: dict
    cells: list[dict] = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)
    document: Document | None = None
    matched: dict[str, MatchedTable] | None = None
    narrative: list[dict] = field(default_factory=list)  # figures 一、总体情况 states (rule 17, `xxgk audit`)
    place_query: list[str] = field(default_factory=list)  # title-line readings of the agency, for add_place

    @property
    def status(self) -> str:
        return self.report["status"]


def _failed(path: str, error: str, report_id=None, fmt=None) -> Result:
    return Result(
        report=dict(
            report_id=report_id,
            source_path=path,
            format=fmt,
            agency=None,
            year=None,
            template=None,
            status="failed",
            n_cells=0,
            n_issues=0,
            error=error,
        )
    )


def process_file(path: str | Path, schema: Schema | None = None, settings: dict | None = None) -> Result:
    """Run every stage on one file. Never raises for a bad file; the error is in ``report["error"]``."""
    schema = schema or load_schema()
    settings = settings or {}
    path = str(path)
    try:
        size = os.path.getsize(path)
        limit = settings.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES)
        if size > limit:
            return _failed(path, f"file is {size} bytes, over the limit of {limit} bytes (max_file_bytes)")
        if size == 0:
            return _failed(path, "empty file (0 bytes)")
        origin = origin_of(path)
    except (XxgkError, OSError) as e:
        return _failed(path, str(e))
    rid, fmt = origin.report_id, origin.format.value
    try:
        doc = extract(path, settings, origin=origin)
    except XxgkError as e:
        return _failed(path, str(e), rid, fmt)
    except Exception as e:  # an extractor bug must not kill the batch: say so plainly, with where it happened
        where = traceback.extract_tb(e.__traceback__)[-1]
        return _failed(
            path,
            f"internal error while reading ({type(e).__name__}: {e} at {Path(where.filename).name}:{where.lineno})",
            rid,
            fmt,
        )
    try:
        result = document_to_result(doc, schema, settings)
        if settings.get("places", True):
            add_place(result.report, result.issues, result.place_query)
        return result
    except Exception as e:  # a defect in a later stage: the file fails, the batch goes on, the place is named
        where = traceback.extract_tb(e.__traceback__)[-1]
        return _failed(
            path,
            f"internal error while matching ({type(e).__name__}: {e} at {Path(where.filename).name}:{where.lineno})",
            rid,
            fmt,
        )


def document_to_result(doc: Document, schema: Schema, settings: dict | None = None) -> Result:
    """Locate, match, normalise and reconcile one extracted document."""
    settings = settings or {}
    origin = doc.origin
    path, rid = origin.path, origin.report_id
    agency, year, _ = agency_year(doc.title, doc.paragraphs, path)
    issues: list[Issue] = []
    if agency is None:
        issues.append(Issue("agency-unknown", "no title of the form '<agency><year>年政府信息公开工作年度报告' found"))
    if year is None:
        issues.append(Issue("year-unknown", "no year in the title or the file name"))
    issues += [Issue("extractor-note", note) for note in doc.notes]
    issues += [Issue("extractor-warning", warning) for warning in doc.warnings]
    place = dict.fromkeys(PLACE_COLUMNS)  # filled by add_place, where the gazetteer is loaded
    place_query = heading_candidates(agency, doc.title, doc.paragraphs)
    located, loc_issues = locate(doc, schema)
    issues += loc_issues
    if not located:
        return Result(
            report=dict(
                report_id=rid,
                source_path=path,
                format=origin.format.value,
                agency=agency,
                year=year,
                template=None,
                status="failed",
                n_cells=0,
                n_issues=0,
                error=f"no statistics table found among {len(doc.tables)} tables "
                "(not an annual report, or its tables are images)",
                **place,
            ),
            document=doc,
            place_query=place_query,
        )
    matched = match_tables(located, schema.tables, year)
    template = report_template(matched)
    if "appeals" in matched and template in ("2019", "2021"):
        matched["appeals"].template = template
    for kind in schema.tables:
        if kind not in matched:
            issues.append(Issue("table-missing", f"no {kind} table ({schema.tables[kind].title}) found", table=kind))
    cells, values, where = [], {}, {}
    for kind, m in matched.items():
        issues += m.issues
        for v in m.values:
            p = parse_value(v.raw, v.unit_hint)
            if p.note in PARSE_NOTE_CODES:
                code = PARSE_NOTE_CODES[p.note]
                issues.append(
                    Issue(
                        code,
                        f"{kind}/{v.row}/{v.col}: {v.raw!r}"
                        + (
                            " is not a number"
                            if code == "unparsed-value"
                            else " read as null"
                            if code == "null-token"
                            else " has no unit (元 or 万元) in the cell or the header; kept as printed"
                        ),
                        table=kind,
                        row=v.row,
                        col=v.col,
                        page=v.page,
                        raw=v.raw,
                        table_index=v.table_index,
                        row_index=v.row_index,
                        col_index=v.col_index,
                    )
                )
            cells.append(
                dict(
                    report_id=rid,
                    source_path=path,
                    agency=agency,
                    year=year,
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
            values[(kind, v.row, v.col)] = p.value
            where[(kind, v.row, v.col)] = v.page
    rule_issues = reconcile(schema, {k: m.template for k, m in matched.items()}, values, where)
    ocr_values = [v for m in matched.values() for v in m.values if v.confidence is not None]
    if ocr_values:
        floor = settings.get("ocr_min_confidence", DEFAULT_OCR_MIN_CONFIDENCE)
        issues += [
            Issue(
                "low-confidence",
                f"{v.row}/{v.col}: {v.raw!r} read by OCR with confidence {v.confidence:.0f} (below {floor})",
                table=k,
                row=v.row,
                col=v.col,
                page=v.page,
                raw=v.raw,
                table_index=v.table_index,
                row_index=v.row_index,
                col_index=v.col_index,
            )
            for k, m in matched.items()
            for v in m.values
            if v.confidence is not None and v.confidence < floor and v.raw.strip()
        ]
        rule_issues = [
            replace(i, message=i.message + " — figures read by OCR: a misread digit may be the cause")
            for i in rule_issues
        ]
    issues += rule_issues
    limit = settings.get("max_issues", DEFAULT_MAX_ISSUES)
    if len(issues) > limit:
        n = len(issues) - limit
        issues = [*issues[:limit], Issue("issue-limit", f"{n} more issues not recorded (limit max_issues={limit})")]
    records = issues_to_records(issues)
    for r in records:
        r.update(report_id=rid, source_path=path)
    serious = any(i.severity in ("error", "warning") for i in issues)
    report = dict(
        report_id=rid,
        source_path=path,
        format=origin.format.value,
        agency=agency,
        year=year,
        template=template,
        status="partial" if serious else "ok",
        n_cells=len(cells),
        n_issues=len(records),
        error=None,
        **place,
    )
    narrative = [dict(report_id=rid, source_path=path, **f) for f in narrative_figures(doc.paragraphs, schema)]
    return Result(
        report=report,
        cells=cells,
        issues=records,
        document=doc,
        matched=matched,
        narrative=narrative,
        place_query=place_query,
    )


def add_place(report: dict, issues: list[dict], candidates: list[str] | None) -> None:
    """Fill the place columns of a reports row from its title-line readings, and add the place issues.

    Kept apart from ``document_to_result`` so that batch workers need not load the gazetteer (a few hundred MB):
    the process that writes the reports does it once.
    """
    if not candidates:
        return
    place, place_issues = place_from_candidates(candidates)
    report.update(place)
    new = issues_to_records(place_issues)
    for r in new:
        r.update(report_id=report["report_id"], source_path=report["source_path"])
    issues += new
    report["n_issues"] = (report.get("n_issues") or 0) + len(new)
    if report["status"] == "ok" and any(i.severity in ("error", "warning") for i in place_issues):
        report["status"] = "partial"


def find_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and report files under folders named (searched recursively, in sorted order)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(
                f
                for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in SUFFIXES and not f.name.startswith((".", "~$"))
            )
        else:
            out.append(p)
    return out


def iter_results(files: list[Path], schema: Schema | None = None, settings: dict | None = None) -> Iterator[Result]:
    schema = schema or load_schema()
    for f in files:
        yield process_file(f, schema, settings)


@dataclass
class Batch:
    """The three tidy frames of a batch."""

    cells: pd.DataFrame
    reports: pd.DataFrame
    issues: pd.DataFrame
    narrative: pd.DataFrame | None = None  # figures stated in 一、总体情况, read by `xxgk audit`


def results_to_batch(results: Iterable[Result]) -> Batch:
    cells, reports, issues, narrative = [], [], [], []
    for r in results:
        cells += r.cells
        reports.append(r.report)
        issues += r.issues
        narrative += r.narrative
    return Batch(
        cells=typed(pd.DataFrame(cells, columns=CELL_COLUMNS), CELL_TYPES),
        reports=typed(pd.DataFrame(reports, columns=REPORT_COLUMNS), REPORT_TYPES),
        issues=typed(pd.DataFrame(issues, columns=ISSUE_COLUMNS), ISSUE_TYPES),
        narrative=typed(pd.DataFrame(narrative, columns=NARRATIVE_COLUMNS), NARRATIVE_TYPES),
    )


def ingest(paths, settings: dict | None = None, schema: Schema | None = None) -> Batch:
    """Read every report under ``paths`` into one tidy, checked dataset (the Python API behind ``xxgk ingest``)."""
    return results_to_batch(
        iter_results(find_files([paths] if isinstance(paths, (str, Path)) else paths), schema, settings)
    )


# stable dtypes, the same for every batch (even an empty one)
CELL_TYPES = dict(
    report_id="string",
    source_path="string",
    agency="string",
    year="Int64",
    template="string",
    table="string",
    row="string",
    col="string",
    value="float64",
    unit="string",
    raw="string",
    page="Int64",
    table_index="Int64",
    row_index="Int64",
    col_index="Int64",
    match_score="float64",
    confidence="float64",
)
REPORT_TYPES = dict(
    report_id="string",
    source_path="string",
    format="string",
    agency="string",
    year="Int64",
    template="string",
    status="string",
    n_cells="Int64",
    n_issues="Int64",
    error="string",
    duplicate_of="string",
    **PLACE_TYPES,
)
ISSUE_TYPES = dict(
    report_id="string",
    source_path="string",
    code="string",
    severity="string",
    rule="string",
    table="string",
    row="string",
    col="string",
    page="Int64",
    expected="float64",
    actual="float64",
    difference="float64",
    raw="string",
    message="string",
    table_index="Int64",
    row_index="Int64",
    col_index="Int64",
)


def typed(df: pd.DataFrame, types: dict) -> pd.DataFrame:
    return df.astype(types)
