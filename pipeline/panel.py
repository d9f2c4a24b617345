"""The research panel: one row per (agency, year), with keys that mean the same in both templates, and rates.

``xxgk export OUT --panel`` writes it. What it promises:

- **One row per report, not per file.** Files of one year whose places do not contradict each other are the same
  report when they name the same agency (names folded: 人民政府 → 政府, widths, brackets); or when their names are
  close (one holds the other, or they are nearly equal: ``NAME_MIN_SCORE``, ``OCR_NAME_MIN_SCORE`` when a file was
  read by OCR, whose titles are often misread) and the figures both print agree (at least ``MIN_COMMON_NAMED``,
  ``MIN_AGREE`` of them equal); or when one name is unknown (or spelt by the metadata side file, which may spell
  it otherwise than the title) and the figures agree beyond chance (at least ``MIN_COMMON`` printed by both,
  ``MIN_AGREE`` equal, ``MIN_NONZERO`` of those not 0: small offices print tables of zeros alike). Byte copies
  (reports rows ``skipped``) join the file they copy. Two reports merged wrongly stay visible: the row lists its
  files (``other_files``) and counts the figures they print otherwise. The row's agency and place are those a
  metadata side file gave any of its files, else those of the best file that names one.
- **One file is chosen** per row, and its figures are the row's (never a mix of files): the text layer over OCR,
  then the complete over the partial (all three tables over fewer, then more figures printed: a copy that prints
  a 0 as a blank loses), then fewer doubts (issues of warning or error severity that are not failed rules), then
  the format (docx, doc, html, pdf, txt) and the path. The other files are listed (``other_files``), with how
  many figures they print otherwise (``n_conflicts``).
- **Keys harmonised** through ``schemas/crosswalk.yaml``: a key printed alike in both templates is one column; a row
  2021 splits in three (（六）其他处理) is summed back; what cannot be harmonised keeps its own column, NA for
  reports of the other template (the code book says which and why).
- **A blank total is derived** from its parts (the ``sum_equals`` rules of ``schemas/rules.yaml``) only where every
  part is printed, and the cell is listed in ``derived``. Blank is never zero.
- **Rates** (``schemas/rates.yaml``): NA when an operand is blank or the denominator is 0 or below; never 0 or inf.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .agencies import agency_key
from .checks import CHECKS, CellKey, ReportCtx, Scope, Values
from .codebook import panel_table
from .dataset import dataset_format, read_dataset, write_frame
from .schema import Schema, expand, load_schema
from .settings import FORMATS
from .specs import PanelKey, Rate
from .tables import PLACE_COLUMNS, Batch

MIN_COMMON = 20  # figures printed by both files, for files one of which names no agency
MIN_NONZERO = 5  # ... of them equal and not 0: small offices print tables of zeros, alike for every office
MIN_COMMON_NAMED = 10  # figures printed by both files whose names are close
MIN_AGREE = 0.9  # share of the figures printed by both that are equal (OCR misreads a digit here and there)
NAME_MIN_SCORE = 90.0  # rapidfuzz ratio of folded names read from a text layer (荔湾区 / 荡湾区)
OCR_NAME_MIN_SCORE = 50.0  # the same when either file was read by OCR (北岙 / 北香)
OCR_NOTE = "read by OCR"  # the extractor-note of a file without a text layer (cells printed blank carry no confidence)
FORMAT_ORDER = ("docx", "doc", "html", "pdf", "txt")  # structure kept best first
READ = ("ok", "partial")  # reports statuses whose files give figures
SERIOUS = ("error", "warning")
SEP = "; "


# --------------------------------------------------------------------------------------------------------- the files
@dataclass
class _File:
    """One file read, as the panel sees it."""

    rid: str
    path: str
    agency: str | None
    year: int | None
    template: str | None
    fmt: str | None
    place: dict
    ocr: bool = False
    n_tables: int = 0
    n_values: int = 0
    n_doubts: int = 0
    failing_rules: int = 0
    values: Values = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)  # table -> template its cells were read as
    copies: list[str] = field(default_factory=list)  # paths skipped for this file (byte copies, other candidates)
    meta: tuple[str, ...] = ()  # the fields the metadata side file gave (reports.meta)
    _key: str | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        if self._key is None:
            self._key = agency_key(self.agency)
        return self._key

    def rank(self) -> tuple:
        """Preference: smaller is better (see the module docstring)."""
        fmt = FORMAT_ORDER.index(self.fmt) if self.fmt in FORMAT_ORDER else len(FORMAT_ORDER)
        return (self.ocr, -self.n_tables, -self.n_values, self.n_doubts, fmt, self.path)


def _text(x) -> str | None:
    return None if x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x)) else str(x)


def _files(batch: Batch) -> list[_File]:
    """The files read (ok or partial), each with its figures, its doubts and the byte copies skipped for it."""
    reports = batch.reports
    read = reports[reports["status"].isin(READ) & reports["report_id"].notna()].drop_duplicates("report_id")
    cells = batch.cells[batch.cells["report_id"].isin(read["report_id"])]
    issues = batch.issues
    serious = issues[issues["severity"].isin(SERIOUS)]
    doubts = serious[serious["rule"].isna()].groupby("report_id").size()
    notes = issues[(issues["code"] == "extractor-note") & issues["message"].str.contains(OCR_NOTE, regex=False)]
    by_ocr = set(notes["report_id"])
    failing = serious[serious["rule"].notna()].groupby("report_id")["rule"].nunique()
    # rows skipped for a file read (the same bytes, or another candidate file of its web page), by that file's path
    copies = reports[reports["status"] == "skipped"].groupby("duplicate_of")["source_path"].agg(list)
    out = []
    for r in read.itertuples(index=False):
        f = _File(
            rid=r.report_id,
            path=r.source_path,
            agency=_text(r.agency),
            year=None if pd.isna(r.year) else int(r.year),
            template=_text(r.template),
            fmt=_text(r.format),
            place={c: _text(getattr(r, c)) for c in PLACE_COLUMNS},
            n_doubts=int(doubts.get(r.report_id, 0)),
            failing_rules=int(failing.get(r.report_id, 0)),
            copies=list(copies.get(r.source_path, [])),
            meta=tuple((_text(r.meta) or "").split()),
        )
        f.ocr = r.report_id in by_ocr
        out.append(f)
    _add_figures({f.rid: f for f in out}, cells)
    return out


def _add_figures(files: dict[str, _File], cells: pd.DataFrame) -> None:
    """Each file's figures, templates by table, and whether any figure was read by OCR (one pass over the cells)."""
    vals = cells["value"].to_numpy(dtype=float, na_value=np.nan)
    conf = cells["confidence"].notna().to_numpy()
    columns = (cells[c].tolist() for c in ("report_id", "table", "row", "col", "template"))
    for n, (rid, t, r, c, tpl) in enumerate(zip(*columns, strict=True)):
        f = files[rid]
        v = vals[n]
        f.values[(t, r, c)] = None if np.isnan(v) else float(v)
        f.templates[t] = tpl
        f.ocr = f.ocr or bool(conf[n])
        f.n_values += not np.isnan(v)
    for f in files.values():
        f.n_tables = len(f.templates)


