"""Incremental runs against a large index: the time, memory and index size of one batch.

    .venv/bin/python benchmarks/incremental.py --corpus /tmp/c1020 --batch-mb 20 --index-batches 10 \
        --work /tmp/incbench --json-out X.json --markdown-out X.md

takes a generated corpus (``benchmarks/generate.py``; 1,020 MB for the figures in
``benchmarks/results/incremental.md``), cuts its files in corpus order into ``--index-batches``
earlier batches (equal bytes) and one last batch of ``--batch-mb`` MB (hard links, no copies),
builds the index from the earlier batches (``dedupe BATCH OUT --index DIR``, one after the other),
then runs the last batch ``--repeat`` times each way, alternating, in the same command:

* against an empty index (a new DIR each time): the baseline;
* against the index of all earlier batches (its ``index.json`` is put back after each run, so
  the batch is never indexed twice; the segment the run wrote is a leftover the next run removes).

Reported: wall seconds of each run and the ratio of the medians (target: within 1.5), the peak
RSS of the largest process of a run (``ru_maxrss``), of which how much were the index's pages
mapped into the dedupe process (``rss_file_mb`` of run.json: the kernel's page cache, dropped
under memory pressure), the index's size on disk per MB of indexed source text, and the time to
build it (each earlier batch's run). ``--check`` also runs one run over all the files
and compares the last batch's decisions with it, paragraph by paragraph (minutes at 1 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

DEDUPE = [sys.executable, "-c", "from corpus_dedupe.cli import main; main()"]


def files_in_order(corpus: Path) -> list[tuple[str, int]]:
    return sorted((p.relative_to(corpus).as_posix(), p.stat().st_size) for p in corpus.rglob("*") if p.is_file())


def cut(files: list[tuple[str, int]], batch_bytes: int, index_batches: int) -> list[list[str]]:
    """Earlier batches of equal bytes, then the last batch of about ``batch_bytes``."""
    total = sum(size for _, size in files)
    last_from, running = len(files), 0
    while last_from > 0 and running < batch_bytes:
        last_from -= 1
        running += files[last_from][1]
    earlier = files[:last_from]
    share = (total - running) / index_batches
    batches: list[list[str]] = [[] for _ in range(index_batches)]
    at = 0
    for rel, size in earlier:
        batches[min(index_batches - 1, int(at // share))].append(rel)
        at += size
    return [*batches, [rel for rel, _ in files[last_from:]]]


def link_batch(corpus: Path, rels: list[str], folder: Path) -> None:
    for rel in rels:
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(corpus / rel, target)


_WRAPPER = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(done.returncode)")


def run(args: list[str]) -> tuple[float, float]:
    """Wall seconds, and the peak RSS (MB) of the largest process of the run (the dedupe process
    or one of its workers: a fresh wrapper process waits for it, so its children's peak is this
    run's alone)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _WRAPPER, *DEDUPE, *args, "-q"], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"dedupe {' '.join(args)} failed: {done.stderr.strip()}")
    return seconds, int(done.stdout.split()[-1]) / 1024


def _rss_file(dst: Path) -> float:
    facts = json.loads((dst / ".dedupe" / "run.json").read_text())
    return max(v for v in facts.get("rss_file_mb", {}).values() if v is not None)


def tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--batch-mb", type=float, default=20.0)
    parser.add_argument("--index-batches", type=int, default=10)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="reuse the batches and index that an earlier run left in --work "
                        "(the build figures are that run's)")
    parser.add_argument("--check", action="store_true", help="compare the last batch's decisions with one run over all files")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--markdown-out", type=Path)
    args = parser.parse_args()

    work = args.work
    jobs = ["--jobs", str(args.jobs)]
    index = work / "index"
    reused = args.reuse and (work / "built.json").exists()
    if reused:  # the batches and the index of an earlier run of this command
        built = json.loads((work / "built.json").read_text())
        folders = [work / name for name in built["folders"]]
        build_seconds, build_times, build_peak = built["build_seconds"], built["build_batch_seconds"], built["build_peak_rss_mb"]
        for stale in work.glob("last-*"):
            shutil.rmtree(stale)
        for stale in work.glob("empty-index-*"):
            shutil.rmtree(stale)
        listed = {b["dir"] for b in json.loads((index / "index.json").read_text())["batches"]}
        for stale in index.iterdir():  # the segment the last timed run wrote (not in the index)
            if stale.is_dir() and stale.name not in listed:
                shutil.rmtree(stale)
    else:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        batches = cut(files_in_order(args.corpus), int(args.batch_mb * 1e6), args.index_batches)
        folders = []
        for b, rels in enumerate(batches, 1):
            folder = work / f"batch{b:03d}"
            link_batch(args.corpus, rels, folder)
            folders.append(folder)
        build_start = time.perf_counter()
        build_peak = 0.0
        build_times = []
        for folder in folders[:-1]:
            seconds, peak = run([str(folder), str(work / "out" / folder.name), "--index", str(index), *jobs])
            build_times.append(round(seconds, 2))
            build_peak = max(build_peak, peak)
            shutil.rmtree(work / "out" / folder.name)  # (1 GB of outputs: not kept)
        build_seconds = round(time.perf_counter() - build_start, 1)
        (work / "built.json").write_text(json.dumps({"folders": [f.name for f in folders], "build_seconds": build_seconds,
                                                     "build_batch_seconds": build_times, "build_peak_rss_mb": build_peak}))
    indexed_bytes = sum(tree_bytes(f) for f in folders[:-1])
    index_bytes = tree_bytes(index)
    manifest = (index / "index.json").read_bytes()
    last = folders[-1]
    batch_bytes = tree_bytes(last)

    empty_times, full_times, empty_peaks, full_peaks, empty_file, full_file = [], [], [], [], [], []
    for k in range(args.repeat):
        fresh = work / f"empty-index-{k}"
        seconds, peak = run([str(last), str(work / f"last-empty-{k}"), "--index", str(fresh), *jobs])
        empty_times.append(seconds)
        empty_peaks.append(peak)
        empty_file.append(_rss_file(work / f"last-empty-{k}"))
        seconds, peak = run([str(last), str(work / f"last-full-{k}"), "--index", str(index), *jobs])
        full_times.append(seconds)
        full_peaks.append(peak)
        full_file.append(_rss_file(work / f"last-full-{k}"))
        (index / "index.json").write_bytes(manifest)  # the batch is not kept in the index
    ratio = statistics.median(full_times) / statistics.median(empty_times)
    results = {
        "corpus": str(args.corpus), "index_batches": args.index_batches, "indexed_mb": round(indexed_bytes / 1e6, 1),
        "batch_mb": round(batch_bytes / 1e6, 2), "jobs": args.jobs,
        "build_seconds": build_seconds, "index_reused": reused, "build_batch_seconds": build_times, "build_peak_rss_mb": round(build_peak, 1),
        "index_bytes": index_bytes, "index_mb_per_indexed_mb": round(index_bytes / indexed_bytes, 3),
        "batch_seconds_empty_index": [round(t, 2) for t in empty_times],
        "batch_seconds_full_index": [round(t, 2) for t in full_times],
        "ratio_of_medians": round(ratio, 3),
        "peak_rss_mb_empty_index": round(max(empty_peaks), 1), "peak_rss_mb_full_index": round(max(full_peaks), 1),
        # mapped files resident in the dedupe process, less what a run with an empty index maps (libraries)
        "index_pages_resident_mb_full_index": round(max(full_file) - min(empty_file), 1),
        "index_rows": json.loads(manifest)["rows"],
    }
    if args.check:
        whole = work / "whole"
        for stale in (whole, work / "whole-out"):
            if stale.exists():
                shutil.rmtree(stale)
        os.makedirs(whole)
        for folder in folders:
            shutil.copytree(folder, whole, dirs_exist_ok=True, copy_function=os.link)
        run([str(whole), str(work / "whole-out"), *jobs])
        results["decisions_equal_to_one_run"] = _compare(work / "whole-out", work / "last-full-0")
    print(json.dumps(results, indent=1))
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=1) + "\n")
    if args.markdown_out:
        args.markdown_out.write_text(_markdown(results))


