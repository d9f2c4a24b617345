"""Outputs the audit tests share: an OCR'd report whose misread digit breaks a cross-year rule, and a batch of many
distinct reports made from a few real ones (the audit at scale without reading thousands of files)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
from conftest import CORPUS, ROOT

from pipeline.dataset import read_dataset, write_batch
from pipeline.run import ingest
from pipeline.tables import CELLS, ISSUES, NARRATIVE, REPORTS, Batch

PINGTAN = [CORPUS / "docx" / f"{y}-fujian-pingtan-zone__docx_plain.docx" for y in (2019, 2020, 2021)]
MISREAD = ("proactive", "licensing", "prev_items")  # 行政许可 上一年项目数量: 396 printed, 390 "read"


def _scale_script():
    spec = importlib.util.spec_from_file_location("make_audit_scale", ROOT / "benchmarks" / "make_audit_scale.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def ocr_misread(out: Path) -> tuple[str, str]:
    """平潭 2019 and 2020 ingested into ``out``, the 2019 report then made an OCR'd one: every proactive cell with
    confidence 96, and 行政许可 上一年项目数量 misread 396 → 390 with confidence 82 (what Tesseract does with the
    corpus's scan of that page). 2020's 上一年项目数量 (396) then breaks rule 16 against 2019's 390 + 0.

    Returns (report_id of 2019, report_id of 2020).
    """
    write_batch(ingest(PINGTAN[:2]), out, "parquet")
    cells = pd.read_parquet(out / "cells.parquet")
    rid19 = str(cells.loc[cells.year == 2019, "report_id"].iloc[0])
    rid20 = str(cells.loc[cells.year == 2020, "report_id"].iloc[0])
    mine = cells.report_id == rid19
    cells.loc[mine & (cells.table == "proactive"), "confidence"] = 96.0
    at = mine & (cells.table == MISREAD[0]) & (cells.row == MISREAD[1]) & (cells.col == MISREAD[2])
    assert cells.loc[at, "value"].tolist() == [396.0]
    cells.loc[at, ["value", "raw", "confidence"]] = [390.0, "390", 82.0]
    cells.to_parquet(out / "cells.parquet")
    return rid19, rid20


def replicate(src: Path, dst: Path, n: int) -> None:
    """``n`` distinct reports from the reports of ``src``: copy j of report b is b's agency under a made-up place
    name (the same name for b's other years, so 平潭's three years stay one agency), every figure multiplied by a
    factor unique to j (rules still hold or fail as in b; no two agencies print the same tables)."""
    code = _scale_script().code
    b = read_dataset(src)
    reports = b.reports[b.reports.status != "failed"].reset_index(drop=True)
    parts: dict[str, list[pd.DataFrame]] = {"cells": [], "reports": [], "issues": [], "narrative": []}
    by = {name: dict(tuple(getattr(b, name).groupby("report_id"))) for name in ("cells", "issues", "narrative")}
    for j in range(n):
        base = reports.iloc[j % len(reports)]
        k, factor = j // len(reports), 2 + j // len(reports)
        rid, path = f"{j:016x}", str(dst / "src" / f"{j:04d}-{Path(base.source_path).name}")
        agency = f"{code(k)}{base.agency}" if isinstance(base.agency, str) else None
        ident = dict(report_id=rid, source_path=path)
        parts["reports"].append(pd.DataFrame([{**base.to_dict(), **ident, "agency": agency}]))
        c = by["cells"].get(base.report_id, CELLS.frame()).assign(**ident, agency=agency)
        c["value"] = c["value"] * factor
        parts["cells"].append(c)
        i = by["issues"].get(base.report_id, ISSUES.frame()).assign(**ident)
        for col in ("expected", "actual", "difference"):
            i[col] = i[col] * factor
        parts["issues"].append(i)
        t = by["narrative"].get(base.report_id, NARRATIVE.frame()).assign(**ident)
        t.loc[t.table.notna(), "value"] = t.loc[t.table.notna(), "value"] * factor  # a section's number stays
        parts["narrative"].append(t)
    frames = {name: pd.concat(p, ignore_index=True) for name, p in parts.items()}
    batch = Batch(
        cells=CELLS.frame(frames["cells"]),
        reports=REPORTS.frame(frames["reports"]),
        issues=ISSUES.frame(frames["issues"]),
        narrative=NARRATIVE.frame(frames["narrative"]),
    )
    write_batch(batch, dst, "parquet")
