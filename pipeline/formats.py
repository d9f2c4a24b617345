"""Detect a file's format from its content (magic bytes), falling back to its extension."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from .model import Format
from .textcodec import WEB_GBK, utf16_variant

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97 .doc and WPS .wps (compound file)
SUFFIXES = {
    ".docx": Format.DOCX,
    ".doc": Format.DOC,
    ".wps": Format.WPS,
    ".pdf": Format.PDF,
    ".html": Format.HTML,
    ".htm": Format.HTML,
    ".shtml": Format.HTML,
    ".txt": Format.TXT,
    ".md": Format.MD,
    ".markdown": Format.MD,
}
HEAD_BYTES = 4096  # the start of a file, enough to tell every format
PDF_MARKER_WINDOW = 1024  # a PDF may carry junk before %PDF- (the spec allows it within the first 1024 bytes)
HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<table", b"<meta", b"<div", b"<p")
PAGE_MARKERS = (b"<!doctype html", b"<html")  # a web page, whatever its bytes decode as
MD_SNIFF = 1 << 18  # bytes of a text file searched for a Markdown table when its head shows none
MAX_CUT = 3  # bytes of a multi-byte character the head may end inside
BAD_SHARE = 0.01  # unreadable characters (or control bytes) a head may hold and still be text
# a pipe table's header separator (|---|---|, ---|---), two pipe rows, or a grid table's border over a row
_MD_TABLE = re.compile(
    r"^[ ]{0,3}\|?[ ]*:?-{3,}:?[ ]*(?:\|[ ]*:?-{3,}:?[ ]*)+\|?[ ]*$"
    r"|^[ ]{0,3}\|[^\n]*\|[ ]*\n[ ]{0,3}\|[^\n]*\|[ ]*$"
    r"|^[ ]{0,3}\+[-=:+]{3,}\+[ ]*\n[ ]{0,3}\|",
    re.M,
)


def detect_format(path: str | Path, head: bytes | None = None) -> Format | None:
    """The format of ``path`` judged by its bytes; the extension only decides between text kinds.

    Returns None when the content fits no supported format (e.g. random bytes, an image).
    """
    path = Path(path)
    if head is None:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    suffix = SUFFIXES.get(path.suffix.lower())
    if head.startswith(b"%PDF") or b"%PDF-" in head[:PDF_MARKER_WINDOW]:
        return Format.PDF
    if head.startswith(OLE_MAGIC):
        return Format.WPS if suffix is Format.WPS else Format.DOC
    if head.startswith(b"PK\x03\x04"):
        return _zip_format(path, suffix)
    return _text_format(path, head, suffix)


def _zip_format(path: Path, suffix: Format | None) -> Format | None:
    """A zip is a .docx when it holds ``word/document.xml``; no other zip is read."""
    try:
        with zipfile.ZipFile(path) as z:
            return Format.DOCX if "word/document.xml" in z.namelist() else None
    except (zipfile.BadZipFile, OSError):
        # a truncated docx still starts like a zip: let the docx reader say what is wrong
        return Format.DOCX if suffix is Format.DOCX else None


def _text_format(path: Path, head: bytes, suffix: Format | None) -> Format | None:
    """A text kind: a web page, Markdown (by name, or by its tables wherever it is named), else a text dump."""
    if any(m in head.lower() for m in PAGE_MARKERS):
        return Format.HTML  # a page never fails detection for bytes its declared charset does not cover
    text = _as_text(head)
    if text is None:
        return None
    if suffix is Format.MD or _has_markdown_tables(path, text, len(head)):
        return Format.MD  # Markdown may hold HTML blocks (<div>, <table>) too
    if _looks_like_html(head, text):
        return Format.HTML
    return Format.TXT if text.strip() else suffix


def _has_markdown_tables(path: Path, head_text: str, head_size: int) -> bool:
    """Pipe or grid tables in the text (its first ``MD_SNIFF`` bytes: a long preamble may come first)."""
    if _MD_TABLE.search(head_text):
        return True
    if not path.exists() or path.stat().st_size <= head_size:
        return False
    with open(path, "rb") as f:
        text = _as_text(f.read(MD_SNIFF))
    return bool(text and _MD_TABLE.search(text))


def _looks_like_html(head: bytes, text: str) -> bool:
    """Markup at the start, or a table or html tag anywhere in the head (in the decoded text for UTF-16)."""
    low = head.lower()
    if any(low.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(m) for m in HTML_MARKERS) or b"<table" in low:
        return True
    if b"<html" in low:
        return True
    if b"\x00" not in head:
        return False
    low_text = text.lstrip("\ufeff \t\r\n").lower()
    return any(low_text.startswith(m.decode()) for m in HTML_MARKERS) or "<table" in low_text or "<html" in low_text


def _as_text(head: bytes) -> str | None:
    """The head decoded as text, or None if it looks binary."""
    if not head:
        return ""
    if b"\x00" in head and not (head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff")):
        enc = utf16_variant(head)  # BOM-less UTF-16 text
        return head[: len(head) // 2 * 2].decode(enc, errors="replace") if enc else None
    for enc in ("utf-8", "gb18030"):
        text = _decode_cut(head, enc)
        if text is not None:
            return text
    try:
        return head.decode("utf-16")
    except UnicodeDecodeError:
        return _damaged_text(head)


def _decode_cut(head: bytes, enc: str) -> str | None:
    """The head in ``enc``, allowing for a multi-byte character cut at its end."""
    for cut in range(MAX_CUT + 1):
        try:
            return head[: len(head) - cut].decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def _damaged_text(head: bytes) -> str | None:
    """A GB text with a few bad bytes (a GBK page with a stray byte) is still text; binary data has many."""
    text = head.decode("gb18030", errors=WEB_GBK)
    bad = text.count("\ufffd") + sum(1 for ch in text if ch < " " and ch not in "\t\r\n\f")
    return text if bad <= BAD_SHARE * len(text) else None
