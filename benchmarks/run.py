"""Benchmark corpus-dedupe against the datasketch baseline on a generated corpus, in one command.

    python benchmarks/run.py --size-mb 20 --seed 1 --json-out bench20.json

1. generates the corpus with ``generate.py`` (or reuses it when the same size and seed were
   generated before, or takes ``--corpus DIR`` with its ``DIR.truth.jsonl``);
2. runs ``dedupe CORPUS OUT --quiet [--dedupe-args ...]`` and the baseline, each as a subprocess
   under ``/usr/bin/time -v`` for wall time and peak RSS;
3. scores each against the ground truth and prints a Markdown table (also written as JSON).

``--repeat N`` runs dedupe N times around the baseline (half before, half after) and reports the
run with the median wall time, listing all of them (see benchmarks/README.md).

``--corpus NAME.jsonl`` benchmarks a JSONL corpus (one document per row; truth in
``NAME.truth.jsonl``): dedupe's provenance records of rows are keyed by the row's ``id`` and line,
the baseline reads the rows, and MB/s counts the rows' text bytes. ``--shape small`` generates the
many-small-documents corpus (``generate_small.py``: 100,000 documents of 300-330 bytes by default)
as a folder and as one JSONL file with the same ids, benchmarks both shapes one after the other and
prints them side by side with each shape's dedupe/baseline ratios::

    python benchmarks/run.py --shape small --docs 100000 --dedupe-args "--jobs 2" --json-out small.json

Scoring. A ground-truth paragraph is a true duplicate when an earlier paragraph in corpus order
(sorted path, then line) has the same origin; boilerplate is never scored. A system's output is
mapped to ground truth by (path, first line). ``dedupe`` is scored from
``OUT/.dedupe/provenance.jsonl``: a record counts as a flagged duplicate when its reason is
exact_duplicate, near_duplicate or contained. The baseline's JSON list is all flagged paragraphs.
Output that maps to no ground-truth paragraph (the tool cut the text differently) is counted as
"unmapped" and reported rather than dropped, and ground-truth paragraphs a complete provenance
never mentions are reported as "missing" (they count as not flagged).

Units: MB is 10^6 bytes; MB/s is corpus input bytes / wall seconds; peak RSS is "Maximum resident
set size" from time -v. Ratios are dedupe/baseline: speed as MB/s (above 1: dedupe is faster) and
RSS (below 1: dedupe uses less memory). The baseline is single-process while dedupe uses all cores
unless told ``--jobs 1``, and time -v's peak RSS is that of the largest single process in the tree,
not the sum over worker processes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402
import generate_small  # noqa: E402
import to_jsonl  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_SOURCE = Path("/work/shared/bench-text")
DUPLICATE_REASONS = frozenset({"exact_duplicate", "near_duplicate", "contained"})

Key = tuple[str, int]


# --- ground truth ------------------------------------------------------------------------------


@dataclass
class Truth:
    """Labels per (path, line): the kind, and whether it is a true duplicate (None: boilerplate)."""

    kind: dict[Key, str]
    is_duplicate: dict[Key, bool | None]

    @property
    def scored(self) -> list[Key]:
        return [k for k, dup in self.is_duplicate.items() if dup is not None]


def load_truth(path: Path) -> Truth:
    """Read ``<corpus>.truth.jsonl`` and derive the duplicate label from origins in corpus order.

    The label is derived here rather than trusted from ``kind`` so that the definition of a
    duplicate lives in one place and holds for any truth file.
    """
    records = []
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                records.append(((r["path"], int(r["line"])), r["origin"], r["kind"]))
    records.sort(key=lambda r: r[0])
    kind: dict[Key, str] = {}
    is_duplicate: dict[Key, bool | None] = {}
    seen: set = set()
    for key, origin, k in records:
        kind[key] = k
        if k == "boilerplate":
            is_duplicate[key] = None
            continue
        is_duplicate[key] = origin in seen
        seen.add(origin)
    return Truth(kind, is_duplicate)


# --- scoring -----------------------------------------------------------------------------------


@dataclass
class Score:
    scored: int = 0  # non-boilerplate ground-truth paragraphs
    true_duplicates: int = 0
    flagged: int = 0  # flagged paragraphs that map to a scored ground-truth paragraph
    true_positives: int = 0
    precision: float | None = None
    recall: float | None = None
    flagged_boilerplate: int = 0  # flagged as duplicates, but ground truth says boilerplate
    unmapped_records: int = 0  # output records matching no ground-truth paragraph
    unmapped_flagged: int = 0
    missing: int | None = None  # scored paragraphs a complete provenance does not mention
    boilerplate: int = 0  # ground-truth boilerplate paragraphs (not scored above)
    boilerplate_as_boilerplate: int | None = None  # of those, dropped with reason "boilerplate"
    recall_by_kind: dict[str, float] = field(default_factory=dict)
    false_positives_by_kind: dict[str, int] = field(default_factory=dict)


def score(truth: Truth, records: list[tuple[Key, bool, str | None]], complete: bool) -> Score:
    """Precision and recall of flagged duplicates.

    ``records`` are (key, flagged as duplicate, reason) from a system's output; ``complete`` says
    whether the output lists every paragraph (provenance does, the baseline's flagged list does
    not), which is what makes "missing" paragraphs and the boilerplate count meaningful.
    """
    s = Score(scored=len(truth.scored))
    s.boilerplate = len(truth.is_duplicate) - s.scored
    flagged: set[Key] = set()
    mentioned: set[Key] = set()
    as_boilerplate = 0
    for key, is_flagged, reason in records:
        if key not in truth.is_duplicate:
            s.unmapped_records += 1
            s.unmapped_flagged += is_flagged
            continue
        mentioned.add(key)
        if truth.is_duplicate[key] is None and reason == "boilerplate":
            as_boilerplate += 1
        if not is_flagged:
            continue
        if truth.is_duplicate[key] is None:
            s.flagged_boilerplate += 1
        else:
            flagged.add(key)
    per_kind_total: dict[str, int] = {}
    per_kind_found: dict[str, int] = {}
    for key in truth.scored:
        if truth.is_duplicate[key]:
            kind = truth.kind[key]
            per_kind_total[kind] = per_kind_total.get(kind, 0) + 1
            per_kind_found[kind] = per_kind_found.get(kind, 0) + (key in flagged)
        elif key in flagged:
            kind = truth.kind[key]
            s.false_positives_by_kind[kind] = s.false_positives_by_kind.get(kind, 0) + 1
    s.true_duplicates = sum(per_kind_total.values())
    s.true_positives = sum(per_kind_found.values())
    s.flagged = len(flagged)
    s.precision = s.true_positives / s.flagged if s.flagged else None
    s.recall = s.true_positives / s.true_duplicates if s.true_duplicates else None
    s.recall_by_kind = {k: per_kind_found[k] / per_kind_total[k] for k in generate.ALL_KINDS if k in per_kind_total}
    if complete:
        s.missing = sum(1 for key in truth.scored if key not in mentioned)
        s.boilerplate_as_boilerplate = as_boilerplate
    return s


def read_provenance(path: Path, row_names: list[str] | None = None) -> list[tuple[Key, bool, str | None]]:
    """(source, first line), flagged as duplicate, and reason for every dedupe provenance record.

    A record of a JSONL row (it has ``row``) is keyed by the row's ``id`` instead of the source
    file, and its lines count in the row's text: for a corpus made by ``to_jsonl.py`` the id is the
    file's relative path, so the key is the one the folder's ground truth uses. A row without an id
    takes its name from ``row_names[row]`` (the ids ``corpus_rows`` read from the file)."""
    records = []
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            flagged = r.get("decision") == "drop" and r.get("reason") in DUPLICATE_REASONS
            if r.get("row") is None:
                name = r["source"]
            elif r.get("id") is not None:
                name = str(r["id"])
            else:
                name = row_names[int(r["row"])] if row_names is not None else str(r["row"])
            records.append(((name, int(r["lines"][0])), flagged, r.get("reason")))
    return records


def read_flagged_list(path: Path) -> list[tuple[Key, bool, str | None]]:
    """The baseline's output: every listed paragraph is flagged; there are no reasons."""
    return [((r["path"], int(r["line"])), True, None) for r in json.loads(Path(path).read_text(encoding="utf-8"))]


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Measurement:
    wall_seconds: float
    peak_rss_mb: float
    returncode: int
    stderr_tail: str
    cpu_seconds: float  # user + system, the process and the children it waited for (dedupe's workers)


