"""Per-kind precision and recall of dedupe on an extended benchmark corpus, in one command.

    .venv/bin/python benchmarks/kinds.py --size-mb 5 --seed 1

1. generates an extended corpus (``generate.py --extended``: the default kinds plus break_moved,
   case_break_moved, short_edit, copy_of_copy, unique_short_line, name_variant, repeated_label)
   into ``WORK_DIR/corpus-5mb-seed1-extended``, or reuses it when its meta file says it was made
   with the same size, seed and generator version (or takes ``--corpus DIR``);
2. runs ``dedupe CORPUS OUT --quiet [--dedupe-args ...]`` (or reads an earlier run's ``--output``);
3. scores ``OUT/.dedupe/provenance.jsonl`` against the truth per kind and prints Markdown tables
   (``--json-out`` writes the same as JSON).

Scoring. Every written paragraph's kind says whether it is a duplicate (the copy kinds, default and
extended) or must be kept (original, unique_short_line, name_variant, repeated_label); boilerplate is
not scored. A paragraph is a range of source lines (the truth's ``lines``, or up to the next
paragraph for a truth file without them), and provenance records are mapped to it line by line, so
a copy the tool cut into several paragraphs is still scored as one. A line is *removed as
duplicate* when it is dropped and every record on it has reason exact_duplicate, near_duplicate or
contained; a line no record mentions counts as kept ("missing").

* **recall** (duplicate kinds): copies all of whose lines were removed as duplicate. A copy with at
  least one line removed (any reason) and at least one line left in the output "left a fragment".
* **recall J>=0.8**: the same, over the copies whose word 5-gram Jaccard similarity to their source
  (the first occurrence of their origin) is at least 0.8, words taken after case and punctuation
  folding (generate.fold): the copies a MinHash-style matcher at 0.8 is expected to find.
* **wrongly removed** (keep kinds): paragraphs with a line dropped, for any reason, and those with a
  line removed as duplicate.
* **precision**: of the paragraphs with at least one line removed as duplicate, the share that are
  duplicates.
* **unique paragraphs lost**: paragraphs of the keep kinds with a line dropped for any reason other
  than boilerplate or metadata, as a share of all keep-kind paragraphs.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402
import run  # noqa: E402

DUPLICATE_REASONS = run.DUPLICATE_REASONS
NOT_LOST_REASONS = frozenset({"boilerplate", "metadata"})
JACCARD_THRESHOLD = 0.8

Key = tuple[str, int]


# --- inputs ------------------------------------------------------------------------------------


def load_truth_records(path: Path, corpus: Path | None = None) -> list[dict]:
    """Truth records in corpus order (path, then line), each with ``lines`` [first, last]. A truth
    file without ``lines`` (a default corpus) gets them from the corpus: a paragraph runs up to the
    line before the next paragraph of its file (or the file's end), less trailing blank lines."""
    with Path(path).open(encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    records.sort(key=lambda r: (r["path"], int(r["line"])))
    for i, r in enumerate(records):
        if "lines" in r:
            continue
        if corpus is None:
            raise ValueError("the truth has no line ranges: give the corpus to derive them")
        lines = read_lines(corpus, r["path"])
        nxt = records[i + 1] if i + 1 < len(records) and records[i + 1]["path"] == r["path"] else None
        last = int(nxt["line"]) - 1 if nxt else len(lines)
        while last > int(r["line"]) and not lines[last - 1].strip():
            last -= 1
        r["lines"] = [int(r["line"]), last]
    return records


_LINES_CACHE: dict[tuple[str, str], list[str]] = {}


def read_lines(corpus: Path, rel: str) -> list[str]:
    """The lines of a corpus file (UTF-8; the final newline does not start a line)."""
    key = (str(corpus), rel)
    if key not in _LINES_CACHE:
        text = (Path(corpus) / rel).read_bytes().decode("utf-8")
        _LINES_CACHE[key] = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
    return _LINES_CACHE[key]


def paragraph_text(corpus: Path, record: dict) -> str:
    first, last = record["lines"]
    return " ".join(line.strip() for line in read_lines(corpus, record["path"])[first - 1 : last] if line.strip())


def line_decisions(provenance: Path) -> dict[Key, list[tuple[str, str | None]]]:
    """(source, line) -> [(decision, reason)] of every provenance record covering that line (a
    line split into pieces, e.g. a date glued to it, has several)."""
    decisions: dict[Key, list[tuple[str, str | None]]] = {}
    with Path(provenance).open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            first, last = r["lines"]
            for n in range(int(first), int(last) + 1):
                decisions.setdefault((r["source"], n), []).append((r["decision"], r.get("reason")))
    return decisions


def jaccard(a: str, b: str) -> float:
    """Word 5-gram Jaccard similarity after case and punctuation folding."""
    sa = set(generate.shingles(generate.fold(a).split(" ")))
    sb = set(generate.shingles(generate.fold(b).split(" ")))
    return len(sa & sb) / len(sa | sb) if sa or sb else 1.0


# --- scoring -----------------------------------------------------------------------------------


def role(kind: str) -> str | None:
    """"duplicate", "keep", or None (boilerplate: not scored)."""
    if kind in generate.ALL_DUPLICATE_KINDS:
        return "duplicate"
    if kind in generate.ORIGINAL_KINDS:
        return "keep"
    if kind == "boilerplate":
        return None
    raise ValueError(f"unknown kind {kind!r} in the truth")


def outcome(record: dict, corpus: Path, decisions: dict) -> dict:
    """What the tool did to the lines of one truth paragraph."""
    first, last = record["lines"]
    texts = read_lines(corpus, record["path"])
    kept = removed = as_dup = missing = 0
    reasons: list[str] = []
    for n in range(first, last + 1):
        if not texts[n - 1].strip():
            continue
        recs = decisions.get((record["path"], n))
        if not recs:
            missing += 1
            continue
        if any(d != "drop" for d, _ in recs):
            kept += 1
            continue
        removed += 1
        as_dup += all(reason in DUPLICATE_REASONS for _, reason in recs)
        for _, reason in recs:
            if reason not in reasons:
                reasons.append(reason)
    n_lines = kept + removed + missing
    return {
        "lines": n_lines,
        "all_removed_as_duplicate": as_dup == n_lines,
        "any_removed_as_duplicate": as_dup > 0,
        "any_removed": removed > 0,
        "all_removed": removed == n_lines,
        "any_left": kept + missing > 0,
        "missing": missing,
        "reasons": sorted(str(r) for r in reasons),
    }


def score_kinds(records: list[dict], corpus: Path, decisions: dict) -> dict:
    """Per-kind counts and the overall figures (module docstring) from truth records in corpus
    order, the corpus and the line decisions of a run."""
    first_text: dict = {}  # origin -> text of its first occurrence
    kinds: dict[str, dict] = {}
    flagged = flagged_true = 0
    copies = found = copies_hi = found_hi = 0
    keep_total = lost = 0
    lost_reasons: dict[str, int] = {}
    boilerplate_flagged = missing_lines = 0
    covered: set[Key] = set()
    for r in records:
        first, last = r["lines"]
        covered.update((r["path"], n) for n in range(first, last + 1))
        text = paragraph_text(corpus, r)
        source_text = first_text.setdefault(r["origin"], text)
        o = outcome(r, corpus, decisions)
        missing_lines += o["missing"]
        kind_role = role(r["kind"])
        if kind_role is None:
            boilerplate_flagged += o["any_removed_as_duplicate"]
            continue
        k = kinds.setdefault(r["kind"], {"role": kind_role, "paragraphs": 0})
        k["paragraphs"] += 1
        flagged += o["any_removed_as_duplicate"]
        if kind_role == "duplicate":
            flagged_true += o["any_removed_as_duplicate"]
            similar = jaccard(text, source_text) >= JACCARD_THRESHOLD
            for name, add in (
                ("multi_line", o["lines"] > 1),
                ("removed_as_duplicate", o["all_removed_as_duplicate"]),
                ("removed_any_reason", o["all_removed"]),
                ("fragment_left", o["any_removed"] and o["any_left"]),
                ("similar", similar),
                ("similar_removed", similar and o["all_removed_as_duplicate"]),
            ):
                k[name] = k.get(name, 0) + add
            copies += 1
            found += o["all_removed_as_duplicate"]
            copies_hi += similar
            found_hi += similar and o["all_removed_as_duplicate"]
        else:
            keep_total += 1
            k["removed"] = k.get("removed", 0) + o["any_removed"]
            k["removed_as_duplicate"] = k.get("removed_as_duplicate", 0) + o["any_removed_as_duplicate"]
            by_reason = k.setdefault("removed_by_reason", {})
            for reason in o["reasons"]:
                by_reason[reason] = by_reason.get(reason, 0) + 1
            if any(reason not in NOT_LOST_REASONS for reason in o["reasons"]):
                lost += 1
                k["lost"] = k.get("lost", 0) + 1
                for reason in o["reasons"]:
                    if reason not in NOT_LOST_REASONS:
                        lost_reasons[reason] = lost_reasons.get(reason, 0) + 1
            else:
                k.setdefault("lost", 0)
    for k in kinds.values():
        if k["role"] == "duplicate":
            k["recall"] = k["removed_as_duplicate"] / k["paragraphs"]
            k["recall_similar"] = k["similar_removed"] / k["similar"] if k["similar"] else None
        else:
            k["removed_share"] = k["removed"] / k["paragraphs"]
            k["removed_as_duplicate_share"] = k["removed_as_duplicate"] / k["paragraphs"]
            k["removed_by_reason"] = dict(sorted(k["removed_by_reason"].items(), key=lambda kv: (-kv[1], kv[0])))
    order = [k for k in generate.ALL_KINDS if k in kinds]
    return {
        "kinds": {k: kinds[k] for k in order},
        "flagged": flagged,
        "flagged_duplicates": flagged_true,
        "precision": flagged_true / flagged if flagged else None,
        "copies": copies,
        "copies_removed": found,
        "recall": found / copies if copies else None,
        "copies_similar": copies_hi,
        "copies_similar_removed": found_hi,
        "recall_similar": found_hi / copies_hi if copies_hi else None,
        "originals": keep_total,
        "unique_lost": lost,
        "unique_lost_share": lost / keep_total if keep_total else None,
        "unique_lost_by_reason": dict(sorted(lost_reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        "boilerplate_flagged_as_duplicate": boilerplate_flagged,
        "missing_lines": missing_lines,
        "provenance_lines_outside_truth": sum(1 for key in decisions if key not in covered),
    }


# --- report ------------------------------------------------------------------------------------


def fmt(value, digits: int = 3) -> str:
    return run.fmt(value, digits)


def markdown(report: dict) -> str:
    kinds = report["kinds"]
    dup = [(name, k) for name, k in kinds.items() if k["role"] == "duplicate"]
    keep = [(name, k) for name, k in kinds.items() if k["role"] == "keep"]
    lines = [
        "Duplicates (must be removed): recall = copies all of whose lines were removed as a duplicate "
        "(exact_duplicate, near_duplicate, contained).",
        "",
        "| kind | copies | multi-line | removed as duplicate | recall | all lines removed, any reason | left a fragment "
        "| J>=0.8 copies | recall J>=0.8 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, k in dup:
        lines.append(f"| {name} | {k['paragraphs']} | {k['multi_line']} | {k['removed_as_duplicate']} | {fmt(k['recall'])} | "
                     f"{k['removed_any_reason']} | {k['fragment_left']} | {k['similar']} | {fmt(k['recall_similar'])} |")
    lines.append(f"| **all** | {report['copies']} | {sum(k['multi_line'] for _, k in dup)} | {report['copies_removed']} | "
                 f"{fmt(report['recall'])} | {sum(k['removed_any_reason'] for _, k in dup)} | "
                 f"{sum(k['fragment_left'] for _, k in dup)} | {report['copies_similar']} | {fmt(report['recall_similar'])} |")
    lines += [
        "",
        "Originals (must be kept): removed = a line dropped for any reason; lost = dropped for a reason other "
        "than boilerplate or metadata.",
        "",
        "| kind | paragraphs | removed | share | removed as duplicate | share | lost | removed by reason |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, k in keep:
        reasons = ", ".join(f"{r} {n}" for r, n in k["removed_by_reason"].items()) or "-"
        lines.append(f"| {name} | {k['paragraphs']} | {k['removed']} | {fmt(k['removed_share'])} | {k['removed_as_duplicate']} | "
                     f"{fmt(k['removed_as_duplicate_share'])} | {k['lost']} | {reasons} |")
    lost_by = ", ".join(f"{r} {n}" for r, n in report["unique_lost_by_reason"].items())
    lines += [
        "",
        f"- precision (paragraphs with a line removed as duplicate that are duplicates): {fmt(report['precision'])} "
        f"({report['flagged_duplicates']} of {report['flagged']})",
        f"- recall: {fmt(report['recall'])} ({report['copies_removed']} of {report['copies']}); "
        f"recall of copies with J>=0.8: {fmt(report['recall_similar'])} ({report['copies_similar_removed']} of {report['copies_similar']})",
        f"- unique paragraphs lost: {report['unique_lost']} of {report['originals']} ({fmt(report['unique_lost_share'], 4)})"
        + (f": {lost_by}" if lost_by else ""),
        f"- boilerplate lines removed as duplicate (not scored): {report['boilerplate_flagged_as_duplicate']}; "
        f"lines no provenance record mentions: {report['missing_lines']}; "
        f"provenance lines outside every truth paragraph: {report['provenance_lines_outside_truth']}",
    ]
    return "\n".join(lines)


# --- the command -------------------------------------------------------------------------------


def prepare_corpus(args: argparse.Namespace) -> Path:
    """--corpus as given, or an extended corpus generated into (or reused from) --work-dir."""
    if args.corpus:
        corpus = args.corpus
    else:
        corpus = args.work_dir / f"corpus-{args.size_mb:g}mb-seed{args.seed}-extended"
        meta_file = generate.meta_path(corpus)
        meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
        wanted = {"generator_version": generate.GENERATOR_VERSION, "seed": args.seed, "size_mb": args.size_mb, "extended": True}
        if any(meta.get(k) != v for k, v in wanted.items()) or not generate.truth_path(corpus).exists():
            print(f"generating {args.size_mb:g} MB extended corpus into {corpus} ...", file=sys.stderr)
            generate.generate(args.source, args.size_mb, args.seed, corpus, force=True, extended=True)
        else:
            print(f"reusing corpus {corpus}", file=sys.stderr)
    if not generate.truth_path(corpus).exists():
        raise SystemExit(f"no ground truth at {generate.truth_path(corpus)}")
    return corpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Per-kind precision/recall of dedupe on an extended benchmark corpus.")
    parser.add_argument("--corpus", type=Path, help="existing corpus folder (needs <corpus>.truth.jsonl)")
    parser.add_argument("--source", type=Path, default=run.DEFAULT_SOURCE)
    parser.add_argument("--size-mb", type=float, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "corpus-dedupe-bench",
                        help="where generated corpora are kept for reuse")
    parser.add_argument("--output", type=Path, help="score this existing dedupe output folder instead of running dedupe")
    parser.add_argument("--dedupe", help="dedupe executable (default: the repo venv's console script)")
    parser.add_argument("--dedupe-args", default="", help='extra arguments for dedupe, e.g. "--jobs 1"')
    parser.add_argument("--keep-output", action="store_true", help="keep dedupe's output folder")
    parser.add_argument("--json-out", type=Path, help="write the report as JSON here")
    args = parser.parse_args(argv)

    corpus = prepare_corpus(args)
    workdir = None
    command = None
    wall = None
    if args.output:
        out = args.output
    else:
        dedupe = run.find_dedupe(args.dedupe)
        if dedupe is None:
            raise SystemExit("dedupe not found (give --dedupe)")
        workdir = Path(tempfile.mkdtemp(prefix="dedupe-kinds-"))
        out = workdir / "out"
        cmd = [dedupe, str(corpus), str(out), "--quiet", *shlex.split(args.dedupe_args)]
        command = shlex.join(cmd)
        print(f"running {command}", file=sys.stderr)
        start = time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
    try:
        records = load_truth_records(generate.truth_path(corpus), corpus)
        report = score_kinds(records, corpus, line_decisions(out / ".dedupe" / "provenance.jsonl"))
    finally:
        if workdir is not None:
            if args.keep_output:
                print(f"output kept in {out}", file=sys.stderr)
            else:
                shutil.rmtree(workdir, ignore_errors=True)
    meta_file = generate.meta_path(corpus)
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    report = {"corpus": str(corpus), "bytes": meta.get("bytes"), "files": meta.get("files"), "command": command,
              "wall_seconds": round(wall, 2) if wall is not None else None, **report}
    header = f"Corpus: `{corpus}`" + (f": {meta['bytes'] / 1e6:.1f} MB, {meta['files']} files" if meta else "")
    if command:
        header += f"; `{command}` took {wall:.1f} s"
    print(header + ".\n")
    print(markdown(report))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
