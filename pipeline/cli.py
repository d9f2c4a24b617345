"""The ``xxgk`` command line: parse options, call the library, render, exit.

Exit codes: 0 all files ok (or partial), 1 some file failed, 2 bad usage, bad options or a broken schema, 3 the
output folder could not be written or read (read-only, disk full, damaged, cut short): one line says what, nothing
is lost, and running the command again once it is fixed goes on. A name is printed with control characters
escaped, so a file name cannot drive the terminal.
Options come from the command line, then a config file (``pipeline.config``: ``xxgk.toml`` or ``[tool.xxgk]`` in
``pyproject.toml``), then the defaults of ``pipeline.settings``. ``-v``/``-q`` set how much is said (the package's
logger ``pipeline``); ``--log-file`` keeps a record of a run, file by file.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .dataset import DatasetError
from .errors import MetaFileError, SchemaFileError, SettingsError
from .parts import OutputDirError
from .settings import Settings, default_of, help_of, option_type
from .textcodec import printable

EXIT_OUTPUT = 3  # the output folder could not be written or read
shown = printable  # every name and message printed goes through it


def _output_error(e: BaseException, what: str = "the output folder", out_dir: Path | None = None) -> None:
    """One line for an OS or dataset error about the output, then exit ``EXIT_OUTPUT``; an OS error about a file
    outside ``out_dir`` (one xxgk reads to run) is said as that, with exit 1."""
    if isinstance(e, OSError):
        where = f"{shown(e.filename)}: " if e.filename else ""
        why = f"{where}{e.strerror or type(e).__name__}"
        if out_dir is not None and e.filename and not _within(Path(os.fsdecode(e.filename)), out_dir):
            click.echo(f"xxgk: cannot read a file it needs: {shown(why)}", err=True)
            sys.exit(1)
    else:
        why = str(e)
    click.echo(f"xxgk: cannot use {what}: {shown(why)}", err=True)
    sys.exit(EXIT_OUTPUT)


def _within(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder``, in it, or one of the folders it is made in."""
    path, folder = path.resolve(), folder.resolve()
    return path.is_relative_to(folder) or folder.is_relative_to(path)


if TYPE_CHECKING:  # each command imports what it runs: `xxgk --help` and `xxgk show` never load pandas
    from .batch import BatchStats


def setting(name: str, *decls: str, **kw):
    """A command-line option for the setting ``name``: its default, help and allowed values come from ``Settings``."""
    flag = f"--{name.replace('_', '-')}"
    return click.option(
        *(decls or (flag,)),
        name,
        type=option_type(name),
        default=default_of(name),
        show_default=default_of(name) is not None,
        help=help_of(name),
        **kw,
    )


def _schema_or_exit():
    from .schema import load_schema

    try:
        return load_schema()
    except SchemaFileError as e:
        click.echo(f"xxgk: {e}", err=True)
        sys.exit(2)


@dataclass
class _Run:
    """What the group's options say to every command."""

    verbose: int = 0
    quiet: bool = False
    config: Path | None = None  # the config file given with --config

    def options(self) -> dict[str, Any]:
        """The options of the config file that applies (given, or found here or above), checked."""
        from .config import find_config, load_config

        path = self.config or find_config()
        if path is None:
            return {}
        try:
            return load_config(path)
        except SettingsError as e:
            raise click.UsageError(str(e)) from None


class _Echo(logging.Handler):
    """Log records on stderr as the terminal has it at the time (a progress bar may be drawing there)."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo("\n".join(printable(line) for line in self.format(record).split("\n")), err=True)


def _logging(verbose: int, quiet: bool, log_file: Path | None) -> None:
    """The package logger: warnings by default, each file's outcome with -v, debugging with -vv, errors with -q;
    with --log-file, each file's outcome (or more with -vv) in that file too."""
    logger = logging.getLogger("pipeline")
    for h in [h for h in logger.handlers if getattr(h, "_xxgk", False)]:
        logger.removeHandler(h)
        h.close()
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    handlers: list[logging.Handler] = [_Echo(level)]
    handlers[0].setFormatter(logging.Formatter("%(message)s"))
    if log_file is not None:
        f = logging.FileHandler(log_file, encoding="utf-8")
        f.setLevel(min(level, logging.INFO))
        f.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(f)
    for h in handlers:
        h._xxgk = True  # type: ignore[attr-defined]
        logger.addHandler(h)
    logger.setLevel(min(h.level for h in handlers))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="xxgk")