def _wall_seconds(value: str) -> float:
    """time -v's "h:mm:ss" or "m:ss.ss"."""
    seconds = 0.0
    for part in value.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def measure(cmd: list[str], workdir: Path, name: str, timeout: float | None) -> Measurement:
    """Run ``cmd`` under /usr/bin/time -v; time's report goes to its own file (-o) so it cannot
    mix with the program's stderr."""
    time_file = workdir / f"{name}.time"
    stderr_file = workdir / f"{name}.stderr"
    with stderr_file.open("wb") as err:
        proc = subprocess.run(
            ["/usr/bin/time", "-v", "-o", str(time_file), *cmd],
            stdout=subprocess.DEVNULL,
            stderr=err,
            timeout=timeout,
        )
    report = time_file.read_text(errors="replace")
    wall = re.search(r"Elapsed \(wall clock\) time.*?: ([\d:.]+)", report)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    if not wall or not rss:
        raise RuntimeError(f"could not parse /usr/bin/time output:\n{report}")
    cpu = sum(float(m.group(1)) for m in re.finditer(r"(?:User|System) time \(seconds\): ([\d.]+)", report))
    tail = stderr_file.read_text(errors="replace")[-2000:]
    return Measurement(_wall_seconds(wall.group(1)), int(rss.group(1)) * 1024 / 1e6, proc.returncode, tail, cpu)


