"""Plain-text dumps of Word reports: tables rebuilt from the dump's tab-indented cell lines.

The converters that write these dumps (Apache Tika and the like) put each paragraph on a line,
each table cell on its own line after a tab, and a blank line after each table row; a merged
cell is written once (its continuation cells, if any, as empty tab lines), and a cell of several
paragraphs runs on over untabbed lines. So one dumped row becomes one RawTable row, its cells
left to right with colspan 1, and rows may differ in length. Two or more blank lines before the
next cell line end a table. Text lines outside tables become paragraphs.

Where the layout leaves the rows in doubt (blank-line separators missing) the extractor splits
rows by a stated rule and says so in ``Document.notes``; it never guesses silently.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DocumentLoadError
from ..model import Cell, Document, Origin, RawTable
from ..settings import Settings
from ..textcodec import decode_bytes, repair_mojibake

_ARTEFACT = re.compile(r"\[bookmark: [^\]]*\]")  # Tika writes Word bookmarks this way; they are not printed text
_VALUE = re.compile(r"^[+\-−－]?\s*[0-9０-９]+(?:[.,，．][0-9０-９]+)*\s*[^\d\s.．、]{0,3}$")  # 12, +4, 2.5, 128668元
_NOTHING = {"", "/", "／", "-", "－", "—", "——", "无", "空"}
TABLE_END_BLANKS = 2  # this many blank lines before a cell line end the table: one only ends a row
NOTE_SNIPPET = 20  # chars of the text quoted in a note


def extract(path: Path, origin: Origin, settings: Settings) -> Document:
    """Read a text dump into a Document: tables from tab-indented blocks, other lines as paragraphs."""
    text, notes, warnings = read_dump(path, settings)
    return dump_to_document(text, origin, settings, notes, warnings)


def dump_to_document(text: str, origin: Origin, settings: Settings, notes: list[str], warnings: list[str]) -> Document:
    """The Document of a dump's text (``notes`` and ``warnings`` on reading it passed on)."""
    warnings = list(warnings)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    paragraphs, blocks, found = dump_to_blocks(lines)
    warnings += found
    max_tables = settings.max_tables
    if len(blocks) > max_tables:
        raise DocumentLoadError(f"more than {max_tables} tables (limit max_tables)")
    tables = []
    for i, rows in enumerate(blocks):
        rows, split = split_run_on_rows(rows)
        if split:
            warnings.append(
                f"table {i}: {split} row(s) had no blank line before them; started a new row at each "
                f"label cell that follows a value cell (row structure guessed)"
            )
        tables.append(rows_to_raw_table(rows, i))
    return Document(
        origin=origin, tables=tuple(tables), paragraphs=tuple(paragraphs), notes=tuple(notes), warnings=tuple(warnings)
    )


def read_dump(path: Path, settings: Settings) -> tuple[str, list[str], list[str]]:
    """The text of a dump file (any of the encodings Chinese files come in), with notes and warnings on reading it."""
    limit = settings.max_text_bytes
    try:
        size = path.stat().st_size
        if size > limit:
            raise DocumentLoadError(f"text file of {size} bytes exceeds the limit of {limit} bytes (max_text_mb)")
        data = path.read_bytes()
    except OSError as e:
        raise DocumentLoadError(f"cannot read text file: {e}") from e
    decoded = decode_bytes(data)
    notes, warnings = list(decoded.notes), list(decoded.warnings)
    text, repaired = repair_mojibake(decoded.text)
    if repaired:
        notes.append(f"repaired {repaired} run(s) of mojibake (UTF-8 text that had been decoded as GBK)")
    if "\x00" in text:
        raise DocumentLoadError("not a text file: it contains NUL characters")
    return text, notes, warnings


def dump_to_blocks(lines: list[str]) -> tuple[list[str], list[list[list[str]]], list[str]]:
    """Split dump lines into paragraphs and tables; a table is rows of cell texts.

    Returns (paragraphs, tables, notes).
    """
    reader = _DumpReader()
    for line in lines:
        reader.read(line)
    reader.close_table()
    return reader.paragraphs, reader.tables, reader.notes


