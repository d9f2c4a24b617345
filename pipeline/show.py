"""What ``xxgk show`` prints for one report: its tables as matched (keys, values, raw text, match scores) and its
issues, as lines of text; or its row, cells and issues as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .text import format_figure
from .textcodec import printable

if TYPE_CHECKING:
    from .run import Result
    from .schema import Schema, TableSpec


def report_json(r: Result) -> str:
    """The report's row, cells (with page, position, match score and OCR confidence) and issues as JSON."""
    out = {"report": r.report.record(), "cells": _no_nan(r.cells), "issues": _no_nan(r.issues)}
    return json.dumps(out, ensure_ascii=False, indent=2, default=_json_value)


def report_lines(r: Result, schema: Schema, name: str) -> Iterator[str]:
    """The report's name and how it was read, then (unless it failed) each table and the issues."""
    rep = r.report
    yield (
        f"{name}\n  format {rep.format}, agency {rep.agency}, year {rep.year}, "
        f"template {rep.template}, status {rep.status.value}"
    )
    if rep.error:
        yield f"  error: {printable(rep.error)}"
        return
    yield from _tables(r, schema)
    if r.issues:
        yield f"\nissues ({len(r.issues)}):"
        for i in r.issues:
            where = "/".join(str(x) for x in (i["table"], i["row"], i["col"]) if x)
            yield f"  {i['severity']:<7} {i['code']:<20} {where} {printable(i['message'])}"


def _no_nan(records: list[dict]) -> list[dict]:
    """Records with a float NaN as None: JSON has null, not NaN."""
    return [{k: None if isinstance(v, float) and v != v else v for k, v in r.items()} for r in records]


def _json_value(x: Any) -> Any:
    """What json cannot write itself: a NaN or NA is null, anything else its text."""
    return None if x != x or x is None else str(x)


def _tables(r: Result, schema: Schema) -> Iterator[str]:
    for kind, spec in schema.tables.items():
        cells = [c for c in r.cells if c["table"] == kind]
        if not cells:
            yield f"\n[{kind}] not found"
            continue
        tpl = cells[0]["template"]
        yield f"\n[{kind}] {spec.title} (template {tpl})"
        by = {(c["row"], c["col"]): c for c in cells}
        yield from _table_lines(spec, tpl, by)


def _table_lines(spec: TableSpec, tpl: str, by: dict) -> Iterator[str]:
    """One line per template row: its key, the lowest match score of its cells, and each column's value."""
    for row in spec.rows:
        cols = row.columns.get(tpl) or ()
        if not cols:
            continue
        parts = [_cell_text(col, by.get((row.key, col))) for col in cols]
        score = min((by[(row.key, c)]["match_score"] for c in cols if (row.key, c) in by), default=None)
        yield f"  {row.key:<28} " + ("" if score is None else f"[{score:.0f}] ") + "  ".join(parts)


def _cell_text(col: str, c: dict | None) -> str:
    """``col=value``, with the printed text when it differs; ``col=·`` for a cell not printed."""
    if c is None:
        return f"{col}=·"
    v = "null" if c["value"] is None else format_figure(c["value"])
    raw = c["raw"].strip()
    return f"{col}={v}" + (f" ({raw!r})" if raw and raw != v else "")
