"""From the addresses given to report files: each address walked, within its site, to the reports it leads to.

An address is fetched (once per run, and not at all when an earlier run stored it) and then:

- a file that is not a web page is the report itself (``found_as`` address);
- a report page (``webpage.Page.is_report``) gives the candidates for its one report: the page itself when it prints
  the statistics tables (``page``) and its attachments that may be the report (``attachment``), all fetched and
  sharing a ``candidates`` key, so that `xxgk ingest` reads them all and keeps the one read best;
- a channel page gives its report attachments (each a report of its own), its report links (visited one level
  deeper, up to ``crawl_depth``) and its pagination (visited at the same level), until ``crawl_max_pages`` pages
  were fetched for the address.

Every failure is a row with its reason: in fetches.csv for the address requested, and in downloads.csv for the
address given that led to no report, and for each report link or candidate that could not be fetched. Addresses are
walked ``fetch_threads`` at a time; the ``Fetcher`` keeps each host's limits whatever the number of threads.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .downloads import Address, DownloadFolder, missing
from .fetch import Fetcher
from .settings import Settings
from .webpage import Link, Page, read_page

WEB_PAGE_SUFFIXES = (".html", ".htm", ".shtml")
Record = dict[str, Any]


@dataclass
class FetchRun:
    """What one `xxgk fetch` did: the downloads rows, and how many requests it made."""

    addresses: int
    rows: list[Record] = field(default_factory=list)
    requested: int = 0  # addresses requested in this run (the others came from the folder)
    reused: int = 0  # addresses answered from the folder: stored, or failed for good, by an earlier run
    written: dict[str, Path] = field(default_factory=dict)

    @property
    def reports(self) -> list[Record]:
        return [r for r in self.rows if r["status"] == "ok"]

    @property
    def no_report(self) -> list[Record]:
        """The rows of addresses that led to no report, with why."""
        return [r for r in self.rows if r["status"] != "ok" and r.get("found_as") is None]

    @property
    def missing(self) -> list[tuple[str, str]]:
        """(address, why) of every report not downloaded (``downloads.missing``)."""
        return missing(self.rows)


class Crawler:
    """Fetches each address once per run into the folder; shared by the threads of the run."""

    def __init__(self, folder: DownloadFolder, settings: Settings, fetcher: Fetcher | None = None):
        self.folder, self.settings = folder, settings
        self.fetcher = fetcher or Fetcher(settings)
        self._lock = threading.Lock()
        self._url_locks: dict[str, threading.Lock] = {}
        self._got: dict[str, Record] = {}
        self.requested = self.reused = 0
        self.stop = threading.Event()  # set on Ctrl-C: walks end after the request in flight

    def get(self, url: str, referrer: str | None = None, hint: str | None = None) -> Record:
        """The outcome for ``url``: from this run, from an earlier one, or fetched now."""
        with self._lock:
            lock = self._url_locks.setdefault(url, threading.Lock())
        with lock:
            if url in self._got:
                return self._got[url]
            rec = self.folder.earlier(url)
            fresh = rec is None
            if rec is None:
                rec = self.folder.keep(self.fetcher.fetch(url, self.folder.sink), referrer, hint)
            with self._lock:
                self.requested += fresh
                self.reused += not fresh
            self._got[url] = rec
            return rec

    def page(self, rec: Record) -> Page:
        return read_page(self.folder.file(rec).read_bytes(), rec["final_url"] or rec["url"], rec["content_type"])

    def walk(self, address: Address) -> list[Record]:
        return _Walk(self, address).run()


def is_web_page(rec: Record) -> bool:
    return str(rec.get("path") or "").lower().endswith(WEB_PAGE_SUFFIXES)


class _Walk:
    """One address's walk: a queue of (address, depth, referrer), the rows found, and why nothing was."""

    def __init__(self, crawler: Crawler, address: Address):
        self.c, self.a = crawler, address
        self.depth_limit, self.page_limit = crawler.settings.crawl_depth, crawler.settings.crawl_max_pages
        self.queue: deque[tuple[str, int, str | None]] = deque([(address.url, 0, None)])
        self.seen = {address.url}
        self.pages = 0
        self.pager_urls: set[str] = set()
        self.rows: list[Record] = []
        self.why: list[str] = []  # why nothing was found, should nothing be

    def run(self) -> list[Record]:
        while self.queue and not self.c.stop.is_set():
            if self.pages >= self.page_limit:
                self.why.append(f"stopped after {self.pages} pages (crawl_max_pages)")
                break
            url, depth, referrer = self.queue.popleft()
            self.visit(url, depth, referrer)
        if not any(r["status"] == "ok" for r in self.rows):
            tried = len(self.rows)
            why = "; ".join(self.why) or (
                f"none of the {tried} report files found could be downloaded" if tried else ""
            )
            self.rows.append(self.row(None, status="failed", error=why or "no report found"))
        return self.rows

    def visit(self, url: str, depth: int, referrer: str | None) -> None:
        rec = self.c.get(url, referrer)
        self.pages += 1
        if rec["status"] != "ok":
            self.why.append(f"{url}: {rec['error']}")
            if depth > 0 and referrer is not None and url not in self.pager_urls:
                self.rows.append(self.row(rec, page_url=referrer, found_as="page", status="failed"))
            return
        if not is_web_page(rec):  # the address, or a report link, is the file itself
            self.rows.append(self.row(rec, page_url=referrer, found_as="address" if depth == 0 else "attachment"))
            return
        page = self.c.page(rec)
        if page.is_report:
            self.report_page(page, rec)
        else:
            self.channel(page, depth)

    def report_page(self, page: Page, rec: Record) -> None:
        """The page and its attachments that may be the report: all fetched, one candidate group."""
        rows = [self.row(rec, page_url=page.url, found_as="page")] if page.prints_report else []
        links = page.candidates()
        rows += [self.attachment(link, page.url) for link in links]
        if not rows:
            self.why.append(f"{page.url}: a report page with neither the statistics tables nor an attachment")
            return
        for r in rows:
            r["candidates"], r["n_candidates"] = page.url, len(rows)
        self.rows += rows

    def channel(self, page: Page, depth: int) -> None:
        """A channel's report attachments (each one report), then its report links and pagination to visit."""
        self.rows += [self.attachment(link, page.url) for link in page.report_attachments()]
        if depth >= self.depth_limit:
            self.why.append(f"{page.url}: no report here, and links are followed to depth {self.depth_limit}")
            return
        found = self.enqueue(page.report_pages(), depth + 1, page.url)
        more = self.enqueue(page.pager, depth, page.url, pager=True)
        if not (found or more or page.report_attachments()):
            self.why.append(f"{page.url}: no report, no link to one and no further page")

    def enqueue(self, urls: list[str], depth: int, referrer: str, pager: bool = False) -> int:
        new = [u for u in urls if u not in self.seen]
        self.seen.update(new)
        if pager:
            self.pager_urls.update(new)
        self.queue.extend((u, depth, referrer) for u in new)
        return len(new)

    def attachment(self, link: Link, page_url: str) -> Record:
        rec = self.c.get(link.url, page_url, hint=link.label)
        return self.row(rec, page_url=page_url, found_as="attachment")

    def row(self, rec: Record | None, **values: Any) -> Record:
        """A downloads row: the address given, the outcome of ``rec`` (when any), then ``values`` and the list's
        own columns."""
        out: Record = dict(listed_url=self.a.url, list_row=self.a.row, status="ok")
        if rec is not None:
            out.update({k: rec[k] for k in _FROM_FETCH})
            out["status"] = rec["status"]
            out["error"] = rec["error"]
        out.update(values)
        for k, v in self.a.meta:
            out.setdefault(k if k not in _TAKEN else f"list_{k}", v)
        return out


