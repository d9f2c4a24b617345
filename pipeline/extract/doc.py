"""Word 97 .doc and WPS .wps: converted to .docx by LibreOffice (headless), then read as .docx.

Each conversion gets its own throw-away LibreOffice profile: soffice instances that share a
profile lock each other out and exit without converting and without an error. The profile lives
in the temporary folder, which a batch worker points at its own scratch folder (removed when the
worker ends, however it ends).

LibreOffice must never outlive the reader: ``soffice.bin`` is started directly (not through the
``soffice`` script and ``oosplash``, whose child would be left behind), in the caller's process
group (a batch worker's: killing the worker's group kills it), and on Linux with the parent-death
signal set, so it dies with the process that started it even after ``kill -9``. A timeout
(``Settings.convert_seconds``: ``convert_timeout``, within the file's own time limit) ends a
conversion that hangs (a password prompt, a damaged file).
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..errors import DependencyMissing, DocumentLoadError
from ..model import Document, Format, Origin
from ..settings import Settings
from . import docx

SOFFICE_NAMES = ("soffice", "libreoffice")
SOFFICE_PATHS = (
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)
# Import filters tried in turn. Naming them keeps LibreOffice from reading a damaged file as plain
# text; Kingsoft WPS files are Word 97 inside, and only .wps (which may be Microsoft Works) falls
# back to LibreOffice's own type detection.
IMPORT_FILTERS = ("MS Word 97", "MS WinWord 6.0")
MISSING = "LibreOffice is needed to read .doc/.wps files: apt-get install libreoffice-writer"
RESTART = 81  # soffice.bin's exit code asking to be started again (after it set up a new profile)


class ConversionTimeout(DocumentLoadError):
    """LibreOffice did not finish within the timeout (setting ``convert_timeout``)."""


def find_soffice() -> str | None:
    """Path of the soffice program, or None where LibreOffice is not installed."""
    for name in SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return next((p for p in SOFFICE_PATHS if os.access(p, os.X_OK)), None)


def extract(path: Path, origin: Origin, settings: Settings) -> Document:
    """Convert ``path`` to .docx with LibreOffice and read that; the Document keeps the original origin."""
    soffice = find_soffice()
    if soffice is None:
        raise DependencyMissing(MISSING)
    timeout = settings.convert_seconds
    kind = "wps" if origin.format is Format.WPS else "doc"
    filters = IMPORT_FILTERS + ((None,) if kind == "wps" else ())
    with tempfile.TemporaryDirectory(prefix="xxgk-soffice-") as tmp:
        for i, infilter in enumerate(filters):
            try:
                converted = convert_to_docx(soffice, path, Path(tmp) / str(i), timeout, kind, infilter)
                break
            except ConversionTimeout:
                raise  # a hung conversion is not retried: each try would cost the whole timeout
            except DocumentLoadError:
                if i == len(filters) - 1:
                    raise
        doc = docx.extract(converted, origin, settings)
    note = f"converted from .{kind} to .docx with LibreOffice"
    return dataclasses.replace(doc, notes=(*doc.notes, note))


def convert_to_docx(
    soffice: str, path: Path, workdir: Path, timeout: float, kind: str = "doc", infilter: str | None = None
) -> Path:
    """Run one headless soffice conversion in ``workdir``; returns the .docx path.

    The input is copied under a plain ASCII name first, so odd characters in the real file
    name can't trip soffice's command line; the suffix tells soffice which import filter to try.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    src = workdir / f"input.{kind}"
    outdir = workdir / "out"
    try:
        shutil.copyfile(path, src)
    except OSError as e:
        raise DocumentLoadError(f"cannot read .{kind} file: {e}") from e
    outdir.mkdir(parents=True)
    cmd = _soffice_command(soffice, workdir / "profile", infilter, outdir, src)
    returncode, said = _run_soffice(cmd, workdir, timeout, kind, soffice)
    result = outdir / "input.docx"
    if not result.is_file() or result.stat().st_size == 0:
        lines = said.decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1] if lines else f"exit code {returncode}, no output"
        raise DocumentLoadError(f"LibreOffice could not convert the .{kind} file: {detail}")
    return result


def _soffice_command(soffice: str, profile: Path, infilter: str | None, outdir: Path, src: Path) -> list[str]:
    cmd = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--invisible",
        "--norestore",
        "--nologo",
        "--nolockcheck",
    ]
    if infilter:
        cmd.append(f"--infilter={infilter}")
    return [*cmd, "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(outdir), str(src)]


def _run_soffice(cmd: list[str], workdir: Path, timeout: float, kind: str, soffice: str) -> tuple[int | None, bytes]:
    """Run soffice (restarted while it asks to be, as it does once on a new profile); returns its exit code and what
    it said (stderr, else stdout)."""
    deadline = time.monotonic() + timeout
    program = _soffice_bin(soffice)
    while True:
        code, said = _run_once([program or soffice, *cmd[1:]], workdir, deadline, timeout, kind, direct=bool(program))
        if code != RESTART or time.monotonic() >= deadline:
            return code, said


def _run_once(
    cmd: list[str], workdir: Path, deadline: float, timeout: float, kind: str, direct: bool
) -> tuple[int | None, bytes]:
    env = dict(os.environ, HOME=str(workdir))  # keep soffice's own files out of the user's home
    if direct:  # what the soffice script sets before it starts oosplash
        env.update(LO_SAVE_LC_ALL=os.environ.get("LC_ALL", ""), LC_ALL="C", SAL_ENABLE_FILE_LOCKING="1")
    try:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=workdir,
            preexec_fn=_die_with_parent if direct else None,
            start_new_session=not direct,  # a launcher that forks: its whole session is killed on a timeout
        )
    except OSError as e:
        raise DependencyMissing(f"{MISSING} (cannot start {cmd[0]}: {e})") from e
    try:
        out, err = proc.communicate(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        _kill(proc, direct)
        raise ConversionTimeout(
            f"LibreOffice did not convert the .{kind} file within {timeout:g} s (setting convert_timeout)"
        ) from None
    finally:
        if proc.poll() is None:
            _kill(proc, direct)
    return proc.returncode, (err or out or b"")


def _soffice_bin(soffice: str) -> str | None:
    """The program the ``soffice`` script ends up running (``soffice.bin`` beside it), where there is one."""
    real = Path(os.path.realpath(soffice))
    binary = real.with_name("soffice.bin")
    return str(binary) if binary != real and os.access(binary, os.X_OK) else None


def _die_with_parent() -> None:
    """In the child before exec (Linux): the kernel kills it when the process that started it dies."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _kill(proc: subprocess.Popen, direct: bool) -> None:
    try:
        proc.kill() if direct else os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.communicate()