@click.option("-v", "--verbose", count=True, help="Say more: -v each file's outcome, -vv debugging.")
@click.option("-q", "--quiet", is_flag=True, help="Say only what failed: no progress, no summary.")
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also keep a record of the run in this file, file by file.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Options file (xxgk.toml, or a pyproject.toml with [tool.xxgk]); by default the one here or above.",
)
@click.pass_context
def main(ctx, verbose, quiet, log_file, config_file):
    """xxgk: government information-disclosure annual reports to clean, checked datasets.

    \b
    Examples:
      xxgk ingest reports/ --out out          # read every report under reports/
      xxgk show reports/2021-x.docx --json    # one report's tables as matched
      xxgk audit out                          # every rule, across years too; out/audit.html
      xxgk export out --panel                 # one row per agency and year, with rates
    """
    if quiet and verbose:
        raise click.UsageError("-q and -v say opposite things: give one")
    ctx.obj = _Run(verbose, quiet, config_file)
    _logging(verbose, quiet, log_file)


def _settings(ctx: click.Context, options: dict[str, Any]) -> Settings:
    """The command line's options over the config file's over the defaults, checked."""
    given = {k: v for k, v in options.items() if ctx.get_parameter_source(k) is not click.core.ParameterSource.DEFAULT}
    try:
        return Settings.resolve({**ctx.obj.options(), **given})
    except SettingsError as e:
        raise click.UsageError(str(e)) from None


FETCH_OPTIONS = (
    "fetch_rate",
    "fetch_connections",
    "fetch_threads",
    "fetch_timeout",
    "fetch_retries",
    "fetch_backoff",
    "max_redirects",
    "crawl_depth",
    "crawl_max_pages",
    "user_agent",
)


def fetch_options(f):
    """The options of downloading, for the commands that download (fetch, and ingest given addresses)."""
    for name in reversed(FETCH_OPTIONS):
        f = setting(name)(f)
    return f


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for cells, reports and issues (re-running into it resumes: files done are skipped).",
)
@click.option(
    "--downloads",
    type=click.Path(file_okay=False, path_type=Path),
    help="Download folder for the web addresses given (default: OUT/downloads; re-running resumes it).",
)
@setting("format")
@setting("meta", metavar="FILE.csv")
@setting("pdf_engine")
@setting("ocr", "--ocr/--no-ocr")
@setting("ocr_engine")
@setting("workers")
@setting("timeout")
@setting("engine")
@setting("scheduler", metavar="ADDRESS")
@setting("part_files")
@setting("max_file_mb")
@setting("max_uncompressed_mb")
@setting("max_text_mb")
@setting("max_pages")
@setting("convert_timeout")
@setting("max_memory_mb")
@setting("retry_failed", "--retry-failed", is_flag=True)
@fetch_options
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.pass_context
def ingest(ctx, paths, out_dir, downloads, debug, **options):
    """Read every report under PATHS into tidy cells, reports and issues.

    PATHS are files or folders (searched recursively), download folders of `xxgk fetch`, web addresses, or lists
    of them (.txt, .csv): addresses are downloaded first (as `xxgk fetch` does) and their reports read with where
    each came from.

    \b
    Examples:
      xxgk ingest reports/ --out out
      xxgk ingest reports/ --out out --format csv --meta manifest.csv
      xxgk -v --log-file run.log ingest reports/ --out out --workers 4
    """
    from .batch import run_batch
    from .files import Found
    from .progress import progress_for

    settings = _settings(ctx, options)
    schema = _schema_or_exit()
    inputs = _ingest_inputs(paths, downloads or out_dir / "downloads", settings, out_dir)
    sources = inputs.sources
    found = Found(inputs.files, inputs.problems)
    n_files = len(found.files) + len(found.problems)
    if not n_files:
        _no_reports(sources.missing)
    quiet = ctx.obj.quiet
    progress = progress_for(n_files, found.files, settings.n_workers, quiet=quiet, every=settings.progress_every)
    try:
        stats = run_batch(
            paths,
            out_dir,
            settings,
            progress=progress,
            files=found,
            schema=schema,
            provenance=sources.provenance,
            candidates=sources.candidates,
            listed=sources.listed,
        )
        failed = _any_failed(stats)
    except (OutputDirError, MetaFileError) as e:
        raise click.UsageError(str(e)) from None
    except KeyboardInterrupt:
        click.echo(
            f"\ninterrupted: what was read is kept in {shown(out_dir)}; run the same command again to go on", err=True
        )
        sys.exit(130)
    except (OSError, DatasetError) as e:  # read-only, disk full, a damaged file of the folder
        _output_error(e, f"the output folder {shown(out_dir)}", out_dir)
    except Exception:  # process_file records bad files itself; this is a defect in xxgk
        if debug:
            traceback.print_exc()
        raise
    if not quiet:
        click.echo(_ingest_summary(stats, n_files, out_dir))
    for note in stats.notes:
        click.echo(f"  note: {shown(note)}", err=True)
    for path, error in stats.failed:
        click.echo(f"  failed: {shown(path)}: {shown(error)}", err=True)
    _say_missing(sources.missing)
    _meta_summary(settings.meta)
    sys.exit(1 if failed or sources.missing else 0)


