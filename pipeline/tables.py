"""The tables an ingest and an audit write, declared once: every column's name, dtype, Chinese title and description.

``datapackage.json``, the writers, the readers, the exports and the audit all take the columns from here, so a
column is added or documented in one place. ``Report`` is the reports row as a typed record (with its ``Status``);
cells, issues and narrative figures travel as plain records shaped by their table's columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .issues import CODES
from .textcodec import path_text, valid_text

if TYPE_CHECKING:  # pandas is imported where frames are made: `xxgk show` and `--help` never need it
    import pandas as pd

# pandas dtype -> Table Schema type
FRICTIONLESS_TYPES = {"string": "string", "Int64": "integer", "float64": "number", "boolean": "boolean"}


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # pandas dtype: string, Int64, float64, boolean
    title: str  # Chinese
    description: str  # English
    enum: tuple[str, ...] | None = None  # the values the column may take, when they are few


@dataclass(frozen=True)
class Table:
    """One output table: its columns in order, its keys and what one row is."""

    name: str
    columns: tuple[Column, ...]
    description: str
    primary_key: tuple[str, ...] = ()
    foreign_key: bool = True  # report_id refers to reports

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def types(self) -> dict[str, str]:
        return {c.name: c.dtype for c in self.columns}

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def frame(self, records: Iterable[Mapping[str, Any]] | pd.DataFrame = ()) -> pd.DataFrame:
        """Records (or a frame with these columns, in any order) as a frame with exactly this table's columns and
        dtypes; missing columns are null."""
        import pandas as pd

        df = records if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records), columns=self.names)
        return df.reindex(columns=self.names).astype(self.types)


def _col(name: str, dtype: str, title: str, description: str, enum: Iterable[str] | None = None) -> Column:
    return Column(name, dtype, title, description, tuple(enum) if enum is not None else None)


class Status(StrEnum):
    """What became of one input file."""

    OK = "ok"  # read, no doubt of warning or error severity
    PARTIAL = "partial"  # read, with doubts or failed rules (see issues)
    FAILED = "failed"  # not read (the error says why)
    SKIPPED = "skipped"  # the same bytes as a file read (duplicate_of)


class ReadStatus(StrEnum):
    """How a file was read, apart from whether its figures add up (``reconciles``)."""

    OK = "ok"  # read without a doubt of warning or error severity
    DOUBTFUL = "doubtful"  # read, with doubts (n_doubts: unmatched rows, low OCR confidence, a table not found …)
    FAILED = "failed"  # not read


LEVELS = ("province", "city", "county", "township", "street", "department")
TEMPLATE_NAMES = ("2019", "2021")
TABLE_NAMES = ("proactive", "requests", "appeals")
SEVERITIES = ("error", "warning", "info")

REPORT_ID = _col("report_id", "string", "报告编号", "First 16 hex digits of the SHA-256 of the report file")
SOURCE_PATH = _col("source_path", "string", "文件路径", "Path of the report file as given to xxgk ingest")
AGENCY = _col("agency", "string", "发布机关", "Agency named in the report title")
YEAR = _col("year", "Int64", "年度", "Year the report covers")
TEMPLATE = _col(
    "template",
    "string",
    "模板",
    "Statistics template: 2019 (国办公开办函〔2019〕60号) or 2021 (国办公开办函〔2021〕30号)",
    TEMPLATE_NAMES,
)
# a report's tables may disagree on their template (each cell keeps its table's)
REPORT_TEMPLATE = _col(
    "template",
    "string",
    "模板",
    "Statistics template its tables follow: 2019, 2021, or mixed (its tables disagree; see cells.template)",
    (*TEMPLATE_NAMES, "mixed"),
)
TABLE = _col("table", "string", "表", "proactive (表二), requests (表三) or appeals (表四)", TABLE_NAMES)
ROW = _col("row", "string", "行", "Canonical row key (schemas/*.yaml)")
COL = _col("col", "string", "列", "Canonical column key (schemas/*.yaml)")
RAW = _col("raw", "string", "原文", "The cell's text as printed")
PAGE = _col("page", "Int64", "页码", "Page of the cell (PDF), when known")
TABLE_INDEX = _col("table_index", "Int64", "表格序号", "Index of the source table in the document")
ROW_INDEX = _col("row_index", "Int64", "行序号", "Row index in the source table")
COL_INDEX = _col("col_index", "Int64", "列序号", "Column index in the source table")

PLACE = (
    _col("province", "string", "省级", "Province-level division of the agency (GB/T 2260 name), from the gazetteer"),
    _col("province_code", "string", "省级代码", "GB/T 2260 six-digit code of the province"),
    _col("city", "string", "地级", "Prefecture-level division (null for counties under a province directly)"),
    _col("city_code", "string", "地级代码", "GB/T 2260 six-digit code of the city"),
    _col("county", "string", "县级", "County-level division"),
    _col("county_code", "string", "县级代码", "GB/T 2260 six-digit code of the county"),
    _col("town", "string", "乡级", "Township or street named in the agency's name (no GB/T 2260 code at this level)"),
    _col("level", "string", "机关层级", "province, city, county, township, street or department", LEVELS),
)
PLACE_COLUMNS = [c.name for c in PLACE]
META = (
    _col(
        "published",
        "string",
        "发布日期",
        "Publication date (YYYY-MM-DD), from the metadata side file (--meta) or the address list's columns",
    ),
    _col(
        "meta",
        "string",
        "元数据来源",
        "The fields the metadata side file (--meta) or the address list's columns gave, over what the title gave: "
        "agency, region_code (the place columns), year, published, url",
    ),
)

# Where a report downloaded by `xxgk fetch` came from (null for a file given on disk)
LISTED_URL = _col(
    "listed_url",
    "string",
    "所列网址",
    "The address as given in the list (the report's page, the file itself, or a channel the report was found from)",
)
PAGE_URL = _col(
    "page_url", "string", "所在网页", "The web page the report was found on (null when the address was the file)"
)
URL = _col(
    "url",
    "string",
    "网址",
    "Address the report file was downloaded from (xxgk fetch), or as the metadata side file (--meta) gives it",
)
FINAL_URL = _col("final_url", "string", "最终网址", "The address after redirects, where the bytes came from")
FETCHED_AT = _col("fetched_at", "string", "下载时间", "When the file was downloaded (ISO 8601, UTC)")
HTTP_STATUS = _col("http_status", "Int64", "HTTP状态", "HTTP status of the last response (200 when downloaded)")
CONTENT_TYPE = _col("content_type", "string", "内容类型", "Content-Type the server sent")
PROVENANCE = (LISTED_URL, PAGE_URL, URL, FINAL_URL, FETCHED_AT, HTTP_STATUS, CONTENT_TYPE)
PROVENANCE_COLUMNS = [c.name for c in PROVENANCE]

CELLS = Table(
    "cells",
    (
        REPORT_ID,
        SOURCE_PATH,
        AGENCY,
        YEAR,
        TEMPLATE,
        TABLE,
        ROW,
        COL,
        _col("value", "float64", "数值", "The figure; null for a blank or a null token; money in yuan"),
        _col("unit", "string", "单位", "Unit of money amounts (元); null for counts"),
        RAW,
        PAGE,
        TABLE_INDEX,
        ROW_INDEX,
        COL_INDEX,
        _col("match_score", "float64", "匹配分", "Label similarity score of the row and column match (0-100)"),
        _col("confidence", "float64", "置信度", "OCR confidence of the cell's text (0-100); null for text-layer cells"),
    ),
    "One row per printed value of the three statistics tables",
    ("report_id", "table", "row", "col"),
)

REPORTS = Table(
    "reports",
    (
        REPORT_ID,
        SOURCE_PATH,
        _col("format", "string", "文件格式", "Format detected from the file's bytes (docx, doc, pdf, html, txt, md)"),
        AGENCY,
        YEAR,
        REPORT_TEMPLATE,
        _col(
            "status",
            "string",
            "状态",
            "The two answers below in one, kept for older scripts: ok, partial (a doubt in reading, or a failed "
            "within-report rule), failed or skipped",
            [s.value for s in Status],
        ),
        _col(
            "read_status",
            "string",
            "识读状态",
            "How the file was read: ok, doubtful (n_doubts doubts of warning or error severity: see issues) or "
            "failed; null for a skipped duplicate. A failed rule is not a doubt (see reconciles)",
            [s.value for s in ReadStatus],
        ),
        _col(
            "n_doubts",
            "Int64",
            "识读存疑数",
            "Number of doubts in reading (issues of warning or error severity "
            "that are not rule failures; notes of info severity are not doubts)",
        ),
        _col(
            "reconciles",
            "boolean",
            "数据是否自洽",
            "Whether the figures add up: true when every within-report rule of error severity that could be "
            "evaluated holds, false when one fails, null (unknown) when none could be evaluated (no table read, or "
            "every operand blank). Cross-year and text checks are in audit_failures (xxgk audit)",
        ),
        _col("n_failed_rules", "Int64", "不符规则数", "Number of within-report rules that fail (error and warning)"),
        _col("n_cells", "Int64", "数值个数", "Number of cells read"),
        _col("n_issues", "Int64", "问题个数", "Number of issues recorded"),
        _col("error", "string", "错误", "Why the file failed, when it did"),
        _col(
            "duplicate_of",
            "string",
            "重复文件",
            "For a skipped file: the path of the file read in its stead (the same bytes, or another candidate file "
            "of the same web page that read better)",
        ),
        *PLACE,
        *PROVENANCE,
        *META,
    ),
    "One row per input file: what it is and where from",
    # one row per input path: a duplicate file repeats its report_id (status skipped, duplicate_of set)
    ("source_path",),
    foreign_key=False,
)

ISSUES = Table(
    "issues",
    (
        REPORT_ID,
        SOURCE_PATH,
        _col("code", "string", "问题代码", "Stable kebab-case issue code", sorted(CODES)),
        _col("severity", "string", "严重程度", "error, warning or info", SEVERITIES),
        _col("rule", "string", "规则", "Reconciliation rule name (schemas/rules.yaml), for rule issues"),
        TABLE,
        ROW,
        COL,
        PAGE,
        _col("expected", "float64", "应为", "Value the rule expected"),
        _col("actual", "float64", "实为", "Value found"),
        _col("difference", "float64", "差额", "actual - expected"),
        RAW,
        _col("message", "string", "说明", "What is wrong, in words"),
        TABLE_INDEX,
        ROW_INDEX,
        COL_INDEX,
        _col(
            "cells",
            "string",
            "涉及单元格",
            "For a rule issue: the cells the rule read, as role=table/row/col separated by '; '",
        ),
        _col("figure", "string", "文字数字", "For a narrative rule issue: which figure the text states"),
    ),
    "One row per doubt or problem, with its position and raw text",
)

NARRATIVE = Table(
    "narrative",
    (
        REPORT_ID,
        SOURCE_PATH,
        _col("rule", "string", "规则", "The narrative rule (schemas/rules.yaml) whose figure this is"),
        TABLE,
        _col("figure", "string", "文字数字", "Which figure the text states (e.g. received, handled, carried_forward)"),
        _col("value", "float64", "数值", "The figure as the text states it"),
        RAW,
        _col("paragraph", "Int64", "段落序号", "Index of the paragraph of the report text that states the figure"),
    ),
    "One row per figure that section 一、总体情况 states in words (checked against the tables by rule 17)",
)

OUTPUT_TABLES: dict[str, Table] = {t.name: t for t in (CELLS, REPORTS, ISSUES, NARRATIVE)}
RECORD_TABLES = ("cells", "issues", "narrative")  # many rows per file; "reports" has one and commits a part


@dataclass
class Batch:
    """The tidy frames of a batch, with the columns and dtypes of the tables above."""

    cells: pd.DataFrame
    reports: pd.DataFrame
    issues: pd.DataFrame
    narrative: pd.DataFrame | None = None  # figures stated in 一、总体情况, read by `xxgk audit`


@dataclass
class Report:
    """The reports row of one input file."""

    source_path: str
    status: Status
    report_id: str | None = None
    format: str | None = None
    agency: str | None = None
    year: int | None = None
    template: str | None = None
    n_cells: int = 0
    n_issues: int = 0
    error: str | None = None
    duplicate_of: str | None = None
    place: dict[str, str | None] = field(default_factory=dict)  # PLACE_COLUMNS -> value
    # where a downloaded file came from (PROVENANCE); null for a file given on disk (url: or the side file's)
    listed_url: str | None = None
    page_url: str | None = None
    url: str | None = None
    final_url: str | None = None
    fetched_at: str | None = None
    http_status: int | None = None
    content_type: str | None = None
    published: str | None = None  # from the metadata side file (META)
    meta: str | None = None
    n_doubts: int = 0  # issues of warning or error severity that are not rule failures
    reconciles: bool | None = None  # None: no error rule could be evaluated
    n_failed_rules: int = 0

    @property
    def read_status(self) -> ReadStatus | None:
        """How the file was read (None for a skipped duplicate: see the file it duplicates)."""
        if self.status == Status.FAILED:
            return ReadStatus.FAILED
        if self.status == Status.SKIPPED:
            return None
        return ReadStatus.DOUBTFUL if self.n_doubts else ReadStatus.OK

    def __post_init__(self) -> None:
        # a name that is not UTF-8 (kept as surrogates to be opened) is written with its odd bytes as \xNN
        self.source_path = path_text(self.source_path)
        if self.duplicate_of is not None:
            self.duplicate_of = path_text(self.duplicate_of)
        if self.error is not None:
            self.error = valid_text(self.error)

    @classmethod
    def failed(cls, path: str, error: str, report_id: str | None = None, fmt: str | None = None) -> Report:
        return cls(source_path=str(path), status=Status.FAILED, report_id=report_id, format=fmt, error=error)

    @classmethod
    def skipped(cls, path: str, report_id: str, duplicate_of: str) -> Report:
        return cls(
            source_path=str(path),
            status=Status.SKIPPED,
            report_id=report_id,
            error=f"same bytes as {duplicate_of}",
            duplicate_of=duplicate_of,
        )

    def record(self) -> dict[str, Any]:
        """The row as ``REPORTS`` columns."""
        d = dict(vars(self))  # flat fields (``asdict`` would deep-copy them: the run does this for every file)
        place = d.pop("place")
        d["status"] = self.status.value
        d["read_status"] = self.read_status.value if self.read_status else None
        return {**d, **{c: place.get(c) for c in PLACE_COLUMNS}}

    def came_from(self, provenance: Mapping[str, Any]) -> None:
        """Set the PROVENANCE columns (where a downloaded file came from) from ``provenance``."""
        for name in PROVENANCE_COLUMNS:
            setattr(self, name, provenance.get(name))
