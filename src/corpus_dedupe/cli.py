"""The ``dedupe`` command: a thin layer that parses options, calls the library and prints.

Output for people goes to stdout, diagnostics to stderr; user errors are one line and an exit code,
never a traceback.
"""

from __future__ import annotations

import signal
import sys


def _interrupted_while_starting(_signum, _frame) -> None:
    """Ctrl-C while the modules load (numpy, ftfy, ... take a few tenths of a second): the same
    one line and exit code as later, instead of a traceback from deep inside an import."""
    sys.stderr.write("dedupe: interrupted; DST was left as it was before the run\n")
    sys.exit(130)


try:
    _previous_sigint = signal.signal(signal.SIGINT, _interrupted_while_starting)
except ValueError:  # imported outside the main thread: leave signals alone
    _previous_sigint = None

import errno
import json
import os
import re
import time
import traceback
from pathlib import Path

import click

from . import __version__
from .boilerplate import RulesError
from .page import PageModelError
from .api import run as run_pipeline
from .reader import InputError
from .formats import FORMATS, Address, is_row_key
from .engines import EngineError
from .index import IndexError_, IndexUpdateError
from .settings import ENGINES, PAGE_MODES, Settings, SettingsError, parse_encoding_option
from .writer import META_DIR, RUN, DestinationError, WriteError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_DESTINATION = 3
EXIT_RULES = 4
EXIT_INTERRUPTED = 130


class _DefaultToRun(click.Group):
    """``dedupe SRC DST`` runs the pipeline; ``dedupe report|explain|verify ...`` are subcommands.
    ``dedupe --help`` shows the main job's options too: it is what people run."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def format_options(self, ctx, formatter):
        run = self.commands.get("run")
        if run is not None:
            with formatter.section("Options of dedupe SRC DST (the same as dedupe run SRC DST)"):
                records = [p.get_help_record(ctx) for p in run.get_params(ctx) if isinstance(p, click.Option)]
                formatter.write_dl([r for r in records if r is not None])
        super().format_options(ctx, formatter)


@click.group(cls=_DefaultToRun, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedupe")
def main() -> None:
    """Clean and deduplicate text documents: a folder of text files, JSONL or Parquet files.

    \b
    dedupe SRC DST            write the clean corpus of SRC to DST
    dedupe run SRC DST        the same; no folder named report, explain or verify can shadow it
    dedupe report DST         summarise what a run removed
    dedupe explain DST FILE   show every paragraph of FILE (a row: FILE:ROW_ID) with its decision
    dedupe verify SRC DST     check that DST accounts for every byte of SRC
    """


class _ProgressLine:
    """A one-line progress display on stderr (stage, files, MB read), shown only when stderr is a
    terminal and the run has lasted ``DEDUPE_PROGRESS_DELAY`` seconds (default 2); redrawn at
    most ten times a second."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False
        try:
            self.delay = float(os.environ.get("DEDUPE_PROGRESS_DELAY", "2"))
        except ValueError:
            self.delay = 2.0

    def __call__(self, stage: str, done: int, total: int, nbytes: int | None = None, unit: str = "files") -> None:
        now = time.monotonic()
        if now - self.started < self.delay or (now - self.last < 0.1 and done != total):
            return
        self.last = now
        self.shown = True
        width = 30
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "." * (width - filled)
        unit = "paragraphs" if stage == "dedupe" else unit
        size = f" {nbytes / 1e6:,.1f} MB" if nbytes is not None else ""
        click.echo(f"\r{stage:>6} [{bar}] {done}/{total} {unit}{size}  {now - self.started:5.1f}s ", err=True, nl=False)

    def close(self) -> None:
        if self.shown:
            click.echo("", err=True)


