"""One extractor per format, one signature: ``extract(path, origin, settings: Settings) -> Document``.

Whatever the extractor, a table larger than ``max_table_cells`` grid positions (rows x columns) is left out with a
warning (kept as an empty table at its place, so the others keep their numbers), and so is every table after the
document's tables reach ten times that: a table's grid is built in memory later, and a small file can declare a
huge one. Extractors that would spend that memory while reading (spans in HTML and Word, ruled lines in PDF) check
the limit themselves.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from pathlib import Path

from ..errors import UnsupportedFormat
from ..files import file_digest
from ..formats import detect_format
from ..model import Document, Format, Origin, RawTable
from ..settings import Settings
from ..textcodec import path_text

# Format -> "module:function"; modules are imported on first use so a missing optional
# dependency of one format never breaks the others.
EXTRACTORS: dict[Format, str] = {
    Format.DOCX: "pipeline.extract.docx:extract",
    Format.DOC: "pipeline.extract.doc:extract",
    Format.WPS: "pipeline.extract.doc:extract",
    Format.PDF: "pipeline.extract.pdf:extract",
    Format.HTML: "pipeline.extract.html:extract",
    Format.TXT: "pipeline.extract.md:extract_text",  # a Word dump, else Markdown or OCR text
    Format.MD: "pipeline.extract.md:extract",
}


def origin_of(path: str | Path, fmt: Format | None = None, max_mb: float | None = None) -> Origin:
    """The file's origin: path (as text, see ``files.path_text``), SHA-256 of its bytes (at most ``max_mb`` MB are
    read), and format (detected when not given). Only a regular file is opened."""
    path = Path(path)
    sha = file_digest(path, max_mb)
    fmt = fmt or detect_format(path)
    if fmt is None:
        raise UnsupportedFormat(
            f"not a supported report format (docx, doc, wps, pdf, html, txt, md): {path_text(path.name)}"
        )
    return Origin(path=path_text(path), sha256=sha, format=fmt)


def extractor_for(fmt: Format) -> Callable[..., Document]:
    module, _, name = EXTRACTORS[fmt].partition(":")
    return getattr(importlib.import_module(module), name)


def extract(path: str | Path, settings: Settings | dict | None = None, origin: Origin | None = None) -> Document:
    """Read one file into a ``Document``; raises ``DocumentLoadError`` and friends on failure.

    ``settings`` is a ``Settings`` or a mapping of option names (checked: an unknown one raises ``SettingsError``).
    """
    settings = Settings.resolve(settings)
    origin = origin or origin_of(path, max_mb=settings.max_file_mb)
    return capped(extractor_for(origin.format)(Path(path), origin, settings), settings.max_table_cells)


DOCUMENT_CELLS = 10  # a document's tables hold at most this many times ``max_table_cells`` grid positions in all


def capped(doc: Document, limit: int) -> Document:
    """``doc`` with every table over the grid limit (and every one past the document's limit) left out, each with a
    warning; the document itself when none is."""
    tables, warnings, total = [], [], 0
    for t in doc.tables:
        size = t.n_rows * t.n_cols
        total += size
        if size > limit:
            warnings.append(too_large(t.index, f"{t.n_rows} rows x {t.n_cols} columns", limit))
        elif total > DOCUMENT_CELLS * limit:
            warnings.append(too_large(t.index, f"the document's tables past {DOCUMENT_CELLS * limit} positions", limit))
        if size > limit or total > DOCUMENT_CELLS * limit:
            t = RawTable(index=t.index, cells=(), n_rows=0, n_cols=0, page=t.page)
        tables.append(t)
    if not warnings:
        return doc
    return dataclasses.replace(doc, tables=tuple(tables), warnings=(*doc.warnings, *warnings))


class TableTooLarge(Exception):
    """A table found too large to read while it was being read (``what``: how large, in words)."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


def too_large(index: int, what: str, limit: int) -> str:
    """The warning for a table left out for its size."""
    return f"table {index} left out: {what}, over the limit of {limit} grid positions (max_table_cells)"