@dataclass
class _DumpReader:
    """Reads a dump line by line: cell lines (after a tab) into table rows, other lines into paragraphs."""

    paragraphs: list[str] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    table: list[list[list[str]]] | None = None  # the open table: rows of cells of lines
    row: list[list[str]] | None = None  # the open row: cells of lines
    blanks: int = 0  # blank lines since the last cell or text line
    after_cell: bool = False  # the previous line was a cell line or its continuation

    def read(self, line: str) -> None:
        if line.startswith("\t"):
            self._cell(line[1:])
        elif not line.strip():
            self._blank()
        else:
            self._text(line)

    def close_table(self) -> None:
        if self.table is not None:
            if self.row:
                self.table.append(self.row)
            if self.table:
                self.tables.append([[_clean_cell(c) for c in r] for r in self.table])
        self.table, self.row = None, None

    def _cell(self, text: str) -> None:
        if self.table is None or self.blanks >= TABLE_END_BLANKS:
            self.close_table()
            self.table = []
        if self.row is None:
            self.row = []
        self.row.append([text])
        self.blanks, self.after_cell = 0, True

    def _blank(self) -> None:
        self.blanks += 1
        if self.row and self.table is not None:
            self.table.append(self.row)
        self.row = None
        self.after_cell = False

    def _text(self, line: str) -> None:
        if self.table is not None and self.after_cell and self.row:
            prev = self.row[-1][-1]
            if not (_is_value(prev) and prev.strip() and not _is_value(line)):
                self.row[-1].append(line)  # a cell's further paragraph
                return
            self.notes.append(
                f"table {len(self.tables)}: no blank line between its last cell and the text "
                f"{line.strip()[:NOTE_SNIPPET]!r}; took the text as a paragraph after the table"
            )
        self.close_table()
        text = _ARTEFACT.sub("", line).strip()
        if text:
            self.paragraphs.append(text)
        self.blanks, self.after_cell = 0, False


def split_run_on_rows(rows: list[list[str]]) -> tuple[list[list[str]], int]:
    """Split rows that hold a label cell after a value cell (two rows run together).

    The empty cells between the value and the label go to the new row (where the dump puts
    the empty continuation cells of merged group labels), except those a row needs to reach
    the usual number of value cells of the table's other rows. Returns (rows, splits made).
    """
    pieces_by_row = [_split_at_labels(cells) for cells in rows]
    splits = sum(len(pieces) - 1 for pieces in pieces_by_row)
    if not splits:
        return rows, 0
    usual = _usual_values(pieces_by_row)
    result: list[list[str]] = []
    for pieces in pieces_by_row:
        for k, p in enumerate(pieces):
            if k and result:  # split off the piece before: give back what that one needs
                _give_back_empties(result[-1], p, usual)
            result.append(list(p))
    return [r for r in result if r], splits


def _usual_values(pieces_by_row: list[list[list[str]]]) -> int:
    """The most common number of value cells among the pieces that have any (0 if none has)."""
    counts = Counter(n for pieces in pieces_by_row for p in pieces if (n := _n_values(p)))
    return counts.most_common(1)[0][0] if counts else 0


def _split_at_labels(cells: list[str]) -> list[list[str]]:
    """A row cut before each label cell that follows a value cell, the empty cells before the label going with it."""
    pieces: list[list[str]] = []
    start = 0
    seen_value = False
    for k, c in enumerate(cells):
        if c and not _is_value(c):
            if seen_value:
                j = k
                while j > start and cells[j - 1] == "":
                    j -= 1
                pieces.append(cells[start:j])
                start, seen_value = j, False
        elif c:
            seen_value = True
    pieces.append(cells[start:])
    return pieces


def _give_back_empties(prev: list[str], piece: list[str], usual: int) -> None:
    """Move leading empty cells of ``piece`` back to ``prev`` while ``prev`` falls short of ``usual`` value cells."""
    while piece and piece[0] == "" and _n_values(prev) < usual:
        prev.append(piece.pop(0))


def rows_to_raw_table(rows: list[list[str]], index: int) -> RawTable:
    """Dumped rows as a RawTable: cell k of row r at (r, k), spans 1."""
    cells = tuple(Cell(text=t, row=r, col=k) for r, row in enumerate(rows) for k, t in enumerate(row))
    return RawTable(index=index, cells=cells, n_rows=len(rows), n_cols=max((len(r) for r in rows), default=0))


def _clean_cell(lines: list[str]) -> str:
    parts = (_ARTEFACT.sub("", ln).strip() for ln in lines)
    return "\n".join(p for p in parts if p)


def _is_value(text: str) -> bool:
    """A cell that holds a figure (or a mark for none), not a label."""
    t = text.strip()
    return t in _NOTHING or bool(_VALUE.match(t))


def _n_values(cells: list[str]) -> int:
    """Cells from the first value cell to the end: the row's value part."""
    for k, c in enumerate(cells):
        if c and _is_value(c):
            return len(cells) - k
    return 0