def _fail(message: str, code: int) -> None:
    click.echo(f"dedupe: {_one_line(message)}", err=True)
    sys.exit(code)


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _one_line(text: str) -> str:
    """``text`` safe to print as one line: control characters (a line break in a file name) and
    the lone surrogates that stand for bytes of a file name that are not UTF-8 are shown as
    escapes (``\\n``, ``\\xff``), so a message stays one line and can always be encoded.

    >>> print(_one_line("skipped new\\nline.txt and bad\\udcff.txt"))
    skipped new\\nline.txt and bad\\xff.txt
    """

    def escape(m: re.Match) -> str:
        o = ord(m.group())
        if 0xDC80 <= o <= 0xDCFF:
            return f"\\x{o - 0xDC00:02x}"
        return repr(m.group())[1:-1] if o < 0xD800 else f"\\u{o:04x}"

    return _UNPRINTABLE.sub(escape, text)


class _ByteSize(click.ParamType):
    """A size in bytes, plain or with a unit: "10MB" is 10,000,000 bytes, "256MiB" and "256M"
    are 256 * 2**20 (the binary units, as ``ls -h`` and ``du -h`` mean them)."""

    name = "size"
    _UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
              "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(value))
        unit = m.group(2).lower() if m else None
        if m is None or unit not in self._UNITS:
            self.fail(f"{value!r} is not a size (bytes, or a number with a unit: 10MB, 256MiB, 1G)", param, ctx)
        return int(float(m.group(1)) * self._UNITS[unit])


def _show(path) -> str:
    return _one_line(str(path))


