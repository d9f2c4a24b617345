"""Markdown that other converters wrote (pandoc, markitdown, pymupdf4llm, html2text, OCR and language-model tools).

Every table becomes a RawTable in reading order: pipe tables of every dialect and grid tables (see ``md_tables``),
HTML ``<table>`` blocks read by the HTML extractor. The text between them becomes paragraphs, with the Markdown
markup (headings, emphasis, escapes, inline HTML) taken off. A table cut by a page footer or a heading stays two
tables: the locate stage joins consecutive tables of one kind. Doubts about a table's rows (a row longer than its
header, a short row in a table whose other rows are full) are ``Document.warnings``, never silent guesses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import DocumentLoadError
from ..model import Document, Origin, RawTable
from ..settings import Settings
from . import html as html_extract
from .md_columns import dash_table, dash_table_end
from .md_lines import line_rows, line_table_end
from .md_tables import (
    align_rows,
    clean_cell,
    fill_rowspans,
    generic_header,
    grid_to_table,
    has_pipe,
    is_figure,
    is_grid_border,
    is_separator,
    rows_to_table,
    split_label_column,
    split_pipe_row,
)
from .txt import dump_to_document, read_dump

_TABLE_OPEN = re.compile(r"<table\b", re.I)
_TABLE_CLOSE = re.compile(r"</table\s*>", re.I)
_HEADING = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?)")
_BULLET = re.compile(r"^\s*[-*+]\s+")
_RULE = re.compile(r"^\s*(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,}|(?:=\s*){3,})$")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_CJK_END = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]$")
_CJK_START = re.compile(r"^[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_LOOSE_ROW = re.compile(r"^(\S.*?\D)\s+((?:[-+]?\d[\d,.]*\s+)*[-+]?\d[\d,.]*)$")  # a label, then figures
NOTE_SNIPPET = 20  # chars of a line quoted in a warning


def extract(path: Path, origin: Origin, settings: Settings) -> Document:
    """Read a Markdown file into a Document: its tables in order, the text between them as paragraphs."""
    text, notes, warnings = read_dump(path, settings)
    return markdown_to_document(text, origin, settings, notes, warnings)


def extract_text(path: Path, origin: Origin, settings: Settings) -> Document:
    """A plain-text file: a Word dump (cells after tabs) read as such, any other text as Markdown, whose readers
    also find tables an OCR tool wrote as lines of a label and figures."""
    text, notes, warnings = read_dump(path, settings)
    doc = dump_to_document(text, origin, settings, notes, warnings)
    if doc.tables:
        return doc
    return markdown_to_document(text, origin, settings, notes, warnings)


def markdown_to_document(
    text: str, origin: Origin, settings: Settings, notes: list[str], warnings: list[str]
) -> Document:
    reader = _MarkdownReader(settings.max_tables)
    reader.read(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return Document(
        origin=origin,
        tables=tuple(reader.tables),
        paragraphs=tuple(reader.paragraphs),
        title=reader.title,
        notes=tuple(notes),
        warnings=tuple(warnings + reader.warnings),
    )


@dataclass
class _MarkdownReader:
    """Reads Markdown lines into tables and paragraphs, block by block."""

    max_tables: int
    tables: list[RawTable] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    title: str | None = None  # the first heading (``#``): the title Markdown marks
    _para: list[str] = field(default_factory=list)
    _last: list[list[str]] | None = None  # the rows of the pipe table just read

    def read(self, lines: list[str]) -> None:
        i = 0
        while i < len(lines):
            i = self._block(lines, i)
        self._end_paragraph()

    def _block(self, lines: list[str], i: int) -> int:
        """Read the block starting at line ``i``; returns the index of the line after it."""
        line = lines[i]
        if _TABLE_OPEN.search(line):
            return self._html_table(lines, i)
        if is_grid_border(line):
            end = _grid_end(lines, i)
            self._add(grid_to_table(lines[i:end], len(self.tables)))
            return end
        end = dash_table_end(lines, i)
        if end > i:
            self._add(dash_table(lines[i:end], len(self.tables)))
            return end
        end = _pipe_table_end(lines, i)
        if end > i:
            self._pipe_table(lines[i:end])
            return end
        if self._last and line.strip():
            if self._loose_row(line):
                return i + 1
            self._last = None
        end = line_table_end(lines, i)
        if end > i:
            self._add(rows_to_table(split_label_column(line_rows(lines[i:end]))[0], len(self.tables)))
            return end
        self._text(line)
        return i + 1

    def _text(self, line: str) -> None:
        if not line.strip():
            self._end_paragraph()
        elif _RULE.match(line):  # a rule or a setext heading's underline ends the paragraph
            self._end_paragraph()
        else:
            self._para.append(line.strip())

    def _end_paragraph(self) -> None:
        if not self._para:
            return
        joined = self._para[0]
        for ln in self._para[1:]:  # a soft line break: nothing between Chinese characters, a space elsewhere
            joined += ln if _CJK_END.search(joined) or _CJK_START.match(ln) else " " + ln
        self._para = []
        text = _paragraph_text(joined)
        if text:
            self.paragraphs.append(text)
            if self.title is None and joined.startswith("#"):
                self.title = text

    def _add(self, table: RawTable) -> None:
        self._end_paragraph()
        if len(self.tables) >= self.max_tables:
            raise DocumentLoadError(f"more than {self.max_tables} tables (limit max_tables)")
        if table.cells:
            self.tables.append(replace(table, index=len(self.tables)))

    def _pipe_table(self, lines: list[str]) -> None:
        lines = _join_wrapped_rows(lines)
        rows = [split_pipe_row(ln) for k, ln in enumerate(lines) if not (k and is_separator(ln))]
        width = len(split_pipe_row(lines[1])) if len(lines) > 1 and is_separator(lines[1]) else None
        rows, doubts = _shape_rows(rows, width, all(ln.lstrip().startswith("|") for ln in lines))
        self._add(rows_to_table(rows, len(self.tables)))
        self.warnings += [f"table {len(self.tables) - 1} {d}" for d in doubts]
        self._last = rows

    def _loose_row(self, line: str) -> bool:
        """A line of a label and figures right after a pipe table, as pymupdf4llm leaves a last row it did not
        see as the table's: the table's last row when its figures are as many as the row above it has."""
        rows = self._last or []
        found = _loose_figures(line, rows)
        if found is None:
            return False
        label, figures = found
        rows.append([label, *[""] * (max(len(r) for r in rows) - len(figures) - 1), *figures])
        self.tables[-1] = rows_to_table(rows, self.tables[-1].index)
        self.warnings.append(
            f"table {len(self.tables) - 1}: the line {line.strip()[:NOTE_SNIPPET]!r} after it read as its last row "
            f"(its {len(figures)} figures under the last {len(figures)} columns, as in the row above)"
        )
        return True

    def _html_table(self, lines: list[str], i: int) -> int:
        end = _html_table_end(lines, i)
        block = "\n".join(lines[i:end])
        head, _, _ = block.partition(_TABLE_OPEN.search(block).group(0))  # type: ignore[union-attr]
        if head.strip():
            self._text(head)
        tables, paragraphs = html_extract.fragment_to_tables(block[len(head) :], self.max_tables)
        self._end_paragraph()
        for t in tables:
            self._add(t)
        self.paragraphs += paragraphs
        return end


def _join_wrapped_rows(lines: list[str]) -> list[str]:
    """Rows that html2text wrapped over several lines joined again.

    html2text ends every table row with a hard break (two spaces); where most rows end so, a line that does not is
    a row wrapped at a space, and runs on in the next line.
    """
    ends = [ln.endswith("  ") for ln in lines]
    if sum(ends) * 2 < len(lines):
        return lines
    out: list[str] = []
    carry = ""
    for line, ended in zip(lines, ends, strict=True):
        carry = f"{carry} {line.strip()}" if carry else line
        if ended:
            out.append(carry)
            carry = ""
    if carry:
        out.append(carry)
    return out


def _paragraph_text(text: str) -> str:
    text = _HEADING.sub("", text)
    text = _BULLET.sub("", text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    return clean_cell(text).replace("\n", " ")


def _grid_end(lines: list[str], i: int) -> int:
    j = i + 1
    while j < len(lines) and lines[j].strip()[:1] in ("+", "|"):
        j += 1
    return j


def _html_table_end(lines: list[str], i: int) -> int:
    """The line after the one that closes the ``<table>`` opened on line ``i`` (nested tables counted)."""
    depth = 0
    for j in range(i, len(lines)):
        depth += len(_TABLE_OPEN.findall(lines[j])) - len(_TABLE_CLOSE.findall(lines[j]))
        if depth <= 0:
            return j + 1
    return len(lines)


def _pipe_table_end(lines: list[str], i: int) -> int:
    """The end of a pipe table starting at line ``i``, or ``i`` if none starts there.

    A table starts with a header line and its separator, or with two pipe lines. With a separator it runs to the
    next blank line (html2text writes rows of one cell without a pipe); without one, to the last pipe line.
    """
    line, nxt, after = (lines[k] if k < len(lines) else "" for k in (i, i + 1, i + 2))
    if not line.strip() or line.startswith("\t") or is_separator(line):
        return i
    if is_separator(nxt) and any(has_pipe(x) for x in (line, nxt, after)):
        return _run_end(lines, i + 2, lambda ln: bool(ln.strip()))
    if _two_pipe_rows(line, nxt):
        return _run_end(lines, i + 2, has_pipe)
    return i


def _two_pipe_rows(line: str, nxt: str) -> bool:
    """Two pipe lines, one at least of two cells (two lines of one cell between pipes are boxed text, not rows)."""
    return has_pipe(line) and has_pipe(nxt) and max(len(split_pipe_row(line)), len(split_pipe_row(nxt))) > 1


def _run_end(lines: list[str], j: int, goes_on: Callable[[str], bool]) -> int:
    while j < len(lines) and goes_on(lines[j]):
        j += 1
    return j


def _shape_rows(rows: list[list[str]], width: int | None, bordered: bool) -> tuple[list[list[str]], list[str]]:
    """A pipe table's rows as its dialect means them (see ``md_tables``), with the doubts about them."""
    if not width:
        return rows, []
    if bordered and not any(c.strip() for c in rows[0]):  # markitdown: an empty header, rowspans left out below
        return fill_rowspans(rows[1:], width) or rows, []
    rows[0] = generic_header(rows[0])
    if not bordered:  # html2text: merged cells written once, so the separator does not give the width
        return rows, []
    rows, added = split_label_column(rows)
    return align_rows(rows, width + added)


def _loose_figures(line: str, rows: list[list[str]]) -> tuple[str, list[str]] | None:
    """(label, figures) of a line that can be the last row of a table of ``rows``: as many figures as the last row
    has, fewer than the table has columns."""
    m = _LOOSE_ROW.match(line.strip())
    if not m or is_figure(m.group(1)) or not rows:
        return None
    figures = m.group(2).split()
    above = [c for c in rows[-1] if c.strip() and is_figure(c)]
    if len(figures) != len(above) or len(figures) >= max(len(r) for r in rows):
        return None
    return clean_cell(m.group(1)), figures