def _ingest_inputs(paths, downloads: Path, settings: Settings, out_dir: Path):
    """The files to read: addresses downloaded first (into ``downloads``), download folders opened; the output
    folder is never searched."""
    from .downloads import AddressError
    from .sources import gather

    try:
        return gather(paths, downloads, settings, exclude=[out_dir])
    except (AddressError, OutputDirError, MetaFileError) as e:
        raise click.UsageError(str(e)) from None
    except KeyboardInterrupt:
        _interrupted(downloads)


def _interrupted(downloads: Path):
    click.echo(
        f"\ninterrupted: what was downloaded is kept in {downloads}; run the same command again to go on", err=True
    )
    sys.exit(130)


def _no_reports(missing: list[tuple[str, str]]):
    """Nothing to read: the addresses' reasons (exit 1), or a usage error when no address was given."""
    if not missing:
        raise click.UsageError("no report files (.docx .doc .wps .pdf .html .htm .txt .md) under the paths given")
    _say_missing(missing)
    click.echo("no report downloaded from the addresses given", err=True)
    sys.exit(1)


def _say_missing(missing: list[tuple[str, str]]) -> None:
    for address, why in missing:
        click.echo(f"  not downloaded: {shown(address)}: {shown(why)}", err=True)


@main.command()
@click.argument("addresses", nargs=-1, required=True)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Download folder: files by content hash, fetches.csv, downloads.csv (re-running resumes: what is stored "
    "or refused for good is not fetched again).",
)
@fetch_options
@setting("max_file_mb")
@click.pass_context
def fetch(ctx, addresses, out_dir, **options):
    """Download the reports ADDRESSES lead to, for `xxgk ingest OUT_DIR`.

    ADDRESSES are web addresses or lists of them (.txt: one a line; .csv: a url column, the other columns kept).
    An address may be a report's page (its tables, or its attachments that look like the report), the report file
    itself, or a channel of reports (its report links and pagination are followed within the site, to
    --crawl-depth and --crawl-max-pages). robots.txt is obeyed; each host gets --fetch-rate requests a second.
    """
    from .crawl import fetch_all
    from .downloads import AddressError
    from .sources import sort_arguments

    settings = _settings(ctx, options)
    try:
        given = sort_arguments(addresses)
    except AddressError as e:
        raise click.UsageError(str(e)) from None
    for p in [*given.paths, *given.download_folders]:
        raise click.UsageError(f"{p}: not a web address, nor a .txt or .csv list of them")
    try:
        run = fetch_all(given.addresses, out_dir, settings)
    except OutputDirError as e:
        raise click.UsageError(str(e)) from None
    except KeyboardInterrupt:
        _interrupted(out_dir)
    click.echo(
        f"{run.addresses} addresses: {len(run.reports)} report files found, {len(run.missing)} reports not "
        f"downloaded; {run.requested} addresses requested, {run.reused} answered by earlier runs → "
        f"{out_dir / 'downloads.csv'}"
    )
    _say_missing(run.missing)
    sys.exit(1 if run.missing else 0)


def _any_failed(stats: BatchStats) -> bool:
    """Whether the dataset (this run's rows and earlier ones) holds a failed file."""
    from .dataset import read_frame
    from .tables import REPORTS

    return bool((read_frame(stats.written["reports"], REPORTS)["status"] == "failed").any())


def _meta_summary(path: str | None) -> None:
    """Say which rows of the side file fitted no file read in this run, and which columns were ignored."""
    from .sidecar import side_file

    side = side_file(path)
    if side is None:
        return
    unused = side.unused()
    if side.ignored_columns:
        click.echo(f"  --meta {path}: columns ignored: {', '.join(side.ignored_columns)}", err=True)
    if unused:
        lines = ", ".join(str(m.line) for m in unused[:10]) + (" …" if len(unused) > 10 else "")
        click.echo(f"  --meta {path}: {len(unused)} rows fit no file read in this run (lines {lines})", err=True)


def _ingest_summary(stats: BatchStats, n_files: int, out_dir: Path) -> str:
    st = stats.status
    by_status = " (" + ", ".join(f"{n} {s}" for s, n in sorted(st.items())) + ")" if st else ""
    return (
        f"{n_files} files: {stats.processed} read{by_status}, {stats.duplicates} duplicates, "
        f"{stats.skipped_done} done earlier; {stats.files_per_second:.1f} files/s. "
        f"Output: {stats.rows.get('reports', 0)} reports, {stats.rows.get('cells', 0)} cells → {shown(out_dir)}"
        + _per_format(stats)
    )


