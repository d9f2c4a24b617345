"""The ``xxgk`` command line: parse options, call the library, render, exit.

Exit codes: 0 all files ok (or partial), 1 some file failed, 2 bad usage or a broken schema.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .errors import SchemaFileError, SettingsError
from .parts import OutputDirError
from .settings import Settings, default_of, help_of, option_type

if TYPE_CHECKING:  # each command imports what it runs: `xxgk --help` and `xxgk show` never load pandas
    from .batch import BatchStats
    from .run import Result
    from .schema import Schema, TableSpec


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="xxgk")
def main():
    """xxgk: government information-disclosure annual reports to clean, checked datasets."""


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
@setting("pdf_engine")
@setting("ocr", "--ocr/--no-ocr")
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
@fetch_options
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def ingest(paths, out_dir, downloads, debug, **options):
    """Read every report under PATHS into tidy cells, reports and issues.

    PATHS are files or folders (searched recursively), download folders of `xxgk fetch`, web addresses, or lists
    of them (.txt, .csv): addresses are downloaded first (as `xxgk fetch` does) and their reports read with where
    each came from.
    """
    from .batch import Progress, run_batch
    from .datapackage import write_datapackage
    from .parts import count_rows, read_parts

    try:
        settings = Settings.resolve(options)
    except SettingsError as e:
        raise click.UsageError(str(e)) from None
    schema = _schema_or_exit()
    inputs = _ingest_inputs(paths, downloads or out_dir / "downloads", settings)
    files, sources = inputs.files, inputs.sources
    if not files:
        _no_reports(sources.missing)
    try:
        stats = run_batch(
            paths,
            out_dir,
            settings,
            progress=Progress(len(files)),
            files=files,
            schema=schema,
            provenance=sources.provenance,
            candidates=sources.candidates,
        )
    except OutputDirError as e:
        raise click.UsageError(str(e)) from None
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: what was read is kept in {out_dir}; run the same command again to go on", err=True)
        sys.exit(130)
    except Exception:  # process_file records bad files itself; this is a defect in xxgk
        if debug:
            traceback.print_exc()
        raise
    reports = read_parts(out_dir, "reports")
    write_datapackage(stats.written, out_dir)
    click.echo(_ingest_summary(stats, len(files), len(reports), count_rows(out_dir, "cells"), out_dir))
    for path, error in stats.failed:
        click.echo(f"  failed: {path}: {error}", err=True)
    _say_missing(sources.missing)
    sys.exit(1 if (reports["status"] == "failed").any() or sources.missing else 0)


def _ingest_inputs(paths, downloads: Path, settings: Settings):
    """The files to read: addresses downloaded first (into ``downloads``), download folders opened."""
    from .downloads import AddressError
    from .sources import gather

    try:
        return gather(paths, downloads, settings)
    except (AddressError, OutputDirError) as e:
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
        click.echo(f"  not downloaded: {address}: {why}", err=True)


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
def fetch(addresses, out_dir, **options):
    """Download the reports ADDRESSES lead to, for `xxgk ingest OUT_DIR`.

    ADDRESSES are web addresses or lists of them (.txt: one a line; .csv: a url column, the other columns kept).
    An address may be a report's page (its tables, or its attachments that look like the report), the report file
    itself, or a channel of reports (its report links and pagination are followed within the site, to
    --crawl-depth and --crawl-max-pages). robots.txt is obeyed; each host gets --fetch-rate requests a second.
    """
    from .crawl import fetch_all
    from .downloads import AddressError
    from .sources import sort_arguments

    try:
        settings = Settings.resolve(options)
        given = sort_arguments(addresses)
    except (SettingsError, AddressError) as e:
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


def _ingest_summary(stats: BatchStats, n_files: int, n_reports: int, n_cells: int, out_dir: Path) -> str:
    st = stats.status
    by_status = " (" + ", ".join(f"{n} {s}" for s, n in sorted(st.items())) + ")" if st else ""
    return (
        f"{n_files} files: {stats.processed} read{by_status}, {stats.duplicates} duplicates, "
        f"{stats.skipped_done} done earlier; {stats.files_per_second:.1f} files/s. "
        f"Output: {n_reports} reports, {n_cells} cells → {out_dir}"
    )


@main.command()
@click.argument("out_dir", metavar="DIR", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--wide", is_flag=True, help="One row per report, one column per (table, row, col) key.")
@click.option(
    "--labels",
    type=click.Choice(["zh", "en"]),
    default="en",
    show_default=True,
    help="Column headers: the printed Chinese labels or the canonical keys.",
)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write: .csv (UTF-8 with BOM, Excel-ready) or .parquet.",
)
def export(out_dir, wide, labels, out_file):
    """Reshape the output of `xxgk ingest` in DIR for spreadsheets and other tools."""
    from .export import export_wide

    if not wide:
        raise click.UsageError("only the wide export exists so far: add --wide")
    if out_file.suffix.lower() not in (".csv", ".parquet"):
        raise click.UsageError(f"--out {out_file}: the file name must end in .csv or .parquet")
    try:
        path = export_wide(out_dir, out_file, labels)
    except FileNotFoundError as e:
        raise click.UsageError(str(e)) from None
    click.echo(f"wide table ({labels} headers) → {path}")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def show(file):
    """Print one report's three tables as matched: keys, values, raw text and match scores."""
    from .run import process_file

    schema = _schema_or_exit()
    r = process_file(file, schema)
    rep = r.report
    click.echo(
        f"{file}\n  format {rep.format}, agency {rep.agency}, year {rep.year}, "
        f"template {rep.template}, status {rep.status.value}"
    )
    if rep.error:
        click.echo(f"  error: {rep.error}")
        sys.exit(1)
    _show_tables(r, schema)
    if r.issues:
        click.echo(f"\nissues ({len(r.issues)}):")
        for i in r.issues:
            where = "/".join(str(x) for x in (i["table"], i["row"], i["col"]) if x)
            click.echo(f"  {i['severity']:<7} {i['code']:<20} {where} {i['message']}")


