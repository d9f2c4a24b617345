"""Input files as the operating system gives them: found, named, checked and hashed without trusting them.

- Names: a path is kept as Python gives it (undecodable bytes as surrogates, so the file can always be opened
  again), and written as ``path_text``: valid UTF-8 with each undecodable byte as ``\\xNN`` (a GBK name from a
  Windows zip, say). Nothing about a name can stop a batch.
- Limits before work: ``unreadable`` says why a path cannot be read from its ``stat`` alone (not a regular file:
  a folder, FIFO or device is never opened; over ``max_file_mb``), and ``file_digest`` opens only regular files,
  without blocking, and reads at most the size limit.
- Discovery: ``find_inputs`` walks the folders named (following linked folders once each), and returns the report
  files in sorted order with the things named that cannot be read (dangling or looping links, FIFOs, folders that
  cannot be listed, paths over the system's length limit), each with its reason, so every one gets a row. The
  output folder, and any other xxgk output folder (it holds ``.xxgk.lock``), is never searched.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .formats import SUFFIXES
from .settings import MB

HASH_CHUNK = 1 << 20  # bytes read at a time while hashing: large files are never held whole
OUTPUT_MARKER = ".xxgk.lock"  # the lock file every xxgk output folder holds
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_of(mode: int) -> str | None:
    """What a file that is not a regular file is ("a FIFO (named pipe)"); None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def unreadable(path: str | os.PathLike, max_mb: float | None = None) -> tuple[str | None, int]:
    """Why ``path`` cannot be read, from its ``stat`` alone (nothing is opened), and its size.

    Returns (None, size) for a regular file of at most ``max_mb`` MB.
    """
    try:
        st = os.stat(path)
    except OSError as e:
        return f"cannot read the file: {os_reason(e)}", 0
    kind = kind_of(st.st_mode)
    if kind is not None:
        return f"not a regular file ({kind}); only files are read", 0
    if max_mb is not None and st.st_size > max_mb * MB:
        return f"file is {st.st_size} bytes, over the limit of {max_mb:g} MB (max_file_mb)", st.st_size
    return None, st.st_size


def os_reason(e: OSError) -> str:
    """An OS error in a few words, without the path (which the row names already)."""
    if e.errno == errno.ENAMETOOLONG:
        return "path longer than the system allows (PATH_MAX)"
    if e.errno == errno.ELOOP:
        return "symbolic link loop"
    return e.strerror or type(e).__name__


class FileLimitError(OSError):
    """A file grew over the size limit while it was read (its ``stat`` said otherwise)."""


