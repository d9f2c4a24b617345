"""One extractor per format, one signature: ``extract(path, origin, settings: Settings) -> Document``."""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from pathlib import Path

from ..errors import UnsupportedFormat
from ..formats import detect_format
from ..model import Document, Format, Origin
from ..settings import Settings

HASH_CHUNK = 1 << 20  # bytes read at a time while hashing: large files are never held whole

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


def origin_of(path: str | Path, fmt: Format | None = None) -> Origin:
    """The file's origin: path, SHA-256 of its bytes, and format (detected when not given)."""
    path = Path(path)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(HASH_CHUNK), b""):
            h.update(chunk)
    fmt = fmt or detect_format(path)
    if fmt is None:
        raise UnsupportedFormat(f"not a supported report format (docx, doc, wps, pdf, html, txt, md): {path.name}")
    return Origin(path=str(path), sha256=h.hexdigest(), format=fmt)


def extractor_for(fmt: Format) -> Callable[..., Document]:
    module, _, name = EXTRACTORS[fmt].partition(":")
    return getattr(importlib.import_module(module), name)


def extract(path: str | Path, settings: Settings | dict | None = None, origin: Origin | None = None) -> Document:
    """Read one file into a ``Document``; raises ``DocumentLoadError`` and friends on failure.

    ``settings`` is a ``Settings`` or a mapping of option names (checked: an unknown one raises ``SettingsError``).
    """
    settings = Settings.resolve(settings)
    origin = origin or origin_of(path)
    return extractor_for(origin.format)(Path(path), origin, settings)
