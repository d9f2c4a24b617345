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
URL = _col("url", "string", "网址", "Address the report file was downloaded from")
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
        TEMPLATE,
        _col(
            "status",
            "string",
            "状态",
            "ok, partial (issues of warning or error severity), failed or skipped",
            [s.value for s in Status],
        ),
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

# ------------------------------------------------------------------------------------ the tables `xxgk fetch` writes

SHA256 = _col("sha256", "string", "SHA-256", "SHA-256 of the bytes (its first 16 hex digits are the report_id)")
STORED_PATH = _col("path", "string", "存储路径", "Where the bytes are stored, relative to the download folder")
N_BYTES = _col("bytes", "Int64", "字节数", "Size of the body downloaded")
FETCH_STATUSES = ("ok", "failed")

FETCHES = Table(
    "fetches",
    (
        URL,
        FINAL_URL,
        _col("referrer", "string", "来源网页", "The page whose link led here (null for an address given)"),
        HTTP_STATUS,
        CONTENT_TYPE,
        FETCHED_AT,
        N_BYTES,
        SHA256,
        STORED_PATH,
        _col("attempts", "Int64", "尝试次数", "Requests made for this address (retries included)"),
        _col("status", "string", "状态", "ok (stored) or failed (error says why)", FETCH_STATUSES),
        _col("error", "string", "错误", "Why nothing was stored: HTTP status, timeout, robots.txt, size limit …"),
        _col(
            "retry",
            "boolean",
            "可重试",
            "A failure a re-run tries again (timeout, lost connection, 5xx, 429); false for a definite answer "
            "(4xx, disallowed by robots.txt, over the size limit)",
        ),
    ),
    "One row per address requested (pages, attachments, channel pages), with its latest outcome",
    ("url",),
    foreign_key=False,
)

DOWNLOADS = Table(
    "downloads",
    (
        LISTED_URL,
        _col("list_row", "Int64", "列表行号", "Row of the address in the list given (1 = the first address)"),
        PAGE_URL,
        URL,
        FINAL_URL,
        FETCHED_AT,
        HTTP_STATUS,
        CONTENT_TYPE,
        N_BYTES,
        SHA256,
        STORED_PATH,
        _col(
            "found_as",
            "string",
            "发现方式",
            "address (the address was the file), page (tables printed in the page) or attachment (linked from it)",
            ("address", "page", "attachment"),
        ),
        _col(
            "candidates",
            "string",
            "候选组",
            "Files that are candidates for one report share this key (the page's address); `xxgk ingest` reads "
            "them all and keeps the one read best",
        ),
        _col("n_candidates", "Int64", "候选数", "Number of candidate files for the report"),
        _col("status", "string", "状态", "ok (a report file stored) or failed (error says why)", FETCH_STATUSES),
        _col("error", "string", "错误", "Why the address gave no report, or why this file was not stored"),
    ),
    "One row per report file found from an address given (or per address that gave none, with the reason); the "
    "list's own columns follow",
    foreign_key=False,
)

FETCH_TABLES: dict[str, Table] = {t.name: t for t in (FETCHES, DOWNLOADS)}

# ------------------------------------------------------------------------------------ the tables `xxgk audit` writes

AUDIT_SCOPES = ("report", "years", "narrative")
LINK_METHODS = ("same-name", "folded", "contains", "fuzzy")
CHECK_STATUSES = ("held", "failed", "skipped-blank")

PREV_REPORT_ID = _col(
    "prev_report_id", "string", "上年报告编号", "report_id of the same agency's report of the year before"
)
PREV_SOURCE_PATH = _col("prev_source_path", "string", "上年文件路径", "Path of the report of the year before")
PREV_YEAR = _col("prev_year", "Int64", "上一年度", "Year of the report of the year before")
AGENCY_GROUP = _col(
    "agency_group", "string", "机关分组", "The agency as linked across years: the first of its linked printed names"
)
RULE_NUMBER = _col("number", "Int64", "规则序号", "Number of the rule in schemas/rules.yaml")
RULE_SEVERITY = _col("severity", "string", "严重程度", "error, warning or info", SEVERITIES)