def _show_tables(r: Result, schema: Schema) -> None:
    for kind, spec in schema.tables.items():
        cells = [c for c in r.cells if c["table"] == kind]
        if not cells:
            click.echo(f"\n[{kind}] not found")
            continue
        tpl = cells[0]["template"]
        click.echo(f"\n[{kind}] {spec.title} (template {tpl})")
        by = {(c["row"], c["col"]): c for c in cells}
        for line in _table_lines(spec, tpl, by):
            click.echo(line)


def _table_lines(spec: TableSpec, tpl: str, by: dict) -> Iterator[str]:
    """One line per template row: its key, the lowest match score of its cells, and each column's value."""
    for row in spec.rows:
        cols = row.columns.get(tpl) or ()
        if not cols:
            continue
        parts = [_cell_text(col, by.get((row.key, col))) for col in cols]
        score = min((by[(row.key, c)]["match_score"] for c in cols if (row.key, c) in by), default=None)
        yield f"  {row.key:<28} " + ("" if score is None else f"[{score:.0f}] ") + "  ".join(parts)


def _cell_text(col: str, c: dict | None) -> str:
    """``col=value``, with the printed text when it differs; ``col=·`` for a cell not printed."""
    if c is None:
        return f"{col}=·"
    v = "null" if c["value"] is None else _number(c["value"])
    raw = c["raw"].strip()
    return f"{col}={v}" + (f" ({raw!r})" if raw and raw != v else "")


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def audit(directory):
    """Check every rule (within reports, across years, text against tables) on the output of `xxgk ingest`.

    Writes DIRECTORY/audit.html, audit_failures, agency_links and cross_year_checks, and prints a summary.
    """
    from .audit import run_audit, summary, write_audit
    from .dataset import dataset_format

    schema = _schema_or_exit()
    try:
        dataset_format(directory)
    except FileNotFoundError as e:
        raise click.UsageError(str(e)) from None
    a = run_audit(directory, schema)
    paths = write_audit(a, directory)
    click.echo(summary(a))
    click.echo(f"→ {paths['audit.html']}")


def _number(x: float) -> str:
    """A figure as a person writes it: 242523110.82, 7, -18 (never 2.42523e+08)."""
    return f"{x:.6f}".rstrip("0").rstrip(".")


if __name__ == "__main__":
    main()
