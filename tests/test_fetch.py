"""From web addresses to data, against a site served by the test on 127.0.0.1 (never any other address).

The site (built from corpus files): a channel of reports over two pages (the second in GBK, numbered by TRS's
createPageHTML) linking a page that prints the report's tables, a page with a PDF attachment, a page with a .doc
attachment, a page with two candidate attachments (a borderless PDF and a .docx of the same report), a 404, a
redirect to a GBK page that prints its tables, a page that answers too late, a page robots.txt disallows and a
report on another host name (localhost: off the site, never to be requested).
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.crawl import fetch_all
from pipeline.dataset import read_dataset
from pipeline.downloads import Address, list_kind, read_list
from pipeline.run import process_file
from tests.conftest import CORPUS
from tests.website import Route, Site, serve

FAST = dict(
    fetch_rate=40.0,
    fetch_connections=2,
    fetch_threads=2,
    fetch_timeout=0.5,
    fetch_retries=1,
    fetch_backoff=0.05,
    crawl_depth=2,
    crawl_max_pages=30,
)
SLOW_DELAY = 1.5  # the slow page answers after this long: three times fetch_timeout

INLINE = CORPUS / "html" / "2020-fujian-pingtan-zone__html.html"
GBK_INLINE = CORPUS / "html" / "2021-fujian-pingtan-zone__html.html"
PDF = CORPUS / "pdf" / "2019-beijing-tongzhou-xinhua-street__pdf_lattice.pdf"
DOC = CORPUS / "doc" / "2020-guangdong-guangzhou-liwan-nanyuan-street__doc.doc"
WORSE = CORPUS / "pdf" / "2019-jiangsu-wuxi-xishan-yunlin-street__pdf_borderless.pdf"
BETTER = CORPUS / "docx" / "2019-jiangsu-wuxi-xishan-yunlin-street__docx_plain.docx"
DIRECT = CORPUS / "pdf" / "2020-hubei-wuhan-huangpi-sanliqiao-street__pdf_lattice.pdf"
PDF_TYPE = "application/pdf"


def _report_page(title: str, attachments: list[tuple[str, str]]) -> bytes:
    links = "".join(f'<p>附件：<a href="{href}">{text}</a></p>' for href, text in attachments)
    return (
        f"<html><head><meta charset='utf-8'><title>{title}_政府网站</title></head><body>"
        f"<div class='nav'><a href='/'>首页</a><a href='/ndbg/index.html'>政府信息公开年报</a></div>"
        f"<h1>{title}</h1><p>发布时间：2020-01-15</p><p>根据《中华人民共和国政府信息公开条例》，现公布本年度报告。</p>"
        f"{links}<p><a href='/files/form.pdf'>政府信息公开申请表.pdf</a></p></body></html>"
    ).encode()


def _channel(title: str, links: list[tuple[str, str]], tail: str, charset: str = "utf-8") -> bytes:
    items = "".join(
        f'<li><a href="{href}" title="{text}">{text}</a><span>2021-01-20</span></li>' for href, text in links
    )
    html = (
        f'<html><head><meta charset="{charset}"><title>{title}</title></head><body>'
        f"<div class='nav'><a href='/'>首页</a><a href='/zwgk/'>政务公开</a></div>"
        f"<h2>{title}</h2><ul>{items}</ul>{tail}</body></html>"
    )
    return html.encode("gb18030" if charset == "gbk" else "utf-8")


def build_site() -> Site:
    gbk_page = GBK_INLINE.read_text(encoding="utf-8").replace('<meta charset="utf-8">', "")
    page1 = _channel(
        "政府信息公开年报",
        [
            ("/ndbg/2020-pingtan.html", "平潭综合实验区2020年政府信息公开工作年度报告"),
            ("/ndbg/2019-xinhua.html", "新华街道2019年政府信息公开工作年度报告"),
            ("2020-nanyuan.html", "南源街道2020年政府信息公开工作年度报告"),
            ("/private/2021-secret.html", "某单位2021年政府信息公开工作年度报告"),
            ("http://localhost:{port}/ndbg/2020-other.html", "另一网站2020年政府信息公开工作年度报告"),
            ("/ndbg/notice.html", "关于开展政务公开工作的通知"),
        ],
        '<div class="page"><a href="index.html">1</a> <a href="index_1.html">2</a> '
        '<a href="index_1.html">下一页</a></div>',
    )
    page2 = _channel(
        "政府信息公开年报",
        [
            ("/ndbg/2019-yunlin.html", "云林街道2019年政府信息公开工作年度报告"),
            ("/ndbg/missing.html", "某街道2018年政府信息公开工作年度报告"),
            ("/ndbg/old-2021.html", "平潭综合实验区2021年政府信息公开工作年度报告"),
            ("/ndbg/slow.html", "某镇2020年政府信息公开工作年度报告"),
        ],
        '<script>createPageHTML(2, 1, "index", "html");</script>',
        charset="gbk",
    )
    routes = {
        "/robots.txt": Route(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
        "/ndbg/index.html": Route(page1),
        "/ndbg/index_1.html": Route(page2, content_type="text/html"),  # GBK, said only by its <meta>
        "/ndbg/2020-pingtan.html": Route(INLINE.read_bytes()),
        "/ndbg/2019-xinhua.html": Route(
            _report_page(
                "北京市通州区新华街道2019年政府信息公开工作年度报告",
                [("/files/P020200115.pdf", "新华街道2019年年度报告")],
            )
        ),
        "/files/P020200115.pdf": Route(PDF.read_bytes(), content_type=PDF_TYPE),
        "/ndbg/2020-nanyuan.html": Route(
            _report_page(
                "广州市荔湾区南源街道2020年政府信息公开工作年度报告",
                [("/files/download.jsp?id=77", "南源街道2020年政府信息公开工作年度报告.doc")],
            )
        ),
        "/files/download.jsp?id=77": Route(
            DOC.read_bytes(),
            content_type="application/octet-stream",
            headers={"Content-Disposition": "attachment; filename*=UTF-8''%E5%8D%97%E6%BA%90%E8%A1%97%E9%81%93.doc"},
        ),
        "/ndbg/2019-yunlin.html": Route(
            _report_page(
                "无锡市锡山区云林街道2019年政府信息公开工作年度报告",
                [
                    ("/files/yunlin-2019.pdf", "云林街道2019年政府信息公开工作年度报告（PDF版）"),
                    ("/files/yunlin-2019.docx", "云林街道2019年政府信息公开工作年度报告（Word版）"),
                    ("/files/yunlin-2018.pdf", "云林街道2018年政府信息公开工作年度报告"),
                ],
            )
        ),
        "/files/yunlin-2019.pdf": Route(WORSE.read_bytes(), content_type=PDF_TYPE),
        "/files/yunlin-2019.docx": Route(BETTER.read_bytes(), content_type="application/msword"),
        "/ndbg/old-2021.html": Route(status=301, headers={"Location": "/ndbg/2021-pingtan.html"}),
        "/ndbg/2021-pingtan.html": Route(gbk_page.encode("gb18030"), content_type="text/html; charset=GBK"),
        "/ndbg/slow.html": Route(INLINE.read_bytes(), delay=SLOW_DELAY),
        "/private/2021-secret.html": Route(INLINE.read_bytes()),
        "/files/direct.pdf": Route(DIRECT.read_bytes(), content_type=PDF_TYPE),
    }
    return Site(routes)


@pytest.fixture
def site():
    s = build_site()
    with serve(s):
        port = s.base.rsplit(":", 1)[1]
        page = s.routes["/ndbg/index.html"]
        page.body = page.body.replace(b"{port}", port.encode())
        yield s


def _by_url(rows, site):
    return {r["url"].replace(site.base, ""): r for r in rows if r.get("url")}


def _addresses(site, *paths):
    return [Address(site.base + p, i) for i, p in enumerate(paths, 1)]


def test_a_channel_is_crawled_politely_to_every_report(site, tmp_path):
    run = fetch_all(_addresses(site, "/ndbg/index.html", "/files/direct.pdf"), tmp_path / "dl", FAST)
    rows = _by_url(run.rows, site)
    ok = {u for u, r in rows.items() if r["status"] == "ok"}
    assert ok == {
        "/ndbg/2020-pingtan.html",  # prints the tables
        "/files/P020200115.pdf",  # a PDF attachment
        "/files/download.jsp?id=77",  # a .doc attachment behind a download script
        "/files/yunlin-2019.pdf",  # two candidates; the 2018 report linked beside them is not one
        "/files/yunlin-2019.docx",
        "/ndbg/old-2021.html",  # redirected to a GBK page
        "/files/direct.pdf",  # the address is the file
    }
    assert rows["/ndbg/2020-pingtan.html"]["found_as"] == "page"
    assert rows["/files/direct.pdf"]["found_as"] == "address"
    assert rows["/files/P020200115.pdf"]["page_url"] == site.base + "/ndbg/2019-xinhua.html"
    pair = [rows["/files/yunlin-2019.pdf"], rows["/files/yunlin-2019.docx"]]
    assert {r["candidates"] for r in pair} == {site.base + "/ndbg/2019-yunlin.html"}
    assert all(r["n_candidates"] == 2 for r in pair)
    moved = rows["/ndbg/old-2021.html"]
    assert moved["final_url"] == site.base + "/ndbg/2021-pingtan.html" and moved["http_status"] == 200
    # every failure is a row with its reason
    assert rows["/ndbg/missing.html"]["http_status"] == 404 and "404" in rows["/ndbg/missing.html"]["error"]
    assert "fetch_timeout" in rows["/ndbg/slow.html"]["error"]
    assert rows["/private/2021-secret.html"]["error"] == "disallowed by robots.txt"
    # nothing disallowed, off the site or not a report was requested; robots.txt once
    paths = site.paths()
    assert not [p for p in paths if p.startswith("/private/")]
    assert {h.host.split(":")[0] for h in site.log} == {"127.0.0.1"}
    assert "/ndbg/notice.html" not in paths and "/files/yunlin-2018.pdf" not in paths
    assert "/files/form.pdf" not in paths  # 申请表: not a report
    assert paths.count("/robots.txt") == 1
    assert all(h.agent.startswith("xxgk") for h in site.log)
    # each page fetched once; the slow page once per attempt (one retry)
    assert paths.count("/ndbg/slow.html") == 2
    assert all(paths.count(p) == 1 for p in set(paths) - {"/ndbg/slow.html"})
    # the host's pace: no faster than fetch_rate on the whole
    starts = sorted(h.at for h in site.log)
    assert starts[-1] - starts[0] > 0.9 * (len(starts) - 1) / FAST["fetch_rate"]


def test_one_host_gets_its_rate_and_its_connections_at_most(site, tmp_path):
    site.routes.update({f"/files/{i}.pdf": Route(b"%PDF-1.4 x", content_type=PDF_TYPE, delay=0.35) for i in range(6)})
    options = {**FAST, "fetch_rate": 8.0, "fetch_threads": 4, "fetch_connections": 2}
    fetch_all(_addresses(site, *(f"/files/{i}.pdf" for i in range(6))), tmp_path / "dl", options)
    starts = [h.at for h in site.log]
    assert len(starts) == 7  # robots.txt and the six files
    assert min(b - a for a, b in itertools.pairwise(starts)) > 0.8 / 8.0
    assert site.max_in_flight == 2


def test_files_are_stored_by_content_hash_with_readable_names(site, tmp_path):
    out = tmp_path / "dl"
    run = fetch_all(_addresses(site, "/ndbg/index.html"), out, FAST)
    rows = _by_url(run.rows, site)
    for r in run.reports:
        stored = out / r["path"]
        digest = hashlib.sha256(stored.read_bytes()).hexdigest()
        assert r["sha256"] == digest and stored.parent.name == digest[:16]
    assert Path(rows["/files/download.jsp?id=77"]["path"]).name == "南源街道.doc"  # the server's name
    assert Path(rows["/files/yunlin-2019.docx"]["path"]).suffix == ".docx"
    # the GBK page is stored as served; its links were read in GBK (else the reports there were not found)
    gbk = out / rows["/ndbg/old-2021.html"]["path"]
    assert gbk.read_bytes() == site.routes["/ndbg/2021-pingtan.html"].body
    index = pd.read_csv(out / "downloads.csv", encoding="utf-8-sig")
    fetches = pd.read_csv(out / "fetches.csv", encoding="utf-8-sig")
    assert set(index["url"].dropna()) >= {site.base + u for u in rows}
    assert fetches.set_index("url").loc[site.base + "/ndbg/slow.html", "retry"]
    assert not fetches.set_index("url").loc[site.base + "/ndbg/missing.html", "retry"]


def test_a_rerun_fetches_only_what_failed_and_may_pass(site, tmp_path):
    out = tmp_path / "dl"
    first = fetch_all(_addresses(site, "/ndbg/index.html"), out, FAST)
    stored = sorted(p for p in (out / "files").rglob("*") if p.is_file())
    n = len(site.log)
    again = fetch_all(_addresses(site, "/ndbg/index.html"), out, FAST)
    new = site.paths()[n:]
    # the timed-out page is tried again (and robots.txt read for it); the 404 and everything stored are not
    assert set(new) == {"/robots.txt", "/ndbg/slow.html"}
    assert sorted(p for p in (out / "files").rglob("*") if p.is_file()) == stored
    assert [(r["url"], r["path"]) for r in again.reports] == [(r["url"], r["path"]) for r in first.reports]
    assert again.requested == 1 and again.reused > 10


def test_a_rerun_after_everything_was_stored_requests_nothing(site, tmp_path):
    out = tmp_path / "dl"
    addresses = _addresses(site, "/ndbg/2019-yunlin.html", "/files/direct.pdf", "/ndbg/missing.html")
    fetch_all(addresses, out, FAST)
    n = len(site.log)
    run = fetch_all(addresses, out, FAST)
    assert site.paths()[n:] == [] and run.requested == 0
    assert [r["listed_url"] for r in run.no_report] == [site.base + "/ndbg/missing.html"]


def test_a_killed_run_leaves_no_half_files_and_resumes(site, tmp_path):
    out = tmp_path / "dl"
    fetch_all(_addresses(site, "/ndbg/2019-xinhua.html"), out, FAST)
    log = out / ".fetch-log.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    # as if killed while writing the last line and while a body was streaming
    log.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:20], encoding="utf-8")
    (out / ".partial").mkdir(exist_ok=True)
    (out / ".partial" / ".deadbeef.part").write_bytes(b"%PDF-1.4 half")
    n = len(site.log)
    run = fetch_all(_addresses(site, "/ndbg/2019-xinhua.html"), out, FAST)
    assert site.paths()[n:] == ["/robots.txt", "/files/P020200115.pdf"]
    assert not list((out / ".partial").glob("*.part"))
    assert [Path(r["path"]).suffix for r in run.reports] == [".pdf"]


def test_ingest_reads_every_report_with_where_it_came_from(site, tmp_path):
    lst = tmp_path / "addresses.csv"
    with open(lst, "w", encoding="gb18030", newline="") as f:  # as Excel saves it on a Chinese Windows
        w = csv.writer(f)
        w.writerow(["机关", "url", "发布日期"])
        w.writerow(["平潭综合实验区", site.base + "/ndbg/index.html", "2021-01-20"])
        w.writerow(["黄陂区三里桥街道", site.base + "/files/direct.pdf", "2021-01-25"])
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["ingest", str(lst), "--out", str(out), "--workers", "1", *_cli(FAST)])
    assert r.exit_code == 1, r.output  # the 404 and the slow page gave no report: said, and the exit code says so
    assert "not downloaded" in r.output and "missing.html" in r.output and "slow.html" in r.output
    batch = read_dataset(out)
    reports = batch.reports.set_index("url")
    kept = reports[reports["status"].isin(["ok", "partial"])]
    assert {u.replace(site.base, "") for u in kept.index} == {
        "/ndbg/2020-pingtan.html",
        "/files/P020200115.pdf",
        "/files/download.jsp?id=77",
        "/files/yunlin-2019.docx",
        "/ndbg/old-2021.html",
        "/files/direct.pdf",
    }
    for url, row in kept.iterrows():
        assert row["n_cells"] > 100, url
        assert row["http_status"] == 200 and row["fetched_at"] and row["content_type"]
        assert row["final_url"].startswith(site.base) and row["listed_url"].startswith(site.base)
        assert Path(row["source_path"]).is_relative_to(out / "downloads")
    assert kept.loc[site.base + "/ndbg/old-2021.html", "final_url"] == site.base + "/ndbg/2021-pingtan.html"
    assert kept.loc[site.base + "/ndbg/old-2021.html", "year"] == 2021
    # the page served in GBK reads as the corpus's UTF-8 file does, figure for figure
    gbk_path = kept.loc[site.base + "/ndbg/old-2021.html", "source_path"]
    got = batch.cells[batch.cells["source_path"] == gbk_path]
    assert _figures(got) == _figures(pd.DataFrame(process_file(GBK_INLINE).cells))
    assert kept.loc[site.base + "/files/download.jsp?id=77", "format"] == "doc"
    assert kept.loc[site.base + "/files/direct.pdf", "listed_url"] == site.base + "/files/direct.pdf"
    # the two candidates: both read, the better kept, the choice recorded on both sides
    loser = reports.loc[site.base + "/files/yunlin-2019.pdf"]
    winner = reports.loc[site.base + "/files/yunlin-2019.docx"]
    assert loser["status"] == "skipped" and loser["duplicate_of"] == winner["source_path"]
    assert "read better" in loser["error"] and loser["n_cells"] == 0
    chosen = batch.issues[batch.issues["code"] == "candidate-chosen"]
    assert list(chosen["source_path"]) == [winner["source_path"]]
    assert Path(loser["source_path"]).name in chosen["message"].iloc[0]
    assert not (batch.cells["source_path"] == loser["source_path"]).any()
    # re-running the same command reads nothing again and asks the site only for the page that timed out
    n = len(site.log)
    r2 = CliRunner().invoke(main, ["ingest", str(lst), "--out", str(out), "--workers", "1", *_cli(FAST)])
    assert r2.exit_code == 1
    assert set(site.paths()[n:]) == {"/robots.txt", "/ndbg/slow.html"}
    assert "0 read" in r2.output
    assert len(read_dataset(out).reports) == len(batch.reports)


def test_fetch_command_then_ingest_the_folder(site, tmp_path):
    lst = tmp_path / "urls.txt"
    lst.write_text(f"# reports\n{site.base}/ndbg/2019-xinhua.html\n\n{site.base}/files/direct.pdf\n")
    dl, out = tmp_path / "downloads", tmp_path / "out"
    r = CliRunner().invoke(main, ["fetch", str(lst), "--out", str(dl), *_cli(FAST)])
    assert r.exit_code == 0, r.output
    assert "2 report files found" in r.output
    r = CliRunner().invoke(main, ["ingest", str(dl), "--out", str(out), "--workers", "1"])
    assert r.exit_code == 0, r.output
    reports = read_dataset(out).reports
    assert sorted(reports["url"].str.replace(site.base, "")) == ["/files/P020200115.pdf", "/files/direct.pdf"]
    assert set(reports["page_url"].dropna()) == {site.base + "/ndbg/2019-xinhua.html"}
    schema = json.loads((out / "datapackage.json").read_text())
    fields = next(r for r in schema["resources"] if r["name"] == "reports")["schema"]["fields"]
    assert {"url", "final_url", "fetched_at", "http_status", "content_type"} <= {f["name"] for f in fields}


def test_crawl_depth_zero_reads_each_address_as_a_report(site, tmp_path):
    run = fetch_all(_addresses(site, "/ndbg/index.html"), tmp_path / "dl", {**FAST, "crawl_depth": 0})
    assert site.paths() == ["/robots.txt", "/ndbg/index.html"]
    assert not run.reports
    assert "depth 0" in run.no_report[0]["error"]


def test_the_page_count_limit_stops_a_crawl(site, tmp_path):
    run = fetch_all(_addresses(site, "/ndbg/index.html"), tmp_path / "dl", {**FAST, "crawl_max_pages": 2})
    pages = [p for p in site.paths() if p.startswith("/ndbg/")]
    assert len(pages) == 2
    assert all(r["url"] is None or r["url"].startswith(site.base) for r in run.rows)


def _figures(cells: pd.DataFrame) -> dict:
    rows = zip(cells["table"], cells["row"], cells["col"], cells["value"], strict=True)
    return {(t, r, c): None if pd.isna(v) else float(v) for t, r, c, v in rows}


def _cli(options: dict) -> list[str]:
    return [x for k, v in options.items() for x in (f"--{k.replace('_', '-')}", str(v))]


def test_address_lists(tmp_path):
    txt = tmp_path / "urls.txt"
    txt.write_text("# the reports\nhttps://a.gov.cn/1.html\n# a comment\n\nhttp://b.gov.cn/2.pdf\n")
    assert list_kind(txt) == "txt"
    assert [a.url for a in read_list(txt)] == ["https://a.gov.cn/1.html", "http://b.gov.cn/2.pdf"]
    dump = next((CORPUS / "txt").glob("*.txt"))
    assert list_kind(dump) is None  # a report dumped as text is a report
    mixed = tmp_path / "mixed.txt"
    mixed.write_text("https://a.gov.cn/1.html\n政府信息公开工作年度报告\n")
    assert list_kind(mixed) is None
    lst = tmp_path / "list.csv"
    lst.write_bytes("地址,机关\nhttps://a.gov.cn/1.html,甲区\n,\nhttps://b.gov.cn/2.html,乙区\n".encode("gb18030"))
    got = read_list(lst)
    assert [(a.url, a.row, dict(a.meta)) for a in got] == [
        ("https://a.gov.cn/1.html", 1, {"机关": "甲区"}),
        ("https://b.gov.cn/2.html", 3, {"机关": "乙区"}),
    ]


def test_an_interrupted_fetch_stops_soon_and_the_next_run_goes_on(site, tmp_path):
    names = [f"/files/{i}.pdf" for i in range(6)]
    site.routes.update({n: Route(f"%PDF-1.4 {n}".encode(), content_type=PDF_TYPE) for n in names})
    out = tmp_path / "dl"

    def ctrl_c(address, rows):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch_all(_addresses(site, *names), out, {**FAST, "fetch_threads": 1}, on_address=ctrl_c)
    first = [p for p in site.paths() if p in names]
    assert 1 <= len(first) < len(names)
    assert not (out / "downloads.csv").exists()  # no index from an interrupted run
    run = fetch_all(_addresses(site, *names), out, FAST)
    assert sorted(p for p in site.paths() if p in names) == sorted(names)  # each fetched once over both runs
    assert len(run.reports) == len(names) and run.reused == len(first)


def test_a_page_printing_the_report_and_attaching_it_gives_two_candidates(site, tmp_path):
    page = INLINE.read_bytes().replace(
        b"</h1>", "</h1><p><a href='/files/P020200115.pdf'>附件：年度报告.pdf</a></p>".encode(), 1
    )
    site.routes["/ndbg/both.html"] = Route(page)
    run = fetch_all(_addresses(site, "/ndbg/both.html"), tmp_path / "dl", FAST)
    assert [(r["found_as"], r["n_candidates"], r["candidates"]) for r in run.rows] == [
        ("page", 2, site.base + "/ndbg/both.html"),
        ("attachment", 2, site.base + "/ndbg/both.html"),
    ]