@main.command("run")
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("dst", type=click.Path(path_type=Path))
@click.option("--include", "include", multiple=True, metavar="GLOB", help="Only files whose relative path or name matches GLOB (repeatable).")
@click.option("--format", "file_format", type=click.Choice(FORMATS), default=None, help="Read every file as this format [default: by name: .jsonl, .jsonl.gz, .jsonl.zst and .parquet hold one document per row, other files are text].")
@click.option("--text-field", default=Settings.text_field, show_default=True, help="The field of a JSONL or Parquet row that is cleaned.")
@click.option("--id-field", default=Settings.id_field, show_default=True, help="The field that names a row in the provenance (rows without one are known by their number, from 0).")
@click.option("--keep-empty-rows", is_flag=True, help="Keep rows whose whole text was removed (with empty text) and rows that could not be read (as they were): every row of SRC has its row in DST.")
@click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR", help="Incremental run: decide SRC as the next batch after those indexed in DIR (earlier batches win), then add it to DIR (created if missing). DST holds this batch's output only.")
@click.option("--force", is_flag=True, help="Replace a non-empty DST that is not a previous dedupe output, or the output of another SRC.")
@click.option("--jobs", "-j", type=int, default=None, help="Worker processes for the per-document stages [default: number of cores].")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True, help="Where the parallel work runs: this machine's worker processes, or tasks on a Ray cluster (pip install 'corpus-dedupe[ray]'); the output is the same.")
@click.option("--ray-address", default=None, metavar="ADDRESS", help="The Ray cluster to run on with --engine ray (as for ray.init, e.g. 10.0.0.5:6379 or auto) [default: start a local one with --jobs CPUs].")
@click.option("--near-threshold", type=float, default=Settings.near_threshold, show_default=True, help="Similarity (0-1, rapidfuzz ratio of match keys) at or above which a paragraph is a near-duplicate.")
@click.option("--contained-threshold", type=float, default=Settings.contained_threshold, show_default=True, help="Partial-alignment similarity (0-1) at or above which a shorter paragraph is a truncated copy.")
@click.option("--shingle-words", type=int, default=Settings.shingle_words, show_default=True, help="Words per MinHash shingle.")
@click.option("--num-perm", type=int, default=Settings.num_perm, show_default=True, help="MinHash permutations.")
@click.option("--bands", type=int, default=Settings.bands, show_default=True, help="LSH bands (must divide --num-perm).")
@click.option("--min-words-near", type=int, default=Settings.min_words_near, show_default=True, help="Shorter paragraphs are only removed as exact duplicates.")
@click.option("--min-words-contained", type=int, default=Settings.min_words_contained, show_default=True, help="Shortest paragraph that can be removed as a truncated copy.")
@click.option("--no-boilerplate", is_flag=True, help="Turn off boilerplate, metadata and template-line removal.")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False), default=None, help="TOML file adding or disabling boilerplate rules.")
@click.option("--template-min-documents", type=int, default=Settings.template_min_documents, show_default=True, help="A short line in this many documents of a site is template boilerplate.")
@click.option("--template-max-words", type=int, default=Settings.template_max_words, show_default=True, help="Longest line (in words) that can be a template line.")
@click.option("--pages", "pages", type=click.Choice(PAGE_MODES), default=Settings.pages, show_default=True, help="Whole-page text (menus, link lists, footers around an article): precise keeps every line that may be article; aggressive removes more page at some cost to the article; off leaves it to the line rules.")
@click.option("--page-model", type=click.Path(dir_okay=False), default=None, help="A page model retrained on your own labelled pages (see docs/boilerplate.md).")
@click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links that stay inside SRC.")
@click.option("--encoding", "encodings", multiple=True, metavar="[GLOB=]CODEC", help="Decode files as CODEC instead of detecting their code page: all files, or those whose relative path or name matches GLOB (repeatable; the first matching GLOB wins).")
@click.option("--max-file-size", type=_ByteSize(), default=Settings.max_file_size, show_default=True, help="Skip (and record) files larger than this: bytes, or with a unit (10MB, 256MiB, 1G).")
@click.option("--report", "html_report", is_flag=True, help="Also write the HTML audit report to DST/.dedupe/report.html.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.option("--verbose", "-v", is_flag=True, help="On failure, also the kind of error (and a traceback for an internal error); after a run, the time of each stage.")
def run_command(src: Path, dst: Path, include, file_format, text_field, id_field, keep_empty_rows, index_dir, force, jobs, engine, ray_address, near_threshold, contained_threshold, shingle_words, num_perm, bands,
                min_words_near, min_words_contained, no_boilerplate, rules_file, template_min_documents, template_max_words,
                pages, page_model, follow_symlinks, encodings, max_file_size, html_report, quiet, verbose) -> None:
    """Write the clean corpus of SRC to DST, with DST/.dedupe/ holding the provenance map."""
    try:
        settings = Settings(
            include=tuple(include),
            format=file_format,
            text_field=text_field,
            id_field=id_field,
            keep_empty_rows=keep_empty_rows,
            follow_symlinks=follow_symlinks,
            max_file_size=max_file_size,
            encodings=tuple(parse_encoding_option(e) for e in encodings),
            num_perm=num_perm,
            bands=bands,
            shingle_words=shingle_words,
            near_threshold=near_threshold,
            contained_threshold=contained_threshold,
            min_words_near=min_words_near,
            min_words_contained=min_words_contained,
            boilerplate=not no_boilerplate,
            rules_file=rules_file,
            template_min_documents=template_min_documents,
            template_max_words=template_max_words,
            pages=pages,
            page_model=page_model,
            jobs=jobs if jobs is not None else (os.cpu_count() or 1),
            engine=engine,
            ray_address=ray_address,
        )
    except SettingsError as exc:
        _fail(str(exc), EXIT_USAGE)
    if not src.exists():
        _fail(f"{_show(src)}: SRC does not exist", EXIT_USAGE)
    if not src.is_dir() and not src.is_file():
        _fail(f"{_show(src)}: SRC is not a folder or a file", EXIT_USAGE)
    progress = _ProgressLine() if not quiet and sys.stderr.isatty() else None
    unchanged = "DST was left as it was before the run"

    def kind(exc: BaseException) -> str:
        if not verbose:
            return ""
        name = errno.errorcode.get(getattr(exc, "errno", None) or -1)
        original = exc.__cause__ if isinstance(exc, WriteError) and exc.__cause__ is not None else exc
        return f" [{type(original).__name__}{', ' + name if name else ''}]"

    try:
        try:
            summary = run_pipeline(src, dst, settings, force=force, progress=progress, index=index_dir)
        finally:
            if progress:
                progress.close()  # end the progress line before any message
    except DestinationError as exc:
        _fail(f"{exc}{kind(exc)}", EXIT_DESTINATION)
    except EngineError as exc:
        _fail(f"{exc}; {unchanged}{kind(exc)}", EXIT_USAGE)
    except IndexUpdateError as exc:  # DST was written
        _fail(f"{exc}{kind(exc)}", EXIT_FAILED)
    except IndexError_ as exc:
        _fail(f"{exc}; {unchanged}{kind(exc)}", EXIT_DESTINATION)
    except (RulesError, PageModelError) as exc:
        _fail(f"{exc}{kind(exc)}", EXIT_RULES)
    except InputError as exc:  # SRC itself cannot be read
        _fail(f"{exc}; {unchanged}{kind(exc)}", EXIT_FAILED)
    except KeyboardInterrupt:
        _fail(f"interrupted; {unchanged}", EXIT_INTERRUPTED)
    except OSError as exc:
        _fail(f"{_show(exc.filename or dst)}: {exc.strerror or exc}; {unchanged}{kind(exc)}", EXIT_FAILED)
    except MemoryError as exc:
        _fail(f"out of memory (try fewer --jobs or a smaller --max-file-size); {unchanged}{kind(exc)}", EXIT_FAILED)
    except Exception as exc:  # a bug: still one line, the traceback only when asked for
        if verbose:
            traceback.print_exc()
        hint = "" if verbose else " (run with --verbose for the traceback)"
        detail = "a worker process died (killed, or out of memory?)" if type(exc).__name__ == "BrokenProcessPool" else f"{type(exc).__name__}: {exc}"
        _fail(f"internal error: {detail}; {unchanged}{hint}", EXIT_FAILED)
    if html_report:
        from .html_report import write_html_report

        report_file = Path(dst) / META_DIR / "report.html"
        try:
            write_html_report(Path(dst), report_file)
        except OSError as exc:
            _fail(f"{_show(exc.filename or report_file)}: cannot write the HTML report: {exc.strerror or exc} (the corpus in DST is complete)", EXIT_FAILED)
    for skip in summary.skipped:
        click.echo(f"dedupe: skipped {_show(Address.from_key(skip.path).where)}: {_one_line(skip.problem)}", err=True)
    if not quiet:
        removed = summary.removed
        click.echo(
            f"{summary.files} files, {summary.paragraphs} paragraphs: {summary.kept} kept, {sum(removed.values())} removed"
            + (" (" + ", ".join(f"{k} {v}" for k, v in removed.items()) + ")" if removed else "")
        )
        totals = summary.totals
        if "rows" in totals:
            click.echo(f"{totals['rows']} rows read: {totals['rows_written']} written, {totals['rows_skipped']} could not be read")
        skipped_files = sum(1 for skip in summary.skipped if not is_row_key(skip.path))
        if skipped_files:
            click.echo(f"{skipped_files} files skipped (listed in the manifest)")
        click.echo(f"{summary.input_bytes} bytes in, {summary.output_bytes} bytes out; wrote {_show(dst)}/ and {_show(dst)}/.dedupe/provenance.jsonl")
        if html_report:
            click.echo(f"audit report: {_show(dst)}/.dedupe/report.html")
    if verbose:
        try:
            facts = json.loads((Path(dst) / META_DIR / RUN).read_text(encoding="utf-8"))
            timings = facts.get("timings_seconds", {})
        except (OSError, ValueError):
            timings = {}
        stages = ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in timings.items())
        click.echo(f"dedupe: {summary.seconds:.2f}s with {settings.jobs} job(s)" + (f"; {stages}" if stages else ""), err=True)


from . import audit_cli  # noqa: E402,F401  (registers the audit subcommands on `main`)

if _previous_sigint is not None:  # loaded: Ctrl-C is a KeyboardInterrupt again, handled by each command
    signal.signal(signal.SIGINT, _previous_sigint)
