"""Polite, robust HTTP for downloading reports: robots.txt, per-host limits, retries, redirects, size and time limits.

``Fetcher.fetch(url, sink)`` makes one logical request and never raises for a network or server problem: the
outcome (``Fetched``) carries the HTTP status, the address after redirects and, on failure, a one-line reason and
whether trying again later could help (``retry``). The body is streamed into a file under ``sink`` while it is
hashed, so memory never holds a whole file.

Politeness, per host: robots.txt is read once per origin and obeyed for every address and every redirect hop (RFC
9309: a 4xx answer means no rules, a 5xx or no answer means keep out), its Crawl-delay honoured; requests start at
least 1/``fetch_rate`` seconds apart and at most ``fetch_connections`` are in flight. Robustness: a timeout, a lost
connection, a 5xx or a 429 is tried again after ``fetch_backoff`` seconds, doubled each time (a Retry-After the
server sends is honoured up to ``MAX_RETRY_AFTER``); redirects are followed by hand so that each hop is checked and
counted (``max_redirects``); ``fetch_timeout`` bounds connecting, each wait and the whole download, so a page that
trickles bytes cannot hold a thread; a body over ``max_file_mb`` is dropped as soon as it is known to be.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import requests

from .settings import Settings

REDIRECTS = (301, 302, 303, 307, 308)
TRY_AGAIN = 429  # Too Many Requests: the server asks for a pause, not a different request
MAX_RETRY_AFTER = 120.0  # a Retry-After longer than this is not waited for within one run
CHUNK = 64 * 1024
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB of robots.txt
SCHEMES = ("http", "https")


@dataclass
class Fetched:
    """The outcome of one address: what came back, or why nothing did."""

    url: str
    final_url: str | None = None
    http_status: int | None = None
    content_type: str | None = None
    fetched_at: str | None = None  # ISO 8601, UTC
    filename: str | None = None  # the name the server gave (Content-Disposition)
    body: Path | None = None  # the streamed body: a temporary file under the sink, for the caller to keep or remove
    sha256: str | None = None
    size: int | None = None
    attempts: int = 0
    error: str | None = None
    retry: bool = False  # a failure that may go away (timeout, lost connection, 5xx, 429): a re-run tries again

    @property
    def ok(self) -> bool:
        return self.error is None


class _Failure(Exception):
    """One attempt failed: why, whether a later run may succeed, and whether to try again now."""

    def __init__(self, reason: str, retry: bool, status: int | None = None, wait: float | None = None, now=True):
        super().__init__(reason)
        self.reason, self.retry, self.status, self.wait = reason, retry, status, wait
        self.again_now = retry and now


@dataclass
class _Hop:
    status: int
    location: str | None = None  # set for a redirect
    content_type: str | None = None
    filename: str | None = None
    body: Path | None = None
    sha256: str | None = None
    size: int | None = None


class _Host:
    """One host's share of politeness: request starts at least ``interval`` apart, at most ``connections`` at once."""

    def __init__(self, interval: float, connections: int):
        self.interval = interval
        self.slots = threading.BoundedSemaphore(connections)
        self.lock = threading.Lock()
        self.last_start = self.next_start = 0.0

    def slow_down(self, interval: float) -> None:
        """A longer interval (robots.txt's Crawl-delay), from the last request on."""
        with self.lock:
            self.interval = max(self.interval, interval)
            self.next_start = max(self.next_start, self.last_start + self.interval)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait for a free connection and for this request's start time; hold the connection until done."""
        with self.slots:
            with self.lock:
                now = time.monotonic()
                start = max(now, self.next_start)
                self.last_start, self.next_start = start, start + self.interval
            time.sleep(max(0.0, start - now))
            yield