AUDIT_FAILURES = Table(
    "audit_failures",
    (
        REPORT_ID,
        SOURCE_PATH,
        AGENCY,
        YEAR,
        _col(
            "scope",
            "string",
            "范围",
            "report (within one report, from ingest), years (against the year before) or narrative (text against "
            "table)",
            AUDIT_SCOPES,
        ),
        _col("rule", "string", "规则", "Reconciliation rule name (schemas/rules.yaml)"),
        RULE_NUMBER,
        RULE_SEVERITY,
        _col("code", "string", "问题代码", "Issue code", sorted(CODES)),
        TABLE,
        ROW,
        COL,
        _col("expected", "float64", "应为", "Value the rule expected"),
        _col("actual", "float64", "实为", "Value found"),
        _col("difference", "float64", "差额", "actual - expected"),
        _col("message", "string", "说明", "What is wrong, in words"),
        _col("explanation_zh", "string", "中文说明", "One sentence in Chinese: what failed, expected and printed"),
        _col("explanation_en", "string", "英文说明", "The same in English"),
        PREV_REPORT_ID,
        PREV_SOURCE_PATH,
        _col(
            "cells",
            "string",
            "涉及单元格",
            "JSON list of the cells the rule read: role, report_id, source_path, table, row, col, value, raw, page, "
            "table_index, row_index, col_index and printed (false for a cell the report does not print)",
        ),
    ),
    "One row per failed rule: within a report, against the same agency's report of the year before, or text "
    "against table; with both explanations and the cells read",
)

AGENCY_LINKS = Table(
    "agency_links",
    (
        PREV_REPORT_ID,
        PREV_SOURCE_PATH,
        _col("prev_agency", "string", "上年发布机关", "Agency as printed in the report of the year before"),
        PREV_YEAR,
        REPORT_ID,
        SOURCE_PATH,
        AGENCY,
        YEAR,
        AGENCY_GROUP,
        _col(
            "method",
            "string",
            "关联方法",
            "How the two printed names were linked: same-name, folded (人民政府 → 政府 …), contains or fuzzy",
            LINK_METHODS,
        ),
        _col("score", "float64", "关联分", "Similarity of the two names (0-100)"),
        _col("checked", "Int64", "核对数", "Lines of the cross-year rules evaluated (no blank operand)"),
        _col("held", "Int64", "相符数", "Lines that held"),
        _col("failed", "Int64", "不符数", "Lines that failed"),
    ),
    "One row per pair of reports of one agency in consecutive years, with how the agency was linked",
    ("prev_report_id", "report_id"),
)

CROSS_YEAR_CHECKS = Table(
    "cross_year_checks",
    (
        PREV_REPORT_ID,
        REPORT_ID,
        AGENCY_GROUP,
        PREV_YEAR,
        YEAR,
        _col("rule", "string", "规则", "Cross-year rule name (schemas/rules.yaml)"),
        RULE_NUMBER,
        RULE_SEVERITY,
        _col("line", "string", "行或列", "The column (axis column) or row (axis row) the rule was evaluated on"),
        _col(
            "status",
            "string",
            "结果",
            "held, failed or skipped-blank (an operand printed blank: never read as zero)",
            CHECK_STATUSES,
        ),
    ),
    "One row per cross-year rule and line evaluated on a pair of reports (agency_links)",
    ("prev_report_id", "report_id", "rule", "line"),
)

AUDIT_TABLES: dict[str, Table] = {t.name: t for t in (AUDIT_FAILURES, AGENCY_LINKS, CROSS_YEAR_CHECKS)}


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
    # where a downloaded file came from (PROVENANCE); null for a file given on disk
    listed_url: str | None = None
    page_url: str | None = None
    url: str | None = None
    final_url: str | None = None
    fetched_at: str | None = None
    http_status: int | None = None
    content_type: str | None = None

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
        return {**d, **{c: place.get(c) for c in PLACE_COLUMNS}}

    def came_from(self, provenance: Mapping[str, Any]) -> None:
        """Set the PROVENANCE columns (where a downloaded file came from) from ``provenance``."""
        for name in PROVENANCE_COLUMNS:
            setattr(self, name, provenance.get(name))
