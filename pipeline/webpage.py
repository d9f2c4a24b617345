"""What a downloaded web page offers on the way to a report: is it one, which attachments may be it, where to go next.

A page is read as the HTML extractor reads it (``textcodec.decode_bytes``, the charset of the HTTP header or of a
``<meta>`` tag winning only among equally good readings), so a GBK page's links read right. It is then:

- a **report page** when its tables look like the statistics tables (``prints_report``) or its title names one
  report, a year and 年度报告/年报 (``names_report``), and it does not link several reports of that year (a channel of
  the year's reports is titled so too): the page itself, when it prints the tables, and its attachments
  of a readable type (.pdf .doc .docx .wps) are the candidates for that one report, except attachments whose text
  names another year or something that is not a report (申请表, 指南 …);
- otherwise a **channel**: attachments whose link text or file name says 年度报告/年报 are reports of their own,
  links to pages that say so are report pages to visit, and pagination (下一页, page numbers in the same folder,
  TRS's ``createPageHTML``) leads to more of the channel. Only links within the page's site are followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from .textcodec import decode_bytes

ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps")  # what `xxgk ingest` reads from an attachment
REPORT_WORDS = ("年度报告", "年报")
# words of the statistics tables: a page printing three of them prints the report itself
TABLE_WORDS = ("政府信息公开申请", "予以公开", "行政复议", "行政诉讼", "行政许可", "行政处罚", "本年新收", "自然人")
TABLE_WORDS_NEEDED = 3
NOT_REPORT_WORDS = ("申请表", "指南", "目录", "流程", "样表", "范本", "模板", "登记表", "说明书")
CHANNEL_MIN_REPORTS = 3  # a page linking this many reports of its own year lists them
PAGER_WORDS = ("下一页", "下页", "后页", "尾页", "末页", "上一页", "上页", "前页")
SECOND_LEVEL = ("gov.cn", "com.cn", "org.cn", "net.cn", "edu.cn", "ac.cn")  # a site is one label under these
CHARSET_SNIFF = 8192
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_ANY_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_PAGE_NUMBER = re.compile(r"^\[?\s*\d{1,4}\s*\]?$")
_CREATE_PAGE = re.compile(r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"']([^\"']+)[\"']\s*,\s*[\"']([^\"']+)[\"']")
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Link:
    url: str
    text: str  # the link's text
    title: str = ""  # its title attribute (channels put the whole name there and cut the text short)

    @property
    def label(self) -> str:
        """The longer of text and title: the best name the page gives the linked file."""
        return max(self.text, self.title, key=len)

    @property
    def name(self) -> str:
        """The last segment of the address's path, unquoted (a file name, often)."""
        return unquote(PurePosixPath(urlsplit(self.url).path).name)

    @property
    def suffix(self) -> str | None:
        """The attachment type the address or the link text names (.pdf .doc .docx .wps), or None."""
        s = urlsplit(self.url)
        for place in (s.path, unquote(s.query), self.text, self.title):
            m = re.search(r"\.(pdf|docx?|wps)(?![a-z0-9])", place.lower())
            if m:
                return "." + m.group(1)
        return None

    @property
    def year(self) -> int | None:
        m = _ANY_YEAR.search(self.label) or _ANY_YEAR.search(self.name)
        return int(m.group(1)) if m else None

    def says(self, words: tuple[str, ...]) -> bool:
        return any(w in self.text or w in self.title or w in self.name for w in words)


@dataclass
class Page:
    url: str  # the address the page was read from (after redirects): links are relative to it
    title: str = ""
    year: int | None = None
    prints_report: bool = False  # tables with the words of the statistics tables
    attachments: list[Link] = field(default_factory=list)
    page_links: list[Link] = field(default_factory=list)  # links to other web pages of the same site
    pager: list[str] = field(default_factory=list)  # pagination of a channel
    encoding: str | None = None

    @property
    def names_report(self) -> bool:
        return self.year is not None and any(w in self.title for w in REPORT_WORDS)

    @property
    def lists_reports(self) -> bool:
        """Links to several reports of the page's own year: a channel of that year (2020年政府信息公开年度报告 over
        each department's report), not one report (whose sidebar links other years')."""
        same_year = {link.url for link in self.page_links if link.says(REPORT_WORDS) and link.year == self.year}
        return len(same_year) >= CHANNEL_MIN_REPORTS

    @property
    def is_report(self) -> bool:
        return self.prints_report or (self.names_report and not self.lists_reports)

    def candidates(self) -> list[Link]:
        """The attachments that may be this report page's report: readable, not another year's, not a form."""
        return [
            a
            for a in self.attachments
            if not a.says(NOT_REPORT_WORDS) and (a.year is None or self.year is None or a.year == self.year)
        ]

    def report_attachments(self) -> list[Link]:
        """A channel's attachments that say they are reports (each one report)."""
        return [a for a in self.attachments if a.says(REPORT_WORDS) and not a.says(NOT_REPORT_WORDS)]

    def report_pages(self) -> list[str]:
        """A channel's links to pages that say they are reports."""
        return list(dict.fromkeys(link.url for link in self.page_links if link.says(REPORT_WORDS)))