def _decisions(dst: Path, only: set[str] | None = None) -> dict:
    out = {}
    with open(dst / ".dedupe" / "provenance.jsonl", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if "paragraph" not in r or (only is not None and r["source"] not in only):
                continue
            dup = r.get("duplicate_of") or {}
            out[(r["source"], r["paragraph"])] = (r["decision"], r.get("reason"), r.get("rule"), dup.get("source"), dup.get("paragraph"))
    return out


def _compare(whole: Path, batch: Path) -> dict:
    mine = _decisions(batch)
    theirs = _decisions(whole, {source for source, _ in mine})
    differing = [k for k in mine if mine[k] != theirs.get(k)]
    template = [k for k in differing if "template.repeated_line" in (mine[k][2], theirs.get(k, (None,) * 3)[2])]
    return {"paragraphs": len(mine), "differing": len(differing), "differing_template_lines": len(template)}


def _markdown(r: dict) -> str:
    return (
        f"| indexed | batch | index on disk | build | batch, empty index (s) | batch, full index (s) | ratio | peak RSS empty / full |\n"
        f"|---|---|---|---|---|---|---|---|\n"
        f"| {r['indexed_mb']} MB in {r['index_batches']} batches, {r['index_rows']} paragraphs | {r['batch_mb']} MB "
        f"| {r['index_bytes'] / 1e6:.0f} MB ({r['index_mb_per_indexed_mb']} MB per MB) | {r['build_seconds']} s "
        f"| {', '.join(map(str, r['batch_seconds_empty_index']))} | {', '.join(map(str, r['batch_seconds_full_index']))} "
        f"| x{r['ratio_of_medians']} | {r['peak_rss_mb_empty_index']} / {r['peak_rss_mb_full_index']} MB "
        f"(of which mapped index pages {r['index_pages_resident_mb_full_index']} MB) |\n"
    )


if __name__ == "__main__":
    main()
