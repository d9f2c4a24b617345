"""The audit at scale (issue 16): `xxgk audit` on an ingest of N distinct report pages, measured, and the page opened.

    python benchmarks/make_audit_scale.py /tmp/s2000                         # 2,000 distinct web pages
    xxgk ingest /tmp/s2000 --out /tmp/out2000 --workers 2
    python benchmarks/bench_audit_scale.py /tmp/out2000 [--shots docs/]

Prints the audit's wall time, CPU time and peak RSS (of the `xxgk audit` child process), the size of audit.html
(all it loads: it has nothing beside it), the seconds headless chromium takes to draw it, and the seconds to open the
first failing report on a click. With ``--shots DIR`` it saves two screenshots there: the summary, and a failing
report opened from the listing filtered to errors.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_audit(out: Path) -> dict:
    t = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "pipeline", "audit", str(out)], capture_output=True, text=True, cwd=ROOT)
    wall = time.monotonic() - t
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode not in (0, 1):
        raise SystemExit(r.stderr)
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(use.ru_utime + use.ru_stime, 1),
        "peak_rss_mb": round(use.ru_maxrss / 1024),
        "summary": r.stdout.splitlines()[0],
    }


def shoot(b, path: Path) -> None:
    import base64

    data = b.call("Page.captureScreenshot", format="png")["data"]
    path.write_bytes(base64.b64decode(data))


def open_page(page: Path, shots: Path | None) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_audit_browser import Browser

    with tempfile.TemporaryDirectory() as d:
        b = Browser(Path(d))
        try:
            b.call("Emulation.setDeviceMetricsOverride", width=1400, height=1200, deviceScaleFactor=1, mobile=False)
            drawn = b.open(page.as_uri())
            n_nodes = b.js("document.querySelectorAll('*').length")
            if shots:
                shoot(b, shots / "audit-summary.png")
            # a report that breaks an error rule, among those with the fewest failures on the listing's first page
            b.go("#rule=requests-outcome-sum")
            t = time.monotonic()
            b.click("#report-list tr.report-item:last-child a")
            while not b.js("document.querySelectorAll('#detail td.v').length"):
                time.sleep(0.05)
            opened = time.monotonic() - t
            if shots:
                b.call("Emulation.setDeviceMetricsOverride", width=1400, height=2000, deviceScaleFactor=1, mobile=False)
                b.js("document.getElementById('detail').scrollIntoView()")
                time.sleep(0.3)
                shoot(b, shots / "audit-failing-report.png")
            return {"drawn_s": round(drawn, 2), "report_opened_s": round(opened, 2), "dom_nodes": n_nodes}
        finally:
            b.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="an ingest's output folder")
    ap.add_argument("--shots", type=Path, help="save screenshots of the page here")
    args = ap.parse_args()
    result = run_audit(args.out)
    page = args.out / "audit.html"
    result["page_bytes"] = page.stat().st_size
    result.update(open_page(page, args.shots))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
