"""Word 97 .doc and WPS .wps: converted to .docx by LibreOffice (headless), then read as .docx.

Each conversion gets its own throw-away LibreOffice profile: soffice instances that share a
profile lock each other out and exit without converting and without an error. A timeout ends
a conversion that hangs (a password prompt, a damaged file), killing soffice's whole process
group, since soffice forks helper processes that would outlive a plain kill.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import tempfile
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
    timeout = settings.convert_timeout
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
    """Run soffice in its own process group; returns its exit code and what it said (stderr, else stdout)."""
    env = dict(os.environ, HOME=str(workdir))  # keep soffice's own files out of the user's home
    try:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=workdir,
            start_new_session=True,
        )
    except OSError as e:
        raise DependencyMissing(f"{MISSING} (cannot start {soffice}: {e})") from e
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise ConversionTimeout(
            f"LibreOffice did not convert the .{kind} file within {timeout} s (setting convert_timeout)"
        ) from None
    finally:
        if proc.poll() is None:
            _kill_group(proc)
    return proc.returncode, (err or out or b"")


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.communicate()
