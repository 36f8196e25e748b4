"""Instructions executed by the per-document stages (pass 1), counted by valgrind's callgrind.

Wall and CPU seconds on a shared machine vary by 10% or more from one run to the next, which
hides a change worth 2%. Instruction counts do not: with a fixed hash seed, two runs of the same
code on the same files agree to about 0.3% (about 1% between runs on different days). Used to
judge each of the pass-1 savings of issue 5.

    .venv/bin/python benchmarks/pass1_instructions.py --corpus /tmp/c20 --step 10

runs ``pipeline.analyse_documents`` (read, decode, repair, segment, rules, match keys,
fingerprints; batches of 16 files, as the workers do) over every STEP-th file of the corpus under
``valgrind --tool=callgrind``, then once over a single file, and prints the difference: the
instructions of the stages for those files without the interpreter's start-up and imports.
Needs valgrind (Debian: ``apt-get install valgrind``); about a minute for 185 files.
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


def count_instructions(corpus: Path, step: int) -> tuple[int, int]:
    """(instructions, files) of one run under callgrind; step 0: the first file only."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", _CHILD, str(corpus), str(step)],
        capture_output=True, text=True, env=env, check=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1)), int(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a corpus folder, e.g. one made by generate.py")
    parser.add_argument("--step", type=int, default=10, help="every STEP-th file (default 10)")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    if args.step < 1:
        raise SystemExit("--step must be 1 or more")
    total, files = count_instructions(args.corpus, args.step)
    start_up, _ = count_instructions(args.corpus, 0)
    print(f"pass 1 over {files} files of {args.corpus} (every {args.step}th): {(total - start_up) / 1e6:,.0f} million instructions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
