"""``datapackage.json``: a Frictionless Data Package descriptor for an ingest's output, so the dataset explains itself.

One resource per table file of the folder (cells, reports, issues, narrative; the code book; the audit's tables once
``xxgk audit`` has written them; the panel once ``xxgk export --panel`` has) with a Table Schema made from
``tables``: every field's name, type, title (in Chinese), description and allowed values, the primary key, and the
foreign keys tying the rows to their report.

The join to ``reports`` is on (report_id, source_path): a file skipped as a byte copy of another keeps its own
reports row with the report_id of the file read, so report_id alone is not unique in ``reports`` (``source_path``
is) and a join on it alone would repeat the copied report's rows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .dataset import dataset_files, dataset_format, write_frame, write_text
from .tables import FRICTIONLESS_TYPES, OUTPUT_TABLES, Table
from .tables_extra import AUDIT_TABLES, CODEBOOK

TABLES = {**OUTPUT_TABLES, **AUDIT_TABLES, CODEBOOK.name: CODEBOOK}
PANEL = "panel"
JOIN_KEY = ("report_id", "source_path")  # unique in reports (source_path is its primary key)


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
        # both columns where the table has them: the pair is unique in reports, report_id alone is not
        key = [k for k in JOIN_KEY if k in table.names]
        schema["foreignKeys"] = [{"fields": key, "reference": {"resource": "reports", "fields": key}}]
    return schema


def resource(name: str, table: Table, path: Path) -> dict:
    fmt = Path(path).suffix.lstrip(".")
    r = {
        "name": name,
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
    return r


def descriptor(files: dict[str, Path], name: str = "xxgk-dataset", tables: dict[str, Table] | None = None) -> dict:
    """The descriptor for the written files ``{"cells": path, "reports": path, ...}`` (keys are table names)."""
    from . import __version__

    known = {**TABLES, **(tables or {})}
    return {
        "profile": "tabular-data-package",
        "name": name,
        "title": "政府信息公开工作年度报告统计表 (government information-disclosure annual report tables)",
        "description": "Figures of the three statistics tables (表二 proactive, 表三 requests, 表四 appeals) "
        "read by xxgk, with the reports they come from and every doubt found. Keys and their printed labels: the "
        "codebook resource (schemas/*.yaml of xxgk). Join a table to reports on (report_id, source_path): a file "
        "skipped as a byte copy repeats its report_id in reports.",
        "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "created_by": f"xxgk {__version__}",
        "resources": [resource(res, known[res], path) for res, path in files.items()],
    }


def write_datapackage(files: dict[str, Path], out_dir: str | Path, schema=None) -> Path:
    """Write the code book and ``datapackage.json`` (atomically) describing every table file of the folder:
    ``files`` and those already there (the audit's, the panel)."""
    from .codebook import codebook_frame, panel_table

    d = Path(out_dir)
    fmt = next((Path(p).suffix.lstrip(".") for p in files.values()), None) or dataset_format(d)
    found = {**dataset_files(d, [*TABLES, PANEL]), **files}
    found[CODEBOOK.name] = write_frame(codebook_frame(schema), d / CODEBOOK.name, fmt)
    tables = {}
    if PANEL in found:
        tables[PANEL] = panel_table(schema)
    return write_text(d / "datapackage.json", json.dumps(descriptor(found, tables=tables), **_JSON) + "\n")


def write_file_datapackage(path: Path, table: Table) -> Path:
    """A one-resource descriptor beside a file written outside an output folder: ``<stem>.datapackage.json``."""
    desc = descriptor({table.name: path}, name=f"xxgk-{table.name}", tables={table.name: table})
    desc["description"] = table.description
    return write_text(path.with_name(f"{path.stem}.datapackage.json"), json.dumps(desc, **_JSON) + "\n")


_JSON: dict[str, Any] = {"ensure_ascii": False, "indent": 2}