# ------------------------------------------------------------------------------------------------ the same report
class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        self.parent[self.find(j)] = self.find(i)


def _places_conflict(a: dict, b: dict) -> bool:
    """Two places that name different divisions at some level (one unknown is no conflict)."""
    return any(a.get(c) and b.get(c) and a[c] != b[c] for c in ("province_code", "city_code", "county_code"))


class _Figures:
    """Every file's figures as one matrix (files x keys, NaN where not printed), to compare files quickly."""

    def __init__(self, files: list[_File]) -> None:
        keys = sorted({k for f in files for k in f.values})
        col = {k: i for i, k in enumerate(keys)}
        self.m = np.full((len(files), len(keys)), np.nan)
        for i, f in enumerate(files):
            for k, v in f.values.items():
                if v is not None:
                    self.m[i, col[k]] = v

    def agree(self, i: int, js: list[int], named: np.ndarray) -> np.ndarray:
        """Whether file ``i``'s figures agree with each of files ``js``: enough for files whose names are close
        (``named``), beyond chance for the others (see the module docstring)."""
        a, b = self.m[i], self.m[js]
        both = ~np.isnan(a) & ~np.isnan(b)
        equal = both & (np.abs(a - b) < 1e-6)
        common, same = both.sum(axis=1), equal.sum(axis=1)
        nonzero = (equal & (a != 0)).sum(axis=1)
        agree = same >= MIN_AGREE * common
        beyond_chance = (common >= MIN_COMMON) & (nonzero >= MIN_NONZERO)
        return agree & np.where(named, common >= MIN_COMMON_NAMED, beyond_chance)