def origin_of(url: str) -> str:
    s = urlsplit(url)
    return f"{s.scheme}://{s.netloc}".lower()


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Fetcher:
    """Downloads addresses politely; shared by the threads of one run (sessions are per thread)."""

    def __init__(self, settings: Settings | dict | None = None):
        s = Settings.resolve(settings)
        self.settings = s
        self.headers = {"User-Agent": s.user_agent, "Accept": "*/*", "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
        self._local = threading.local()
        self._lock = threading.Lock()
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, RobotFileParser | _Failure] = {}
        self._robots_locks: dict[str, threading.Lock] = {}

    # -- one address
    def fetch(self, url: str, sink: Path) -> Fetched:
        """Download ``url`` into a temporary file under ``sink``, retrying what may pass; never raises for the web."""
        out = Fetched(url)
        s = self.settings
        for attempt in range(s.fetch_retries + 1):
            out.attempts = attempt + 1
            try:
                self._follow(url, sink, out)
                out.error, out.retry = None, False
                break
            except _Failure as f:
                out.error, out.retry, out.http_status = f.reason, f.retry, f.status
                if not f.again_now or attempt == s.fetch_retries:
                    break
                time.sleep(f.wait if f.wait is not None else s.fetch_backoff * 2**attempt)
        out.fetched_at = now_utc()
        return out

    def _follow(self, url: str, sink: Path, out: Fetched) -> None:
        """One attempt: the address and its redirects, each hop checked against robots.txt."""
        current = url
        for _ in range(self.settings.max_redirects + 1):
            if urlsplit(current).scheme.lower() not in SCHEMES:
                raise _Failure(f"not a web address: {current}", retry=False)
            self._check_robots(current)
            hop = self._get(current, sink)
            out.http_status, out.final_url = hop.status, current
            if hop.location is None:
                out.content_type, out.filename = hop.content_type, hop.filename
                out.body, out.sha256, out.size = hop.body, hop.sha256, hop.size
                return
            current = hop.location
        raise _Failure(f"more than {self.settings.max_redirects} redirects (max_redirects)", retry=False)

    def _get(self, url: str, sink: Path) -> _Hop:
        t = self.settings.fetch_timeout
        with self._host(url).turn():
            deadline = time.monotonic() + t  # from the request's start: waiting for the host's turn is not its time
            try:
                r = self._session().get(url, stream=True, allow_redirects=False, timeout=(t, t), headers=self.headers)
            except requests.Timeout:
                raise _Failure(f"timed out after {t:g} s (fetch_timeout)", retry=True) from None
            except requests.exceptions.SSLError as e:  # a certificate does not mend itself between retries
                raise _Failure(f"TLS failed: {_short(e)}", retry=False) from None
            except requests.ConnectionError as e:
                raise _Failure(f"connection failed: {_short(e)}", retry=True) from None
            except requests.RequestException as e:  # an address requests cannot send (bad host name, port …)
                raise _Failure(f"cannot request: {_short(e)}", retry=False) from None
            with r:
                return self._answer(r, url, sink, deadline)

    def _answer(self, r: requests.Response, url: str, sink: Path, deadline: float) -> _Hop:
        status = r.status_code
        if status in REDIRECTS and r.headers.get("location"):
            return _Hop(status, location=urljoin(url, r.headers["location"].strip()))
        if status >= 400:
            transient = status >= 500 or status == TRY_AGAIN
            wait = _retry_after(r.headers.get("retry-after")) if transient else None
            if wait is not None and wait > MAX_RETRY_AFTER:
                raise _Failure(f"HTTP {status} {r.reason}: asked to wait {wait:.0f} s", True, status, now=False)
            raise _Failure(f"HTTP {status} {r.reason}".strip(), transient, status, wait)
        body, sha, size = self._stream(r, sink, deadline)
        return _Hop(status, None, r.headers.get("content-type"), _disposition_name(r.headers), body, sha, size)

    def _stream(self, r: requests.Response, sink: Path, deadline: float) -> tuple[Path, str, int]:
        """The body into ``sink/.<random>.part``, hashed on the way, within the size and time limits."""
        limit = self.settings.max_file_bytes
        too_big = f"over the size limit of {self.settings.max_file_mb:g} MB (max_file_mb)"
        declared = r.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _Failure(f"{declared} bytes, {too_big}", retry=False, status=r.status_code)
        sink.mkdir(parents=True, exist_ok=True)
        tmp = sink / f".{uuid.uuid4().hex}.part"
        h, size = hashlib.sha256(), 0
        try:
            with open(tmp, "wb") as f:
                for chunk in r.iter_content(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise _Failure(f"body {too_big}", retry=False, status=r.status_code)
                    if time.monotonic() > deadline:
                        raise _Failure(
                            f"download took over {self.settings.fetch_timeout:g} s (fetch_timeout)", True, r.status_code
                        )
                    h.update(chunk)
                    f.write(chunk)
        except requests.RequestException as e:
            tmp.unlink(missing_ok=True)
            raise _Failure(f"download broke off: {_short(e)}", retry=True, status=r.status_code) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, h.hexdigest(), size

    # -- politeness
    def _host(self, url: str) -> _Host:
        key = urlsplit(url).netloc.lower()
        with self._lock:
            host = self._hosts.get(key)
            if host is None:
                s = self.settings
                host = self._hosts[key] = _Host(1.0 / s.fetch_rate, s.fetch_connections)
            return host

    def _check_robots(self, url: str) -> None:
        rules = self._robots_for(url)
        if isinstance(rules, _Failure):
            raise rules
        if not rules.can_fetch(self.settings.user_agent, url):
            raise _Failure("disallowed by robots.txt", retry=False)

    def _robots_for(self, url: str) -> RobotFileParser | _Failure:
        origin = origin_of(url)
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:  # one thread reads an origin's robots.txt; the others wait for it
            if origin not in self._robots:
                self._robots[origin] = self._read_robots(origin)
            return self._robots[origin]

    def _read_robots(self, origin: str) -> RobotFileParser | _Failure:
        """The origin's rules (RFC 9309): a 4xx or a redirect loop means none, a 5xx or no answer means keep out."""
        url = origin + "/robots.txt"
        rules = RobotFileParser(url)
        s, t = self.settings, self.settings.fetch_timeout
        unreachable = ""
        for attempt in range(s.fetch_retries + 1):
            try:
                with self._host(origin).turn():
                    r = self._session().get(url, timeout=(t, t), headers=self.headers, stream=True)
                    with r:
                        text = r.raw.read(ROBOTS_MAX_BYTES, decode_content=True) if r.status_code < 400 else b""
                        status = r.status_code
            except requests.TooManyRedirects:
                status, text = 404, b""
            except requests.RequestException as e:
                unreachable = _short(e)
                time.sleep(s.fetch_backoff * 2**attempt if attempt < s.fetch_retries else 0)
                continue
            if status >= 500:
                unreachable = f"HTTP {status}"
                time.sleep(s.fetch_backoff * 2**attempt if attempt < s.fetch_retries else 0)
                continue
            rules.parse(text.decode("utf-8", errors="replace").splitlines() if status < 400 else [])
            delay = rules.crawl_delay(s.user_agent)
            if delay:
                self._host(origin).slow_down(float(delay))
            return rules
        return _Failure(f"robots.txt unreachable ({unreachable}): the site is left alone", retry=True, now=False)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session


def _retry_after(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (a number or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _disposition_name(headers) -> str | None:
    """The file name of a Content-Disposition header (RFC 6266 filename* first), as readable text."""
    value = headers.get("content-disposition")
    if not value:
        return None
    m = Message()
    m["content-disposition"] = value
    name = m.get_filename()
    if not name:
        return None
    name = unquote(name)
    try:  # http.client reads header bytes as Latin-1: a raw UTF-8 or GBK name comes back as mojibake
        raw = name.encode("latin-1")
    except UnicodeEncodeError:
        return name
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return name


def _short(e: Exception) -> str:
    """An exception in one line, without urllib3's nested reprs."""
    text = str(e)
    for marker in ("Caused by ", "(Caused by"):
        if marker in text:
            text = text.split(marker, 1)[-1]
    return text.strip(" ()'\"")[:200] or type(e).__name__