_FROM_FETCH = ("url", "final_url", "fetched_at", "http_status", "content_type", "bytes", "sha256", "path")
_TAKEN = {
    "listed_url",
    "list_row",
    "page_url",
    *_FROM_FETCH,
    "found_as",
    "candidates",
    "n_candidates",
    "status",
    "error",
}


def fetch_all(
    addresses: list[Address],
    out: str | Path,
    settings: Settings | dict | None = None,
    on_address: Callable[[Address, list[Record]], None] | None = None,
    fetcher: Fetcher | None = None,
) -> FetchRun:
    """Walk every address into the download folder ``out`` (resuming it) and write its index."""
    from .parts import lock_output

    settings = Settings.resolve(settings)
    out = Path(out)
    lock = lock_output(out)
    try:
        folder = DownloadFolder(out)
        crawler = Crawler(folder, settings, fetcher)
        run = FetchRun(len(addresses))

        def one(a: Address) -> list[Record]:
            try:
                rows = crawler.walk(a)
            except Exception as e:  # a defect in xxgk: this address fails, with where; the others go on
                rows = [dict(listed_url=a.url, list_row=a.row, status="failed", error=f"internal error: {e!r}")]
            if on_address is not None:
                on_address(a, rows)
            return rows

        pool = ThreadPoolExecutor(max_workers=settings.fetch_threads, thread_name_prefix="xxgk-fetch")
        try:
            for rows in pool.map(one, addresses):
                run.rows += rows
        except BaseException:  # Ctrl-C: what was stored is logged; the index stays as the last whole run wrote it
            crawler.stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
        run.requested, run.reused = crawler.requested, crawler.reused
        run.written = folder.write_index(run.rows)
        return run
    finally:
        lock.close()
