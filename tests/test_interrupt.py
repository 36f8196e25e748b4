"""Interruption: a run killed (SIGKILL) or stopped with Ctrl-C (SIGINT) at any point leaves DST as
the previous complete output, or absent when there was none, never partial; the next run cleans
up after it and succeeds.

The real ``dedupe`` command runs as a subprocess. Signals come either from outside at a moment
found by watching the file system (the spill file next to DST appears when the first pass
starts), or, for the instants too short to hit from outside (between the two renames of the swap),
from the process itself through a small wrapper that sends the signal when a named point of the
run is reached. Either way the process really dies of SIGKILL or really receives SIGINT.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpus_dedupe.writer import recover_leftovers

from conftest import SHARED_BENCH_TEXT, manifest, output_digest

INTERRUPTED = "dedupe: interrupted; DST was left as it was before the run"

WRAPPER = r'''
import os, signal, sys
point, action, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.argv = ["dedupe", *sys.argv[4:]]
import corpus_dedupe.pipeline as pipeline, corpus_dedupe.writer as writer
calls = 0
def hit():
    global calls
    calls += 1
    if calls == nth:
        os.kill(os.getpid(), signal.SIGKILL if action == "kill" else signal.SIGINT)
def hook(module, name, when=lambda *a: True, after=False):
    real = getattr(module, name)
    def hooked(*a, **k):
        if not after and when(*a):
            hit()
        result = real(*a, **k)
        if after and when(*a):
            hit()
        return result
    setattr(module, name, hooked)
if point == "reading":            # pass 1, before the nth document is read
    hook(pipeline, "analyse_document")
elif point == "writing":          # pass 2, before the nth document is written into the staging folder
    hook(writer, "output_ranges")
elif point == "before_swap":      # the staging folder is complete and flushed
    hook(writer, "_swap_into_place")
elif point == "swap_start":       # just before the first rename of the swap
    hook(os, "rename", lambda a, b: ".dedupe-staging-" in str(a) or ".dedupe-old-" in str(b))
elif point == "between_renames":  # DST renamed away, the new output not yet renamed in
    hook(os, "rename", lambda a, b: ".dedupe-old-" in str(b), after=True)
elif point == "after_swap":       # the new output in place, the old one not yet removed
    hook(writer, "remove_tree", lambda p: ".dedupe-old-" in str(p))
else:
    raise SystemExit(f"unknown point {point}")
from corpus_dedupe.cli import main
main()
'''


def dedupe_command() -> list[str]:
    script = Path(sys.executable).parent / "dedupe"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from corpus_dedupe.cli import main; sys.exit(main())"]


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".dedupe-" in p.name)


def children(pid: int) -> list[int]:
    """The child processes (pool workers) of ``pid`` right now (Linux /proc)."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(c) for c in handle.read().split()]
    except OSError:
        pass
    return found


