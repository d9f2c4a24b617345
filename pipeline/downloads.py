"""The download folder of `xxgk fetch`, and the address lists it starts from.

    DOWNLOADS/files/<sha16>/<name>  every body downloaded, once, under the first 16 hex digits of its SHA-256 (the
                                    report_id `xxgk ingest` gives it), with a readable name (the server's, the
                                    link's or the address's) and the suffix of its format as detected from its bytes
    DOWNLOADS/fetches.csv           one row per address requested, with its latest outcome (``tables.FETCHES``)
    DOWNLOADS/downloads.csv         one row per report file found from each address given, or per address that
                                    gave none with why (``tables.DOWNLOADS``), then the list's own columns: what
                                    `xxgk ingest DOWNLOADS` reads
    DOWNLOADS/.fetch-log.jsonl      every request's outcome as it happens, one JSON line each

Resuming: an address whose latest outcome is stored (and still on disk), or a definite failure (4xx, robots.txt,
size limit), is not requested again; one that may pass (timeout, lost connection, 5xx, 429) is. A run killed at any
point and run again therefore fetches only what is missing or failed.

Address lists: a ``.txt`` file of addresses (one a line; blank lines and ``#`` comments skipped) or a ``.csv`` file
with a column of addresses (named url, address, link, 网址, 链接 or 地址, else the first column holding addresses);
the CSV's other columns are kept with each address (``Address.meta``) and written after the declared columns of
downloads.csv; those that are metadata side-file fields (agency, region_code, year, published, or their Chinese
names: ``sidecar.ALIASES``) are checked when the list is read and reach ``reports`` as a side file's would
(``Sources.listed``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .dataset import CSV_ENCODING, read_frame, write_frame
from .errors import MetaFileError, XxgkError
from .formats import HEAD_BYTES, SUFFIXES, detect_format
from .sidecar import SideFile
from .tables_extra import DOWNLOADS, FETCHES
from .textcodec import decode_bytes

if TYPE_CHECKING:  # fetching (and requests) is loaded by the commands that fetch, not by every ingest
    from .fetch import Fetched

LOG = ".fetch-log.jsonl"
INDEX = "downloads.csv"
FILES = "files"
PARTIAL = ".partial"  # bodies being downloaded
URL_COLUMNS = ("url", "urls", "address", "link", "href", "网址", "链接", "地址", "网页地址", "报告地址")
MAX_LIST_BYTES = 50 * 1024 * 1024
LIST_SNIFF = 4096  # bytes read to tell a list of addresses from a report dumped as text
NAME_CHARS = 80  # a stored file's name is cut to this many characters before its suffix
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_URL = re.compile(r"^https?://\S+$", re.I)


class AddressError(XxgkError):
    """An address list that cannot be read, or an argument that is neither an address nor an existing path."""


@dataclass(frozen=True)
class Address:
    """One address given: its place in its list and the list's other columns."""

    url: str
    row: int
    meta: tuple[tuple[str, str], ...] = ()


def is_url(text: str) -> bool:
    return bool(_URL.match(text.strip()))


# ---------------------------------------------------------------------------------------------------- address lists


def list_kind(path: Path) -> str | None:
    """ "csv" or "txt" when ``path`` is a list of addresses, else None (a ``.txt`` report is not a list)."""
    if not path.is_file():
        return None
    if path.suffix.lower() == ".csv":
        return "csv"
    if path.suffix.lower() not in (".txt", ".list", "") or path.stat().st_size > MAX_LIST_BYTES:
        return None
    with open(path, "rb") as f:
        head = _lines(f.read(LIST_SNIFF))
    if not head or not is_url(head[0][1]):  # a report dumped as text: not read whole here
        return None
    lines = _list_lines(path)
    return "txt" if lines and all(is_url(x) for _, x in lines) else None


def _list_lines(path: Path) -> list[tuple[int, str]]:
    return _lines(path.read_bytes())


def _lines(data: bytes) -> list[tuple[int, str]]:
    """(line number, text) of the lines that are neither blank nor ``#`` comments."""
    text = decode_bytes(data).text
    return [(n, s) for n, line in enumerate(text.splitlines(), 1) if (s := line.strip()) and not s.startswith("#")]


def read_list(path: Path) -> list[Address]:
    """The addresses of a ``.txt`` or ``.csv`` list, in order.

    Raises:
        AddressError: a line that is not an address, or a CSV with no column of addresses.
    """
    if path.suffix.lower() == ".csv":
        return _read_csv(path)
    out: list[Address] = []
    for n, line in _list_lines(path):
        if not is_url(line):
            raise AddressError(f"{path}, line {n}: not a web address: {line[:80]!r}")
        out.append(Address(line, len(out) + 1))
    return out


