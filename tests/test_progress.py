"""What a batch shows while it runs: a time left that knows the slow formats still to come, a bar on a terminal, a
plain line now and then elsewhere, nothing when quiet."""

from __future__ import annotations

import io

from pipeline.progress import BarProgress, Estimate, PlainProgress, Progress, progress_for


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_time_left_counts_the_slow_formats_still_to_read():
    files = [f"r{i}.docx" for i in range(10)] + [f"s{i}.doc" for i in range(5)]
    e = Estimate(len(files), files, workers=1)
    for f in files[:10]:
        e.note(path=f, seconds=0.1)
    assert e.seconds_left() == 5 * 0.1  # no .doc timed yet: the average so far
    e.note(path="s0.doc", seconds=5.0)  # LibreOffice: slow
    assert e.seconds_left() == 4 * 5.0  # the cumulative rate (11 files in ~6 s) would say about 2 s
    e.note(path="s1.doc", seconds=3.0)
    assert 3 * 3.0 < e.seconds_left() < 3 * 5.0  # smoothed, not the last file alone
    assert Estimate(3, ["a.pdf"] * 3, workers=2).seconds_left() is None  # nothing timed: unknown, not 0


def test_files_counted_without_their_path_do_not_inflate_the_time_left():
    files = [f"r{i}.pdf" for i in range(10)]
    e = Estimate(10, files, workers=2)
    e.note(n=6)  # done in an earlier run
    e.note(path="r6.pdf", seconds=1.0)
    assert e.seconds_left() == 3 * 1.0 / 2


def test_plain_lines_every_so_often_off_a_terminal():
    buf = io.StringIO()
    p = progress_for(3, ["a.docx", "b.pdf", "c.html"], stream=buf, every=1e-9)
    assert isinstance(p, PlainProgress)
    p.reading("b.pdf")
    p.advance(status="failed", path="a.docx", seconds=1.0)
    p.advance(status="partial", path="b.pdf", seconds=1.0)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 2 and "1/3 files" in lines[0] and "failed 1, partial 1" in lines[1]
    assert "reading b.pdf" in lines[1] and "left" in lines[1]
    quiet = io.StringIO()
    q = progress_for(3, stream=quiet, every=30)  # a short run says nothing until the summary
    q.advance(status="ok")
    assert quiet.getvalue() == ""
    assert type(progress_for(3, stream=io.StringIO(), quiet=True)) is Progress


def test_a_bar_on_a_terminal():
    tty = _Tty()
    p = progress_for(2, ["a.docx", "b.docx"], stream=tty)
    assert isinstance(p, BarProgress)
    p.reading("a-very-long-file-name-of-a-report-2019.docx")
    p.advance(status="ok", path="a.docx", seconds=0.5)
    p.advance(status="failed", path="b.docx", seconds=0.5)
    p.close()
    out = tty.getvalue()
    assert "2/2" in out and "failed 1" in out