# --- the run -----------------------------------------------------------------------------------


def is_jsonl(corpus: Path) -> bool:
    return corpus.suffix == ".jsonl" and not corpus.is_dir()


def truth_of(corpus: Path) -> Path:
    """The ground truth of a corpus: ``DIR.truth.jsonl`` beside a folder ``DIR``; for a JSONL
    corpus ``NAME.jsonl``, ``NAME.truth.jsonl`` (the truth of the folder it was made from)."""
    corpus = Path(corpus)
    return generate.truth_path(corpus.with_suffix("") if is_jsonl(corpus) else corpus)


def corpus_rows(corpus: Path) -> tuple[list[str], int]:
    """A JSONL corpus's row names (``id``, else the row number) and the UTF-8 bytes of its texts."""
    names, size = [], 0
    for k, row in enumerate(to_jsonl.read_rows(corpus)):
        names.append(str(k) if row.get("id") is None else str(row["id"]))
        size += len(row["text"].encode("utf-8"))
    return names, size


def corpus_bytes(corpus: Path) -> int:
    """Input bytes: the files of a folder; for a JSONL corpus the UTF-8 bytes of the rows' texts
    (the documents themselves, so that MB/s compares with the same documents as files)."""
    if is_jsonl(corpus):
        return corpus_rows(corpus)[1]
    return sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file())


def prepare_corpus(args: argparse.Namespace) -> Path:
    """The corpus to benchmark: --corpus as given, or a generated one, reused when its meta file
    says it was made with the same size, seed and generator version."""
    if args.corpus:
        corpus = args.corpus
    else:
        corpus = args.work_dir / f"corpus-{args.size_mb:g}mb-seed{args.seed}"
        meta_file = generate.meta_path(corpus)
        meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
        wanted = {"generator_version": generate.GENERATOR_VERSION, "seed": args.seed, "size_mb": args.size_mb}
        if any(meta.get(k) != v for k, v in wanted.items()) or not generate.truth_path(corpus).exists():
            print(f"generating {args.size_mb:g} MB corpus into {corpus} ...", file=sys.stderr)
            generate.generate(args.source, args.size_mb, args.seed, corpus, force=True)
        else:
            print(f"reusing corpus {corpus}", file=sys.stderr)
    if not truth_of(corpus).exists():
        raise SystemExit(f"no ground truth at {truth_of(corpus)}")
    return corpus


