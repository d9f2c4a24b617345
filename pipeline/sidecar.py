"""The metadata side file (``xxgk ingest … --meta FILE.csv``): what a researcher knows about each report, over what
its title gives.

One row per report, UTF-8 CSV with a header. The row is found by ``file`` (or ``path``: a path as given to
``xxgk ingest``, a path's last folders, or a bare file name) or, without one, by ``url`` (its last segment is the
file name a download keeps). Every other column is optional: ``agency``, ``region_code`` (GB/T 2260, six digits),
``year``, ``published`` (YYYY-MM-DD), ``url``. A value given overrides the title's reading and is kept in
``reports`` (the ``meta`` column names the fields it gave); a region code sets the place columns. Other columns
are ignored, and said so.

A malformed file stops the run before any report is read, with every problem listed (``MetaFileError``). A row
that fits several files of the batch, or a file that several rows fit, is used for none and said so
(``meta-ambiguous``).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from .errors import MetaFileError
from .issues import Issue, issues_to_records
from .tables import Report, Status

KEYS = ("file", "path", "url")
FIELDS = ("agency", "region_code", "year", "published", "url")
REGION_CODE = re.compile(r"^\d{6}$")
YEARS = (1990, 2100)


@dataclass(frozen=True)
class Meta:
    """One row of the side file: the values it gives (None where the cell is empty)."""

    line: int
    key: str  # the file name, path or URL it is found by
    agency: str | None = None
    region_code: str | None = None
    year: int | None = None
    published: str | None = None
    url: str | None = None

    @property
    def given(self) -> list[str]:
        return [f for f in FIELDS if getattr(self, f) is not None]


@dataclass
class SideFile:
    """The rows of a side file, indexed for finding a report file's row."""

    path: str
    rows: list[Meta]
    ignored_columns: list[str] = field(default_factory=list)
    used: set[int] = field(default_factory=set)  # lines that fit a file
    by_name: dict[str, list[Meta]] = field(default_factory=dict)  # every key ends in the file's name

    def __post_init__(self) -> None:
        for m in self.rows:
            self.by_name.setdefault(_parts(m.key)[-1], []).append(m)

    @classmethod
    def load(cls, path: str | Path) -> SideFile:
        """Read and check the file; raise ``MetaFileError`` listing every problem."""
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise MetaFileError(str(path), [f"cannot read it as UTF-8 text: {e}"]) from None
        reader = csv.DictReader(text.splitlines())
        header = [h.strip() for h in reader.fieldnames or []]
        problems: list[str] = []
        if not any(k in header for k in KEYS):
            problems.append(f"no column {' or '.join(KEYS)} to find each report's row by (columns: {header})")
        rows = []
        for n, raw in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
            meta = _meta(row, n, problems)
            if meta is not None:
                rows.append(meta)
        if problems:
            raise MetaFileError(str(path), problems)
        ignored = [h for h in header if h not in (*KEYS, *FIELDS)]
        return cls(str(path), rows, ignored)

    def find(self, source_path: str) -> tuple[Meta | None, str | None]:
        """The row for a report file, or (None, why) when several rows fit it; (None, None) when none does."""
        rows = self.by_name.get(_parts(source_path)[-1], []) if source_path else []
        for level in (_exact, _suffix, _name):
            fits = [m for m in rows if level(m.key, source_path)]
            if len(fits) == 1:
                self.used.add(fits[0].line)
                return fits[0], None
            if len(fits) > 1:
                lines = ", ".join(str(m.line) for m in fits)
                return None, f"rows {lines} of {self.path} all fit {source_path}: none used"
        return None, None

    def unused(self) -> list[Meta]:
        return [m for m in self.rows if m.line not in self.used]


def side_file(path: str | Path | None) -> SideFile | None:
    """The side file at ``path`` (None for none), read once while it is unchanged."""
    if path is None:
        return None
    p = Path(path)
    try:
        stamp = p.stat().st_mtime_ns
    except OSError as e:
        raise MetaFileError(str(path), [f"cannot read it: {e}"]) from None
    return _cached(str(p.resolve()), stamp)


