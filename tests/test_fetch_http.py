"""The HTTP layer on its own, against sites served by the test on 127.0.0.1: retries and backoff, Retry-After, the
size and time limits, redirects and robots.txt on every hop, Crawl-delay; failures carry a reason and say whether a
re-run should try again."""

from __future__ import annotations

import time

import pytest

from pipeline.fetch import Fetcher, _disposition_name
from tests.website import Route, Site, serve

FAST = dict(fetch_rate=50.0, fetch_timeout=0.5, fetch_retries=2, fetch_backoff=0.05, max_redirects=3)
ROBOTS = Route(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")


@pytest.fixture
def site():
    s = Site({"/robots.txt": ROBOTS})
    with serve(s):
        yield s


def _fetch(site, path, tmp_path, **options):
    return Fetcher({**FAST, **options}).fetch(site.base + path, tmp_path / "sink")


def test_a_5xx_is_retried_with_growing_pauses_then_succeeds(site, tmp_path):
    site.routes["/busy.pdf"] = Route(b"%PDF-1.4 body", content_type="application/pdf", fail_first=2)
    f = _fetch(site, "/busy.pdf", tmp_path)
    assert f.ok and f.attempts == 3 and f.http_status == 200
    assert f.body is not None and f.body.read_bytes() == b"%PDF-1.4 body" and f.size == 13
    at = [h.at for h in site.log if h.path == "/busy.pdf"]
    assert at[1] - at[0] >= 0.05 and at[2] - at[1] >= 0.1  # fetch_backoff, then twice it


def test_a_retry_after_is_waited_for_and_a_long_one_is_not(site, tmp_path):
    site.routes["/later.html"] = Route(b"<p>ok</p>", fail_first=1, retry_after="1")
    t0 = time.monotonic()
    assert _fetch(site, "/later.html", tmp_path).ok
    assert time.monotonic() - t0 >= 0.9
    site.routes["/tomorrow.html"] = Route(b"<p>ok</p>", fail_first=5, retry_after="86400")
    f = _fetch(site, "/tomorrow.html", tmp_path)
    assert not f.ok and f.retry and f.attempts == 1 and "asked to wait" in f.error


def test_a_4xx_is_a_definite_answer(site, tmp_path):
    f = _fetch(site, "/nothing.html", tmp_path)
    assert (f.ok, f.http_status, f.retry, f.attempts) == (False, 404, False, 1)
    assert f.error.startswith("HTTP 404")


@pytest.mark.parametrize("length", [True, False])
def test_a_body_over_the_size_limit_is_dropped(site, tmp_path, length):
    site.routes["/big.pdf"] = Route(b"%PDF" + b"x" * 5000, content_type="application/pdf", length=length)
    f = _fetch(site, "/big.pdf", tmp_path, max_file_mb=0.001)
    assert not f.ok and not f.retry and "max_file_mb" in f.error
    assert not list((tmp_path / "sink").glob("*")) if (tmp_path / "sink").exists() else True


def test_a_page_that_trickles_is_timed_out_as_a_whole(site, tmp_path):
    # every piece comes within fetch_timeout, the whole body does not
    site.routes["/drip.html"] = Route(b"<p>" + b"x" * 800 + b"</p>", chunk_delay=0.1)
    f = _fetch(site, "/drip.html", tmp_path, fetch_retries=0)
    assert not f.ok and f.retry and "fetch_timeout" in f.error


def test_a_page_that_answers_too_late_is_retried_then_failed(site, tmp_path):
    site.routes["/slow.html"] = Route(b"<p>late</p>", delay=1.0)
    f = _fetch(site, "/slow.html", tmp_path, fetch_retries=1)
    assert not f.ok and f.retry and f.attempts == 2 and "timed out" in f.error


def test_redirects_are_followed_within_the_limit(site, tmp_path):
    for i in range(5):
        site.routes[f"/r{i}"] = Route(status=302, headers={"Location": f"/r{i + 1}"})
    site.routes["/r5"] = Route(b"<p>here</p>")
    f = _fetch(site, "/r2", tmp_path)
    assert f.ok and f.final_url == site.base + "/r5" and f.http_status == 200
    f = _fetch(site, "/r0", tmp_path)
    assert not f.ok and not f.retry and "max_redirects" in f.error


def test_a_redirect_into_a_disallowed_path_is_not_followed(site, tmp_path):
    site.routes["/go"] = Route(status=301, headers={"Location": "/private/report.pdf"})
    site.routes["/private/report.pdf"] = Route(b"%PDF-1.4", content_type="application/pdf")
    f = _fetch(site, "/go", tmp_path)
    assert f.error == "disallowed by robots.txt" and not f.retry
    assert "/private/report.pdf" not in site.paths()


def test_robots_txt_unreachable_keeps_out_and_missing_lets_in(tmp_path):
    down = Site({"/robots.txt": Route(b"oops", status=500), "/a.html": Route(b"<p>a</p>")})
    absent = Site({"/a.html": Route(b"<p>a</p>")})
    with serve(down), serve(absent):
        f = Fetcher({**FAST, "fetch_retries": 1}).fetch(down.base + "/a.html", tmp_path)
        assert not f.ok and f.retry and "robots.txt unreachable" in f.error
        assert down.paths() == ["/robots.txt", "/robots.txt"]  # asked again once, the page never
        assert Fetcher(FAST).fetch(absent.base + "/a.html", tmp_path).ok
        assert absent.paths() == ["/robots.txt", "/a.html"]


def test_a_crawl_delay_slows_the_host_down(tmp_path):
    s = Site({"/robots.txt": Route(b"User-agent: *\nCrawl-delay: 1\n", content_type="text/plain")})
    s.routes["/a.html"] = Route(b"<p>a</p>")
    with serve(s):
        assert Fetcher(FAST).fetch(s.base + "/a.html", tmp_path).ok
    robots, page = (h.at for h in s.log)
    assert page - robots >= 0.9


def test_robots_rules_are_matched_by_user_agent(tmp_path):
    s = Site({"/robots.txt": Route(b"User-agent: xxgk\nDisallow: /\n\nUser-agent: *\nAllow: /\n")})
    s.routes["/a.html"] = Route(b"<p>a</p>")
    with serve(s):
        assert Fetcher(FAST).fetch(s.base + "/a.html", tmp_path).error == "disallowed by robots.txt"
        assert Fetcher({**FAST, "user_agent": "other-bot"}).fetch(s.base + "/a.html", tmp_path).ok


def test_not_a_web_address_is_refused_without_a_request(tmp_path):
    f = Fetcher(FAST).fetch("ftp://127.0.0.1/report.pdf", tmp_path)
    assert not f.ok and not f.retry and "not a web address" in f.error


@pytest.mark.parametrize(
    "header, name",
    [
        ("attachment; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.pdf", "年报.pdf"),
        ('attachment; filename="' + "年报.pdf".encode().decode("latin-1") + '"', "年报.pdf"),  # raw UTF-8 bytes
        ('attachment; filename="' + "年报.doc".encode("gbk").decode("latin-1") + '"', "年报.doc"),  # raw GBK bytes
        ('attachment; filename="%E5%B9%B4%E6%8A%A5.wps"', "年报.wps"),
        ("inline", None),
    ],
)
def test_the_server_file_name_is_read_in_any_encoding(header, name):
    assert _disposition_name({"content-disposition": header}) == name