def prepare_small_corpus(args: argparse.Namespace) -> tuple[Path, Path]:
    """The many-small-documents corpus (``generate_small.py``) as a folder and as ``<folder>.jsonl``:
    --corpus as given (its JSONL file written when missing), or a generated one, reused when its
    meta file says it was made with the same documents, size, seed and generator version."""
    if args.corpus:
        folder = args.corpus
        if not folder.is_dir():
            raise SystemExit(f"--shape {args.shape} takes the folder of the small-document corpus as --corpus, not {folder}")
        jsonl = generate_small.jsonl_path(folder)
        if not jsonl.exists():
            print(f"writing {jsonl} ...", file=sys.stderr)
            to_jsonl.folder_to_jsonl(folder, jsonl)
    else:
        docs = args.docs if args.docs is not None or args.size_mb is not None else generate_small.DEFAULT_DOCS
        name = f"small-{docs}docs" if docs is not None else f"small-{args.size_mb:g}mb"
        folder = args.work_dir / f"{name}-seed{args.seed}"
        jsonl = generate_small.jsonl_path(folder)
        meta_file = generate.meta_path(folder)
        meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
        wanted = {"generator": "generate_small", "generator_version": generate_small.SMALL_GENERATOR_VERSION,
                  "seed": args.seed, "docs_wanted": docs, "size_mb": None if docs is not None else args.size_mb}
        if any(meta.get(k) != v for k, v in wanted.items()) or not generate.truth_path(folder).exists() or not jsonl.exists():
            print(f"generating the small-document corpus into {folder} and {jsonl} ...", file=sys.stderr)
            generate_small.generate_small(args.source, folder, args.seed, docs=docs,
                                          size_mb=None if docs is not None else args.size_mb, force=True, jsonl=True)
        else:
            print(f"reusing corpus {folder} and {jsonl}", file=sys.stderr)
    if not generate.truth_path(folder).exists():
        raise SystemExit(f"no ground truth at {generate.truth_path(folder)}")
    return folder, jsonl


def git_state() -> dict:
    """The commit, and the files under src/ that differ from it (dedupe is installed from the
    working tree, so uncommitted edits under src/ are part of what is measured), with a digest of
    that difference so that two states with the same files modified can be told apart."""
    def git(*cmd: str) -> str:
        done = subprocess.run(["git", "-C", str(REPO), *cmd], capture_output=True, text=True)
        return done.stdout if done.returncode == 0 else ""
    changed = [line[3:] for line in git("status", "--porcelain", "--", "src").splitlines() if line.strip()]
    diff = git("diff", "HEAD", "--", "src")
    return {"commit": git("log", "--oneline", "-1").strip(), "uncommitted_src_files": changed,
            "src_diff_sha256": hashlib.sha256(diff.encode("utf-8", "surrogateescape")).hexdigest() if diff else None}


