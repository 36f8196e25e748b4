"""Audit subcommands (report, explain, verify) registered on the ``dedupe`` group.

The library (:mod:`corpus_dedupe.audit`, :mod:`corpus_dedupe.html_report`) computes; this module
only renders. Plain text when stdout is not a terminal (pipes, files, scripts); rich tables and
colour when it is. User errors are one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable

import click

from .audit import AuditError, explain_data, label_of, load_run, report_data, verify
from .cli import EXIT_FAILED, EXIT_USAGE, main

_REASON_STYLE = {
    "exact_duplicate": "red",
    "near_duplicate": "magenta",
    "contained": "yellow",
    "boilerplate": "cyan",
    "orphan_heading": "blue",
    "metadata": "green",
    "empty": "bright_black",
}
_ELIDE_EQUAL = 12  # an unchanged run of more words than this is shown as its ends only


def _fail(message: str, code: int) -> None:
    click.echo(f"dedupe: {message}", err=True)
    sys.exit(code)


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _console():
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False, soft_wrap=False)


def _load(dst: Path):
    try:
        return load_run(dst)
    except AuditError as exc:
        _fail(str(exc), EXIT_USAGE)


# --------------------------------------------------------------------------------------------
# Tables: one description, rendered as plain aligned text or as a rich table.


def _plain_table(title: str, headers: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]

    def fmt(cells: list) -> str:
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths)):
            cell = str(cell)
            last = i == len(cells) - 1
            out.append(cell.rjust(width) if i in numeric else (cell if last else cell.ljust(width)))
        return "  " + "  ".join(out).rstrip()

    return "\n".join([title, fmt(headers), *(fmt(r) for r in rows)])


def _emit_table(console, title: str, headers: list[str], rows: list[list[str]], numeric: set[int], styles: dict[int, Callable] | None = None) -> None:
    if console is None:
        click.echo(_plain_table(title, headers, rows, numeric))
        click.echo()
        return
    from rich.table import Table

    table = Table(title=title, title_justify="left", title_style="bold")
    for i, h in enumerate(headers):
        table.add_column(h, justify="right" if i in numeric else "left", overflow="fold")
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            style = styles.get(i)(row) if styles and i in styles else None
            cells.append(f"[{style}]{_esc(cell)}[/]" if style else _esc(cell))
        table.add_row(*cells)
    console.print(table)
    console.print()


def _esc(text) -> str:
    from rich.markup import escape

    return escape(str(text))


def _preview(text: str | None, width: int = 70) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


# --------------------------------------------------------------------------------------------
# report


@main.command("report")
@click.argument("dst", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON document.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write a self-contained HTML audit report to FILE instead.")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="How many files and duplicate groups to list.")
def report_command(dst: Path, as_json: bool, html_file: Path | None, top: int) -> None:
    """Summarise what the run in DST removed and why."""
    if html_file is not None:
        from .html_report import write_html_report

        try:
            write_html_report(dst, html_file)
        except AuditError as exc:
            _fail(str(exc), EXIT_USAGE)
        except OSError as exc:
            _fail(f"{exc.filename or html_file}: cannot write: {exc.strerror or exc}", EXIT_FAILED)
        if not as_json:
            click.echo(f"wrote {html_file}")
            return
    data = report_data(_load(dst), top=top)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _render_report(data, _console() if _stdout_is_terminal() else None)


def _render_report(data: dict, console) -> None:
    t = data["totals"]
    removed = sum(t.get("removed", {}).values()) if isinstance(t.get("removed"), dict) else t.get("removed_paragraphs", 0)
    lines = [
        f"Run in {data['dst']} ({data['tool']['name']} {data['tool']['version']})",
        f"Files       {t.get('files')} read, {t.get('files_written')} written, {t.get('skipped', 0)} skipped",
        *([f"Rows        {t['rows']} read, {t.get('rows_written')} written, {t.get('rows_skipped')} could not be read"] if "rows" in t else []),
        f"Paragraphs  {t.get('paragraphs')} in, {t.get('kept')} kept, {removed} removed"
        + (f", {data['variants']} kept as variants" if data["variants"] else ""),
        f"Bytes       {t.get('input_bytes')} in, {t.get('output_bytes')} out; the removed paragraphs were {t.get('removed_source_bytes')} source bytes",
    ]
    if console is None:
        click.echo("\n".join(lines))
        click.echo()
    else:
        console.print(f"[bold]{_esc(lines[0])}[/]")
        for line in lines[1:]:
            console.print(_esc(line))
        console.print()

    reason_style = {0: lambda row: _REASON_STYLE.get(row[0])}
    _emit_table(
        console,
        "Removed by reason",
        ["reason", "paragraphs", "source bytes"],
        [[reason, v["paragraphs"], v["bytes"]] for reason, v in data["by_reason"].items()],
        {1, 2},
        reason_style,
    )
    if data["by_rule"]:
        _emit_table(
            console,
            "Removed by rule",
            ["rule", "reason", "paragraphs", "source bytes"],
            [[rule, v["reason"], v["paragraphs"], v["bytes"]] for rule, v in data["by_rule"].items()],
            {2, 3},
            {1: lambda row: _REASON_STYLE.get(row[1])},
        )
    if data["files_losing_most"]:
        _emit_table(
            console,
            "Files that lost the most",
            ["file", "paragraphs removed", "source bytes removed", "share", "reasons"],
            [
                [
                    f["path"],
                    f"{f['removed']} of {f['paragraphs']}",
                    f"{f['removed_bytes']} of {f['input_bytes']}",
                    _pct(f["removed_share"]),
                    ", ".join(f"{k} {v}" for k, v in f["removed_by_reason"].items()),
                ]
                for f in data["files_losing_most"]
            ],
            {1, 2, 3},
        )
    if data["largest_duplicate_groups"]:
        rows = []
        for g in data["largest_duplicate_groups"]:
            copies = [m for m in g["members"] if m["decision"] == "drop"]
            where = ", ".join(f"{label_of(m)} ({m['reason']})" for m in copies[:4])
            if g["copies"] - 1 > 4:
                where += f", and {g['copies'] - 1 - 4} more in {g['file_count']} files in all"
            rows.append([g["copies"], label_of(g["kept"]), _preview(g["text"], 60), where])
        _emit_table(
            console,
            f"Largest duplicate groups (of {data['duplicate_groups']})",
            ["copies", "kept", "paragraph", "removed copies"],
            rows,
            {0},
        )
    if data["skipped"]:
        title = "Skipped files and rows" if any("row" in s for s in data["skipped"]) else "Skipped files"
        _emit_table(console, title, ["file", "problem"], [[s["path"] + (f" row {s['row']}" if "row" in s else "") + (f" (id {s['id']})" if s.get("id") is not None else ""), s["problem"]]
                     for s in data["skipped"]], set())


# --------------------------------------------------------------------------------------------
# explain


@main.command("explain")
@click.argument("dst", type=click.Path(path_type=Path))
@click.argument("source", metavar="SOURCE_PATH[:LINE] | FILE:ROW_ID[:LINE]")
@click.option("--src", "src", type=click.Path(file_okay=False, path_type=Path), default=None, help="SRC of the run: where to read kept text when an output file is missing.")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as one JSON document.")
def explain_command(dst: Path, source: str, src: Path | None, as_json: bool) -> None:
    """Show every paragraph of SOURCE_PATH (relative to SRC) with its decision, or only the one
    at LINE; for a removed copy, its kept twin, the similarity and a word diff."""
    run = _load(dst)
    try:
        data = explain_data(run, source, src)
    except AuditError as exc:
        _fail(str(exc), EXIT_USAGE)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _render_explain(data, _console() if _stdout_is_terminal() else None)


def _lines_label(lines: list[int]) -> str:
    return f"line {lines[0]}" if lines[0] == lines[1] else f"lines {lines[0]}-{lines[1]}"


def _diff_parts(diff: list[dict]) -> list[tuple[str, str]]:
    """(kind, text) runs: kind is "same", "twin" (only in the twin) or "this" (only in this one)."""
    parts: list[tuple[str, str]] = []
    for d in diff:
        if d["op"] == "equal":
            words = d["twin"].split()
            if len(words) > _ELIDE_EQUAL:
                text = " ".join(words[:5]) + " … " + " ".join(words[-5:])
            else:
                text = d["twin"]
            parts.append(("same", text))
            continue
        if d["twin"]:
            parts.append(("twin", d["twin"]))
        if d["this"]:
            parts.append(("this", d["this"]))
    return parts


def _render_explain(data: dict, console) -> None:
    def say(text: str, style: str | None = None) -> None:
        if console is None:
            click.echo(text)
        else:
            console.print(f"[{style}]{_esc(text)}[/]" if style and text else _esc(text))

    f = data["file"]
    removed = f.get("removed") or {}
    say(
        f"{data.get('label', data['source'])}: {f['paragraphs']} paragraphs, {f['kept']} kept, {sum(removed.values())} removed"
        + (" (" + ", ".join(f"{k} {v}" for k, v in removed.items()) + ")" if removed else "")
        + (f"; output {f['output_path']}" + (f" row {f['output_row']}" if f.get("output_row") is not None else "")
           if f.get("output_path") else ("; not written (nothing kept)" if "row" in data else "; no output file (nothing kept)")),
        "bold",
    )
    say("")
    missing = "(text not available: the output file is missing; pass --src SRC)"
    for p in data["paragraphs"]:
        label = f"{_lines_label(p['lines'])}  paragraph {p['paragraph']}  "
        if p["decision"] == "keep":
            o = p.get("output") or {}
            first, last = o.get("lines", [0, 0])
            label += f"kept -> {o.get('path')}" + (f" row {o['row']}" if "row" in o else "") + f":{first}" + (f"-{last}" if last != first else "")
            style = "green"
        else:
            label += f"removed: {p.get('reason')}" + (f" ({p['rule']})" if p.get("rule") else "")
            style = _REASON_STYLE.get(p.get("reason"), "red")
        if p.get("similarity") is not None:
            label += f"  similarity {p['similarity']}"
        say(label, f"bold {style}")
        say("    " + (p["text"] if p.get("text") is not None else missing))
        if p.get("metadata"):
            say("    metadata: " + ", ".join(f"{k}={v}" for k, v in p["metadata"].items()))
        if p.get("evidence"):
            from .page import describe_evidence

            say(f"    why: {describe_evidence(p['evidence'])}")
        if p.get("template_documents"):
            say(f"    a template line: found in {p['template_documents']} documents")
        twin = p.get("twin")
        if twin:
            what = "kept twin" if twin["relation"] == "duplicate_of" else "variant of"
            where = f"{label_of(twin)} (paragraph {twin['paragraph']})"
            if twin.get("output"):
                out = twin["output"]
                where += f", output {out['path']}" + (f" row {out['row']}" if "row" in out else "") + f":{out['lines'][0]}"
            if twin.get("batch") is not None:
                where += "  [in an earlier batch of an incremental run; `verify --index DIR` checks it was kept]"
            elif twin.get("decision") != "keep":
                where += f"  [the twin was not kept: {twin.get('decision')}]"
            say(f"    {what}: {where}")
            if p.get("differing_numbers"):
                say("    numbers that differ: " + ", ".join(p["differing_numbers"]), "bold")
            if p.get("identical"):
                say("    diff: identical text")
            elif "diff" in p:
                _print_diff(console, _diff_parts(p["diff"]))
            elif twin.get("text") is None and twin.get("batch") is None:
                say("    twin text " + missing[1:-1].replace("text not available: ", "not available (") + ")")
        for key, title in (("copies_removed", "removed copies of it"), ("later_variants", "later variants of it")):
            if p.get(key):
                say(f"    {title}: " + ", ".join(label_of(c) + (f" ({c['reason']})" if c.get("reason") else "") for c in p[key]))
        say("")


def _print_diff(console, parts: list[tuple[str, str]]) -> None:
    """Word diff from the twin to this paragraph: [-words only in the twin-] {+words only here+}."""
    if console is None:
        body = " ".join(t if k == "same" else (f"[-{t}-]" if k == "twin" else f"{{+{t}+}}") for k, t in parts)
        click.echo(f"    diff (twin -> this): {body}")
        return
    chunks = []
    for kind, text in parts:
        if kind == "same":
            chunks.append(_esc(text))
        elif kind == "twin":
            chunks.append(f"[red strike]\\[-{_esc(text)}-][/]")
        else:
            chunks.append(f"[green]{{+{_esc(text)}+}}[/]")
    console.print("    diff (twin -> this): " + " ".join(chunks))


# --------------------------------------------------------------------------------------------
# verify


@main.command("verify")
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("dst", type=click.Path(path_type=Path))
@click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="The index of an incremental run: check links to paragraphs of earlier batches there.")
def verify_command(src: Path, dst: Path, index_dir: Path | None) -> None:
    """Check that DST accounts for every byte of SRC and that its outputs are exactly the kept
    paragraphs. Exit 0 when everything holds; otherwise list the failures and exit 1."""
    try:
        result = verify(src, dst, index_dir)
    except AuditError as exc:
        _fail(str(exc), EXIT_USAGE)
    if result.ok:
        click.echo(
            f"verified: {result.source_files} source files ({result.source_bytes} bytes) are accounted for byte by byte "
            f"by {result.records} paragraph records; {result.output_files} output files are exactly their kept paragraphs "
            f"and match the manifest; {result.duplicate_links} duplicate links point at kept paragraphs"
        )
        return
    for failure in result.failures:  # a file name that is not UTF-8 is shown with \udcXX escapes
        click.echo(failure.encode("utf-8", "backslashreplace").decode("utf-8"))
    click.echo(f"dedupe: verify failed: {len(result.failures)} problem(s)", err=True)
    sys.exit(EXIT_FAILED)


# --------------------------------------------------------------------------------------------
# index


@main.command("index")
@click.argument("index_dir", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--verify", "check", is_flag=True, help="Check the index: every segment whole (sha256), arrays and look-up tables consistent.")
@click.option("--json", "as_json", is_flag=True, help="Print what the index holds as one JSON document.")
def index_command(index_dir: Path, check: bool, as_json: bool) -> None:
    """Show what an incremental run's index holds (batches, paragraphs, bytes), or check it."""
    from .index import Index, IndexError_, verify_index

    try:
        with Index.open(index_dir) as index:
            summary = index.summary()
        problems = verify_index(index_dir) if check else []
    except IndexError_ as exc:
        _fail(str(exc), EXIT_USAGE)
    if as_json:
        click.echo(json.dumps({**summary, "problems": problems} if check else summary, indent=1))
    else:
        mb = summary["source_bytes"] / 1e6
        click.echo(f"{index_dir}: index version {summary['version']}, {summary['batches']} batches, {summary['documents']} documents, "
                   f"{summary['paragraphs']} paragraphs ({summary['kept']} kept), {summary['source_bytes']} source bytes; "
                   f"{summary['index_bytes']} bytes on disk" + (f" ({summary['index_bytes'] / 1e6 / mb:.2f} MB per source MB)" if mb else ""))
        for b in summary["batch_list"]:
            click.echo(f"  batch {b['batch']}: {b.get('documents', 0)} documents, {b['rows']} paragraphs ({b.get('kept', 0)} kept), "
                       f"{b.get('source_bytes', 0)} bytes, from {b.get('src')} at {b.get('created')}")
    if check:
        for problem in problems:
            click.echo(problem)
        if problems:
            click.echo(f"dedupe: index check failed: {len(problems)} problem(s)", err=True)
            sys.exit(EXIT_FAILED)
        if not as_json:
            click.echo("index verified: every segment is whole and consistent")
