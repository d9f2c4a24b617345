"""Decode the bytes of text formats (HTML, .txt) and repair UTF-8 text that was decoded as GBK.

Chinese government pages come in UTF-8 or GBK/GB2312/GB18030, often with a missing or wrong
charset declaration, and some carry mojibake: UTF-8 bytes once decoded as GBK and saved again
(``涓€銆佹€讳綋鎯呭喌`` for ``一、总体情况``). ``decode_bytes`` picks the encoding by trying the
candidates and keeping the reading with the most common CJK characters; ``repair_mojibake``
re-encodes suspicious runs as GBK and decodes them as UTF-8 where that reads better.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from functools import lru_cache

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Declared names that mean a subset of GB18030: decode them all as GB18030.
GB_ALIASES = {"gb2312", "gbk", "gb18030", "cp936", "ms936", "x-gbk", "euc-cn", "csgb2312", "gb_2312-80", "hz-gb-2312"}
COMMON_PUNCT = set("、，。：；（）“”‘’《》？！…—【】〔〕·")
MIN_GAIN = 0.25  # a repair must raise the share of common CJK characters by this much
MAX_LOST = 0.10  # ...and lose (U+FFFD) at most this share of the characters it yields
# the web's GBK decoder reads byte 0x80 as the euro sign; a byte it could not read stays lost
_GBK_BYTES = {"\u20ac": b"\x80", "\ufffd": b"\xff"}
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
WEB_GBK = "xxgk-web-gbk"  # decode error handler: byte 0x80 is the euro sign (the web's GBK), other bad bytes U+FFFD


def _web_gbk(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    bad = err.object[err.start : err.end]
    if bad[:1] == b"\x80":
        return "\u20ac", err.start + 1
    return "\ufffd", err.end


codecs.register_error(WEB_GBK, _web_gbk)


@dataclass
class Decoded:
    """Text decoded from bytes, the encoding used, and remarks worth a note in the Document."""

    text: str
    encoding: str
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # text that may be damaged


def decode_bytes(data: bytes, declared: str | None = None) -> Decoded:
    """Decode ``data`` as text: BOM first, then strict UTF-8, then the best-reading CJK codec.

    ``declared`` is the encoding the file claims (e.g. an HTML meta charset); it wins only
    among readings that are equally good, since real pages declare wrongly.
    """
    for bom, enc in BOMS:
        if data.startswith(bom):
            return Decoded(data[len(bom) :].decode(enc, errors="replace"), enc)
    declared_norm = _norm(declared)
    enc = utf16_variant(data)
    if enc:
        return Decoded(data.decode(enc, errors="replace"), enc, ["no byte-order mark: read as " + enc])
    try:
        text = data.decode("utf-8")
        notes = []
        if declared_norm and declared_norm not in ("utf-8", "ascii") and not text.isascii():
            notes.append(f"declared encoding {declared} is wrong: the bytes are UTF-8")
        return Decoded(text, "utf-8", notes)
    except UnicodeDecodeError:
        pass
    candidates: list[str] = []
    if declared_norm and declared_norm != "utf-8":
        candidates.append(declared_norm)
    candidates += ["gb18030", "big5"]
    guess = _charset_normalizer_guess(data)
    if guess:
        candidates.append(guess)
    best: tuple[float, str, str] | None = None
    for enc in dict.fromkeys(candidates):
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        score = common_share(text)
        if best is None or score > best[0] + 1e-9:
            best = (score, enc, text)
    notes = []
    if best is None:
        # nothing decodes cleanly: GB18030 as browsers read GBK pages (byte 0x80 the euro sign), other bad bytes
        # replaced, keeps most of a damaged Chinese file
        enc = declared_norm if declared_norm in ("gb18030", "big5") else "gb18030"
        text = data.decode(enc, errors=WEB_GBK if enc == "gb18030" else "replace")
        lost = text.count(chr(0xFFFD))
        if not lost:
            return Decoded(text, enc, [f"read as {enc}, byte 0x80 as the euro sign (as browsers read GBK)"])
        warning = f"bytes are not valid in any known encoding; read as {enc} with {lost} unreadable characters replaced"
        return Decoded(text, enc, notes, [warning])
    _, enc, text = best
    if declared_norm and declared_norm != enc:
        notes.append(f"declared encoding {declared} is wrong: read as {enc}")
    return Decoded(text, enc, notes)


def repair_mojibake(text: str) -> tuple[str, int]:
    """Undo UTF-8-read-as-GBK damage; returns the text and the number of runs repaired.

    Each run of non-ASCII characters is re-encoded as GBK (``€`` standing for byte 0x80, as
    the web's GBK decoder maps it) and decoded as UTF-8; the result replaces the run only when
    it has clearly more common CJK characters and little loss. Genuine Chinese text almost never
    re-encodes to valid UTF-8, so it is left alone.
    """
    whole = _try_repair(text)
    if whole is not None:
        return whole, 1
    count = 0

    def fix(m: re.Match) -> str:
        nonlocal count
        fixed = _try_repair(m.group(0))
        if fixed is None:
            return m.group(0)
        count += 1
        return fixed

    return _NON_ASCII_RUN.sub(fix, text), count


def common_share(text: str) -> float:
    """Share of common characters (GB2312 level 1, Big5 frequent, CJK punctuation) among non-ASCII ones."""
    total = common = 0
    for ch in text:
        if ch.isascii() or ch.isspace():
            continue
        total += 1
        common += _is_common(ch)
    return common / total if total else 0.0


def _try_repair(run: str) -> str | None:
    if run.isascii() or len(run) < 2:
        return None
    try:
        raw = b"".join(_GBK_BYTES.get(ch) or ch.encode("gb18030") for ch in run)
    except UnicodeEncodeError:
        return None
    fixed = raw.decode("utf-8", errors="replace")
    lost = fixed.count("\ufffd")
    if lost and lost > MAX_LOST * max(1, len(fixed)):
        return None
    before, after = common_share(run), common_share(fixed.replace("\ufffd", ""))
    if after >= 0.5 and after >= before + MIN_GAIN:
        return fixed
    return None


@lru_cache(maxsize=65536)
def _is_common(ch: str) -> bool:
    if ch in COMMON_PUNCT:
        return True
    try:
        b = ch.encode("gb2312")
        if len(b) == 2 and 0xB0 <= b[0] <= 0xD7:
            return True
    except UnicodeEncodeError:
        pass
    try:
        b = ch.encode("big5")
        if len(b) == 2 and 0xA440 <= (b[0] << 8 | b[1]) <= 0xC67E:
            return True
    except UnicodeEncodeError:
        pass
    return False


def _norm(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("'\"").lower()
    if name in GB_ALIASES:
        return "gb18030"
    try:
        return codecs.lookup(name).name.replace("_", "-")
    except LookupError:
        return None


def looks_utf16(data: bytes) -> bool:
    """BOM-less UTF-16: zero bytes (never found in UTF-8 or GBK text) at one parity only."""
    return utf16_variant(data) is not None


def utf16_variant(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" for BOM-less UTF-16 (the high byte of ASCII characters is zero), else None."""
    sample = data[:8192]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if max(even, odd) <= 4 * min(even, odd) + 2:
        return None
    return "utf-16-le" if odd > even else "utf-16-be"


def _charset_normalizer_guess(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # optional: the fixed candidates cover Chinese pages
        return None
    best = from_bytes(data[:200_000]).best()
    return _norm(best.encoding) if best is not None else None