def group_files(files: list[_File]) -> list[list[int]]:
    """The files of each report (indices into ``files``), one list per (agency, year)."""
    u = _Union(len(files))
    figures = _Figures(files)
    by_year: dict[int | None, list[int]] = {}
    for i, f in enumerate(files):
        by_year.setdefault(f.year, []).append(i)
    for idx in by_year.values():
        by_name: dict[str, list[int]] = {}
        for i in idx:
            if files[i].key:
                by_name.setdefault(files[i].key, []).append(i)
        for members in by_name.values():
            _link_same_name(files, members, u)
        for i, js in _close_names(files, by_name):
            _link_if_agree(files, i, js, True, figures, u)
        # a file without a name, or named by the side file (spelt as the researcher spells it), against every file
        for i in (i for i in idx if not files[i].key or "agency" in files[i].meta):
            _link_if_agree(files, i, [j for j in idx if j != i], False, figures, u)
    groups: dict[int, list[int]] = {}
    for i in range(len(files)):
        groups.setdefault(u.find(i), []).append(i)
    return list(groups.values())


def _link_same_name(files: list[_File], members: list[int], u: _Union) -> None:
    """Files of one year printing one name are one report, unless their places say they are two agencies."""
    for n, i in enumerate(members[1:], 1):
        j = next((j for j in members[:n] if not _places_conflict(files[i].place, files[j].place)), None)
        if j is not None:
            u.join(j, i)


def _close_names(files: list[_File], by_name: dict[str, list[int]]) -> Iterator[tuple[int, list[int]]]:
    """(file, files of another name close to its own) within one year: one name holds the other, or they are
    nearly equal (less so when a file was read by OCR). Compared name by name in C (rapidfuzz), not file by file."""
    from rapidfuzz import fuzz, process

    keys = list(by_name)
    if len(keys) < 2:
        return
    ratio = process.cdist(keys, keys, scorer=fuzz.ratio, score_cutoff=OCR_NAME_MIN_SCORE, dtype=np.uint8)
    holds = process.cdist(keys, keys, scorer=fuzz.partial_ratio, score_cutoff=100, dtype=np.uint8)
    ocr = {k: any(files[i].ocr for i in members) for k, members in by_name.items()}
    for a, b in zip(*np.nonzero(np.triu(np.maximum(ratio, holds), 1)), strict=True):
        ka, kb = keys[a], keys[b]
        close = bool(holds[a, b]) or ratio[a, b] >= NAME_MIN_SCORE  # close for any file; else only for OCR'd ones
        if not (close or ocr[ka] or ocr[kb]):
            continue
        for i in by_name[ka]:
            others = [j for j in by_name[kb] if close or files[i].ocr or files[j].ocr]
            if others:
                yield i, others


def _link_if_agree(files: list[_File], i: int, js: list[int], named: bool, figures: _Figures, u: _Union) -> None:
    """Link file ``i`` to each of ``js`` (not linked yet, places not contradicting) whose figures agree with its own:
    enough for close names (``named``), beyond chance otherwise."""
    js = [j for j in js if u.find(i) != u.find(j) and not _places_conflict(files[i].place, files[j].place)]
    if js:
        for j, ok in zip(js, figures.agree(i, js, np.full(len(js), named)), strict=True):
            if ok:
                u.join(i, j)


# ---------------------------------------------------------------------------------------------------- the figures
def derive_totals(values: Values, templates: dict[str, str], schema: Schema) -> set[CellKey]:
    """Fill a blank (or missing) total with the sum of its parts where every part is printed; returns the cells
    filled. ``values`` is changed in place. The totals are those of the ``sum_equals`` rules; a total derived may
    be a part of another (a row's 总计 is a part of （七）总计), so the rules run until nothing changes."""
    rules = [r for r in schema.rules if r.check == "sum_equals" and CHECKS[r.check].scope == Scope.REPORT]
    derived: set[CellKey] = set()
    changed = True
    while changed:
        changed = False
        for rule in rules:
            table = rule.table
            tpl = templates.get(table) if table is not None else None
            if table is None or tpl is None:
                continue
            ctx = ReportCtx(rule, schema.tables[table], tpl, values, {})
            for line in ctx.lines():
                totals = expand(rule.params["total"], line.operand_keys)
                cell = (table, *line.cell(totals[0])) if len(totals) == 1 else None
                if cell is None or values.get(cell) is not None:
                    continue
                parts = ctx.operands(line, "parts")
                if parts is not None:
                    values[cell] = float(sum(parts.values))
                    derived.add(cell)
                    changed = True
    return derived


def harmonise(
    values: Values, templates: dict[str, str], keys: Iterable[PanelKey], derived: AbstractSet[CellKey] = frozenset()
) -> tuple[dict[str, float | None], list[str]]:
    """Panel key -> value for one report (None: NA), and the keys not printed as such (summed or derived)."""
    out: dict[str, float | None] = {}
    not_printed = []
    for k in keys:
        cells = k.sources.get(templates.get(k.table, ""), ())
        vals = [values.get((k.table, r, c)) for r, c in cells]
        if not cells or any(v is None for v in vals):
            out[k.name] = None
            continue
        out[k.name] = float(sum(v for v in vals if v is not None))
        if len(cells) > 1 or any((k.table, r, c) in derived for r, c in cells):
            not_printed.append(k.name)
    return out, not_printed


