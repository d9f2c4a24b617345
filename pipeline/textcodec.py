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
MIN_REPAIRED_SHARE = 0.5  # ...and read mostly as common characters after it (real text does)
SAME_SHARE = 1e-9  # two readings whose shares differ by less are equally good: the earlier candidate wins
# the web's GBK decoder reads byte 0x80 as the euro sign; a byte it could not read stays lost
_GBK_BYTES = {"\u20ac": b"\x80", "\ufffd": b"\xff"}
# the common characters of each codec: GB2312's level 1 (lead bytes B0-D7, 3,755 characters by frequency) and Big5's
# frequent characters (A440-C67E, 5,401)
GB2312_LEVEL1_LEADS = (0xB0, 0xD7)
BIG5_FREQUENT = (0xA440, 0xC67E)
UTF16_SAMPLE = 8192  # bytes looked at to tell BOM-less UTF-16
# zero bytes at one parity this many times more often than at the other (plus a little noise) make UTF-16
UTF16_PARITY_RATIO = 4
UTF16_PARITY_NOISE = 2
GUESS_SAMPLE = 200_000  # bytes charset_normalizer reads: enough to judge, bounded time on large pages
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
    declared_norm = _norm(declared)
    found = _by_bom(data) or _by_utf16_shape(data) or _as_utf8(data, declared, declared_norm)
    if found is not None:
        return found
    best = _best_reading(data, _candidates(data, declared_norm))
    if best is None:
        return _damaged(data, declared_norm)
    enc, text = best
    notes = [f"declared encoding {declared} is wrong: read as {enc}"] if declared_norm and declared_norm != enc else []
    return Decoded(text, enc, notes)


def _by_bom(data: bytes) -> Decoded | None:
    for bom, enc in BOMS:
        if data.startswith(bom):
            return Decoded(data[len(bom) :].decode(enc, errors="replace"), enc)
    return None


def _by_utf16_shape(data: bytes) -> Decoded | None:
    enc = utf16_variant(data)
    if enc is None:
        return None
    return Decoded(data.decode(enc, errors="replace"), enc, ["no byte-order mark: read as " + enc])


def _as_utf8(data: bytes, declared: str | None, declared_norm: str | None) -> Decoded | None:
    """Valid UTF-8 is UTF-8, whatever the file declares (said in a note)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    notes = []
    if declared_norm and declared_norm not in ("utf-8", "ascii") and not text.isascii():
        notes.append(f"declared encoding {declared} is wrong: the bytes are UTF-8")
    return Decoded(text, "utf-8", notes)


def _candidates(data: bytes, declared_norm: str | None) -> list[str]:
    """The encodings to try, the declared one first (it wins ties), each once."""
    candidates: list[str] = []
    if declared_norm and declared_norm != "utf-8":
        candidates.append(declared_norm)
    candidates += ["gb18030", "big5"]
    guess = _charset_normalizer_guess(data)
    if guess:
        candidates.append(guess)
    return list(dict.fromkeys(candidates))


def _best_reading(data: bytes, candidates: list[str]) -> tuple[str, str] | None:
    """(encoding, text) of the strict decoding with the largest share of common characters; earlier wins ties."""
    best: tuple[float, str, str] | None = None
    for enc in candidates:
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        share = common_share(text)
        if best is None or share > best[0] + SAME_SHARE:
            best = (share, enc, text)
    return None if best is None else (best[1], best[2])


def _damaged(data: bytes, declared_norm: str | None) -> Decoded:
    """Nothing decodes cleanly: GB18030 as browsers read GBK pages (byte 0x80 the euro sign), any other bad byte
    replaced, keeps most of a damaged Chinese file."""
    enc = declared_norm if declared_norm in ("gb18030", "big5") else "gb18030"
    text = data.decode(enc, errors=WEB_GBK if enc == "gb18030" else "replace")
    lost = text.count(chr(0xFFFD))
    if not lost:
        return Decoded(text, enc, [f"read as {enc}, byte 0x80 as the euro sign (as browsers read GBK)"])
    warning = f"bytes are not valid in any known encoding; read as {enc} with {lost} unreadable characters replaced"
    return Decoded(text, enc, [], [warning])


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
    if after >= MIN_REPAIRED_SHARE and after >= before + MIN_GAIN:
        return fixed
    return None


@lru_cache(maxsize=65536)
def _is_common(ch: str) -> bool:
    if ch in COMMON_PUNCT:
        return True
    try:
        b = ch.encode("gb2312")
        if len(b) == 2 and GB2312_LEVEL1_LEADS[0] <= b[0] <= GB2312_LEVEL1_LEADS[1]:
            return True
    except UnicodeEncodeError:
        pass
    try:
        b = ch.encode("big5")
        if len(b) == 2 and BIG5_FREQUENT[0] <= (b[0] << 8 | b[1]) <= BIG5_FREQUENT[1]:
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


def utf16_variant(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" for BOM-less UTF-16 (the high byte of ASCII characters is zero), else None."""
    sample = data[:UTF16_SAMPLE]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if max(even, odd) <= UTF16_PARITY_RATIO * min(even, odd) + UTF16_PARITY_NOISE:
        return None
    return "utf-16-le" if odd > even else "utf-16-be"


def _charset_normalizer_guess(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # optional: the fixed candidates cover Chinese pages
        return None
    best = from_bytes(data[:GUESS_SAMPLE]).best()
    return _norm(best.encoding) if best is not None else None
