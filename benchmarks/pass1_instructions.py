"""Instructions executed by the per-document stages (pass 1), counted by valgrind's callgrind.

Wall and CPU seconds on a shared machine vary by 10% or more from one run to the next, which
hides a change worth 2%. Instruction counts do not: with a fixed hash seed, two runs of the same
code on the same files agree to about 0.3% (about 1% between runs on different days). Used to
judge each of the pass-1 savings of issue 5.

    .venv/bin/python benchmarks/pass1_instructions.py --corpus /tmp/c20 --step 10
    .venv/bin/python benchmarks/pass1_instructions.py --jsonl /tmp/rows.jsonl --step 20

runs ``pipeline.analyse_documents`` (read, decode, repair, segment, rules, match keys,
fingerprints; batches of 16 files, as the workers do) over every STEP-th file of the corpus under
``valgrind --tool=callgrind``, then once over a single file, and prints the difference: the
instructions of the stages for those files without the interpreter's start-up and imports.
With ``--jsonl``, the same over every STEP-th row of a JSONL file, as ``RowInput``s in batches of
256 rows (what ``pipeline._batches`` gives a worker for rows of a few hundred bytes; the worker
parses them), and the count per row. Needs valgrind (Debian: ``apt-get install valgrind``); about
a minute for 185 files or 5,000 rows.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

_CHILD = """
import sys, tempfile
from pathlib import Path
from corpus_dedupe.pipeline import analyse_documents
from corpus_dedupe.reader import discover
from corpus_dedupe.settings import Settings
src, step = Path(sys.argv[1]), int(sys.argv[2])
paths = discover(src)[0][::step] if step else discover(src)[0][:1]
settings = Settings(jobs=1)
with tempfile.NamedTemporaryFile(prefix="pass1-spill-") as spill:  # the paragraphs go here, as in a run
    for i in range(0, len(paths), 16):
        analyse_documents(str(src), paths[i : i + 16], settings, spill.name)
print(len(paths))
"""

_CHILD_ROWS = """
import sys, tempfile
from pathlib import Path
from corpus_dedupe.formats import RowInput
from corpus_dedupe.pipeline import analyse_documents
from corpus_dedupe.settings import Settings
src, step = Path(sys.argv[1]), int(sys.argv[2])
with open(src, "rb") as handle:
    lines = [line.rstrip(b"\\r\\n") for line in handle if line.strip()]
picked = list(enumerate(lines))[::step] if step else list(enumerate(lines))[:1]
rows = [RowInput(src.name, number, raw=raw) for number, raw in picked]
settings = Settings(jobs=1)
with tempfile.NamedTemporaryFile(prefix="pass1-spill-") as spill:  # the paragraphs go here, as in a run
    for i in range(0, len(rows), 256):
        analyse_documents(str(src.parent), rows[i : i + 256], settings, spill.name)
print(len(rows))
"""


def count_instructions(corpus: Path, step: int, rows: bool = False) -> tuple[int, int]:
    """(instructions, files or rows) of one run under callgrind; step 0: the first one only."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", _CHILD_ROWS if rows else _CHILD,
         str(corpus), str(step)],
        capture_output=True, text=True, env=env, check=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1)), int(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--corpus", type=Path, help="a corpus folder, e.g. one made by generate.py")
    what.add_argument("--jsonl", type=Path, help="a JSONL file, e.g. one made by generate_small.py")
    parser.add_argument("--step", type=int, default=10, help="every STEP-th file or row (default 10)")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    if args.step < 1:
        raise SystemExit("--step must be 1 or more")
    source, rows = (args.jsonl, True) if args.jsonl is not None else (args.corpus, False)
    total, count = count_instructions(source, args.step, rows)
    start_up, _ = count_instructions(source, 0, rows)
    unit = "rows" if rows else "files"
    print(f"pass 1 over {count} {unit} of {source} (every {args.step}th): {(total - start_up) / 1e6:,.0f} million instructions"
          + (f", {(total - start_up) / count / 1e3:,.0f} thousand per row" if rows else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