def open_regular(path: str | os.PathLike) -> int:
    """A file descriptor of ``path`` opened without blocking, if it is a regular file (a FIFO never hangs here)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        kind = kind_of(os.fstat(fd).st_mode)
        if kind is not None:
            raise OSError(errno.EINVAL, f"not a regular file ({kind})")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def file_digest(path: str | os.PathLike, max_mb: float | None = None) -> str:
    """The SHA-256 (hex) of a regular file's bytes, read a chunk at a time and never past ``max_mb`` MB.

    Raises:
        OSError: the file cannot be opened, is no regular file, or holds more than ``max_mb`` MB.
    """
    h = hashlib.sha256()
    n = 0
    limit = None if max_mb is None else max_mb * MB
    with os.fdopen(open_regular(path), "rb") as f:
        for chunk in iter(lambda: f.read(HASH_CHUNK), b""):
            n += len(chunk)
            if limit is not None and n > limit:
                raise FileLimitError(errno.EFBIG, f"file grew over the limit of {max_mb:g} MB (max_file_mb)")
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------------- discovery


@dataclass
class Found:
    """What the paths named hold: files to read, and things that cannot be read with the reason for each."""

    files: list[Path] = field(default_factory=list)
    problems: list[tuple[Path, str]] = field(default_factory=list)


def is_report_name(name: str) -> bool:
    """A name a folder search picks up: a report suffix, and not hidden, an Office lock file (``~$``) or a folder's
    README (which documents it)."""
    p = Path(name)
    return p.suffix.lower() in SUFFIXES and not name.startswith((".", "~$")) and p.stem.lower() != "readme"


def find_inputs(paths: Iterable[str | os.PathLike], exclude: Iterable[str | os.PathLike] = ()) -> Found:
    """Files named, and report files under folders named (recursively, sorted); ``exclude``: folders never searched
    (the output folder). A path named twice (a folder and a file in it) is listed once."""
    walker = _Walker([Path(x) for x in exclude])
    for p in map(Path, paths):
        walker.top(p)
    return walker.result()


def find_files(paths: Iterable[str | os.PathLike], exclude: Iterable[str | os.PathLike] = ()) -> list[Path]:
    """The readable files of ``find_inputs`` (the things that cannot be read left out)."""
    return find_inputs(paths, exclude).files


class _Walker:
    def __init__(self, exclude: list[Path]):
        self.excluded = {_identity(x) for x in exclude} - {None}
        self.excluded_paths = [os.path.abspath(x) for x in exclude]
        self.seen_dirs: set[tuple[int, int]] = set()
        self.seen_paths: set[str] = set()
        self.out = Found()

    def result(self) -> Found:
        return self.out

    def _add(self, p: Path, problem: str | None = None) -> None:
        key = os.path.abspath(p)
        if key in self.seen_paths:
            return
        self.seen_paths.add(key)
        if problem is None:
            self.out.files.append(p)
        else:
            self.out.problems.append((p, problem))

    def top(self, p: Path) -> None:
        try:
            st = os.stat(p)
        except OSError as e:
            self._add(p, f"cannot read the file: {os_reason(e)}")
            return
        if not stat.S_ISDIR(st.st_mode):
            inside = self._inside_excluded(p)
            self._add(p, f"inside the output folder {inside} (xxgk's own files are never read)" if inside else None)
            return
        found: list[Path] = []
        problems: list[tuple[Path, str]] = []
        self._walk(p, (st.st_dev, st.st_ino), found, problems)
        for f in sorted(found):
            self._add(f)
        for f, why in sorted(problems):
            self._add(f, why)

    def _inside_excluded(self, p: Path) -> str | None:
        """The excluded folder ``p`` lies in, at its top (where xxgk writes its own files: audit.html)."""
        parent = _identity(Path(os.path.abspath(p)).parent)
        return next((x for x in self.excluded_paths if parent is not None and _identity(Path(x)) == parent), None)

    def _walk(self, top: Path, ident: tuple[int, int], found: list[Path], problems: list[tuple[Path, str]]) -> None:
        """Depth first with an explicit stack (no recursion limit); each folder once, however it is linked."""
        stack = [(top, ident)]
        while stack:
            d, ident = stack.pop()
            if ident in self.seen_dirs or ident in self.excluded:
                continue
            self.seen_dirs.add(ident)
            try:
                with os.scandir(d) as it:
                    entries = list(it)
            except OSError as e:
                problems.append((d, f"cannot list the folder: {os_reason(e)}"))
                continue
            if any(x.name == OUTPUT_MARKER for x in entries) and d != top:
                continue  # another xxgk output folder: its files are xxgk's, not reports
            for x in entries:
                self._entry(Path(d) / x.name, x, stack, found, problems)

    def _entry(self, p: Path, e: os.DirEntry, stack: list, found: list[Path], problems: list) -> None:
        report = is_report_name(e.name)
        try:
            st = e.stat()
        except OSError as err:
            if report or _is_dir_entry(e):  # a folder that cannot be looked into (a path over PATH_MAX) says so
                dangling = err.errno == errno.ENOENT and e.is_symlink()
                problems.append((p, "dangling symbolic link" if dangling else f"cannot read: {os_reason(err)}"))
            return
        if stat.S_ISDIR(st.st_mode):
            stack.append((p, (st.st_dev, st.st_ino)))
        elif report:
            kind = kind_of(st.st_mode)
            if kind is None:
                found.append(p)
            else:
                problems.append((p, f"not a regular file ({kind}); only files are read"))


def _is_dir_entry(e: os.DirEntry) -> bool:
    try:
        return e.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _identity(p: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(p)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)
