"""The Ray engine (``--engine ray``, a local Ray cluster started for the run): the same output as
the local engine, byte for byte, whatever the task count; a worker killed in the middle of a run
is replaced and the output is still the same; without Ray installed, one line names the extra."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SEEDS, generated_corpus, output_digest

DEDUPE = [sys.executable, "-c", "from corpus_dedupe.cli import main; main()"]

pytest.importorskip("ray", reason="the [ray] extra is part of the test extra")


def _run(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([*DEDUPE, *map(str, args)], capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    return generated_corpus(tmp_path_factory.mktemp("generated") / "corpus", 3, 11)


@pytest.fixture(scope="module")
def local_output(generated, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    done = _run(generated, out, "--jobs", "2", "-q")
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize("jobs", ["1", "3"])
def test_the_seeds_on_ray_are_byte_identical_to_the_local_engine(tmp_path, jobs):
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    assert _run(SEEDS, local, "--jobs", "2", "-q").returncode == 0
    done = _run(SEEDS, on_ray, "--engine", "ray", "--jobs", jobs, "-q")
    assert done.returncode == 0, done.stderr
    assert output_digest(on_ray) == output_digest(local)


@pytest.mark.parametrize("jobs", ["2", "4"])
def test_a_generated_corpus_on_ray_is_byte_identical_to_the_local_engine(generated, local_output, tmp_path, jobs):
    on_ray = tmp_path / "ray"
    done = _run(generated, on_ray, "--engine", "ray", "--jobs", jobs, "-q")
    assert done.returncode == 0, done.stderr
    assert output_digest(on_ray) == output_digest(local_output)


def test_rows_and_a_corpus_with_nothing_read_on_ray_match_the_local_engine(tmp_path):
    """The seeds as rows of a JSONL file (pass 1's files hold rows' keys as well), and a corpus
    whose only file is skipped (no paragraph: the shuffle has nothing to read): the local
    engine's output, and nothing left beside DST."""
    rows = tmp_path / "rows"
    rows.mkdir()
    with open(rows / "seeds.jsonl", "w", encoding="utf-8") as f:
        for path in sorted(SEEDS.iterdir()) * 2:
            f.write(json.dumps({"id": path.name, "text": path.read_text(encoding="utf-8", errors="replace")}) + "\n")
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    (nothing / "x.dat").write_bytes(bytes(range(256)) * 8)
    for src in (rows, nothing):
        local, on_ray = tmp_path / f"{src.name}-local", tmp_path / f"{src.name}-ray"
        assert _run(src, local, "--jobs", "2", "-q").returncode == 0
        done = _run(src, on_ray, "--engine", "ray", "--jobs", "2", "-q")
        assert done.returncode == 0, done.stderr
        assert output_digest(on_ray) == output_digest(local)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["rows", "nothing", "rows-local", "rows-ray", "nothing-local", "nothing-ray"])


def _parent_of(pid: int) -> int:
    try:
        return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        pid = _parent_of(pid)
        if pid == ancestor:
            return True
    return False


def _ray_task_workers(run: int) -> list[int]:
    """Ray worker processes of the run ``run`` (its local Ray instance's workers descend from it;
    another run's on the same machine are left alone) running one of our tasks (Ray renames them
    ``ray::FUNCTION``)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        if (cmdline.startswith("ray::") and any(name in cmdline for name in ("analyse_documents", "render_documents", "_decide_components"))
                and _descends_from(int(entry.name), run)):
            pids.append(int(entry.name))
    return pids


def test_a_worker_killed_mid_run_is_replaced_and_the_output_is_the_same(generated, local_output, tmp_path):
    out = tmp_path / "ray"
    proc = subprocess.Popen([*DEDUPE, str(generated), str(out), "--engine", "ray", "--jobs", "2", "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = 0
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline and not killed:
        for pid in _ray_task_workers(proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
            break
        time.sleep(0.05)
    _, err = proc.communicate(timeout=300)
    assert killed, "no task was running to be killed"
    assert proc.returncode == 0, err
    assert output_digest(out) == output_digest(local_output)


def test_without_ray_installed_one_line_names_the_extra_and_dst_is_not_made(tmp_path):
    blocked = [sys.executable, "-c", "import sys; sys.modules['ray'] = None; from corpus_dedupe.cli import main; main()"]
    done = subprocess.run([*blocked, str(SEEDS), str(tmp_path / "out"), "--engine", "ray"], capture_output=True, text=True)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'corpus-dedupe[ray]'" in lines[0]
    assert not (tmp_path / "out").exists()


def test_an_interrupted_ray_run_leaves_the_previous_output(generated, local_output, tmp_path):
    """Ctrl-C in the middle of a Ray run: DST is the previous complete output, as with the local
    engine (the staging folder and the spill file are removed)."""
    out = tmp_path / "out"
    assert _run(generated, out, "--jobs", "2", "-q").returncode == 0
    before = output_digest(out)
    proc = subprocess.Popen([*DEDUPE, str(generated), str(out), "--engine", "ray", "--jobs", "2", "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline and not _ray_task_workers(proc.pid):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert output_digest(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