def _per_format(stats: BatchStats) -> str:
    """Seconds per file by format, when the batch mixed formats (where the time went)."""
    per = {f: s for f, s in sorted(stats.per_format.items()) if s}
    if len(per) < 2:
        return ""
    return "\n  seconds per file: " + ", ".join(f"{f} {sum(s) / len(s):.2f} ({len(s)} files)" for f, s in per.items())


@main.command()
@click.argument("out_dir", metavar="DIR", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--wide", is_flag=True, help="One row per file read, one column per (table, row, col) key.")
@click.option(
    "--panel",
    is_flag=True,
    help="One row per (agency, year): one file chosen among a report's copies, keys harmonised across the "
    "templates, blank totals derived from printed parts, and rates (schemas/crosswalk.yaml, rates.yaml).",
)
@click.option(
    "--labels",
    type=click.Choice(["zh", "en"]),
    default="en",
    show_default=True,
    help="Column headers of the wide table: the printed Chinese labels or the canonical keys.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write: .csv (UTF-8 with BOM, Excel-ready) or .parquet. The panel's default is DIR/panel.<format>, "
    "described in DIR/datapackage.json; elsewhere <name>.datapackage.json beside it describes it.",
)
def export(out_dir, wide, panel, labels, out_file):
    """Reshape the output of `xxgk ingest` in DIR for spreadsheets and research.

    \b
    Examples:
      xxgk export out --panel                      # out/panel.parquet, one row per agency and year
      xxgk export out --panel --out panel.csv
      xxgk export out --wide --labels zh --out wide.csv
    """
    from .dataset import dataset_format

    if wide == panel:
        raise click.UsageError("give one of --wide or --panel")
    if out_file is None and wide:
        raise click.UsageError("--wide needs --out FILE")
    if out_file is not None and out_file.suffix.lower() not in (".csv", ".parquet"):
        raise click.UsageError(f"--out {shown(out_file)}: the file name must end in .csv or .parquet")
    if out_file is not None and not out_file.absolute().parent.is_dir():
        folder = shown(out_file.absolute().parent)
        raise click.UsageError(f"--out {shown(out_file)}: the folder {folder} does not exist")
    try:
        dataset_format(out_dir)
        _export(out_dir, wide, labels, out_file)
    except FileNotFoundError as e:
        raise click.UsageError(str(e)) from None
    except (OSError, DatasetError) as e:
        _output_error(e, "the folder or the export file")


def _export(out_dir: Path, wide: bool, labels: str, out_file: Path | None) -> None:
    if wide:
        from .export import export_wide

        assert out_file is not None
        click.echo(f"wide table ({labels} headers) → {shown(export_wide(out_dir, out_file, labels))}")
        return
    from .panel import export_panel

    path = export_panel(out_dir, out_file, _schema_or_exit())
    click.echo(f"panel (one row per agency and year) → {shown(path)}")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the report's row, cells (with page, position, match score and OCR confidence) and issues as JSON.",
)
@click.pass_context
def show(ctx, file, as_json):
    """Print one report's three tables as matched: keys, values, raw text and match scores.

    \b
    Examples:
      xxgk show report.pdf
      xxgk show report.pdf --json | jq '.cells[] | select(.confidence < 80)'
    """
    from .run import process_file
    from .show import report_json, report_lines

    schema = _schema_or_exit()
    r = process_file(file, schema, _settings(ctx, {}))
    if as_json:
        click.echo(report_json(r))
    else:
        for line in report_lines(r, schema, shown(file)):
            click.echo(line)
    sys.exit(1 if r.report.error else 0)


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default=None,
    help="Exit with status 1 when a failure of this severity (error), or of warning severity or worse, is found "
    "(for CI and cron jobs). Without it the audit exits 0 whatever it finds.",
)
def audit(directory, fail_on):
    """Check every rule (within reports, across years, across agencies, the text) on the output of `xxgk ingest`.

    Writes DIRECTORY/audit.html, audit_failures, agency_links and cross_year_checks, and prints a summary.
    """
    from .audit import failing, run_audit, summary, write_audit
    from .dataset import dataset_format

    schema = _schema_or_exit()
    try:
        dataset_format(directory)
    except FileNotFoundError as e:
        raise click.UsageError(str(e)) from None
    except (OSError, DatasetError) as e:
        _output_error(e, f"the folder {shown(directory)}")
    try:
        a = run_audit(directory, schema)
        paths = write_audit(a, directory)
    except (OSError, DatasetError) as e:
        _output_error(e, f"the folder {shown(directory)}")
    click.echo(summary(a))
    click.echo(f"→ {shown(paths['audit.html'])}")
    if fail_on and failing(a, fail_on):
        click.echo(f"failures of {fail_on} severity{' or worse' if fail_on == 'warning' else ''} found", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