def read_page(data: bytes, url: str, content_type: str | None = None) -> Page:
    """What the page at ``url`` (its bytes as served) offers; a page that cannot be parsed offers nothing."""
    import lxml.html

    declared = _declared_charset(data, content_type)
    decoded = decode_bytes(data, declared)
    text = _XML_DECL.sub("", decoded.text).replace("\x00", "")
    page = Page(url=url, encoding=decoded.encoding)
    if not text.strip():
        return page
    try:
        root = lxml.html.document_fromstring(text)
    except Exception:  # lxml raises ParserError / XMLSyntaxError / ValueError on hopeless input: nothing to follow
        return page
    base = next((b.get("href") for b in root.iter("base") if b.get("href")), None)
    base = urljoin(url, base.strip()) if base else url
    page.title = _title(root)
    page.year = _year(page.title)
    page.prints_report = _prints_report(root)
    _read_links(root, base, page)
    page.pager = _dedupe([*page.pager, *_create_page_links(text, base)])
    return page


def _declared_charset(data: bytes, content_type: str | None) -> str | None:
    """The HTTP header's charset, else the page's ``<meta>`` one."""
    m = _HEADER_CHARSET.search(content_type or "")
    if m:
        return m.group(1)
    mm = _META_CHARSET.search(data[:CHARSET_SNIFF])
    return mm.group(1).decode("ascii", "replace") if mm else None


def _clean(text: str | None) -> str:
    return _WS.sub(" ", text or "").strip()


def _title(root) -> str:
    """The page's heading: the first ``<h1>`` (sites put the report's name there), else ``<title>``."""
    for xpath in ("//h1", "//title"):
        for el in root.xpath(xpath):
            t = _clean(el.text_content())
            if t:
                return t
    return ""


def _year(title: str) -> int | None:
    m = _YEAR.search(title)
    return int(m.group(1)) if m else None


def _prints_report(root) -> bool:
    text = "".join(t.text_content() for t in root.iter("table"))
    text = _WS.sub("", text)
    return sum(w in text for w in TABLE_WORDS) >= TABLE_WORDS_NEEDED


def _read_links(root, base: str, page: Page) -> None:
    here = urlsplit(base)
    folder = here.path.rsplit("/", 1)[0] + "/"
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.lower().startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        url = _absolute(base, href)
        if url is None:
            continue
        link = Link(url, _clean(a.text_content()), _clean(a.get("title")))
        target = urlsplit(url)
        if link.suffix in ATTACHMENT_SUFFIXES:
            page.attachments.append(link)
        elif same_site(target.hostname, here.hostname) and url != base:
            page.page_links.append(link)
            if _is_pager(link, target.path, folder, target.hostname == here.hostname):
                page.pager.append(url)
    page.attachments = _merge(page.attachments)


def _merge(links: list[Link]) -> list[Link]:
    """One link per address, in page order, with the longest label any of its anchors gave (an icon has none)."""
    best: dict[str, Link] = {}
    for link in links:
        if link.url not in best or len(link.label) > len(best[link.url].label):
            best[link.url] = link
    return [best[u] for u in dict.fromkeys(link.url for link in links)]


def _absolute(base: str, href: str) -> str | None:
    """``href`` against ``base``, without its fragment; None for anything but http(s)."""
    try:
        s = urlsplit(urljoin(base, href))
    except ValueError:  # a malformed address (bad port, bad IPv6 brackets): not a link to follow
        return None
    if s.scheme.lower() not in ("http", "https"):
        return None
    return urlunsplit((s.scheme, s.netloc, s.path or "/", s.query, ""))


def _is_pager(link: Link, path: str, folder: str, same_host: bool) -> bool:
    """A link to another page of the same list: 下一页 and the like, or a page number within the list's folder."""
    if not same_host:
        return False
    if any(w in link.text for w in PAGER_WORDS):
        return True
    return bool(_PAGE_NUMBER.match(link.text)) and path.startswith(folder)


def _create_page_links(text: str, base: str) -> list[str]:
    """The pages TRS sites number in script: ``createPageHTML(count, current, "index", "shtml")`` gives
    index.shtml, index_1.shtml … index_<count-1>.shtml beside the page."""
    m = _CREATE_PAGE.search(text)
    if not m:
        return []
    count, prefix, ext = int(m.group(1)), m.group(3), m.group(4)
    names = [f"{prefix}.{ext}"] + [f"{prefix}_{i}.{ext}" for i in range(1, count)]
    return [u for u in (_absolute(base, n) for n in names) if u]


def _dedupe(urls: list[str]) -> list[str]:
    return list(dict.fromkeys(urls))


def site_of(host: str | None) -> str:
    """The site a host belongs to: its registered domain (``xx.gov.cn`` for ``www.xx.gov.cn``), or the host."""
    host = (host or "").lower().rstrip(".")
    labels = host.split(".")
    if not host or host.replace(".", "").isdigit() or len(labels) <= 2:
        return host
    keep = 3 if ".".join(labels[-2:]) in SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def same_site(a: str | None, b: str | None) -> bool:
    return site_of(a) == site_of(b)
