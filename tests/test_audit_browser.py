"""audit.html in a real browser: Debian's chromium, headless, driven over the DevTools protocol (websocket-client).

What a person sees: the failing report is listed, its failing cell is highlighted (computed colour), the filters
hide and show reports, and a screenshot renders.
"""

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import CORPUS

from pipeline.audit import run_audit, write_audit
from pipeline.dataset import write_batch
from pipeline.run import ingest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (scripts/setup.sh installs it)")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
PINGTAN = [CORPUS / "docx" / f"{y}-fujian-pingtan-zone__docx_plain.docx" for y in (2019, 2020, 2021)]


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("audit")
    write_batch(ingest(PINGTAN), out, "parquet")
    write_audit(run_audit(out), out)
    return out / "audit.html"


class Browser:
    """A headless chromium with one page, spoken to over the DevTools protocol."""

    def __init__(self, profile: Path):
        import websocket

        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                *FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "--window-size=1280,900",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        for _ in range(100):
            try:
                pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5))
                page = next(p for p in pages if p.get("type") == "page")
                break
            except (OSError, StopIteration):
                time.sleep(0.1)
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.n = 0

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise RuntimeError(msg["error"])
                return msg["result"]

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(r["exceptionDetails"])
        return r["result"].get("value")

    def open(self, url):
        self.call("Page.enable")
        self.call("Page.navigate", url=url)
        for _ in range(100):
            if self.js("document.readyState") == "complete" and self.js("!!document.getElementById('shown')"):
                return
            time.sleep(0.1)

    def close(self):
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(timeout=20)


@pytest.fixture
def browser(tmp_path):
    b = Browser(tmp_path / "profile")
    yield b
    b.close()


VISIBLE_REPORTS = """[...document.querySelectorAll('section.report')].filter(s => s.offsetParent !== null)
                     .map(s => s.querySelector('h2').textContent)"""


def test_failing_report_is_listed_first_with_its_cell_highlighted(browser, page_file):
    browser.open(page_file.as_uri())
    first = browser.js("document.querySelector('#report-list tr.report-item a').textContent")
    assert first == "2020-fujian-pingtan-zone__docx_plain.docx"  # the one report that does not add up
    cell = (
        'document.querySelector(\'section.report[data-year="2020"] table[data-table="requests"] '
        'td[data-row="handled_total"][data-col="total"]\')'
    )
    assert browser.js(f"{cell}.textContent") == "21"
    assert "fail-main" in browser.js(f"{cell}.className")
    assert browser.js(f"getComputedStyle({cell}).backgroundColor") == "rgb(255, 138, 128)"  # red, as a person sees
    ok_cell = cell.replace("2020", "2021")
    assert browser.js(f"getComputedStyle({ok_cell}).backgroundColor") == "rgba(0, 0, 0, 0)"
    text = browser.js("document.querySelector('section.report[data-year=\"2020\"] table.failures').innerText")
    assert "requests-outcome-sum" in text and "应为 27" in text and "should be 27" in text


def test_filters_hide_and_show_reports(browser, page_file):
    browser.open(page_file.as_uri())
    assert len(browser.js(VISIBLE_REPORTS)) == 3
    browser.js("""var s = document.getElementById('f-severity'); s.value = 'error';
                  s.dispatchEvent(new Event('change'))""")
    shown = browser.js(VISIBLE_REPORTS)
    assert len(shown) == 1 and "2020" in shown[0]
    assert browser.js("document.getElementById('shown').textContent") == "1"
    browser.js("""var s = document.getElementById('f-severity'); s.value = '';
                  s.dispatchEvent(new Event('change'));
                  var y = document.getElementById('f-year'); y.value = '2021'; y.dispatchEvent(new Event('change'))""")
    shown = browser.js(VISIBLE_REPORTS)
    assert len(shown) == 1 and "2021" in shown[0]
    assert browser.js("location.hash") == "#year=2021"
    # the same filter from the address, as a link a person would share
    browser.open(page_file.as_uri() + "#rule=requests-outcome-sum")
    shown = browser.js(VISIBLE_REPORTS)
    assert len(shown) == 1 and "2020" in shown[0]


def test_page_needs_no_network_and_renders_a_screenshot(page_file, tmp_path):
    html = page_file.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html and "<link" not in html
    shot = tmp_path / "audit.png"
    subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'p'}",
            "--window-size=1200,900",
            "--virtual-time-budget=3000",
            f"--screenshot={shot}",
            page_file.as_uri(),
        ],
        check=True,
        timeout=120,
        capture_output=True,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20000