def find_dedupe(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    venv_script = REPO / ".venv" / "bin" / "dedupe"
    if venv_script.exists():
        return str(venv_script)
    return shutil.which("dedupe")


def run_system(name, cmd, output_reader, complete, truth, input_bytes, workdir, timeout, run_facts: Path | None = None,
               measure_name: str | None = None) -> dict:
    """Measure and score one system. ``run_facts``: where the system writes its own account of
    the run (dedupe's run.json), copied into the report: its stages' wall and CPU seconds tell a
    slow phase of the machine (every stage slower, CPU seconds up) from a slower stage."""
    print(f"running {name}: {shlex.join(cmd)}", file=sys.stderr)
    m = measure(cmd, workdir, measure_name or name, timeout)
    result = {"system": name, "command": shlex.join(cmd), "returncode": m.returncode}
    result.update(
        wall_seconds=round(m.wall_seconds, 2),
        cpu_seconds=round(m.cpu_seconds, 2),
        mb_per_s=round(input_bytes / 1e6 / m.wall_seconds, 3) if m.wall_seconds else None,
        peak_rss_mb=round(m.peak_rss_mb, 1),
    )
    if m.returncode != 0:
        result["error"] = m.stderr_tail
        return result
    if run_facts is not None and run_facts.exists():
        facts = json.loads(run_facts.read_text())
        result["stages"] = {stage: {"wall_seconds": seconds, "cpu_seconds": facts.get("cpu_seconds", {}).get(stage)}
                            for stage, seconds in facts.get("timings_seconds", {}).items()}
    result["score"] = asdict(score(truth, output_reader(), complete))
    return result


def summarise_runs(runs: list[dict]) -> dict:
    """One system's entry from its repeated runs: the run with the median wall time (the lower
    of the two middle ones for an even count: a run that happened, not an average), with every
    run's wall and CPU seconds, MB/s, peak RSS and place listed under "runs"; the peak RSS is the
    highest of all runs, and "same_result" tells whether every run flagged the same paragraphs
    (the output is deterministic, so anything else is a bug)."""
    if len(runs) == 1:
        return runs[0]
    ok = [r for r in runs if r["returncode"] == 0]
    if len(ok) < len(runs):
        return next(r for r in runs if r["returncode"] != 0)
    median = sorted(ok, key=lambda r: r["wall_seconds"])[(len(ok) - 1) // 2]
    entry = dict(median)
    entry["peak_rss_mb"] = max(r["peak_rss_mb"] for r in ok)
    entry["runs"] = [{k: r.get(k) for k in ("wall_seconds", "cpu_seconds", "mb_per_s", "peak_rss_mb", "when")} for r in runs]
    entry["median_run"] = runs.index(median)
    entry["same_result"] = all(r["score"] == ok[0]["score"] for r in ok)
    return entry


def fmt(value, digits=3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown(report: dict) -> str:
    rows = [
        "| system | wall s | CPU s | MB/s | peak RSS MB | precision | recall | flagged | unmapped | missing |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["systems"]:
        s = r.get("score", {})
        status = "" if r["returncode"] == 0 else f" (failed, exit {r['returncode']})"
        rows.append(
            f"| {r['system']}{status} | {fmt(r['wall_seconds'], 2)} | {fmt(r.get('cpu_seconds'), 2)} | {fmt(r['mb_per_s'], 2)} | "
            f"{fmt(r['peak_rss_mb'], 1)} | {fmt(s.get('precision'))} | {fmt(s.get('recall'))} | "
            f"{fmt(s.get('flagged'))} | {fmt(s.get('unmapped_records'))} | {fmt(s.get('missing'))} |"
        )
    for note in report.get("skipped", []):
        rows.append(f"| {note} | - | - | - | - | - | - | - | - | - |")
    if report.get("format") == "jsonl":
        what = (f"{report['input_mb']:.1f} MB of row text in one {report['input_file_mb']:.1f} MB JSONL file, "
                f"{report['documents']} rows")
    else:
        what = f"{report['input_mb']:.1f} MB, {report['files']} files"
    lines = [
        f"Corpus: `{report['corpus']}`: {what}, "
        f"{report['scored_paragraphs']} scored paragraphs, {report['true_duplicates']} true duplicates.",
        "",
        *rows,
    ]
    for r in report["systems"]:
        if r.get("runs"):
            lines += ["", f"{r['system']}: {len(r['runs'])} runs, the table shows the median one (run {r['median_run'] + 1}); "
                      + ("every run flagged the same paragraphs" if r["same_result"] else "THE RUNS FLAGGED DIFFERENT PARAGRAPHS") + ":"]
            lines += [f"- run {k}: {run['wall_seconds']:.2f} s wall, {run['cpu_seconds']:.2f} CPU s, {run['peak_rss_mb']:.1f} MB peak RSS"
                      + (f", {run['when']}" if run["when"] else "") for k, run in enumerate(r["runs"], 1)]
    if report.get("ratios"):
        ratios = report["ratios"]
        lines += [
            "",
            f"dedupe/baseline: speed (MB/s) x{fmt(ratios['speed'], 2)}, peak RSS x{fmt(ratios['rss'], 2)}",
        ]
    for r in report["systems"]:
        if r.get("stages"):
            lines += ["", f"{r['system']} by stage (its run.json), wall s (CPU s main + workers):",
                      "; ".join(f"{stage} {v['wall_seconds']:.2f}" + (f" ({v['cpu_seconds']['main']:.1f} + {v['cpu_seconds']['workers']:.1f})"
                                                                       if v.get("cpu_seconds") else "")
                                for stage, v in r["stages"].items())]
    scored = [r for r in report["systems"] if "score" in r]
    if scored:
        lines.append("")
        for r in scored:
            s = r["score"]
            as_bp = "" if s["boilerplate_as_boilerplate"] is None else f"{s['boilerplate_as_boilerplate']} dropped as boilerplate, "
            lines.append(
                f"{r['system']}: of {s['boilerplate']} boilerplate lines (not scored), {as_bp}"
                f"{s['flagged_boilerplate']} flagged as duplicates; {s['unmapped_flagged']} unmapped records flagged."
            )
        kinds = [k for k in generate.ALL_DUPLICATE_KINDS if any(k in r["score"]["recall_by_kind"] for r in scored)]
        lines += ["", "Recall by kind:", "", "| system | " + " | ".join(kinds) + " |", "|---|" + "---:|" * len(kinds)]
        for r in scored:
            by_kind = r["score"]["recall_by_kind"]
            lines.append(f"| {r['system']} | " + " | ".join(fmt(by_kind.get(k)) for k in kinds) + " |")
    return "\n".join(lines)


def bench_corpus(corpus: Path, args: argparse.Namespace, workdir: Path, tag: str = "") -> dict:
    """Time and score dedupe (``--repeat`` runs, split around the baseline's) and the baseline on
    one corpus, a folder or a JSONL file; every output goes to ``workdir`` (``tag`` keeps the
    names of several corpora's files apart) and nothing there is deleted."""
    truth = load_truth(truth_of(corpus))
    row_names = None
    if is_jsonl(corpus):
        row_names, input_bytes = corpus_rows(corpus)
    else:
        input_bytes = corpus_bytes(corpus)
    report = {
        "corpus": str(corpus),
        "format": "jsonl" if is_jsonl(corpus) else "folder",
        "input_mb": input_bytes / 1e6,
        "files": 1 if is_jsonl(corpus) else sum(1 for p in corpus.rglob("*") if p.is_file()),
        "documents": len(row_names) if row_names is not None else None,
        "scored_paragraphs": len(truth.scored),
        "true_duplicates": sum(1 for v in truth.is_duplicate.values() if v),
        "systems": [],
        "skipped": [],
    }
    if is_jsonl(corpus):
        report["input_file_mb"] = corpus.stat().st_size / 1e6
    else:
        report["documents"] = report["files"]
    dedupe = None if args.skip_dedupe else find_dedupe(args.dedupe)
    if not args.skip_dedupe and dedupe is None:
        report["skipped"].append("dedupe (not installed)")
    dedupe_runs: list[dict] = []
    prefix = f"{tag}-" if tag else ""

    def run_dedupe(k: int, when: str) -> None:
        # Each run writes a folder of its own, and none is deleted until every system has
        # been timed: creating files soon after deleting many is slow on this machine (ext4
        # passes over recently freed inodes; see the README's trap), so a deletion between
        # runs would slow the next run's write stage.
        out = workdir / f"{prefix}out{k}"
        cmd = [dedupe, str(corpus), str(out), "--quiet", *shlex.split(args.dedupe_args)]
        provenance = out / ".dedupe" / "provenance.jsonl"
        result = run_system("dedupe", cmd, lambda: read_provenance(provenance, row_names), True, truth, input_bytes,
                            workdir, args.timeout, run_facts=out / ".dedupe" / "run.json", measure_name=f"{prefix}dedupe{k}")
        result["when"] = when
        dedupe_runs.append(result)

    # Repeated runs of dedupe are split around the baseline's: the machine's speed drifts
    # during the baseline's minutes, and the runs on either side of it see that drift.
    before = -(-args.repeat // 2) if not args.skip_baseline else args.repeat
    if dedupe is not None:
        for k in range(before):
            run_dedupe(k, "before the baseline" if not args.skip_baseline else "")
    if not args.skip_baseline:
        flagged_file = workdir / f"{prefix}baseline.json"
        cmd = [sys.executable, str(HERE / "baseline_datasketch.py"), str(corpus), "--out", str(flagged_file)]
        baseline_result = run_system("baseline", cmd, lambda: read_flagged_list(flagged_file), False, truth, input_bytes,
                                     workdir, args.timeout, measure_name=f"{prefix}baseline")
    if dedupe is not None:
        for k in range(before, args.repeat):
            run_dedupe(k, "after the baseline")
        report["systems"].append(summarise_runs(dedupe_runs))
    if not args.skip_baseline:
        report["systems"].append(baseline_result)
    by_name = {r["system"]: r for r in report["systems"] if r["returncode"] == 0}
    if "dedupe" in by_name and "baseline" in by_name:
        d, b = by_name["dedupe"], by_name["baseline"]
        report["ratios"] = {
            "speed": d["mb_per_s"] / b["mb_per_s"] if d["mb_per_s"] and b["mb_per_s"] else None,
            "rss": d["peak_rss_mb"] / b["peak_rss_mb"] if b["peak_rss_mb"] else None,
        }
    return report


def markdown_side_by_side(report: dict) -> str:
    """The shapes of one run in one table: each system's figures per shape, the dedupe/baseline
    ratios of the same shape, and JSONL against folder for each system."""
    shapes = report["shapes"]
    rows = [
        "| shape | system | wall s | CPU s | MB/s | peak RSS MB | precision | recall | speed ratio | RSS ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for shape in shapes:
        ratios = shape.get("ratios") or {}
        for r in shape["systems"]:
            sc = r.get("score", {})
            status = "" if r["returncode"] == 0 else f" (failed, exit {r['returncode']})"
            is_dedupe = r["system"] == "dedupe"
            rows.append(
                f"| {shape['format']} | {r['system']}{status} | {fmt(r['wall_seconds'], 2)} | {fmt(r.get('cpu_seconds'), 2)} | "
                f"{fmt(r['mb_per_s'], 2)} | {fmt(r['peak_rss_mb'], 1)} | {fmt(sc.get('precision'))} | {fmt(sc.get('recall'))} | "
                f"{'x' + fmt(ratios.get('speed'), 2) if is_dedupe and ratios else '-'} | "
                f"{'x' + fmt(ratios.get('rss'), 2) if is_dedupe and ratios else '-'} |"
            )
    first = shapes[0]
    lines = [
        f"{first['documents']} documents, {first['input_mb']:.2f} MB of document text (MB = 10^6 bytes; MB/s of every row is "
        f"this size over the wall time), {first['scored_paragraphs']} scored paragraphs, {first['true_duplicates']} true duplicates.",
        "Ratios are dedupe/baseline on the same shape: speed (MB/s; above 1: dedupe is faster) and peak RSS (below 1: dedupe uses less).",
        "",
        *rows,
    ]
    by_shape = {shape["format"]: {r["system"]: r for r in shape["systems"] if r["returncode"] == 0} for shape in shapes}
    if "folder" in by_shape and "jsonl" in by_shape:
        notes = []
        for system in ("dedupe", "baseline"):
            f, j = by_shape["folder"].get(system), by_shape["jsonl"].get(system)
            if f and j and f["wall_seconds"] and j["wall_seconds"]:
                same = f.get("score") == j.get("score")
                notes.append(f"{system} JSONL/folder wall time x{j['wall_seconds'] / f['wall_seconds']:.2f}"
                             + ("; the same paragraphs flagged in both shapes" if same else "; the shapes' scores differ"))
        if notes:
            lines += ["", *(f"- {note}" for note in notes)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark dedupe against the datasketch baseline.")
    parser.add_argument("--corpus", type=Path,
                        help="existing corpus: a folder (needs <corpus>.truth.jsonl) or a NAME.jsonl file (needs "
                             "NAME.truth.jsonl); with --shape small*, the small-document folder (its JSONL is <corpus>.jsonl)")
    parser.add_argument("--shape", choices=("folder", "small", "small-folder", "small-jsonl"), default="folder",
                        help="folder: the default corpus (generate.py) or --corpus; small: the many-small-documents corpus "
                             "(generate_small.py) as a folder of files and as one JSONL file, benchmarked one after the "
                             "other and reported side by side; small-folder, small-jsonl: one of the two")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--size-mb", type=float, help="corpus size (default 20; with --shape small*, instead of --docs)")
    parser.add_argument("--docs", type=int, help=f"documents of the small-document corpus (default {generate_small.DEFAULT_DOCS})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "corpus-dedupe-bench",
                        help="where generated corpora are kept for reuse")
    parser.add_argument("--dedupe", help="dedupe executable (default: the repo venv's console script)")
    parser.add_argument("--dedupe-args", default="", help='extra arguments for dedupe, e.g. "--jobs 4"')
    parser.add_argument("--skip-dedupe", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--timeout", type=float, help="seconds per system")
    parser.add_argument("--json-out", type=Path, help="write the report as JSON here")
    parser.add_argument("--markdown-out", type=Path, help="write the printed report here too")
    parser.add_argument("--keep-output", action="store_true", help="keep dedupe's output folders")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of dedupe, half before and half after the baseline's; the median one is reported (default 1)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    if args.docs is not None and args.shape == "folder":
        parser.error("--docs goes with --shape small, small-folder or small-jsonl")
    if args.docs is not None and args.size_mb is not None:
        parser.error("give --docs or --size-mb, not both")

    if args.shape == "folder":
        if args.size_mb is None:
            args.size_mb = 20
        corpora = [("", prepare_corpus(args))]
    else:
        folder, jsonl = prepare_small_corpus(args)
        corpora = {"small": [("folder", folder), ("jsonl", jsonl)], "small-folder": [("folder", folder)],
                   "small-jsonl": [("jsonl", jsonl)]}[args.shape]
    git_at_start = git_state()
    workdir = Path(tempfile.mkdtemp(prefix="dedupe-bench-"))
    try:
        reports = [bench_corpus(corpus, args, workdir, tag) for tag, corpus in corpora]
    finally:
        if args.keep_output:
            print(f"outputs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    command = shlex.join(["benchmarks/run.py", *(sys.argv[1:] if argv is None else argv)])
    if len(reports) == 1:
        report = reports[0]
        text = markdown(report)
    else:
        report = {"shape": args.shape, "shapes": reports}
        text = "\n\n".join([markdown_side_by_side(report)]
                            + [f"### {r['format']}: `{r['corpus']}`\n\n" + markdown(r) for r in reports])
    report["command"] = command
    git_at_end = git_state()
    report["git"] = {"at_start": git_at_start, "at_end": git_at_end}
    if git_at_end != git_at_start:  # another engineer committed or edited src/ during the run
        text += ("\n\nThe source tree changed during the run (at the start: "
                 f"{git_at_start['commit'].split(' ')[0]}, {len(git_at_start['uncommitted_src_files'])} files under src/ edited; "
                 f"at the end: {git_at_end['commit'].split(' ')[0]}, {len(git_at_end['uncommitted_src_files'])}): "
                 "the runs may not all have run the same code.")
    print(text)
    if args.markdown_out:
        args.markdown_out.write_text(text + "\n", encoding="utf-8")
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r["returncode"] == 0 for rep in reports for r in rep["systems"]) else 1


if __name__ == "__main__":
    sys.exit(main())
