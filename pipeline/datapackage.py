"""``datapackage.json``: a Frictionless Data Package descriptor for an ingest's output, so the dataset explains itself.

One resource per output file (cells, reports, issues, narrative, and the audit's tables once ``xxgk audit`` has
written them) with a Table Schema made from ``tables``: every field's name, type, title (in Chinese), description and
allowed values, the primary key, and the foreign keys tying the rows to their report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .dataset import write_text
from .tables import AUDIT_TABLES, FRICTIONLESS_TYPES, OUTPUT_TABLES, Table

TABLES = {**OUTPUT_TABLES, **AUDIT_TABLES}


def table_schema(table: Table) -> dict:
    """The Table Schema of one output table: fields with type, title, description and allowed values; keys."""
    fields = []
    for c in table.columns:
        f: dict[str, Any] = {
            "name": c.name,
            "type": FRICTIONLESS_TYPES[c.dtype],
            "title": c.title,
            "description": c.description,
        }
        if c.enum:
            f["constraints"] = {"enum": list(c.enum)}
        fields.append(f)
    schema: dict = {"fields": fields, "missingValues": [""]}
    if table.primary_key:
        schema["primaryKey"] = list(table.primary_key)
    if table.foreign_key:
        schema["foreignKeys"] = [{"fields": "report_id", "reference": {"resource": "reports", "fields": "report_id"}}]
    return schema


def descriptor(files: dict[str, Path], name: str = "xxgk-dataset") -> dict:
    """The descriptor for the written files ``{"cells": path, "reports": path, ...}`` (keys are table names)."""
    from . import __version__

    resources = []
    for res, path in files.items():
        table = TABLES[res]
        fmt = Path(path).suffix.lstrip(".")
        r = {
            "name": res,
            "path": Path(path).name,
            "profile": "tabular-data-resource",
            "format": fmt,
            "description": table.description,
            "schema": table_schema(table),
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
    return write_text(
        Path(out_dir) / "datapackage.json", json.dumps(descriptor(files), ensure_ascii=False, indent=2) + "\n"
    )
