"""The one document model every extractor returns and every later stage reads.

It imports nothing from the rest of the package, so extractors, matching and output
can all depend on it without cycles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property


class Format(StrEnum):
    """Input formats, detected by content (see ``pipeline.formats``)."""

    DOCX = "docx"
    DOC = "doc"
    WPS = "wps"
    PDF = "pdf"
    HTML = "html"
    TXT = "txt"
    MD = "md"  # Markdown, or text with pipe tables (what converters and OCR tools write)


@dataclass(frozen=True)
class Origin:
    """Where a document came from: its path, the hash of its bytes and its format."""

    path: str
    sha256: str
    format: Format

    @property
    def report_id(self) -> str:
        """First 16 hex digits of the SHA-256 of the file's bytes."""
        return self.sha256[:16]


@dataclass(frozen=True)
class Cell:
    """One cell of a table as printed: its raw text and where it sits in the grid.

    ``row``/``col`` are the top-left grid position (0-based); a merged cell is stored
    once with its spans, never repeated at every position it covers.
    """

    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    page: int | None = None  # 1-based page number (PDF), None where pages don't exist
    bbox: tuple[float, float, float, float] | None = None  # x0, top, x1, bottom in points
    confidence: float | None = None  # OCR confidence 0..100, None for text-layer cells


@dataclass(frozen=True)
class RawTable:
    """A table as the extractor found it: a grid of cells with spans kept."""

    index: int  # position of the table in the document, 0-based
    cells: tuple[Cell, ...]
    n_rows: int
    n_cols: int
    page: int | None = None  # first page the table is on (PDF)

    def grid(self) -> list[list[Cell | None]]:
        """The table as rows x cols, each position pointing at the cell that covers it (computed once)."""
        return self._grid

    @cached_property
    def _grid(self) -> list[list[Cell | None]]:
        g: list[list[Cell | None]] = [[None] * self.n_cols for _ in range(self.n_rows)]
        for c in self.cells:
            for r in range(c.row, min(c.row + c.rowspan, self.n_rows)):
                for k in range(c.col, min(c.col + c.colspan, self.n_cols)):
                    g[r][k] = c
        return g


@dataclass(frozen=True)
class Document:
    """A report as read from one file: its tables and its running text."""

    origin: Origin
    tables: tuple[RawTable, ...]
    paragraphs: tuple[str, ...] = ()  # body text outside tables, in reading order
    title: str | None = None  # the report title where the format marks one (e.g. HTML <title>)
    notes: tuple[str, ...] = field(default=())  # extractor remarks, info issues (e.g. "converted from .doc")
    warnings: tuple[str, ...] = field(default=())  # doubts about what was read (rows guessed, pages skipped)