def gone(pid: int) -> bool:
    """True when ``pid`` has exited (no such process, or a zombie waiting to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def assert_workers_exit(pids: list[int], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and not all(gone(p) for p in pids):
        time.sleep(0.05)
    assert all(gone(p) for p in pids), f"pool workers {pids} still running after the run ended"


def wait_for(predicate, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert process is None or process.poll() is None, "the run ended before the point to interrupt it"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def spill_exists(parent: Path, dst: Path):
    return lambda: any(p.name.startswith(f".{dst.name}.dedupe-spill-") for p in parent.iterdir())


# --------------------------------------------------------------------------------------------
# Corpora: a small one for the points reached through the wrapper, and all of bench-text (3 MB,
# 126 speeches) for signals sent from outside.


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """(src, complete previous output of an older src, digest of it, digest of a clean run of src)."""
    base = tmp_path_factory.mktemp("small")
    src = base / "src"
    src.mkdir()
    for path in sorted((SHARED_BENCH_TEXT / "inaugural").glob("*.txt"))[:12]:
        shutil.copy(path, src / path.name)
    older = base / "older"
    shutil.copytree(src, older)
    (older / sorted(os.listdir(older))[0]).unlink()
    previous = base / "previous"
    assert subprocess.run([*dedupe_command(), str(older), str(previous), "-q", "--jobs", "1"]).returncode == 0
    clean = base / "clean"
    assert subprocess.run([*dedupe_command(), str(src), str(clean), "-q", "--jobs", "1"]).returncode == 0
    return src, previous, output_digest(previous), output_digest(clean)


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    base = tmp_path_factory.mktemp("large")
    src = base / "src"
    shutil.copytree(SHARED_BENCH_TEXT, src, ignore=shutil.ignore_patterns("README.md"))
    previous = base / "previous"
    older = base / "older"
    shutil.copytree(src / "inaugural", older)
    assert subprocess.run([*dedupe_command(), str(older), str(previous), "-q", "--jobs", "1"]).returncode == 0
    return src, previous, output_digest(previous)


def run_wrapped(tmp_path: Path, point: str, action: str, nth: int, *args: str) -> subprocess.CompletedProcess:
    wrapper = tmp_path / "wrapper.py"
    wrapper.write_text(WRAPPER)
    return subprocess.run([sys.executable, str(wrapper), point, action, str(nth), *args], capture_output=True, text=True, timeout=120)


# --------------------------------------------------------------------------------------------
# SIGKILL


@pytest.mark.parametrize(
    "point, nth, dst_after_kill",
    [
        ("reading", 5, "previous"),
        ("writing", 3, "previous"),
        ("before_swap", 1, "previous"),
        ("between_renames", 1, "absent"),
        ("after_swap", 1, "new"),
    ],
)
def test_sigkill_at_each_point_leaves_the_previous_output_or_none_never_a_partial_one(small, tmp_path, point, nth, dst_after_kill):
    src, previous, previous_digest, clean_digest = small
    work = tmp_path / "work"
    work.mkdir()
    dst = work / "dst"
    shutil.copytree(previous, dst)

    # The previous output is of another SRC ("older"): replacing it asks for --force.
    killed = run_wrapped(tmp_path, point, "kill", nth, str(src), str(dst), "-q", "--jobs", "1", "--force")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    state = "absent" if not dst.exists() else "previous" if output_digest(dst) == previous_digest else "new" if output_digest(dst) == clean_digest else "partial"
    assert state == dst_after_kill
    assert leftovers(work)  # the killed run could not clean up ...

    if point == "between_renames":  # ... and the previous output is right next to DST
        recover_leftovers(dst)
        assert output_digest(dst) == previous_digest

    rerun = subprocess.run([*dedupe_command(), str(src), str(dst), "-q", "--jobs", "1", "--force"], capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0 and rerun.stderr == ""
    assert output_digest(dst) == clean_digest
    assert leftovers(work) == []  # ... the next run did


def test_sigkill_of_the_first_run_leaves_no_dst(small, tmp_path):
    src = small[0]
    dst = tmp_path / "dst"
    killed = run_wrapped(tmp_path, "writing", "kill", 4, str(src), str(dst), "-q", "--jobs", "1", "--force")
    assert killed.returncode == -signal.SIGKILL
    assert not dst.exists() and leftovers(tmp_path)
    assert subprocess.run([*dedupe_command(), str(src), str(dst), "-q", "--jobs", "1", "--force"]).returncode == 0
    assert output_digest(dst) == small[3] and leftovers(tmp_path) == []


def test_sigkill_from_outside_with_two_workers(large, tmp_path):
    """``kill -9`` of the main process while its two workers are busy: DST is untouched, the
    orphaned workers exit by themselves, and the next run succeeds and removes the spill file."""
    src, previous, previous_digest = large
    dst = tmp_path / "dst"
    shutil.copytree(previous, dst)
    run = subprocess.Popen([*dedupe_command(), str(src), str(dst), "-q", "--jobs", "2", "--force"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: len(children(run.pid)) == 2 and spill_exists(tmp_path, dst)(), process=run)
        workers = children(run.pid)
        run.kill()
        run.wait(timeout=10)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == -signal.SIGKILL
    assert output_digest(dst) == previous_digest
    try:
        assert_workers_exit(workers)
    finally:  # never leave orphans behind, even when the test fails
        for pid in workers:
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)
    assert any(".dedupe-spill-" in name for name in leftovers(tmp_path))
    assert subprocess.run([*dedupe_command(), str(src), str(dst), "-q", "--jobs", "2", "--force"]).returncode == 0
    assert leftovers(tmp_path) == [] and manifest(dst)["totals"]["files"] == 126


# --------------------------------------------------------------------------------------------
# Ctrl-C


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_exits_130_in_one_line_and_removes_staging_and_spill(large, tmp_path, jobs):
    """SIGINT to the whole process group, as a terminal sends it, during the first pass."""
    src, previous, previous_digest = large
    dst = tmp_path / "dst"
    shutil.copytree(previous, dst)
    run = subprocess.Popen([*dedupe_command(), str(src), str(dst), "--jobs", jobs, "--force"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, start_new_session=True)
    try:
        wait_for(spill_exists(tmp_path, dst), process=run)
        workers = children(run.pid)
        os.killpg(run.pid, signal.SIGINT)
        stdout, stderr = run.communicate(timeout=20)  # no hang
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode == 130
    assert stderr == INTERRUPTED + "\n" and stdout == ""
    assert output_digest(dst) == previous_digest
    assert leftovers(tmp_path) == []
    try:
        assert_workers_exit(workers)
    finally:
        for pid in workers:
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)


def test_ctrl_c_while_writing_removes_the_staging_folder(small, tmp_path):
    src, previous, previous_digest, _clean = small
    dst = tmp_path / "work" / "dst"
    shutil.copytree(previous, dst)
    result = run_wrapped(tmp_path, "writing", "int", 3, str(src), str(dst), "-q", "--jobs", "1", "--force")
    assert result.returncode == 130
    assert result.stderr == INTERRUPTED + "\n"
    assert output_digest(dst) == previous_digest and leftovers(dst.parent) == []


def test_ctrl_c_during_the_swap_is_held_back_and_the_run_completes(small, tmp_path):
    """Once the new output is complete, a Ctrl-C that arrives during the two renames cannot cut
    the swap in half: it is held back, the swap completes, and the run ends normally."""
    src, previous, _previous_digest, clean_digest = small
    dst = tmp_path / "work" / "dst"
    shutil.copytree(previous, dst)
    result = run_wrapped(tmp_path, "swap_start", "int", 1, str(src), str(dst), "-q", "--jobs", "1", "--force")
    assert result.returncode == 0, result.stderr
    assert output_digest(dst) == clean_digest and leftovers(dst.parent) == []