def rate(r: Rate, values: dict[str, float | None]) -> float | None:
    """A rate of one report: None when an operand is NA or the denominator is 0 or below."""
    num = _signed_sum(r.numerator, values)
    den = _signed_sum(r.denominator, values)
    if num is None or den is None or den <= 0:
        return None
    return num / den


def _signed_sum(terms: tuple[tuple[int, str], ...], values: dict[str, float | None]) -> float | None:
    total = 0.0
    for sign, key in terms:
        v = values.get(key)
        if v is None:
            return None
        total += sign * v
    return total


# -------------------------------------------------------------------------------------------------------- the rows
def _hex(text: str, n: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def _conflicts(chosen: _File, others: list[_File]) -> int:
    """Figures another file prints otherwise than the chosen one (both printed, different)."""
    n = 0
    for o in others:
        for k, v in chosen.values.items():
            w = o.values.get(k)
            if v is not None and w is not None and abs(v - w) > 1e-6:
                n += 1
    return n


def _row(group: list[_File], schema: Schema) -> dict:
    """The panel row of one report's files."""
    files = sorted(group, key=_File.rank)
    chosen, others = files[0], files[1:]
    # the name: the metadata side file's, else the best file's that prints one; the place likewise
    named = next((f for f in files if "agency" in f.meta), None) or next((f for f in files if f.agency), chosen)
    placed = next((f for f in files if "region_code" in f.meta), named if named.agency else chosen)
    values = dict(chosen.values)
    derived = derive_totals(values, chosen.templates, schema)
    figures, not_printed = harmonise(values, chosen.templates, schema.panel.keys, derived)
    paths = [p for f in files for p in ([f.path] if f is not chosen else []) + f.copies]
    row = {
        "agency_id": _hex(named.key, 12) if named.key else None,
        "agency": named.agency,
        "year": chosen.year,
        "template": chosen.template,
        **placed.place,
        "report_id": chosen.rid,
        "source_path": chosen.path,
        "format": chosen.fmt,
        "read_status": "doubtful" if chosen.n_doubts else "ok",
        "reconciles": None if not chosen.values else chosen.failing_rules == 0,
        "n_files": 1 + len(paths),
        "other_files": SEP.join(paths) or None,
        "n_conflicts": _conflicts(chosen, others),
        "derived": SEP.join(not_printed) or None,
        **figures,
    }
    for r in schema.panel.rates:
        row[r.name] = rate(r, figures)
    return row


def _panel_ids(rows: list[dict]) -> None:
    """``panel_id``: agency_id-year; a second row of the same (places told them apart) gets the report's id too."""
    seen: Counter[str] = Counter()
    for row in rows:
        base = f"{row['agency_id']}-{row['year'] if row['year'] is not None else 'na'}" if row["agency_id"] else None
        pid = base or f"r{row['report_id']}"
        if base and seen[base]:
            pid = f"{base}-{row['report_id'][:8]}"
        seen[base or pid] += 1
        row["panel_id"] = pid


def panel_frame(batch: Batch, schema: Schema | None = None) -> pd.DataFrame:
    """The panel of a batch: one row per (agency, year), sorted by agency and year."""
    schema = schema or load_schema()
    files = _files(batch)
    rows = [_row([files[i] for i in g], schema) for g in group_files(files)]
    rows.sort(key=lambda r: (r["agency"] is None, r["agency"] or "", r["year"] or 0, r["source_path"]))
    _panel_ids(rows)
    return panel_table(schema).frame(rows)


# --------------------------------------------------------------------------------------------------------- writing
def export_panel(out_dir: str | Path, path: str | Path | None = None, schema: Schema | None = None) -> Path:
    """Write the panel of an ingest's output folder and describe it.

    Without ``path`` (or with ``OUT/panel.<format>``) it is ``OUT/panel.<the folder's format>``, a resource of
    ``OUT/datapackage.json``; elsewhere ``<stem>.datapackage.json`` beside it describes it.
    """
    from .datapackage import write_datapackage, write_file_datapackage

    out_dir = Path(out_dir)
    schema = schema or load_schema()
    path = Path(path) if path is not None else out_dir / f"panel.{dataset_format(out_dir)}"
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"{path}: the file name must end in .csv or .parquet")
    written = write_frame(panel_frame(read_dataset(out_dir), schema), path, fmt)
    if written.resolve() == (out_dir / f"panel.{dataset_format(out_dir)}").resolve():
        write_datapackage({}, out_dir, schema)
    else:
        write_file_datapackage(written, panel_table(schema))
    return written