@lru_cache(maxsize=4)
def _cached(path: str, stamp: int) -> SideFile:
    return SideFile.load(path)


def _meta(row: dict[str, str], n: int, problems: list[str]) -> Meta | None:
    key = row.get("file") or row.get("path") or _url_name(row.get("url", ""))
    if not key:
        problems.append(f"line {n}: no file, path or url to find the report by")
        return None
    code = row.get("region_code") or None
    if code is not None and not _known_code(code):
        problems.append(f"line {n}: region_code {code!r} is not a GB/T 2260 code of the gazetteer")
    year = _year(row.get("year") or None, n, problems)
    published = row.get("published") or None
    if published is not None:
        try:
            date.fromisoformat(published)
        except ValueError:
            problems.append(f"line {n}: published {published!r} is not a date (YYYY-MM-DD)")
    return Meta(n, key, row.get("agency") or None, code, year, published, row.get("url") or None)


def _year(text: str | None, n: int, problems: list[str]) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or not YEARS[0] <= int(text) <= YEARS[1]:
        problems.append(f"line {n}: year {text!r} is not a year")
        return None
    return int(text)


def _known_code(code: str) -> bool:
    from .places import place_of_code

    return bool(REGION_CODE.match(code)) and place_of_code(code, None) is not None


def _url_name(url: str) -> str:
    return unquote(PurePosixPath(urlparse(url).path).name) if url else ""


def _parts(p: str) -> tuple[str, ...]:
    return PurePosixPath(p.replace("\\", "/")).parts


def _exact(key: str, source: str) -> bool:
    return key == source or (("/" in key or "\\" in key) and Path(key).resolve() == Path(source).resolve())


def _suffix(key: str, source: str) -> bool:
    """A path's last folders: ``html/x.html`` fits ``/data/html/x.html`` (whole names only)."""
    k = _parts(key)
    return len(k) > 1 and _parts(source)[-len(k) :] == k


def _name(key: str, source: str) -> bool:
    return len(_parts(key)) == 1 and _parts(source)[-1:] == _parts(key)


def apply_meta(report: Report, issues: list[dict], side: SideFile | None, place_query: list[str]) -> list[str] | None:
    """Override a reports row with its side-file row; returns the readings to place the agency by, or None when the
    place is set already (a region code). ``issues`` (records) lose the doubts the row settles (agency-unknown,
    year-unknown) and gain ``meta-ambiguous`` when several rows fit the file."""
    if side is None:
        return place_query
    meta, why = side.find(report.source_path)
    if meta is None:
        if why:
            _add(report, issues, [Issue("meta-ambiguous", why)])
        return place_query
    _override(report, meta)
    settled = {"agency-unknown"} if meta.agency else set()
    if meta.year is not None:
        settled.add("year-unknown")
    _settle(report, issues, settled)
    if meta.region_code:
        from .places import place_of_code

        place = place_of_code(meta.region_code, report.agency)
        if place is not None:
            report.place = place.as_record()
            return None
    return [meta.agency, *place_query] if meta.agency else place_query


def _override(report: Report, meta: Meta) -> None:
    """The side file's values over the title's, and which fields it gave."""
    report.agency = meta.agency or report.agency
    report.year = meta.year if meta.year is not None else report.year
    report.published = meta.published or report.published
    report.url = meta.url or report.url
    report.meta = " ".join(meta.given) or None


def _settle(report: Report, issues: list[dict], codes: set[str]) -> None:
    """Drop the issues the side file answers; a row left with no doubt is ok again."""
    issues[:] = [i for i in issues if i["code"] not in codes]
    report.n_issues = len(issues)
    if report.status == Status.PARTIAL and not any(i["severity"] in SERIOUS for i in issues):
        report.status = Status.OK


def _add(report: Report, issues: list[dict], new: list[Issue]) -> None:
    records = issues_to_records(new, report_id=report.report_id, source_path=report.source_path)
    issues += records
    report.n_issues += len(records)
    if report.status == Status.OK and any(i["severity"] in SERIOUS for i in records):
        report.status = Status.PARTIAL


SERIOUS = ("error", "warning")
