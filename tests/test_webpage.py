"""Reading a downloaded page: report page or channel, its candidate attachments, its report links and pagination."""

from __future__ import annotations

from pipeline.webpage import Link, read_page, same_site, site_of
from tests.conftest import CORPUS

BASE = "http://www.example.gov.cn/zwgk/ndbg/index.html"


def _page(body: str, url: str = BASE, charset: str = "utf-8", header: str | None = None):
    html = f"<html><head><meta charset='{charset}'><title>栏目</title></head><body>{body}</body></html>"
    return read_page(html.encode("gb18030" if charset == "gbk" else "utf-8"), url, header)


def test_a_page_printing_the_tables_is_a_report_page():
    p = read_page((CORPUS / "html" / "2020-fujian-pingtan-zone__html.html").read_bytes(), BASE)
    assert p.prints_report and p.is_report and p.year == 2020
    assert p.candidates() == []  # no attachment: the page itself is the report


def test_a_report_page_offers_the_attachments_of_its_year_and_no_forms():
    p = _page(
        "<h1>某区2020年政府信息公开工作年度报告</h1>"
        "<a href='/files/a.pdf'>某区2020年政府信息公开工作年度报告</a>"
        "<a href='/files/a.pdf'><img src='pdf.png'></a>"
        "<a href='/files/b.doc'>附件</a>"
        "<a href='/files/c.pdf'>某区2019年政府信息公开工作年度报告</a>"
        "<a href='/files/d.docx'>政府信息公开申请表</a>"
        "<a href='/down.jsp?file=e.wps'>下载</a>"
        "<a href='/files/pic.jpg'>扫描件</a>"
    )
    assert p.names_report and not p.prints_report
    got = [(link.url.rsplit("/", 1)[1], link.text) for link in p.candidates()]
    assert got == [("a.pdf", "某区2020年政府信息公开工作年度报告"), ("b.doc", "附件"), ("down.jsp?file=e.wps", "下载")]


def test_a_channel_offers_report_links_attachments_and_pagination():
    p = _page(
        "<h2>政府信息公开年报</h2>"
        "<a href='2021/t1.html'>某区2021年政府信息公开工作年度报告</a>"
        "<a href='/zwgk/ndbg/2020/t2.html' title='某区2020年政府信息公开年报'>某区2020年…</a>"
        "<a href='/files/2019.pdf'>某区2019年政府信息公开工作年度报告.pdf</a>"
        "<a href='/zwgk/tzgg/t3.html'>关于印发某某办法的通知</a>"
        "<a href='http://www.other.gov.cn/ndbg/x.html'>别处2020年政府信息公开工作年度报告</a>"
        "<a href='http://zfxxgk.example.gov.cn/ndbg/y.html'>某局2020年政府信息公开工作年度报告</a>"
        "<a href='index_1.html'>2</a><a href='index_2.html'>3</a><a href='index_1.html'>下一页</a>"
        "<a href='/other/list_9.html'>9</a><a href='index.html'>1</a>"
    )
    assert not p.is_report
    assert p.report_pages() == [
        "http://www.example.gov.cn/zwgk/ndbg/2021/t1.html",
        "http://www.example.gov.cn/zwgk/ndbg/2020/t2.html",  # said by its title attribute
        "http://zfxxgk.example.gov.cn/ndbg/y.html",  # another host of the same site
    ]
    assert [a.url for a in p.report_attachments()] == ["http://www.example.gov.cn/files/2019.pdf"]
    assert p.pager == [
        "http://www.example.gov.cn/zwgk/ndbg/index_1.html",
        "http://www.example.gov.cn/zwgk/ndbg/index_2.html",
    ]


def test_trs_pagination_written_in_script_is_read():
    p = _page('<script>createPageHTML(4, 0, "index", "shtml");</script>')
    assert [u.rsplit("/", 1)[1] for u in p.pager] == ["index.shtml", "index_1.shtml", "index_2.shtml", "index_3.shtml"]


def test_a_gbk_page_is_read_in_gbk_whether_the_header_or_the_page_says_so():
    body = "<a href='t1.html'>某区2021年政府信息公开工作年度报告</a>"
    html = f"<html><body><h2>年报专栏</h2>{body}</body></html>".encode("gbk")
    by_header = read_page(html, BASE, "text/html; charset=GBK")
    by_guess = read_page(html, BASE, "text/html")  # nothing says: the reading with common characters wins
    by_meta = _page(body, charset="gbk")
    for p in (by_header, by_guess, by_meta):
        assert p.report_pages() == ["http://www.example.gov.cn/zwgk/ndbg/t1.html"], p.encoding


def test_a_base_href_and_junk_links_are_handled():
    p = _page(
        "<base href='http://www.example.gov.cn/root/'>"
        "<a href='a/2020年报.html'>2020年报</a><a href='javascript:void(0)'>某2020年度报告</a>"
        "<a href='mailto:x@example.gov.cn'>年度报告</a><a href='http://[bad/'>2020年度报告</a>"
    )
    assert p.report_pages() == ["http://www.example.gov.cn/root/a/2020年报.html"]


def test_an_empty_or_broken_page_offers_nothing():
    for data in (b"", b"\x00\x01\x02", b"<html"):
        p = read_page(data, BASE)
        assert not p.is_report and not p.attachments and not p.page_links


def test_sites_and_attachment_types():
    assert site_of("www.beijing.gov.cn") == "beijing.gov.cn" == site_of("tongzhou.beijing.gov.cn")
    assert same_site("www.example.com", "files.example.com") and not same_site("a.com", "b.com")
    assert site_of("127.0.0.1") == "127.0.0.1" and not same_site("127.0.0.1", "localhost")
    assert Link("http://h/dl?name=%E5%B9%B4%E6%8A%A5.DOCX", "").suffix == ".docx"
    assert Link("http://h/dl?id=3", "年报.wps").suffix == ".wps"
    assert Link("http://h/a.pdfx", "").suffix is None


def test_a_channel_of_one_year_is_not_a_report_and_a_report_linking_other_years_is():
    departments = "".join(
        f"<a href='/ndbg/2020/{i}.html'>某区{name}2020年政府信息公开工作年度报告</a>"
        for i, name in enumerate(("教育局", "财政局", "民政局", "卫健委"))
    )
    channel = _page(f"<h1>2020年政府信息公开工作年度报告</h1>{departments}")
    assert channel.names_report and channel.lists_reports and not channel.is_report
    assert len(channel.report_pages()) == 4
    sidebar = "".join(f"<a href='/ndbg/{y}.html'>某区{y}年政府信息公开工作年度报告</a>" for y in (2017, 2018, 2019))
    report = _page(f"<h1>某区2020年政府信息公开工作年度报告</h1><a href='/f/a.pdf'>年度报告.pdf</a>{sidebar}")
    assert report.is_report and [a.url.rsplit("/", 1)[1] for a in report.candidates()] == ["a.pdf"]
