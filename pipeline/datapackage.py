"""``datapackage.json``: a Frictionless Data Package descriptor for an ingest's output, so the dataset explains itself.

One resource per output file (cells, reports, issues) with a Table Schema: every field's name, type, title (in
Chinese) and description, the primary key, and the foreign keys tying cells and issues to their report.
"""

from __future__ import annotations

import json
from pathlib import Path

from .audit import NARRATIVE_COLUMNS, NARRATIVE_TYPES
from .issues import CODES
from .run import CELL_COLUMNS, CELL_TYPES, ISSUE_COLUMNS, ISSUE_TYPES, REPORT_COLUMNS, REPORT_TYPES
from .write import _atomic

# column -> (Chinese title, English description); the one place the output columns are documented
FIELD_DOCS: dict[str, tuple[str, str]] = {
    "report_id": ("报告编号", "First 16 hex digits of the SHA-256 of the report file"),
    "source_path": ("文件路径", "Path of the report file as given to xxgk ingest"),
    "format": ("文件格式", "Format detected from the file's bytes (docx, doc, pdf, html, txt)"),
    "agency": ("发布机关", "Agency named in the report title"),
    "year": ("年度", "Year the report covers"),
    "template": ("模板", "Statistics template: 2019 (国办公开办函〔2019〕60号) or 2021 (国办公开办函〔2021〕30号)"),
    "status": ("状态", "ok, partial (issues of warning or error severity), failed or skipped"),
    "n_cells": ("数值个数", "Number of cells read"),
    "n_issues": ("问题个数", "Number of issues recorded"),
    "error": ("错误", "Why the file failed, when it did"),
    "duplicate_of": ("重复文件", "For a skipped file: the path of the file with the same bytes that was read"),
    "province": ("省级", "Province-level division of the agency (GB/T 2260 name), from the jionlp gazetteer"),
    "province_code": ("省级代码", "GB/T 2260 six-digit code of the province"),
    "city": ("地级", "Prefecture-level division (null for counties under a province directly)"),
    "city_code": ("地级代码", "GB/T 2260 six-digit code of the city"),
    "county": ("县级", "County-level division"),
    "county_code": ("县级代码", "GB/T 2260 six-digit code of the county"),
    "town": ("乡级", "Township or street named in the agency's name (no GB/T 2260 code exists at this level)"),
    "level": ("机关层级", "province, city, county, township, street or department"),
    "table": ("表", "proactive (表二), requests (表三) or appeals (表四)"),
    "row": ("行", "Canonical row key (schemas/*.yaml)"),
    "col": ("列", "Canonical column key (schemas/*.yaml)"),
    "value": ("数值", "The figure; null for a blank or a null token; money in yuan"),
    "unit": ("单位", "Unit of money amounts (元); null for counts"),
    "raw": ("原文", "The cell's text as printed"),
    "page": ("页码", "Page of the cell (PDF), when known"),
    "table_index": ("表格序号", "Index of the source table in the document"),
    "row_index": ("行序号", "Row index in the source table"),
    "col_index": ("列序号", "Column index in the source table"),
    "match_score": ("匹配分", "Label similarity score of the row and column match (0-100)"),
    "confidence": ("置信度", "OCR confidence of the cell's text (0-100); null for text-layer cells"),
    "code": ("问题代码", "Stable kebab-case issue code: " + ", ".join(sorted(CODES))),
    "severity": ("严重程度", "error, warning or info"),
    "rule": ("规则", "Reconciliation rule name (schemas/rules.yaml), for rule issues"),
    "expected": ("应为", "Value the rule expected"),
    "actual": ("实为", "Value found"),
    "difference": ("差额", "actual - expected"),
    "message": ("说明", "What is wrong, in words"),
    "figure": ("文字数字", "Which figure the text states (e.g. received, handled, carried_forward)"),
    "paragraph": ("段落序号", "Index of the paragraph of the report text that states the figure"),
}
_TYPES = {"string": "string", "Int64": "integer", "float64": "number"}
RESOURCES = {
    "cells": (
        CELL_COLUMNS,
        CELL_TYPES,
        ["report_id", "table", "row", "col"],
        "One row per printed value of the three statistics tables",
    ),
    # one row per input path: a duplicate file repeats its report_id (status skipped, duplicate_of set)
    "reports": (REPORT_COLUMNS, REPORT_TYPES, ["source_path"], "One row per input file: what it is and where from"),
    "issues": (ISSUE_COLUMNS, ISSUE_TYPES, None, "One row per doubt or problem, with its position and raw text"),
    "narrative": (
        NARRATIVE_COLUMNS,
        NARRATIVE_TYPES,
        None,
        "One row per figure that section 一、总体情况 states in words (checked against the tables by rule 17)",
    ),
}


def table_schema(columns: list[str], types: dict, key: list[str] | None, fk: bool) -> dict:
    fields = []
    for c in columns:
        title, desc = FIELD_DOCS.get(c, (c, ""))
        f = {"name": c, "type": _TYPES[types[c]], "title": title, "description": desc}
        if c == "code":
            f["constraints"] = {"enum": sorted(CODES)}
        fields.append(f)
    schema: dict = {"fields": fields, "missingValues": [""]}
    if key:
        schema["primaryKey"] = key
    if fk:
        schema["foreignKeys"] = [{"fields": "report_id", "reference": {"resource": "reports", "fields": "report_id"}}]
    return schema


def descriptor(files: dict[str, Path], name: str = "xxgk-dataset") -> dict:
    """The descriptor for the written files ``{"cells": path, "reports": path, "issues": path}``."""
    from . import __version__

    resources = []
    for res, path in files.items():
        columns, types, key, desc = RESOURCES[res]
        fmt = Path(path).suffix.lstrip(".")
        r = {
            "name": res,
            "path": Path(path).name,
            "profile": "tabular-data-resource",
            "format": fmt,
            "description": desc,
            "schema": table_schema(columns, types, key, fk=res != "reports"),
        }
        if fmt == "csv":
            r.update(mediatype="text/csv", encoding="utf-8-sig")
        else:
            r["mediatype"] = "application/vnd.apache.parquet"
        resources.append(r)
    return {
        "profile": "tabular-data-package",
        "name": name,
        "title": "政府信息公开工作年度报告统计表 (government information-disclosure annual report tables)",
        "description": "Figures of the three statistics tables (表二 proactive, 表三 requests, 表四 appeals) "
        "read by xxgk, with the reports they come from and every doubt found. Keys: "
        "schemas/*.yaml of xxgk.",
        "created_by": f"xxgk {__version__}",
        "resources": resources,
    }


def write_datapackage(files: dict[str, Path], out_dir: str | Path) -> Path:
    """Write ``datapackage.json`` beside the output files (atomically)."""
    path = Path(out_dir) / "datapackage.json"
    text = json.dumps(descriptor(files), ensure_ascii=False, indent=2)
    _atomic(path, lambda tmp: Path(tmp).write_text(text + "\n", encoding="utf-8"))
    return path
