"""A self-contained HTML audit report of a run: one file, no network, no external assets.

The page shows the totals, the removals by reason and rule, the largest duplicate groups and the
list of source documents (text files, and the rows of JSONL and Parquet files, each row on its
own as ``FILE:ID``); opening one shows its paragraphs in source order with the removed ones
marked by reason, and clicking a paragraph shows why: the rule, or the kept twin with a word diff.

It has to stay usable on a corpus of thousands of files, so the page is not one giant DOM: each
file's paragraphs are embedded as a separate ``<script type="application/json">`` block that the
browser does not parse until the file is opened, and the file list is rendered a page at a time.
All corpus text is inserted with ``textContent``, never as markup. The output depends only on DST
(no clock, no absolute path), so it is reproducible like the rest of DST.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections import Counter
from pathlib import Path

from .audit import RunData, doc_key, load_run, report_data, word_diff
from .formats import Address, is_row_key
from .model import ALL_REASONS
from .writer import json_text

_MAX_COPIES_LISTED = 50  # per kept paragraph; the count is always given
_OPS = {"equal": "=", "delete": "-", "insert": "+", "replace": "~"}


def html_report_data(run: RunData) -> dict:
    """What the page embeds: ``summary`` (totals and breakdowns), ``files`` (one small row per
    document: a text file, or a row of a JSONL or Parquet file) and ``payloads`` (per document:
    its paragraphs, twins and diffs).

    Documents are listed in corpus order: the manifest's files in order, a JSONL or Parquet file
    standing for its rows that have records, in row order. A row's entry has the container's
    ``path``, its ``row`` and its ``label`` (``data.jsonl:ID``, or ``data.jsonl:ROW`` without an
    id: what the page shows, filters on and puts in its URL), its own counts and its
    ``output_row``. Twins and copies name the document they are in by ``file`` (its index in
    ``files``) and ``source`` (its label: the path of a text file)."""
    summary = report_data(run, top=20)
    documents = _documents(run)
    index = {key: i for i, (key, _entry) in enumerate(documents)}
    labels: dict[str, str] = {}

    def label(key: str) -> str:
        if key not in labels:
            labels[key] = Address.from_key(key).label
        return labels[key]

    summary.pop("dst", None)
    summary["dst_name"] = run.dst.name
    for group in summary["largest_duplicate_groups"]:
        for member in group["members"]:
            key = doc_key(member)
            member["file"] = index.get(key)
            if is_row_key(key):
                member["label"] = label(key)
    summary["files_losing_most"] = [dict(f, file=index.get(f["path"])) for f in summary["files_losing_most"]]

    copies: dict[tuple[str, int], list] = {}
    copy_counts: dict[tuple[str, int], int] = {}
    for rec in run.records:
        for relation in ("duplicate_of", "variant_of"):
            target = rec.get(relation)
            if not target:
                continue
            key = (doc_key(target), target["paragraph"])
            copy_counts[key] = copy_counts.get(key, 0) + 1
            listed = copies.setdefault(key, [])
            if len(listed) < _MAX_COPIES_LISTED:
                doc = doc_key(rec)
                listed.append({"file": index.get(doc), "source": label(doc), "line": rec["lines"][0], "reason": rec.get("reason") or "variant"})

    keep_empty_rows = bool(run.manifest.get("parameters", {}).get("keep_empty_rows"))
    files = []
    payloads = []
    for key, entry in documents:
        recs = sorted(run.by_source.get(key, []), key=lambda r: r["paragraph"])
        removed_bytes = sum(r["bytes"][1] - r["bytes"][0] for r in recs if r["decision"] != "keep")
        variants = sum(1 for r in recs if r.get("variant_of"))
        paragraphs = [_paragraph(run, r, index, copies, copy_counts, label) for r in recs]
        if not is_row_key(key):
            files.append(
                {
                    "path": entry["path"],
                    "paragraphs": entry.get("paragraphs", len(recs)),
                    "kept": entry.get("kept", 0),
                    "removed": entry.get("removed", {}),
                    "variants": variants,
                    "input_bytes": entry.get("input_bytes", 0),
                    "output_bytes": entry.get("output_bytes", 0),
                    "removed_bytes": removed_bytes,
                    "output_path": entry.get("output_path"),
                }
            )
            payloads.append(_compact({"path": entry["path"], "encoding": entry.get("encoding"), "metadata": entry.get("metadata"), "paragraphs": paragraphs}))
            continue
        address = Address.from_key(key)
        kept = [r for r in recs if r["decision"] == "keep"]
        kept_texts = [p["text"] for p, r in zip(paragraphs, recs) if r["decision"] == "keep"]
        removed = Counter(r.get("reason") or "unknown" for r in recs if r["decision"] != "keep")
        row: dict = {"path": address.file, "row": address.row, "label": address.label, "paragraphs": len(recs), "kept": len(kept)}
        # Counts that are nothing are left out (the page's script puts them back as it reads the
        # list): a corpus of short rows has one of these entries per row.
        if removed:
            row["removed"] = dict(sorted(removed.items()))
        if variants:
            row["variants"] = variants
        row["input_bytes"] = max((r["bytes"][1] for r in recs), default=0)  # the row's text, in UTF-8
        # Its text in the output: the kept paragraphs with a blank line between them (writer.render_row).
        if not kept_texts:
            row["output_bytes"] = 0
        elif None not in kept_texts:
            row["output_bytes"] = sum(len(t.encode("utf-8", "surrogatepass")) for t in kept_texts) + 2 * (len(kept_texts) - 1)
        else:
            row["output_bytes"] = None  # its output file cannot be read
        if removed_bytes:
            row["removed_bytes"] = removed_bytes
        # ``output_row``: the row it became in the output file (``output_path``, left out where it
        # is ``path``, as the writer names it); absent for a row not written (nothing kept). With
        # --keep-empty-rows every source row is written, at its own number.
        if entry.get("output_path") and (kept or keep_empty_rows):
            if entry["output_path"] != address.file:
                row["output_path"] = entry["output_path"]
            row["output_row"] = (kept[0].get("output") or {}).get("row") if kept else address.row
        files.append(row)
        payloads.append(_compact({"paragraphs": paragraphs}))
    summary["reasons"] = list(ALL_REASONS)
    return {"summary": summary, "files": files, "payloads": payloads}


def _documents(run: RunData) -> list[tuple[str, dict]]:
    """(document key, manifest entry of its file) in corpus order: the manifest's files in their
    order, a JSONL or Parquet file replaced by its rows that have records, in row order."""
    rows: dict[str, list[tuple[int, str]]] = {}
    for key in run.by_source:
        if is_row_key(key):
            address = Address.from_key(key)
            rows.setdefault(address.file, []).append((address.row, key))
    documents = []
    for entry in run.files:
        path = entry.get("path")
        if entry.get("format") in ("jsonl", "parquet"):
            documents += [(key, entry) for _row, key in sorted(rows.get(path, []))]
        else:
            documents.append((path, entry))
    return documents


def _compact(payload: dict) -> dict:
    """A file's payload written short, for a report near twice the size of its input rather than
    three and a half times (the 181 dev pages: 5.4 -> 3.7 MB): a paragraph's ``reason`` is an
    index ``r`` into ``summary.reasons``, its ``rule`` an index ``u`` into the file's ``rules``,
    its ``n`` left out where it is its position, and the page stage's evidence ``e`` without what
    is the same on every line of the page (threshold, the prose's stopwords, the language: the
    file's ``ev``), ``lines`` a number for a paragraph of one line, a kept paragraph's ``output``
    lines left out where they are its source lines (a number for one line), and ``rules`` left
    out when there are none. ``expand()`` in the page's script restores the long form as it reads
    it."""
    rules: list[str] = []
    rule_index: dict[str, int] = {}
    constants = {tuple(p["evidence"][i] for i in (1, 4, 5)) for p in payload["paragraphs"] if isinstance(p.get("evidence"), list)}
    page_constants = constants.pop() if len(constants) == 1 else None
    for position, p in enumerate(payload["paragraphs"]):
        if p["n"] == position:
            del p["n"]
        if p.get("output") is not None:
            if p["output"] == p["lines"]:
                del p["output"]
            elif p["output"][0] == p["output"][1]:
                p["output"] = p["output"][0]
        if p["lines"][0] == p["lines"][1]:
            p["lines"] = p["lines"][0]  # one line: a number
        reason = p.pop("reason")
        if reason is not None:
            p["r"] = ALL_REASONS.index(reason)
        if "rule" in p:
            rule = p.pop("rule")
            p["u"] = rule_index.setdefault(rule, len(rules))
            if p["u"] == len(rules):
                rules.append(rule)
        evidence = p.get("evidence")
        if page_constants is not None and isinstance(evidence, list):
            del p["evidence"]
            p["e"] = [evidence[i] for i in (0, 2, 3, 6, 7, 8)]
    if rules:
        payload["rules"] = rules
    if page_constants is not None:
        payload["ev"] = list(page_constants)
    return payload


def _paragraph(run: RunData, rec: dict, index: dict, copies: dict, copy_counts: dict, label) -> dict:
    text = run.text_of(rec)
    p: dict = {"n": rec["paragraph"], "lines": rec["lines"], "reason": rec.get("reason") if rec["decision"] != "keep" else None, "text": text}
    for key in ("rule", "similarity", "metadata", "template_documents", "differing_numbers"):
        if rec.get(key) is not None:
            p[key] = rec[key]
    if rec.get("evidence") is not None:
        p["evidence"] = rec["evidence"]  # the compact list; whyText() in the page words it
    if rec["decision"] == "keep" and rec.get("output"):
        p["output"] = rec["output"].get("lines")  # of the output file, or of its output row's text
    for relation in ("duplicate_of", "variant_of"):
        target = rec.get(relation)
        if not target:
            continue
        target_key = doc_key(target)
        twin_rec = run.by_key.get((target_key, target["paragraph"]))
        twin_text = run.text_of(twin_rec) if twin_rec else None
        twin = {"relation": relation, "source": label(target_key), "line": target.get("line"), "file": index.get(target_key)}
        if twin_text is None or text is None:
            twin["missing"] = True
        elif twin_text == text:
            twin["identical"] = True
        else:
            p["diff"] = [[_OPS[d["op"]], d["twin"], d["this"]] for d in word_diff(twin_text, text)]
        p["twin"] = twin
    key = (doc_key(rec), rec["paragraph"])
    if key in copies:
        p["copies"] = copies[key]
        p["copy_count"] = copy_counts[key]
    return p


def _json_for_script(data) -> str:
    """JSON that is safe inside a <script> element: no "<" can close it early."""
    return json_text(data, separators=(",", ":")).replace("<", "\\u003c")  # lone surrogates (non-UTF-8 names) escaped


def render_html(data: dict) -> str:
    title = f"dedupe audit report: {data['summary'].get('dst_name', '')}"
    parts = [
        _PAGE_HEAD.replace("@TITLE@", html.escape(title)),
        f'<script type="application/json" id="summary-data">{_json_for_script(data["summary"])}</script>\n',
        f'<script type="application/json" id="files-data">{_json_for_script(data["files"])}</script>\n',
    ]
    for i, payload in enumerate(data["payloads"]):
        parts.append(f'<script type="application/json" id="file-data-{i}">{_json_for_script(payload)}</script>\n')
    parts.append(_PAGE_SCRIPT)
    parts.append("</body>\n</html>\n")
    return "".join(parts)


def write_html_report(dst: Path, out_file: Path) -> Path:
    """Write the HTML audit report of the run in ``dst`` to ``out_file`` (replaced atomically).

    Raises :class:`~corpus_dedupe.audit.AuditError` when ``dst`` is not a readable dedupe output
    and OSError when ``out_file`` cannot be written."""
    out_file = Path(out_file)
    page = render_html(html_report_data(load_run(Path(dst))))
    folder = out_file.parent if str(out_file.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(2, "no such folder", str(folder))
    fd, tmp = tempfile.mkstemp(prefix=f".{out_file.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace", newline="\n") as handle:  # a name that is not UTF-8, in the title
            handle.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_file)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return out_file


_PAGE_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@TITLE@</title>
<style>
:root { --fg: #1d1f23; --muted: #5f6670; --line: #d9dde3; --bg: #ffffff; --panel: #f6f7f9;
  --exact_duplicate: #d93f3f; --near_duplicate: #b0409f; --contained: #c77700; --boilerplate: #1f7f99;
  --orphan_heading: #3f5fc7; --metadata: #2f8a3a; --empty: #808890; --variant: #7a5a00; --keep: #c8ccd2; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 12px 20px; border-bottom: 1px solid var(--line); background: var(--panel); }
h1 { font-size: 18px; margin: 0 0 8px; }
h2 { font-size: 15px; margin: 16px 0 6px; }
.totals { display: flex; flex-wrap: wrap; gap: 8px; }
.card { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; min-width: 110px; }
.card .v { font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .k { color: var(--muted); font-size: 12px; }
main { display: grid; grid-template-columns: minmax(320px, 38%) 1fr; min-height: calc(100vh - 120px); }
#left { border-right: 1px solid var(--line); padding: 8px 16px 40px; overflow: auto; max-height: calc(100vh - 120px); }
#right { padding: 8px 20px 40px; overflow: auto; max-height: calc(100vh - 120px); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.file-row { cursor: pointer; }
tr.file-row:hover, tr.file-row.current { background: #eef3fb; }
.path { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; word-break: break-all; }
.badge { display: inline-block; border-radius: 3px; padding: 0 5px; margin: 1px 2px 1px 0; font-size: 11.5px; color: #fff; background: var(--muted); white-space: nowrap; }
.b-exact_duplicate { background: var(--exact_duplicate); } .b-near_duplicate { background: var(--near_duplicate); }
.b-contained { background: var(--contained); } .b-boilerplate { background: var(--boilerplate); }
.b-orphan_heading { background: var(--orphan_heading); } .b-metadata { background: var(--metadata); }
.b-empty { background: var(--empty); } .b-variant { background: var(--variant); } .b-keep { background: #6b7480; }
.controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0; }
input[type=search] { flex: 1; min-width: 160px; padding: 4px 6px; }
select, button, input { font: inherit; }
button.link { background: none; border: none; color: #1857b6; cursor: pointer; padding: 0; text-decoration: underline; }
.para { display: grid; grid-template-columns: 118px 1fr; gap: 8px; padding: 5px 6px; margin: 2px 0; border-left: 4px solid var(--keep); cursor: pointer; border-radius: 2px; }
.para:hover { background: #f2f4f7; }
.para:focus { outline: 2px solid #1857b6; }
.para .ln { color: var(--muted); font-variant-numeric: tabular-nums; font-size: 12px; }
.para.drop .tx { color: #555b63; text-decoration: line-through; text-decoration-color: rgba(0,0,0,.35); }
.para.drop { background: #fbf7f7; }
.para.r-exact_duplicate { border-left-color: var(--exact_duplicate); } .para.r-near_duplicate { border-left-color: var(--near_duplicate); }
.para.r-contained { border-left-color: var(--contained); } .para.r-boilerplate { border-left-color: var(--boilerplate); }
.para.r-orphan_heading { border-left-color: var(--orphan_heading); } .para.r-metadata { border-left-color: var(--metadata); }
.para.r-empty { border-left-color: var(--empty); } .para.variant { border-left-color: var(--variant); }
.para.flash { animation: flash 1.6s ease-out; }
@keyframes flash { from { background: #ffe98a; } to { background: transparent; } }
.details { margin: 0 0 8px 130px; padding: 8px 12px; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; }
.details.group { margin: 6px 0; }
.details .row { margin: 3px 0; }
.details .label { color: var(--muted); margin-right: 6px; }
.quote { white-space: pre-wrap; background: var(--bg); border: 1px solid var(--line); border-radius: 3px; padding: 6px 8px; margin: 4px 0; }
del { background: #fbd3d3; text-decoration: line-through; } ins { background: #cdf0cd; text-decoration: none; }
#file-head { position: sticky; top: -8px; background: var(--bg); padding: 4px 0 6px; border-bottom: 1px solid var(--line); z-index: 1; }
.gap { color: var(--muted); font-size: 12px; margin: 2px 0 2px 130px; }
.muted { color: var(--muted); }
.legend .badge { cursor: pointer; }
footer { color: var(--muted); font-size: 12px; padding: 8px 20px; }
</style>
</head>
<body>
<header>
<h1 id="title">dedupe audit report</h1>
<div class="totals" id="totals"></div>
</header>
<main>
<section id="left">
<h2>Removed by reason</h2>
<table id="reasons"></table>
<details id="rules-box"><summary>Removed by rule</summary><table id="rules"></table></details>
<details id="groups-box"><summary>Largest duplicate groups</summary><div id="groups"></div></details>
<div id="skipped"></div>
<h2>Source files</h2>
<div class="controls">
<input type="search" id="file-search" placeholder="Filter files by path (a row: FILE:ID)" aria-label="Filter files by path">
<select id="file-sort" aria-label="Sort files">
<option value="corpus">corpus order</option>
<option value="bytes">most bytes removed</option>
<option value="share">largest share removed</option>
</select>
</div>
<div class="controls"><label for="reason-filter">Show</label><select id="reason-filter"></select></div>
<table id="file-list"><thead><tr><th>file</th><th class="num">paragraphs kept/total</th><th>removed</th></tr></thead><tbody></tbody></table>
<div id="more"></div>
</section>
<section id="right">
<div id="file-view"><p class="muted">Choose a file on the left to see its paragraphs: removed ones are struck through and marked by reason; click a paragraph to see why.</p></div>
</section>
</main>
"""

_PAGE_SCRIPT = """<script>
"use strict";
(function () {
  const PAGE = 200;
  const summary = JSON.parse(document.getElementById("summary-data").textContent);
  const files = JSON.parse(document.getElementById("files-data").textContent);
  const cache = new Map();
  const state = { filter: "", search: "", sort: "corpus", shown: PAGE, current: -1 };
  for (const f of files) {
    // A row of a JSONL or Parquet file (html_report_data) is shown, filtered and linked by its
    // label (FILE:ID); its counts that are nothing, and its output path, are left out of the data.
    f.label = f.label ?? f.path;
    f.removed = f.removed ?? {};
    f.variants = f.variants ?? 0;
    f.removed_bytes = f.removed_bytes ?? 0;
    if (f.row !== undefined) f.output_path = f.output_path ?? (f.output_row !== undefined ? f.path : null);
  }
  const byLabel = new Map();
  files.forEach((f, i) => { if (!byLabel.has(f.label)) byLabel.set(f.label, i); });  // two rows with one id: the first, as explain
  const noun = files.some((f) => f.row !== undefined) ? "documents" : "files";
  const REASON_TEXT = {
    exact_duplicate: "an exact duplicate (same text once case, quotes, dashes and punctuation are folded) of a paragraph kept earlier",
    near_duplicate: "a near-duplicate of a paragraph kept earlier",
    contained: "a truncated or partial copy of a paragraph kept earlier",
    boilerplate: "web-page boilerplate",
    orphan_heading: "a heading whose whole section was removed (at least partly as duplicates)",
    metadata: "document metadata, moved out of the text into the manifest",
    empty: "nothing left after normalisation",
  };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  const fmt = (n) => (typeof n === "number" ? n.toLocaleString("en-US") : String(n ?? ""));
  const badge = (reason, text) => el("span", { class: "badge b-" + reason }, text ?? reason);
  const removedCount = (f) => Object.values(f.removed || {}).reduce((a, b) => a + b, 0);
  function expand(data) {
    // The long form of a file's payload (html_report._compact wrote it short).
    data.paragraphs.forEach((p, position) => {
      if (p.n === undefined) p.n = position;
      if (typeof p.lines === "number") p.lines = [p.lines, p.lines];
      if (p.r === undefined && p.output === undefined) p.output = p.lines;  // kept, at its own line numbers
      if (typeof p.output === "number") p.output = [p.output, p.output];
      p.reason = p.r === undefined ? null : summary.reasons[p.r];
      if (p.u !== undefined) p.rule = data.rules[p.u];
      if (p.e) p.evidence = [p.e[0], data.ev[0], p.e[1], p.e[2], data.ev[1], data.ev[2], p.e[3], p.e[4], p.e[5]];
    });
    return data;
  }
  function payload(i) {
    if (!cache.has(i)) cache.set(i, expand(JSON.parse(document.getElementById("file-data-" + i).textContent)));
    return cache.get(i);
  }
  function matches(p) {
    if (!state.filter) return true;
    if (state.filter === "removed") return p.reason !== null;
    if (state.filter === "kept") return p.reason === null;
    if (state.filter === "variant") return !!(p.twin && p.twin.relation === "variant_of");
    return p.reason === state.filter;
  }
  function fileMatches(f) {
    if (state.search && !f.label.toLowerCase().includes(state.search)) return false;
    if (!state.filter) return true;
    if (state.filter === "removed") return removedCount(f) > 0;
    if (state.filter === "kept") return f.kept > 0;
    if (state.filter === "variant") return f.variants > 0;
    return (f.removed || {})[state.filter] > 0;
  }

  // ---- header: totals
  const t = summary.totals;
  const removedTotal = Object.values(t.removed || {}).reduce((a, b) => a + b, 0);
  document.getElementById("title").textContent = "dedupe audit report: " + summary.dst_name + " (" + summary.tool.name + " " + summary.tool.version + ")";
  const cards = [
    ["files", "source files", t.files], ["files-written", "output files", t.files_written], ["skipped", "skipped", t.skipped || 0],
    ["paragraphs", "paragraphs in", t.paragraphs], ["kept", "kept", t.kept], ["removed", "removed", removedTotal],
    ["input-bytes", "bytes in", t.input_bytes], ["output-bytes", "bytes out", t.output_bytes],
  ];
  if (t.rows) cards.splice(2, 0, ["rows", "rows in", t.rows], ["rows-written", "rows written", t.rows_written]);  // JSONL and Parquet files
  const totals = document.getElementById("totals");
  for (const [id, label, value] of cards) {
    totals.append(el("div", { class: "card" }, el("div", { class: "v", id: "total-" + id, "data-value": value }, fmt(value)), el("div", { class: "k" }, label)));
  }

  // ---- reasons, rules, groups, skipped
  const reasons = document.getElementById("reasons");
  reasons.append(el("tr", {}, el("th", {}, "reason"), el("th", { class: "num" }, "paragraphs"), el("th", { class: "num" }, "source bytes")));
  for (const [reason, v] of Object.entries(summary.by_reason)) {
    reasons.append(el("tr", { class: "legend", "data-reason": reason }, el("td", {}, el("span", { class: "badge b-" + reason, title: "show only " + reason, onclick: () => setFilter(reason) }, reason)), el("td", { class: "num" }, fmt(v.paragraphs)), el("td", { class: "num" }, fmt(v.bytes))));
  }
  if (summary.variants) reasons.append(el("tr", {}, el("td", {}, el("span", { class: "badge b-variant", onclick: () => setFilter("variant") }, "variant (kept)")), el("td", { class: "num" }, fmt(summary.variants)), el("td", {})));
  const rules = document.getElementById("rules");
  rules.append(el("tr", {}, el("th", {}, "rule"), el("th", {}, "reason"), el("th", { class: "num" }, "paragraphs"), el("th", { class: "num" }, "source bytes")));
  for (const [rule, v] of Object.entries(summary.by_rule)) rules.append(el("tr", {}, el("td", { class: "path" }, rule), el("td", {}, badge(v.reason)), el("td", { class: "num" }, fmt(v.paragraphs)), el("td", { class: "num" }, fmt(v.bytes))));
  const groups = document.getElementById("groups");
  for (const g of summary.largest_duplicate_groups) {
    const members = g.members.slice(0, 10).map((m) => el("button", { class: "link path", onclick: () => openFile(m.file, m.line, true) }, (m.label ?? m.source) + ":" + m.line + (m.decision === "keep" ? " (kept)" : "")));
    const more = g.copies > members.length ? " … and " + (g.copies - members.length) + " more" : "";
    groups.append(el("div", { class: "details group" }, el("div", {}, el("b", {}, g.copies + " copies in " + g.file_count + (g.file_count > 1 ? " files: " : " file: ")), (g.text || "").slice(0, 160)), el("div", {}, ...members.flatMap((m, i) => (i ? [", ", m] : [m])), more)));
  }
  if (summary.skipped && summary.skipped.length) {
    const box = document.getElementById("skipped");
    box.append(el("h2", {}, "Skipped files"));
    for (const s of summary.skipped) box.append(el("div", {}, el("span", { class: "path" }, s.path), " ", el("span", { class: "muted" }, s.problem)));
  }

  // ---- filter select
  const filterSelect = document.getElementById("reason-filter");
  filterSelect.append(el("option", { value: "" }, "all paragraphs"), el("option", { value: "removed" }, "removed (" + fmt(removedTotal) + ")"), el("option", { value: "kept" }, "kept (" + fmt(t.kept) + ")"));
  for (const [reason, n] of Object.entries(t.removed || {})) filterSelect.append(el("option", { value: reason }, reason + " (" + fmt(n) + ")"));
  if (summary.variants) filterSelect.append(el("option", { value: "variant" }, "variants (" + fmt(summary.variants) + ")"));
  filterSelect.addEventListener("change", () => setFilter(filterSelect.value));
  function setFilter(value) {
    state.filter = value;
    filterSelect.value = value;
    state.shown = PAGE;
    renderList();
    if (state.current >= 0) renderFile(state.current);
  }

  // ---- file list (a page at a time)
  document.getElementById("file-search").addEventListener("input", (e) => { state.search = e.target.value.toLowerCase(); state.shown = PAGE; renderList(); });
  document.getElementById("file-sort").addEventListener("change", (e) => { state.sort = e.target.value; state.shown = PAGE; renderList(); });
  function renderList() {
    let idx = files.map((f, i) => i).filter((i) => fileMatches(files[i]));
    if (state.sort === "bytes") idx.sort((a, b) => files[b].removed_bytes - files[a].removed_bytes || a - b);
    if (state.sort === "share") idx.sort((a, b) => files[b].removed_bytes / (files[b].input_bytes || 1) - files[a].removed_bytes / (files[a].input_bytes || 1) || a - b);
    const body = document.querySelector("#file-list tbody");
    body.replaceChildren();
    for (const i of idx.slice(0, state.shown)) {
      const f = files[i];
      const removed = Object.entries(f.removed || {}).map(([r, n]) => badge(r, r + " " + n));
      if (f.variants) removed.push(badge("variant", "variant " + f.variants));
      body.append(el("tr", { class: "file-row" + (i === state.current ? " current" : ""), "data-file": i, "data-path": f.path, "data-label": f.label, onclick: () => openFile(i) },
        el("td", { class: "path" }, f.label), el("td", { class: "num" }, f.kept + "/" + f.paragraphs), el("td", {}, removed.length ? removed : el("span", { class: "muted" }, "nothing"))));
    }
    const more = document.getElementById("more");
    more.replaceChildren(el("p", { class: "muted" }, "showing " + fmt(Math.min(state.shown, idx.length)) + " of " + fmt(idx.length) + " " + noun + (idx.length !== files.length ? " (of " + fmt(files.length) + ")" : "") + " "));
    if (idx.length > state.shown) more.firstChild.append(el("button", { id: "show-more", onclick: () => { state.shown += PAGE; renderList(); } }, "show more"));
  }

  // ---- one file
  function openFile(i, line, flash) {
    if (i === null || i === undefined || i < 0 || i >= files.length) return;
    if (line && payload(i).paragraphs.some((p) => p.lines[0] <= line && line <= p.lines[1] && !matches(p))) {
      state.filter = "";  // the paragraph asked for is hidden by the filter: show everything
      filterSelect.value = "";
      renderList();
    }
    state.current = i;
    renderFile(i);
    for (const row of document.querySelectorAll("tr.file-row")) row.classList.toggle("current", Number(row.dataset.file) === i);
    const hash = "#file=" + encodeURIComponent(files[i].label) + (line ? "&line=" + line : "");
    try { if (location.hash !== hash) history.replaceState(null, "", hash); } catch (e) { /* some viewers forbid it */ }
    const paras = [...document.querySelectorAll("#file-view .para")];
    const target = line && (paras.find((p) => Number(p.dataset.first) === line) || paras.find((p) => Number(p.dataset.first) <= line && line <= Number(p.dataset.last)));
    if (target) {
      target.scrollIntoView({ block: "center" });
      if (flash) { target.classList.remove("flash"); void target.offsetWidth; target.classList.add("flash"); }
    } else {
      document.getElementById("right").scrollTop = 0;
    }
  }
  function renderFile(i) {
    const f = files[i];
    const data = payload(i);
    const view = document.getElementById("file-view");
    const removed = Object.entries(f.removed || {}).map(([r, n]) => badge(r, r + " " + n));
    const bytes = f.paragraphs + " paragraphs, " + f.kept + " kept; " + fmt(f.input_bytes) + " bytes in, " + (f.output_bytes === null ? "?" : fmt(f.output_bytes)) + " bytes out";
    const output = f.row === undefined ? (f.output_path ? "" : " (no output file: nothing kept)")
      : f.output_row === undefined ? " (row not written: nothing kept)"
      : "; output " + f.output_path + " row " + f.output_row + (f.kept ? "" : " (its text empty: nothing kept)");
    const head = [el("h2", { class: "path", id: "file-title" }, f.label),
      el("div", { class: "muted" }, (f.row !== undefined ? "row " + f.row + " of " + f.path + ": " : "") + bytes + output + (data.encoding ? "; " + data.encoding : "")), el("div", {}, removed)];
    if (data.metadata) head.push(el("div", { class: "muted" }, "metadata: " + Object.entries(data.metadata).map(([k, v]) => k + "=" + v).join(", ")));
    const body = [];
    let hidden = 0;
    const flushGap = () => { if (hidden) body.push(el("div", { class: "gap" }, "… " + hidden + " paragraph" + (hidden > 1 ? "s" : "") + " not shown by the filter")); hidden = 0; };
    for (const p of data.paragraphs) {
      if (!matches(p)) { hidden++; continue; }
      flushGap();
      body.push(paragraphNode(p));
    }
    flushGap();
    view.replaceChildren(el("div", { id: "file-head" }, head), el("div", { id: "paragraphs" }, body));
  }
  function paragraphNode(p) {
    const lines = p.lines[0] === p.lines[1] ? "line " + p.lines[0] : "lines " + p.lines[0] + "–" + p.lines[1];
    const isVariant = p.twin && p.twin.relation === "variant_of";
    const cls = "para " + (p.reason ? "drop r-" + p.reason : "keep") + (isVariant ? " variant" : "");
    const tags = p.reason ? [badge(p.reason)] : isVariant ? [badge("variant", "variant")] : [];
    const node = el("div", { class: cls, tabindex: 0, role: "button", "aria-expanded": "false", "data-first": p.lines[0], "data-last": p.lines[1], "data-paragraph": p.n, "data-reason": p.reason || "keep" },
      el("div", { class: "ln" }, lines, el("br"), tags),
      el("div", { class: "tx" }, p.text === null ? el("i", {}, "(text not available)") : p.text));
    const toggle = () => {
      const next = node.nextElementSibling;
      if (next && next.classList.contains("details")) { next.remove(); node.setAttribute("aria-expanded", "false"); return; }
      node.after(detailsNode(p));
      node.setAttribute("aria-expanded", "true");
    };
    node.addEventListener("click", toggle);
    node.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); } });
    return node;
  }
  function row(label, ...content) { return el("div", { class: "row" }, el("span", { class: "label" }, label), ...content); }
  function ref(file, source, line) { return el("button", { class: "link path twin-ref", onclick: (e) => { e.stopPropagation(); openFile(file, line, true); } }, source + ":" + line); }
  function diffQuote(diff, side) {
    const out = el("div", { class: "quote " + (side === "twin" ? "twin-text" : "this-text") });
    diff.forEach(([op, a, b]) => {
      const text = side === "twin" ? a : b;
      if (!text) return;
      if (out.childNodes.length) out.append(" ");
      if (op === "=") out.append(text);
      else out.append(el(side === "twin" ? "del" : "ins", {}, text));
    });
    return out;
  }
  function whyText(e) {
    // page.describe_evidence, in the page: the provenance keeps the list (40 bytes, not 180).
    if (!Array.isArray(e)) return String(e);
    const [prob, threshold, words, stop, proseStop, lang, shortRun, neighbours, where] = e;
    const parts = ["article probability " + prob.toFixed(2) + " < " + threshold.toFixed(2),
      words + (words === 1 ? " word" : " words"),
      "stopwords " + stop.toFixed(2) + " (page's prose " + proseStop.toFixed(2) + ", language " + (lang || "unknown") + ")"];
    if (shortRun) parts.push("in a run of " + shortRun + " short lines");
    parts.push("neighbours' probability " + neighbours.toFixed(2));
    if (where === null) parts.push("no article run found");
    else if (where > 0) parts.push(where + " lines before the article's run");
    else if (where < 0) parts.push((-where) + " lines after the article's run");
    else parts.push("inside the article's run");
    return parts.join("; ");
  }
  function rowOutput() {
    // A kept paragraph of a row: its lines are lines of that row's text in the output file.
    const f = files[state.current];
    return f && f.row !== undefined && f.output_row !== undefined ? "output " + f.output_path + " row " + f.output_row + ", lines " : null;
  }
  function detailsNode(p) {
    const box = el("div", { class: "details", "data-paragraph": p.n });
    if (p.reason) box.append(row("removed as", badge(p.reason), " ", REASON_TEXT[p.reason] || ""));
    else box.append(row("kept", p.output ? (rowOutput() ?? "output lines ") + p.output[0] + (p.output[1] !== p.output[0] ? "–" + p.output[1] : "") : ""));
    if (p.rule) box.append(row("rule", el("span", { class: "path" }, p.rule)));
    if (p.template_documents) box.append(row("template line", "found in " + p.template_documents + " documents"));
    if (p.evidence) box.append(row("why", whyText(p.evidence)));
    if (p.metadata) box.append(row("metadata", Object.entries(p.metadata).map(([k, v]) => k + " = " + v).join(", ")));
    if (p.similarity !== undefined) box.append(row("similarity", Number.isInteger(p.similarity) ? p.similarity.toFixed(1) : String(p.similarity)));
    if (p.twin) {
      const tw = p.twin;
      box.append(row(tw.relation === "duplicate_of" ? "kept twin" : "variant of", ref(tw.file, tw.source, tw.line)));
      if (p.differing_numbers) box.append(row("numbers that differ", el("b", {}, p.differing_numbers.join(", "))));
      if (tw.identical) box.append(row("diff", "identical text"));
      else if (tw.missing) box.append(row("diff", el("span", { class: "muted" }, "twin text not available (output file missing)")));
      else if (p.diff) {
        box.append(row(tw.relation === "duplicate_of" ? "twin's text" : "earlier paragraph", el("span", { class: "muted" }, "words missing from this paragraph are struck out")), diffQuote(p.diff, "twin"));
        box.append(row("this paragraph", el("span", { class: "muted" }, "words not in the twin are highlighted")), diffQuote(p.diff, "this"));
      }
    }
    if (p.copies) {
      const refs = p.copies.map((c) => [ref(c.file, c.source, c.line), " (" + c.reason + ")"]);
      box.append(row(p.copy_count + (p.copy_count > 1 ? " copies or variants" : " copy or variant") + " of this paragraph", ...refs.flatMap((r, k) => (k ? [", ", ...r] : r)), p.copy_count > p.copies.length ? " … and " + (p.copy_count - p.copies.length) + " more" : ""));
    }
    return box;
  }

  // ---- start: #file=PATH&line=N opens a file (#file=FILE:ID&line=N a row)
  function fromHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    const label = params.get("file");
    if (label !== null && byLabel.has(label)) openFile(byLabel.get(label), Number(params.get("line")) || undefined, true);
  }
  window.addEventListener("hashchange", fromHash);
  renderList();
  fromHash();
})();
</script>
"""
