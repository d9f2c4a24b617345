"""How a batch shows that it is alive: a progress bar on a terminal (rich), a plain line now and then elsewhere.

The time left is estimated per format: each format's seconds per file are smoothed (an exponential moving
average) as its files finish, and the files still to read are counted by their suffix, so a batch whose slow
files (.doc through LibreOffice, scans through OCR) come last does not promise to end early. ``Progress`` itself
shows nothing (the library's default); ``progress_for`` picks what the command line shows. rich is imported only
when a bar is drawn.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from .formats import SUFFIXES

SMOOTHING = 0.2  # weight of the newest file in a format's moving average of seconds per file
BAR_REFRESH_PER_SECOND = 4
NAME_WIDTH = 28  # characters of the file name shown (its end: the name tells the file)
BAR_WIDTH = 20


def _kind(path: str | Path) -> str:
    fmt = SUFFIXES.get(Path(path).suffix.lower())
    return fmt.value if fmt is not None else "other"


class Estimate:
    """Files done, and the time left from each format's smoothed seconds per file and the files left of it."""

    def __init__(self, total: int, files: Sequence[str | Path] = (), workers: int = 1) -> None:
        self.total, self.workers = total, max(workers, 1)
        self.planned = Counter(_kind(f) for f in files)
        self.seen: Counter[str] = Counter()
        self.per_file: dict[str, float] = {}
        self.overall: float | None = None
        self.done = 0
        self.t0 = time.monotonic()

    def note(self, n: int = 1, path: str | None = None, seconds: float | None = None) -> None:
        self.done += n
        if path is None:
            return
        kind = _kind(path)
        self.seen[kind] += 1
        if seconds is not None:
            prev = self.per_file.get(kind)
            self.per_file[kind] = seconds if prev is None else prev + SMOOTHING * (seconds - prev)
            self.overall = seconds if self.overall is None else self.overall + SMOOTHING * (seconds - self.overall)

    @property
    def files_per_second(self) -> float:
        return self.done / max(time.monotonic() - self.t0, 1e-9)

    def seconds_left(self) -> float | None:
        """None until a file has been timed."""
        if self.overall is None:
            return None
        left = {k: max(n - self.seen[k], 0) for k, n in self.planned.items()}
        # files counted without their path (done in an earlier run, copies) leave the counts by kind too high
        scale = max(self.total - self.done, 0) / max(sum(left.values()), 1)
        work = sum(n * self.per_file.get(k, self.overall) for k, n in left.items())
        return scale * work / self.workers


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class Progress:
    """What a batch reports as it goes; this one shows nothing."""

    def __init__(self, total: int, files: Sequence[str | Path] = (), workers: int = 1) -> None:
        self.estimate = Estimate(total, files, workers)
        self.total = total
        self.status: Counter[str] = Counter()
        self.current: str | None = None

    @property
    def done(self) -> int:
        return self.estimate.done

    def reading(self, path: str) -> None:
        """A file was handed to a worker."""
        self.current = path

    def advance(
        self, n: int = 1, status: str | None = None, path: str | None = None, seconds: float | None = None
    ) -> None:
        """``n`` files are done (with their status, path and the worker's seconds when known)."""
        self.estimate.note(n, path, seconds)
        if status:
            self.status[status] += n
        self.show()

    def counts(self) -> str:
        return f"failed {self.status['failed']}, partial {self.status['partial']}"

    def line(self) -> str:
        e = self.estimate
        reading = f"; reading {self.current}" if self.current and self.done < self.total else ""
        return (
            f"{self.done}/{self.total} files, {e.files_per_second:.1f} files/s, "
            f"{_clock(e.seconds_left())} left, {self.counts()}{reading}"
        )

    def show(self) -> None:
        """Draw the progress (this one draws nothing)."""

    def close(self) -> None:
        """The batch is over."""


class PlainProgress(Progress):
    """A plain line every ``every`` seconds, for logs, CI and notebooks (no terminal to redraw)."""

    def __init__(
        self,
        total: int,
        files: Sequence[str | Path] = (),
        workers: int = 1,
        *,
        every: float = 30.0,
        stream: IO[str] | None = None,
    ) -> None:
        super().__init__(total, files, workers)
        self.every, self.stream = every, stream or sys.stderr
        self.last = time.monotonic()

    def show(self) -> None:
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.stream.write(time.strftime("%H:%M:%S ") + self.line() + "\n")
            self.stream.flush()


class BarProgress(Progress):
    """A rich progress bar: files done of all, time left, failures and partial reads, the file being read."""

    def __init__(
        self, total: int, files: Sequence[str | Path] = (), workers: int = 1, *, stream: IO[str] | None = None
    ) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
        from rich.progress import Progress as RichProgress

        super().__init__(total, files, workers)
        self.console = Console(file=stream or sys.stderr)
        self.bar = RichProgress(
            BarColumn(bar_width=BAR_WIDTH),
            MofNCompleteColumn(),
            TextColumn("{task.fields[left]} left"),
            TextColumn("{task.fields[counts]}"),
            TextColumn("{task.fields[current]}", style="dim"),
            console=self.console,
            refresh_per_second=BAR_REFRESH_PER_SECOND,
        )
        self.task = self.bar.add_task("ingest", total=total, **self._fields())
        self.bar.start()

    def _fields(self) -> dict[str, Any]:
        name = Path(self.current).name if self.current and self.done < self.total else ""
        short = name if len(name) <= NAME_WIDTH else "…" + name[-NAME_WIDTH + 1 :]
        return {"left": _clock(self.estimate.seconds_left()), "counts": self.counts(), "current": short}

    def reading(self, path: str) -> None:
        super().reading(path)
        self.show()

    def show(self) -> None:
        self.bar.update(self.task, completed=self.done, **self._fields())

    def close(self) -> None:
        self.show()
        self.bar.stop()


def progress_for(
    total: int,
    files: Sequence[str | Path] = (),
    workers: int = 1,
    *,
    quiet: bool = False,
    every: float = 30.0,
    stream: IO[str] | None = None,
) -> Progress:
    """A bar on a terminal, a plain line now and then elsewhere, nothing when quiet."""
    stream = stream or sys.stderr
    if quiet:
        return Progress(total, files, workers)
    if stream.isatty():
        return BarProgress(total, files, workers, stream=stream)
    return PlainProgress(total, files, workers, every=every, stream=stream)
