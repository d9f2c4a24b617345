"""The tables written by commands other than ingest: what `xxgk fetch` records of its downloads, the tables of
`xxgk audit`, and the code book and panel of `xxgk export`. Declared like the ingest's tables in ``tables`` (columns,
dtypes, Chinese titles, descriptions), which every writer and ``datapackage.json`` read.
"""

from __future__ import annotations

from .issues import CODES
from .tables import (
    AGENCY,
    COL,
    CONTENT_TYPE,
    FETCHED_AT,
    FINAL_URL,
    HTTP_STATUS,
    LISTED_URL,
    PAGE_URL,
    PLACE,
    REPORT_ID,
    ROW,
    SEVERITIES,
    SOURCE_PATH,
    TABLE,
    TEMPLATE_NAMES,
    URL,
    YEAR,
    Table,
    _col,
)

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

AUDIT_SCOPES = ("report", "years", "peers", "narrative")
READINGS = ("as-printed", "may-be-misread")
LINK_METHODS = ("same-name", "folded", "contains", "fuzzy")
CHECK_STATUSES = ("held", "failed", "skipped-blank", "not-applicable")

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
            "report (within one report, from ingest), years (against the same agency's report of the year before), "
            "peers (against another agency's report of the same year) or narrative (what the text says)",
            AUDIT_SCOPES,
        ),
        _col("rule", "string", "规则", "Reconciliation rule name (schemas/rules.yaml)"),
        RULE_NUMBER,
        RULE_SEVERITY,
        _col("code", "string", "问题代码", "Issue code", sorted(CODES)),
        TABLE,
        ROW,
        COL,
        _col("expected", "float64", "应为", "Value the rule expected (a section rule: the number of sections)"),
        _col(
            "actual",
            "float64",
            "实为",
            "Value found (identical-table: the number of figures that are the same; a section rule: the sections "
            "found)",
        ),
        _col("difference", "float64", "差额", "actual - expected"),
        _col(
            "reading",
            "string",
            "识读情况",
            "may-be-misread when a cell the rule read was read by OCR, placed by position or matched with a low "
            "label score (for a rule on no cell: the report was read by OCR), so the failure may be xxgk's "
            "misreading rather than the report's; as-printed otherwise",
            READINGS,
        ),
        _col("message", "string", "说明", "What is wrong, in words"),
        _col("explanation_zh", "string", "中文说明", "One sentence in Chinese: what failed, expected and printed"),
        _col("explanation_en", "string", "英文说明", "The same in English"),
        PREV_REPORT_ID,
        PREV_SOURCE_PATH,
        _col(
            "other_report_id",
            "string",
            "对照报告编号",
            "peers scope: report_id of the other agency's report of the same year with the same table",
        ),
        _col("other_source_path", "string", "对照文件路径", "peers scope: path of that report"),
        _col(
            "figure",
            "string",
            "文字数字",
            "narrative scope: the figure the text states, or the sections not found (separated by '; ')",
        ),
        _col(
            "cells",
            "string",
            "涉及单元格",
            "JSON list of the cells the rule read: role, report_id, source_path, table, row, col, value, raw, page, "
            "table_index, row_index, col_index, printed (false for a cell the report does not print), confidence "
            "(OCR), match_score, reading (as-printed or may-be-misread) and doubts (ocr, matched-by-position, "
            "low-score)",
        ),
    ),
    "One row per failed rule: within a report, against the same agency's report of the year before, against "
    "another agency's of the same year, or what the text says; with both explanations, the cells read and how each "
    "was read",
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

# ------------------------------------------------------------------------- the code book and the panel (xxgk export)

CODE_KINDS = ("cell", "rate")
UNITS = ("count", "yuan", "share")
READ_STATUSES = ("ok", "doubtful", "failed")

CODEBOOK = Table(
    "codebook",
    (
        _col(
            "key", "string", "键", "table:row:col of a figure (as in cells, the wide export and the panel), or a rate"
        ),
        _col("kind", "string", "类别", "cell (a figure a template prints) or rate (computed by the panel)", CODE_KINDS),
        TABLE,
        ROW,
        COL,
        _col("template", "string", "模板", "The template that prints this key (null for a rate)", TEMPLATE_NAMES),
        _col("table_title", "string", "表名", "The table as printed (表二/表三/表四)"),
        _col("label_zh", "string", "中文标签", "The row and column labels as this template prints them"),
        _col(
            "unit", "string", "单位", "count, yuan (money, converted from 万元 where printed so) or share (0-1)", UNITS
        ),
        _col(
            "panel_key",
            "string",
            "面板列",
            "The panel column this key feeds (schemas/crosswalk.yaml); for a rate, its own column",
        ),
        _col(
            "harmonised",
            "boolean",
            "跨模板统一",
            "Whether the panel column means the same in both templates (false: kept for this template only)",
        ),
        _col("formula", "string", "公式", "For a rate: numerator / denominator in panel keys (schemas/rates.yaml)"),
        _col("note", "string", "说明", "Why the key is harmonised or kept apart, or what the rate measures"),
    ),
    "One row per key a template prints (per template) and per rate: its Chinese labels, unit and panel column",
    foreign_key=False,
)

PANEL_ID = (
    _col("panel_id", "string", "面板编号", "One (agency, year): agency_id and year, or r<report_id> without an agency"),
    _col(
        "agency_id",
        "string",
        "机关编号",
        "First 12 hex digits of the SHA-256 of the folded agency name (人民政府 → 政府, widths, brackets): the same "
        "agency in every year",
    ),
    AGENCY,
    YEAR,
    _col(
        "template",
        "string",
        "模板",
        "The chosen file's template (mixed: its tables disagree)",
        (*TEMPLATE_NAMES, "mixed"),
    ),
    *PLACE,
    _col("report_id", "string", "报告编号", "report_id of the file chosen for this row (reports)"),
    _col("source_path", "string", "文件路径", "Path of the file chosen for this row"),
    _col("format", "string", "文件格式", "Format of the chosen file"),
    _col(
        "read_status",
        "string",
        "读取状态",
        "How the chosen file was read: ok, or doubtful (some figure read with a doubt: see issues)",
        READ_STATUSES,
    ),
    _col(
        "reconciles",
        "boolean",
        "勾稽相符",
        "Whether the chosen file's figures pass the within-report rules (null: no rule could be evaluated)",
    ),
    _col("n_files", "Int64", "文件数", "Files holding this report (other formats, copies); one is chosen"),
    _col(
        "other_files",
        "string",
        "其他文件",
        "The other files of this report, separated by '; ' (the choice: text layer over OCR, all tables over "
        "fewer, more figures printed, fewer doubts)",
    ),
    _col(
        "n_conflicts",
        "Int64",
        "不一致数",
        "Figures another file of this report prints otherwise than the chosen one (0: the files agree)",
    ),
    _col(
        "derived",
        "string",
        "推算项",
        "Panel keys not printed as such, separated by '; ': a blank total computed from its printed parts, or a "
        "row the template splits, summed (schemas/crosswalk.yaml)",
    ),
)
