"""The progress line: on a terminal it shows the stage, files and MB read; with --quiet, or when
stderr is not a terminal, nothing but errors reaches stderr.

The runs are real ``dedupe`` processes whose stderr is the slave side of a pseudo-terminal.
``DEDUPE_PROGRESS_DELAY=0`` makes the line appear at once (by default it waits two seconds, so
that short runs stay silent), so the seeds are enough.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"


def dedupe_command() -> list[str]:
    script = Path(sys.executable).parent / "dedupe"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from corpus_dedupe.cli import main; sys.exit(main())"]


def run_on_a_terminal(args: list[str], delay: str) -> tuple[int, str]:
    """Run dedupe with stderr on a pseudo-terminal; returns the exit code and what it showed."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "DEDUPE_PROGRESS_DELAY": delay}
    proc = subprocess.Popen([*dedupe_command(), *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=terminal, env=env)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    return proc.wait(timeout=120), shown.decode("utf-8", "replace")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminals as used here are Linux's")
def test_progress_line_on_a_terminal_shows_stage_files_and_mb(tmp_path):
    code, shown = run_on_a_terminal([str(SEEDS), str(tmp_path / "out"), "--jobs", "1"], delay="0")
    assert code == 0
    assert re.search(r"read \[[#.]{30}\] 5/5 files [\d.]+ MB", shown), shown
    assert re.search(r"write \[#{30}\] 5/5 files", shown), shown
    assert shown.endswith("\n")  # the line is ended before the summary / the prompt


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminals as used here are Linux's")
def test_quiet_or_a_short_run_shows_no_progress_line(tmp_path):
    code, shown = run_on_a_terminal([str(SEEDS), str(tmp_path / "quiet"), "--jobs", "1", "--quiet"], delay="0")
    assert code == 0 and "[" not in shown and "files" not in shown, shown
    code, shown = run_on_a_terminal([str(SEEDS), str(tmp_path / "short"), "--jobs", "1"], delay="2")
    assert code == 0 and "[" not in shown, shown  # the seeds take well under two seconds


def test_no_progress_line_when_stderr_is_not_a_terminal(tmp_path):
    env = {**os.environ, "DEDUPE_PROGRESS_DELAY": "0"}
    done = subprocess.run([*dedupe_command(), str(SEEDS), str(tmp_path / "out"), "--jobs", "1"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0
    assert "[" not in done.stderr and "\r" not in done.stderr, done.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminals as used here are Linux's")
def test_progress_line_counts_the_rows_of_a_jsonl_file_as_documents(tmp_path):
    import json

    src = tmp_path / "seeds.jsonl"
    src.write_text("".join(json.dumps({"id": p.name, "text": p.read_text(encoding="utf-8")}) + "\n" for p in sorted(SEEDS.iterdir())),
                   encoding="utf-8")
    code, shown = run_on_a_terminal([str(src), str(tmp_path / "out"), "--jobs", "1"], delay="0")
    assert code == 0
    assert re.search(r"read \[[#.]{30}\] 5/5 documents", shown), shown
    assert re.search(r"write \[#{30}\] 5/5 documents", shown), shown
