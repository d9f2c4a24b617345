"""Detect a file's format from its content (magic bytes), falling back to its extension."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from .model import Format
from .textcodec import utf16_variant

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
HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<table", b"<meta", b"<div", b"<p")
PAGE_MARKERS = (b"<!doctype html", b"<html")  # a web page whatever its bytes decode as
MD_SNIFF = 1 << 18  # bytes of a text file searched for a Markdown table when its head shows none
# a pipe table's header separator (|---|---|, ---|---), two pipe rows, or a grid table's border over a row
_MD_TABLE = re.compile(
    r"^[ ]{0,3}\|?[ ]*:?-{3,}:?[ ]*(?:\|[ ]*:?-{3,}:?[ ]*)+\|?[ ]*$"
    r"|^[ ]{0,3}\|[^\n]*\|[ ]*\n[ ]{0,3}\|[^\n]*\|[ ]*$"
    r"|^[ ]{0,3}\+[-=:+]{3,}\+[ ]*\n[ ]{0,3}\|",
    re.M,
)
BAD_SHARE = 0.01  # unreadable characters a head may hold and still be text
MAX_CUT = 3  # bytes of a multi-byte character the head may end inside


def detect_format(path: str | Path, head: bytes | None = None) -> Format | None:
    """The format of ``path`` judged by its bytes; the extension only decides between text kinds.

    Returns None when the content fits no supported format (e.g. random bytes, an image).
    """
    path = Path(path)
    if head is None:
        with open(path, "rb") as f:
            head = f.read(4096)
    suffix = SUFFIXES.get(path.suffix.lower())
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return Format.PDF
    if head.startswith(OLE_MAGIC):
        return Format.WPS if suffix is Format.WPS else Format.DOC
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                if "word/document.xml" in z.namelist():
                    return Format.DOCX
        except (zipfile.BadZipFile, OSError):
            # a truncated docx still starts like a zip: let the docx reader say what is wrong
            return Format.DOCX if suffix is Format.DOCX else None
        return None
    if any(m in head.lower() for m in PAGE_MARKERS):
        return Format.HTML  # a page never fails detection for bytes its declared charset does not cover
    text = _as_text(head)
    if text is None:
        return None
    if suffix is Format.MD or _has_markdown_tables(path, text, len(head)):
        return Format.MD  # Markdown may hold HTML blocks (<div>, <table>) too
    low = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if any(low.startswith(m) for m in HTML_MARKERS):
        return Format.HTML
    if b"<table" in head.lower():
        return Format.HTML
    if b"\x00" in head:  # UTF-16: look for the markers in the decoded text
        low_text = text.lstrip("\ufeff \t\r\n").lower()
        if any(low_text.startswith(m.decode()) for m in HTML_MARKERS) or "<table" in low_text or "<html" in low_text:
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


def _as_text(head: bytes) -> str | None:
    """The head decoded as text, or None if it looks binary."""
    if not head:
        return ""
    if b"\x00" in head and not (head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff")):
        enc = utf16_variant(head)  # BOM-less UTF-16 text
        return head[: len(head) // 2 * 2].decode(enc, errors="replace") if enc else None
    for enc in ("utf-8", "gb18030"):
        for cut in range(MAX_CUT + 1):  # a multi-byte character cut at the end of the head is fine
            try:
                return head[: len(head) - cut].decode(enc)
            except UnicodeDecodeError:
                continue
    try:
        return head.decode("utf-16")
    except UnicodeDecodeError:
        pass
    # a few damaged bytes (a GBK page with a stray byte) still make text; binary data has control bytes
    text = head.decode("gb18030", errors="replace")
    bad = text.count("\ufffd") + sum(1 for ch in text if ch < " " and ch not in "\t\r\n\f")
    return text if bad <= BAD_SHARE * len(text) else None
