"""What a researcher knows about each report, over what its title gives: the metadata side file (``xxgk ingest …
--meta FILE.csv``) and the other columns of a CSV address list (``xxgk fetch``), read the same way.

A side file is a UTF-8 CSV with a header, one row per report. The row is found by ``file`` (or ``path``: a path as
given to ``xxgk ingest``, a path's last folders, or a bare file name) or by ``url``: the address of a downloaded
report (its ``url``, ``final_url``, ``page_url`` or ``listed_url``, compared as addresses: case of scheme and host,
a default port, a trailing slash, percent-escapes and a fragment make no difference), else its last segment as the
file name a download keeps. Every other column is optional: ``agency``, ``region_code`` (GB/T 2260, six digits),
``year``, ``published`` (a date: 2020-01-20, 2020/1/20 or 2020年1月20日, kept as YYYY-MM-DD), ``url``; Chinese
headers are read too (``ALIASES``: 机关, 行政区划代码, 年度, 发布日期 …). A value given overrides the title's reading
and is kept in ``reports`` (the ``meta`` column names the fields it gave); a region code sets the place columns; a
``url`` fills ``reports.url`` of a file not downloaded (a downloaded file keeps the address its bytes came from).
Other columns are ignored, and said so.

An address list's other columns are such rows, found by the address they stand beside (``from_list``), under the
side file's, which wins field by field. An address several reports were found from (a channel, or a page linking
several reports) finds none of them (``shared_addresses``): what stands beside it is not any one report's.

A malformed file or list stops the run before any report is read, with every problem listed (``MetaFileError``). A
file that several rows of one file fit gets none of them, and says so (``meta-ambiguous``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from .errors import MetaFileError
from .issues import Issue, issues_to_records
from .tables import Report, Status

KEYS = ("file", "path", "url")
FIELDS = ("agency", "region_code", "year", "published", "url")
# header -> field (folded to lower case); the English names are the documented ones
ALIASES = {
    "file": ("file", "文件", "文件名"),
    "path": ("path", "路径", "文件路径"),
    "url": ("url", "网址", "链接", "地址"),
    "agency": ("agency", "机关", "发布机关", "机关名称", "单位", "单位名称"),
    "region_code": ("region_code", "行政区划代码", "区划代码", "地区代码"),
    "year": ("year", "年度", "年份"),
    "published": ("published", "发布日期", "发布时间", "日期"),
}
HEADER = {alias.lower(): name for name, aliases in ALIASES.items() for alias in aliases}
REGION_CODE = re.compile(r"^\d{6}$")
DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
YEAR = re.compile(r"^(\d{4})\s*年?度?$")
YEARS = (1990, 2100)
DEFAULT_PORTS = {"http": 80, "https": 443}
# a report's addresses, most particular first: the file's own, then the page it was found on, then the list's
ADDRESS_LEVELS = (("url", "final_url"), ("page_url",), ("listed_url",))


@dataclass(frozen=True)
class Meta:
    """One row of a side file: the values it gives (None where the cell is empty)."""

    line: int
    key: str | None  # the file name or path it is found by (a url's last segment), None: by its address only
    agency: str | None = None
    region_code: str | None = None
    year: int | None = None
    published: str | None = None
    url: str | None = None
    address: str | None = None  # the address it is found by (``address_key``)

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
    by_address: dict[str, list[Meta]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for m in self.rows:
            if m.key:
                self.by_name.setdefault(_parts(m.key)[-1], []).append(m)
            if m.address:
                self.by_address.setdefault(m.address, []).append(m)

    @classmethod
    def load(cls, path: str | Path) -> SideFile:
        """Read and check the file; raise ``MetaFileError`` listing every problem."""
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise MetaFileError(str(path), [f"cannot read it as UTF-8 text: {e}"]) from None
        reader = csv.DictReader(text.splitlines())
        header = [h.strip() for h in reader.fieldnames or []]
        names, problems = _header(header)
        if not any(k in names.values() for k in KEYS):
            problems.append(f"no column {' or '.join(KEYS)} to find each report's row by (columns: {header})")
        rows = []
        for n, raw in enumerate(reader, start=2):
            row = {names[k.strip()]: (v or "").strip() for k, v in raw.items() if k is not None and k.strip() in names}
            meta = _meta(row, n, problems)
            if meta is not None:
                rows.append(meta)
        if problems:
            raise MetaFileError(str(path), problems)
        return cls(str(path), rows, [h for h in header if h not in names])

    @classmethod
    def from_list(cls, path: str | Path, rows: Iterable[tuple[int, str, Mapping[str, str]]]) -> SideFile:
        """The rows an address list's other columns give: (row, address, columns) each, found by the address.
        Columns that are no field are passed over (they stay in downloads.csv); raise ``MetaFileError`` listing
        every value that is not what its column says."""
        problems: list[str] = []
        metas: dict[tuple, Meta] = {}
        for n, url, columns in rows:
            values = {HEADER[k.strip().lower()]: v.strip() for k, v in columns.items() if k.strip().lower() in HEADER}
            values = {k: v for k, v in values.items() if k in FIELDS and k != "url" and v}
            given = _values(values, f"row {n}", problems)
            if given and (address := address_key(url)):
                meta = Meta(n, None, **given, address=address)
                metas.setdefault((address, *given.items()), meta)  # a list row repeated per file found: once
        if problems:
            raise MetaFileError(str(path), problems)
        return cls(str(path), list(metas.values()))

    def find(
        self, source_path: str, addresses: Mapping[str, str | None] | None = None
    ) -> tuple[Meta | None, str | None]:
        """The row for a report file (found by its path or, when downloaded, its ``addresses``: the reports columns
        of ``ADDRESS_LEVELS``), or (None, why) when several rows fit it; (None, None) when none does."""
        named = self.by_name.get(_parts(source_path)[-1], []) if source_path else []
        for fits in _fits(named, source_path, self.by_address, addresses or {}):
            if len(fits) == 1:
                self.used.add(fits[0].line)
                return fits[0], None
            if len(fits) > 1:
                lines = ", ".join(str(m.line) for m in fits)
                return None, f"rows {lines} of {self.path} all fit {source_path}: none used"
        return None, None

    def unused(self) -> list[Meta]:
        return [m for m in self.rows if m.line not in self.used]


def _fits(
    named: list[Meta], source: str, by_address: dict[str, list[Meta]], addresses: Mapping[str, str | None]
) -> Iterable[list[Meta]]:
    """The rows that fit a file, level by level, the surest first: its path, its path's last folders, its own
    address, its page's, the list's, then its bare file name."""
    yield [m for m in named if m.key and _exact(m.key, source)]
    yield [m for m in named if m.key and _suffix(m.key, source)]
    for level in ADDRESS_LEVELS:
        keys = {k for name in level if (k := address_key(addresses.get(name)))}
        yield list({id(m): m for k in keys for m in by_address.get(k, ())}.values())
    yield [m for m in named if m.key and _name(m.key, source)]


def address_key(url: str | None) -> str | None:
    """An address as compared: scheme and host in lower case, no default port, no fragment, percent-escapes read,
    no trailing slash (the root's kept); None for what is not an http(s) address."""
    if not url or not url.strip():
        return None
    try:
        s = urlsplit(url.strip())
        port = s.port
    except ValueError:
        return None
    scheme = s.scheme.lower()
    if scheme not in DEFAULT_PORTS or not s.hostname:
        return None
    host = s.hostname.lower() + (f":{port}" if port is not None and port != DEFAULT_PORTS[scheme] else "")
    path = unquote(s.path).rstrip("/") or "/"
    return urlunsplit((scheme, host, path, unquote(s.query), ""))


def report_addresses(report: Report, shared: AbstractSet[str] = frozenset()) -> dict[str, str | None]:
    """The addresses a downloaded report is found by, by reports column: those several reports share left out."""
    return {
        name: url
        for level in ADDRESS_LEVELS
        for name in level
        if (url := getattr(report, name)) and address_key(url) not in shared
    }


def shared_addresses(provenance: Mapping[str, Mapping[str, Any]], candidates: Mapping[str, str]) -> frozenset[str]:
    """The page and list addresses (``address_key``) of more than one report of a batch: a channel, a page linking
    several reports. ``provenance`` maps each downloaded file to its reports columns, ``candidates`` the files that
    are candidates for one report to a key they share."""
    reports: dict[str, set[str]] = {}
    for path, columns in provenance.items():
        for name in ("page_url", "listed_url"):
            if key := address_key(columns.get(name)):
                reports.setdefault(key, set()).add(candidates.get(path, path))
    return frozenset(k for k, found in reports.items() if len(found) > 1)


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


def _header(header: list[str]) -> tuple[dict[str, str], list[str]]:
    """Column -> field for the columns that are one (``ALIASES``); a field two columns give is a problem."""
    names = {h: HEADER[h.lower()] for h in header if h.lower() in HEADER}
    fields = [names[h] for h in header if h in names]
    problems = [
        f"columns {', '.join(repr(h) for h in header if names.get(h) == f)} all give {f}: keep one"
        for f in dict.fromkeys(fields)
        if fields.count(f) > 1
    ]
    return names, problems


def _meta(row: dict[str, str], n: int, problems: list[str]) -> Meta | None:
    url = row.get("url") or None
    key = row.get("file") or row.get("path") or _url_name(url or "") or None
    address = address_key(url)
    if not key and not address:
        problems.append(f"line {n}: no file, path or url to find the report by")
        return None
    values = _values({k: v for k, v in row.items() if k in FIELDS and k != "url"}, f"line {n}", problems)
    return Meta(n, key, **values, url=url, address=address)


def _values(row: Mapping[str, str], where: str, problems: list[str]) -> dict:
    """The fields of a row (agency, region_code, year, published) checked and read; what is wrong goes to
    ``problems``."""
    code = row.get("region_code") or None
    if code is not None and not _known_code(code):
        problems.append(f"{where}: region_code {code!r} is not a GB/T 2260 code of the gazetteer")
    return dict(
        agency=row.get("agency") or None,
        region_code=code,
        year=_year(row.get("year") or None, where, problems),
        published=_date(row.get("published") or None, where, problems),
    )


def _year(text: str | None, where: str, problems: list[str]) -> int | None:
    if text is None:
        return None
    m = YEAR.match(text)
    if not m or not YEARS[0] <= int(m.group(1)) <= YEARS[1]:
        problems.append(f"{where}: year {text!r} is not a year")
        return None
    return int(m.group(1))


def _date(text: str | None, where: str, problems: list[str]) -> str | None:
    """A date as YYYY-MM-DD, from 2020-01-20, 2020/1/20, 2020.1.20 or 2020年1月20日."""
    if text is None:
        return None
    m = DATE.match(text)
    try:
        if m is None:
            raise ValueError
        return date(*map(int, m.groups())).isoformat()
    except ValueError:
        problems.append(f"{where}: published {text!r} is not a date (YYYY-MM-DD)")
        return None


def _known_code(code: str) -> bool:
    from .places import place_of_code

    return bool(REGION_CODE.match(code)) and place_of_code(code, None) is not None


def _url_name(url: str) -> str:
    try:
        return unquote(PurePosixPath(urlsplit(url).path).name) if url else ""
    except ValueError:
        return ""


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


def apply_meta(
    report: Report,
    issues: list[dict],
    sides: Sequence[SideFile],
    place_query: list[str],
    shared: AbstractSet[str] = frozenset(),
) -> list[str] | None:
    """Override a reports row with its rows in ``sides`` (the first side's values over the next's); returns the
    readings to place the agency by, or None when the place is set already (a region code). ``issues`` (records)
    lose the doubts the rows settle (agency-unknown, year-unknown) and gain ``meta-ambiguous`` when several rows of
    one side fit the file. ``shared``: the addresses that find no report (``shared_addresses``)."""
    found = []
    addresses = report_addresses(report, shared)
    for side in sides:
        meta, why = side.find(report.source_path, addresses)
        if why:
            _add(report, issues, [Issue("meta-ambiguous", why)])
        if meta is not None:
            found.append(meta)
    if not found:
        return place_query
    meta = _merge(found)
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


def _merge(rows: list[Meta]) -> Meta:
    """One row of several sides' rows: each field from the first that gives it."""

    def first(name: str):
        return next((v for m in rows if (v := getattr(m, name)) is not None), None)

    return replace(
        rows[0],
        agency=first("agency"),
        region_code=first("region_code"),
        year=first("year"),
        published=first("published"),
        url=first("url"),
    )


def _override(report: Report, meta: Meta) -> None:
    """The side file's values over the title's, and which fields it gave (a downloaded file keeps its url)."""
    report.agency = meta.agency or report.agency
    report.year = meta.year if meta.year is not None else report.year
    report.published = meta.published or report.published
    url = meta.url if report.url is None else None
    report.url = url or report.url
    report.meta = " ".join(f for f in meta.given if f != "url" or url) or None


def _settle(report: Report, issues: list[dict], codes: set[str]) -> None:
    """Drop the issues the side file answers (and the doubts they were); a row left with no doubt and no failed
    rule is ok again."""
    dropped = [i for i in issues if i["code"] in codes]
    issues[:] = [i for i in issues if i["code"] not in codes]
    report.n_issues = len(issues)
    report.n_doubts -= sum(1 for i in dropped if _doubt(i))
    failed = any(i["rule"] and i["severity"] in SERIOUS for i in issues)
    if report.status == Status.PARTIAL and not report.n_doubts and not failed:
        report.status = Status.OK


def _add(report: Report, issues: list[dict], new: list[Issue]) -> None:
    records = issues_to_records(new, report_id=report.report_id, source_path=report.source_path)
    issues += records
    report.n_issues += len(records)
    report.n_doubts += sum(1 for i in records if _doubt(i))
    if report.status == Status.OK and any(i["severity"] in SERIOUS for i in records):
        report.status = Status.PARTIAL


def _doubt(issue: dict) -> bool:
    """A doubt in reading (``reports.n_doubts``): warning or error severity, not a rule's failure."""
    return issue["severity"] in SERIOUS and not issue.get("rule")


SERIOUS = ("error", "warning")