def _read_csv(path: Path) -> list[Address]:
    text = decode_bytes(path.read_bytes()).text  # Excel in Chinese saves CSV as GBK: read it as text files are read
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        raise AddressError(f"{path}: no rows")
    column = _url_column(list(rows[0]), rows)
    if column is None:
        raise AddressError(f"{path}: no column of web addresses (name one url)")
    out: list[Address] = []
    for n, row in enumerate(rows, 1):
        url = (row.get(column) or "").strip()
        if not url:
            continue
        if not is_url(url):
            raise AddressError(f"{path}, row {n}: not a web address: {url[:80]!r}")
        meta = tuple((k.strip(), v.strip()) for k, v in row.items() if k and k != column and v and v.strip())
        out.append(Address(url, n, meta))
    try:  # a bad date or region code stops the run before anything is downloaded, as a bad --meta file does
        SideFile.from_list(path, [(a.row, a.url, dict(a.meta)) for a in out])
    except MetaFileError as e:
        raise AddressError(str(e)) from None
    return out


def _url_column(names: list[str], rows: list[dict]) -> str | None:
    for name in names:
        if name and name.strip().lower() in URL_COLUMNS:
            return name
    for name in names:
        first = next((r[name] for r in rows if (r.get(name) or "").strip()), "")
        if is_url(first or ""):
            return name
    return None


# ---------------------------------------------------------------------------------------------------------- the folder


class DownloadFolder:
    """Stores bodies by hash and remembers every outcome; safe to share between the threads of one run."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.sink = self.root / PARTIAL
        for stale in self.sink.glob(".*.part"):  # bodies of a killed run: fetched again
            stale.unlink(missing_ok=True)
        self._lock = threading.Lock()
        self.records: dict[str, dict[str, Any]] = _read_log(self.root / LOG)

    def earlier(self, url: str) -> dict[str, Any] | None:
        """What an earlier run got for ``url``, when it need not be requested again."""
        rec = self.records.get(url)
        if rec is None:
            return None
        if rec["status"] == "ok":
            return rec if rec.get("path") and (self.root / rec["path"]).is_file() else None
        return None if rec.get("retry") else rec

    def keep(self, f: Fetched, referrer: str | None = None, hint: str | None = None) -> dict[str, Any]:
        """Store ``f``'s body (named after the server's name, ``hint`` or the address) and log its outcome."""
        rec: dict[str, Any] = dict(
            url=f.url,
            final_url=f.final_url,
            referrer=referrer,
            http_status=f.http_status,
            content_type=f.content_type,
            fetched_at=f.fetched_at,
            bytes=f.size,
            sha256=f.sha256,
            path=None,
            attempts=f.attempts,
            status="ok" if f.ok else "failed",
            error=f.error,
            retry=f.retry,
        )
        with self._lock:
            if f.ok and f.body is not None and f.sha256:
                rec["path"] = self._store(f.body, f.sha256, _name_choices(f, hint))
            elif f.body is not None:
                f.body.unlink(missing_ok=True)
            self.records[f.url] = rec
            with open(self.root / LOG, "a", encoding="utf-8") as log:
                log.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return rec

    def file(self, rec: dict[str, Any]) -> Path:
        return self.root / rec["path"]

    def _store(self, body: Path, sha256: str, names: list[str]) -> str:
        """Move ``body`` to ``files/<sha16>/<name>``; bytes stored before keep their first name."""
        folder = self.root / FILES / sha256[:16]
        existing = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
        if existing:
            body.unlink(missing_ok=True)
            return existing[0].relative_to(self.root).as_posix()
        stem, given = _name_parts(names)
        hinted = body.with_name(body.stem + given)  # the format check reads the suffix (.wps) and opens zips
        os.replace(body, hinted)
        with open(hinted, "rb") as fh:
            fmt = detect_format(hinted, fh.read(HEAD_BYTES))
        suffix = f".{fmt.value}" if fmt is not None else (given or ".bin")
        if given in (".htm", ".shtml") and suffix == ".html":
            suffix = given
        folder.mkdir(parents=True, exist_ok=True)
        os.replace(hinted, folder / (stem + suffix))
        return (folder / (stem + suffix)).relative_to(self.root).as_posix()

    def write_index(self, rows: list[dict[str, Any]]) -> dict[str, Path]:
        """fetches.csv (every address requested, latest outcome) and downloads.csv (``rows``, then list columns)."""
        fetches = FETCHES.frame(list(self.records.values()))
        found = DOWNLOADS.frame(rows)
        extra = list(dict.fromkeys(k for r in rows for k in r if k not in DOWNLOADS.names))
        for name in extra:
            found[name] = [r.get(name) for r in rows]
        return {
            "fetches": write_frame(fetches, self.root / "fetches", "csv"),
            "downloads": write_frame(found, self.root / "downloads", "csv"),
        }


def _read_log(path: Path) -> dict[str, dict[str, Any]]:
    """The latest outcome per address; a line torn by a killed run is skipped."""
    out: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and "url" in rec:
                out[rec["url"]] = rec
    return out


def _name_choices(f: Fetched, hint: str | None) -> list[str]:
    """Names for a stored body, best first: the server's, the link's text, the address's last segment."""
    from urllib.parse import unquote, urlsplit

    last = unquote(urlsplit(f.final_url or f.url).path.rstrip("/").rsplit("/", 1)[-1])
    return [n for n in (f.filename, hint, last) if n and n.strip()]


