"""Place a matched row's printed values under the template's column keys (the second half of matching).

The header decides where it maps every value cell to a distinct column of the row's template, in order. Where the
header is lost or does not line up, values are placed by position, but only when their count is exactly the
template's for that row (said with a ``matched-by-position`` issue). Anything else is reported with its raw text and
position (``unmatched-column``), never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from .issues import Issue
from .model import Cell, RawTable
from .normalise import parse_value
from .specs import RowSpec, TableSpec


class ColumnKey(NamedTuple):
    """What a header says of one grid column: its key, how sure, and the unit it names (单位：万元)."""

    key: str
    score: float
    unit: str | None


@dataclass(frozen=True)
class Header:
    """What a header block says: the key of each grid column, and where the value columns start."""

    cols: dict[int, ColumnKey]  # grid col -> its key (ambiguous or weak columns are left out)
    value_start: int | None  # first grid column that is not a label column (信息内容, the 勾稽关系 note)
    width: int


@dataclass(frozen=True)
class GridRow:
    """One grid row of a raw table: the cells covering it, left to right, each once."""

    table: RawTable
    index: int
    cells: list[Cell]

    @property
    def page(self) -> int | None:
        return self.cells[0].page if self.cells else None


@dataclass(frozen=True)
class MatchedRow:
    """A data row whose label matched a row key: its label cells, value cells and the header above it."""

    row: GridRow
    labels: list[Cell]
    values: list[Cell]
    header: Header | None
    key: str
    score: float


@dataclass(frozen=True)
class MatchedValue:
    """A printed value placed at (row, col) of the template, with where it was printed."""

    row: str
    col: str
    raw: str
    table_index: int
    row_index: int
    col_index: int
    page: int | None
    score: float
    unit_hint: str | None = None
    confidence: float | None = None


class _Placed(NamedTuple):
    cell: Cell
    key: str
    score: float
    unit: str | None


def row_issues(table: str, code: str, row: GridRow, values: list[Cell], label: str | None, message: str) -> list[Issue]:
    """One issue per non-empty value cell (or one for the row), each with its raw text and position."""
    cells = [c for c in values if c.text.strip()]
    if not cells:
        return [
            Issue(
                code,
                message,
                table=table,
                raw=label,
                table_index=row.table.index,
                row_index=row.index,
                page=row.page,
            )
        ]
    return [
        Issue(
            code,
            message,
            table=table,
            raw=c.text,
            table_index=row.table.index,
            row_index=row.index,
            col_index=c.col,
            page=c.page,
        )
        for c in cells
    ]


def place_row(spec: TableSpec, d: MatchedRow, template: str | None) -> tuple[list[MatchedValue], list[Issue]]:
    """The values of one matched row, each under its column key, and the doubts met placing them."""
    issues: list[Issue] = []
    rspec = spec.row(d.key)
    tpl = _row_template(spec, rspec, d, template, issues)
    expected = list(rspec.columns[tpl])
    cmap = d.header.cols if d.header else {}
    placed = _by_header(d, cmap, expected) if cmap else []
    if not placed and d.values:
        if len(d.values) != len(expected):
            issues += _unplaced(spec, d, expected)
            return [], issues
        placed = _by_position(spec, d, cmap, expected, issues)
    return _values(spec, d, placed, rspec.units.get(tpl, {}), issues), issues


def _row_template(spec: TableSpec, rspec: RowSpec, d: MatchedRow, template: str | None, issues: list[Issue]) -> str:
    """The table's template, or the row's own where the table's does not print it (said as a mismatch)."""
    if template is not None and template in rspec.columns:
        return template
    tpl = rspec.templates[0]
    message = f"row {d.key} belongs to template {tpl}, the table reads as {template}"
    issues.append(_row_issue(spec, d, "template-mismatch", message, raw=" | ".join(c.text for c in d.labels)))
    return tpl


def _row_issue(spec: TableSpec, d: MatchedRow, code: str, message: str, **where: Any) -> Issue:
    """An issue about a matched row as a whole, at its position in the raw table."""
    return Issue(
        code, message, table=spec.table, row=d.key, table_index=d.row.table.index, row_index=d.row.index, **where
    )


