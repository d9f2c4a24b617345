"""What `xxgk ingest` was given, sorted out: report files and folders, download folders, web addresses and lists.

- a web address (``http://`` or ``https://``) or a list of them (``.csv``, or a ``.txt`` holding only addresses) is
  downloaded first, into a download folder (``crawl.fetch_all``), and read from there;
- a download folder (one holding ``downloads.csv``) gives the files it stored, each with where it came from and
  the group of candidates it belongs to;
- any other existing file or folder is read as before (``run.find_files``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .downloads import Address, AddressError, Sources, is_download_folder, is_url, list_kind, read_list, read_sources
from .run import find_files
from .settings import Settings

if TYPE_CHECKING:
    from .crawl import FetchRun


@dataclass
class Given:
    """The arguments sorted: addresses (from the command line and lists), download folders, and other paths."""

    addresses: list[Address] = field(default_factory=list)
    download_folders: list[Path] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)


def sort_arguments(args: Iterable[str | Path]) -> Given:
    """Tell addresses, address lists, download folders and report paths apart.

    Raises:
        AddressError: an argument that is neither an address nor an existing path, or a list that cannot be read.
    """
    out = Given()
    n_direct = 0
    for arg in map(str, args):
        if is_url(arg):
            n_direct += 1
            out.addresses.append(Address(arg.strip(), n_direct))
            continue
        p = Path(arg)
        if not p.exists():
            raise AddressError(f"{arg}: no such file or folder, and not a web address (http:// or https://)")
        if is_download_folder(p):
            out.download_folders.append(p)
        elif list_kind(p):
            out.addresses += read_list(p)
        else:
            out.paths.append(p)
    return out


@dataclass
class Inputs:
    """Everything to read, with the provenance and candidate groups of downloaded files."""

    files: list[Path]
    sources: Sources
    fetched: FetchRun | None = None  # when addresses were downloaded


def gather(
    args: Iterable[str | Path],
    downloads: Path,
    settings: Settings,
    on_address: Callable | None = None,
) -> Inputs:
    """The files to read for ``args``: addresses downloaded into ``downloads`` first (resuming it)."""
    given = sort_arguments(args)
    folders = list(given.download_folders)
    fetched: FetchRun | None = None
    if given.addresses:
        from .crawl import fetch_all

        fetched = fetch_all(given.addresses, downloads, settings, on_address=on_address)
        folders.append(downloads)
    sources = read_sources(folders)
    files = list(dict.fromkeys([*sources.files, *find_files(given.paths)]))
    return Inputs(files, sources, fetched)