def _name_parts(names: list[str]) -> tuple[str, str]:
    """A safe stem from the first usable name, and the first suffix any name gives (".pdf"), or ""."""
    cleaned = [c for c in (_UNSAFE.sub("_", n).strip(" ._") for n in names) if c]
    stem = Path(cleaned[0]).stem[:NAME_CHARS].strip(" ._") if cleaned else ""
    given = next((Path(c).suffix.lower() for c in cleaned if Path(c).suffix.lower() in SUFFIXES), "")
    return stem or "file", given


# ----------------------------------------------------------------------------------------------- what ingest reads


@dataclass
class Sources:
    """The report files of download folders, with where each came from, for `xxgk ingest`."""

    files: list[Path] = field(default_factory=list)
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> REPORTS provenance columns
    candidates: dict[str, str] = field(default_factory=dict)  # path -> its candidate group (several files)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (address, why) of reports not downloaded
    listed: SideFile | None = None  # the address lists' other columns, found by the address each stands beside


PROVENANCE_OF_ROW = ("listed_url", "page_url", "url", "final_url", "fetched_at", "http_status", "content_type")


def is_download_folder(path: Path) -> bool:
    return path.is_dir() and (path / INDEX).is_file()


def read_sources(roots: list[Path]) -> Sources:
    """The files downloads.csv lists as stored, each once (its first row gives its provenance), and the lists'
    other columns.

    Raises:
        MetaFileError: a list column of a metadata field holds what it cannot (a downloads.csv edited by hand).
    """
    out = Sources()
    listed: list[tuple[int, str, dict[str, str]]] = []
    for root in roots:
        listed += _list_columns(root / INDEX)
        df = read_frame(root / INDEX, DOWNLOADS)
        rows = df.astype(object).where(df.notna(), None).to_dict("records")
        out.missing += missing(rows)
        for row in rows:
            if row["status"] != "ok" or not row["path"]:
                continue
            path = str(root / row["path"])
            if path in out.provenance:
                continue
            out.files.append(Path(path))
            out.provenance[path] = {k: row[k] for k in PROVENANCE_OF_ROW}
            if row["candidates"] and (row["n_candidates"] or 0) > 1:
                out.candidates[path] = f"{root}::{row['candidates']}"
    if listed:
        out.listed = SideFile.from_list(" and ".join(str(r / INDEX) for r in roots), listed)
    return out


def _list_columns(index: Path) -> list[tuple[int, str, dict[str, str]]]:
    """(list row, address, the list's own columns) of each downloads.csv row that has any."""
    with open(index, encoding=CSV_ENCODING, newline="") as f:
        rows = list(csv.DictReader(f))
    out = []
    for r in rows:
        own = {k: v for k, v in r.items() if k and k not in DOWNLOADS.names and v}
        if own and r.get("listed_url"):
            out.append((int(r.get("list_row") or 0), r["listed_url"], own))
    return out


def missing(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(address, why) of the reports not downloaded: addresses that led to none, report links that failed, and
    candidates that failed when no other candidate of their report was stored."""
    stored_groups = {r["candidates"] for r in rows if r["status"] == "ok" and r.get("candidates")}
    out = []
    for r in rows:
        if r["status"] == "ok" or (r.get("candidates") and r["candidates"] in stored_groups):
            continue
        if r.get("found_as") is None:
            out.append((r["listed_url"], r["error"] or "no report found"))
        else:
            out.append((r["url"], f"{r['error']} (linked from {r['page_url']})"))
    return list(dict.fromkeys(out))