def _fits(keys: list[ColumnKey | None], expected: list[str], in_order: bool) -> bool:
    """Whether the header maps every cell, to distinct columns of the row (in the row's order, if asked)."""
    if any(k is None for k in keys):
        return False
    got = [k.key for k in keys if k is not None]
    if len(set(got)) != len(got) or not set(got) <= set(expected):
        return False
    return not in_order or got == [e for e in expected if e in got]


def _by_header(d: MatchedRow, cmap: dict[int, ColumnKey], expected: list[str]) -> list[_Placed]:
    """The row's cells under the columns the header gives them, or [] when the header does not decide."""
    keys = [cmap.get(c.col) for c in d.values]
    if _fits(keys, expected, in_order=True):
        return _under_header(d, list(zip(d.values, keys, strict=True)))
    if len(d.values) == len(expected) and None in keys:
        return []  # the header maps only some of a full row's cells: position decides
    return _by_header_without_blanks(d, keys, expected)


def _by_header_without_blanks(d: MatchedRow, keys: list[ColumnKey | None], expected: list[str]) -> list[_Placed]:
    """Header cells covering several keys' columns, or values that don't line up: drop the blanks the header does
    not map, and try again (any order) before falling back to position."""
    kept = [(c, k) for c, k in zip(d.values, keys, strict=True) if k is not None or c.text.strip()]
    if kept and _fits([k for _, k in kept], expected, in_order=False):
        return _under_header(d, kept)
    return []


def _under_header(d: MatchedRow, pairs: list[tuple[Cell, ColumnKey | None]]) -> list[_Placed]:
    """Cells under the keys the header gives them, as sure as the row label and the column header both are."""
    return [_Placed(c, k.key, min(d.score, k.score), k.unit) for c, k in pairs if k is not None]


def _by_position(
    spec: TableSpec, d: MatchedRow, cmap: dict[int, ColumnKey], expected: list[str], issues: list[Issue]
) -> list[_Placed]:
    """Exactly as many cells as the row has columns: left to right, said as an issue where the header disagrees."""
    placed = [_Placed(c, k, d.score, None) for c, k in zip(d.values, expected, strict=True)]
    header_keys = [ck.key if (ck := cmap.get(c.col)) else None for c in d.values]
    if header_keys != expected:
        message = f"{d.key}: {len(d.values)} values placed by position (header lost or not lined up)"
        issues.append(_row_issue(spec, d, "matched-by-position", message, page=d.values[0].page))
    return placed


def _unplaced(spec: TableSpec, d: MatchedRow, expected: list[str]) -> list[Issue]:
    nonblank = [c for c in d.values if c.text.strip()]
    if not nonblank:
        return []
    message = (
        f"{d.key}: {len(d.values)} value cells for {len(expected)} columns "
        f"({', '.join(expected)}) and no header to place them"
    )
    return row_issues(spec.table, "unmatched-column", d.row, nonblank, d.key, message)


def _values(
    spec: TableSpec, d: MatchedRow, placed: list[_Placed], default_units: dict[str, str], issues: list[Issue]
) -> list[MatchedValue]:
    """One value per column key: a second cell under the same key is dropped, said as a conflict if it differs."""
    by_key: dict[str, MatchedValue] = {}
    for p in placed:
        if p.key in by_key:
            prev = by_key[p.key]
            if parse_value(prev.raw).value != parse_value(p.cell.text).value and p.cell.text.strip():
                issues.append(_conflict(spec, d, prev, p.cell))
            continue
        by_key[p.key] = MatchedValue(
            row=d.key,
            col=p.key,
            raw=p.cell.text,
            table_index=d.row.table.index,
            row_index=d.row.index,
            col_index=p.cell.col,
            page=p.cell.page,
            score=round(p.score, 1),
            unit_hint=p.unit or default_units.get(p.key),
            confidence=p.cell.confidence,
        )
    return list(by_key.values())


def _conflict(spec: TableSpec, d: MatchedRow, prev: MatchedValue, cell: Cell) -> Issue:
    return Issue(
        "conflicting-values",
        f"{d.key}/{prev.col}: {prev.raw!r} and {cell.text!r}",
        table=spec.table,
        row=d.key,
        col=prev.col,
        raw=cell.text,
        table_index=d.row.table.index,
        row_index=d.row.index,
        col_index=cell.col,
        page=cell.page,
    )
