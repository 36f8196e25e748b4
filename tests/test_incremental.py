"""Incremental runs (``dedupe SRC DST --index DIR``): batches decided one after the other against an
index give each batch the decisions one run over all batches gives it; the index survives kills,
refuses a second writer and an index of another version; ``dedupe index`` and ``verify --index``."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SEEDS, generated_corpus, manifest, output_digest, provenance, run_cli, write_files
from corpus_dedupe import dedupe
from corpus_dedupe.index import INDEX_VERSION, Index



def decisions(*dsts: Path) -> dict[tuple[str, int], tuple]:
    """Per (source file, paragraph): what was decided, why, by which rule, and what it copies."""
    out = {}
    for dst in dsts:
        for r in provenance(dst):
            if "paragraph" not in r:
                continue
            dup, var = r.get("duplicate_of") or {}, r.get("variant_of") or {}
            out[(r["source"], r["paragraph"])] = (r["decision"], r.get("reason"), r.get("rule"), dup.get("source"),
                                                  dup.get("paragraph"), var.get("source"), var.get("paragraph"), r.get("similarity"))
    return out


def split_into_batches(src: Path, root: Path, sizes: list[int]) -> list[Path]:
    """The files of ``src`` in corpus order (sorted relative paths), cut into consecutive batches
    with the same relative paths, so that one run over ``src`` sees them in batch order."""
    files = sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file() and ".dedupe" not in p.parts)
    assert sum(sizes) == len(files)
    batches, at = [], 0
    for b, size in enumerate(sizes, 1):
        folder = root / f"batch{b}"
        for rel in files[at : at + size]:
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / rel, folder / rel)
        at += size
        batches.append(folder)
    return batches


def run_batches(batches: list[Path], root: Path, index: Path, **options) -> list[Path]:
    outs = []
    jobs = options.pop("jobs", 1)
    for b, batch in enumerate(batches, 1):
        out = root / f"out-{batch.name}"
        dedupe(batch, out, index=index, jobs=jobs, **options)
        outs.append(out)
    return outs


@pytest.mark.parametrize("sizes", [[2, 3], [1, 2, 2], [3, 1, 1]])
def test_seeds_in_batches_get_the_decisions_and_output_of_one_run(tmp_path, sizes):
    one = tmp_path / "one"
    dedupe(SEEDS, one, jobs=1)
    batches = split_into_batches(SEEDS, tmp_path, sizes)
    outs = run_batches(batches, tmp_path, tmp_path / "index")
    assert decisions(*outs) == decisions(one)
    # and the cleaned files themselves
    whole = output_digest(one)
    for out in outs:
        for rel, digest in output_digest(out).items():
            if not rel.startswith(".dedupe/"):
                assert digest == whole[rel], rel


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A generated corpus (real speeches, every kind of copy, across documents and sites)."""
    return generated_corpus(tmp_path_factory.mktemp("generated") / "corpus", 1.5, 7)


@pytest.fixture(scope="module")
def generated_larger(tmp_path_factory) -> Path:
    """5 MB of it: enough for a moved-break piece whose copy follows an index row that is a
    bucket member of the batch without being compared with it (a state an early version did
    not read)."""
    return generated_corpus(tmp_path_factory.mktemp("generated5") / "corpus", 5, 1)


def _five_batches(generated: Path, root: Path) -> list[Path]:
    n = sum(1 for p in generated.rglob("*") if p.is_file())
    sizes = [n // 5] * 4 + [n - 4 * (n // 5)]
    return split_into_batches(generated, root, sizes)


@pytest.fixture(scope="module", params=["1.5 MB", "5 MB"])
def generated_either(request, generated, generated_larger) -> Path:
    return generated if request.param == "1.5 MB" else generated_larger


def test_generated_corpus_in_five_batches_without_templates_decides_exactly_as_one_run(generated_either, tmp_path, monkeypatch):
    """Every decision (exact, near, contained, variants, copies of copies, moved-break pieces,
    orphan headings) is the one run's, paragraph by paragraph, with --jobs 2 in the batches:
    their pairs compared in worker processes (as a large batch's are) from the first pair on,
    in small tasks, while the index rows the decisions point at are still being read."""
    from corpus_dedupe import cluster

    monkeypatch.setattr(cluster, "_PARALLEL_FROM", 0)
    monkeypatch.setattr(cluster, "_VERIFY_TASK", 64)
    one = tmp_path / "one"
    dedupe(generated_either, one, jobs=1, boilerplate=False)
    outs = run_batches(_five_batches(generated_either, tmp_path), tmp_path, tmp_path / "index", jobs=2, boilerplate=False)
    whole, batched = decisions(one), decisions(*outs)
    assert batched == whole
    # The batches did find copies in earlier batches (the test is not vacuous).
    links = [r["duplicate_of"]["batch"] for r in provenance(outs[-1]) if "batch" in (r.get("duplicate_of") or {})]
    assert len(set(links)) == 4, "the last batch has copies in each earlier batch"
    reasons = {v[1] for v in whole.values()}
    assert {"exact_duplicate", "near_duplicate", "contained"} <= reasons


def test_generated_corpus_in_five_batches_differs_only_in_template_lines_of_earlier_batches(generated, tmp_path):
    """With boilerplate on, the only differences are template lines that one run removes from an
    early batch because later batches brought their count up: never a line the one run keeps."""
    one = tmp_path / "one"
    dedupe(generated, one, jobs=1)
    outs = run_batches(_five_batches(generated, tmp_path), tmp_path, tmp_path / "index")
    whole, batched = decisions(one), decisions(*outs)
    assert whole.keys() == batched.keys()
    template_in_one_run = {k for k, v in whole.items() if v[2] == "template.repeated_line"}
    for key in whole:
        if whole[key] == batched[key]:
            continue
        kept_line = whole[key][2] == "template.repeated_line" and batched[key][0] == "keep"
        copy_of_kept_line = batched[key][1] == "exact_duplicate" and (batched[key][3], batched[key][4]) in template_in_one_run
        assert kept_line or copy_of_kept_line, (key, whole[key], batched[key])
    assert not [k for k, v in batched.items() if v[2] == "template.repeated_line" and whole[k][2] != "template.repeated_line"]


def test_a_template_line_is_recognised_once_the_batches_reach_the_count(tmp_path):
    line = "Harbour Gazette weekend edition"
    articles = [
        "The council voted on Tuesday to close the old ferry terminal and move the market to the pier.",
        "Fishermen say the new quota rules will cost the town a third of its catch by the end of the year.",
        "A storm flooded the lower streets overnight and the school will stay closed until Monday.",
        "The library reopened after two years of repairs, with a new reading room for children.",
    ]
    docs = {f"gazette/{name}.txt": f"{line}\n\n{article}\n" for name, article in zip("abcd", articles)}
    batches = [write_files(tmp_path / f"b{i}", {k: docs[k] for k in keys})
               for i, keys in enumerate([["gazette/a.txt"], ["gazette/b.txt"], ["gazette/c.txt", "gazette/d.txt"]], 1)]
    outs = run_batches(batches, tmp_path, tmp_path / "index")

    def rule_of_line(out: Path, name: str):
        return next(r.get("rule") for r in provenance(out) if r.get("source") == name and r["paragraph"] == 0)

    assert rule_of_line(outs[0], "gazette/a.txt") is None  # one document so far: content
    assert rule_of_line(outs[1], "gazette/b.txt") is None  # two
    assert rule_of_line(outs[2], "gazette/c.txt") == "template.repeated_line"  # the third brings the count to 3
    assert rule_of_line(outs[2], "gazette/d.txt") == "template.repeated_line"
    one = tmp_path / "one"
    dedupe(write_files(tmp_path / "all", docs), one, jobs=1)
    assert all(rule_of_line(one, name) == "template.repeated_line" for name in docs)


def test_verify_follows_links_into_earlier_batches_through_the_index(tmp_path):
    batches = split_into_batches(SEEDS, tmp_path, [3, 2])
    index = tmp_path / "index"
    outs = run_batches(batches, tmp_path, index)
    # 004 holds its article twice; copy a document of batch 1 into batch 2 so links cross batches
    src2 = batches[1]
    shutil.copyfile(batches[0] / sorted(p.name for p in batches[0].iterdir())[0], src2 / "zz_copy.txt")
    shutil.rmtree(index)
    outs = run_batches(batches, tmp_path, index)
    crossing = [r for r in provenance(outs[1]) if (r.get("duplicate_of") or {}).get("batch") == 1]
    assert crossing, "the copied document's paragraphs point into batch 1"
    without = run_cli("verify", src2, outs[1])
    assert without.exit_code == 1
    assert "--index" in without.output
    checked = run_cli("verify", src2, outs[1], "--index", index)
    assert checked.exit_code == 0, checked.output
    # a link that names a paragraph the index does not have as kept is a failure
    prov = outs[1] / ".dedupe" / "provenance.jsonl"
    lines = prov.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if '"batch":1' in line)
    record = json.loads(lines[at])
    record["duplicate_of"]["paragraph"] += 1000
    lines[at] = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    prov.write_text("\n".join(lines) + "\n", encoding="utf-8")
    broken = run_cli("verify", src2, outs[1], "--index", index)
    assert broken.exit_code == 1
    assert "no such paragraph" in broken.output


def test_index_command_shows_batches_and_verify_finds_a_damaged_segment(tmp_path):
    index = tmp_path / "index"
    run_batches(split_into_batches(SEEDS, tmp_path, [2, 3]), tmp_path, index)
    shown = run_cli("index", index)
    assert shown.exit_code == 0, shown.output
    assert "2 batches, 5 documents" in shown.output
    facts = json.loads(run_cli("index", index, "--json").output)
    assert facts["batches"] == 2 and facts["paragraphs"] > 0 and facts["index_bytes"] > 0
    assert run_cli("index", index, "--verify").exit_code == 0
    victim = index / "b000002" / "key_hash.npy"
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0xFF
    victim.write_bytes(bytes(data))
    checked = run_cli("index", index, "--verify")
    assert checked.exit_code == 1
    assert "b000002/key_hash.npy: changed since it was written" in checked.output


DEDUPE = [sys.executable, "-c", "from corpus_dedupe.cli import main; main()"]  # the command, in a process of its own


def _cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*DEDUPE, *map(str, args)], capture_output=True, text=True, **kwargs)


def test_an_index_from_a_newer_version_is_refused_with_one_line_and_dst_is_left_alone(tmp_path):
    index = tmp_path / "index"
    run_batches(split_into_batches(SEEDS, tmp_path, [2, 3])[:1], tmp_path, index)
    meta = json.loads((index / "index.json").read_text())
    meta["version"] = INDEX_VERSION + 1
    (index / "index.json").write_text(json.dumps(meta))
    result = run_cli(tmp_path / "batch2", tmp_path / "out2", "--index", index)
    assert result.exit_code != 0
    message = result.output.strip().splitlines()
    assert len(message) == 1 and f"version {INDEX_VERSION + 1} is newer" in message[0]
    assert not (tmp_path / "out2").exists()


def test_an_index_made_with_other_matching_settings_is_refused(tmp_path):
    index = tmp_path / "index"
    batches = split_into_batches(SEEDS, tmp_path, [2, 3])
    run_batches(batches[:1], tmp_path, index)
    result = run_cli(batches[1], tmp_path / "out2", "--index", index, "--near-threshold", "0.8")
    assert result.exit_code != 0
    assert "near_threshold=0.9" in result.output and "0.8" in result.output


def test_a_second_writer_stops_with_one_line_and_leaves_the_index_as_it_was(tmp_path):
    index = tmp_path / "index"
    batches = split_into_batches(SEEDS, tmp_path, [2, 3])
    run_batches(batches[:1], tmp_path, index)
    before = output_digest(index)
    with Index.open(index, write=True):  # another run holds the index
        result = run_cli(batches[1], tmp_path / "out2", "--index", index)
    assert result.exit_code != 0
    assert "being updated by another run" in result.output
    assert output_digest(index) == before
    assert not (tmp_path / "out2").exists()


def test_two_concurrent_runs_on_one_index_never_corrupt_it(tmp_path):
    index = tmp_path / "index"
    batches = split_into_batches(SEEDS, tmp_path, [2, 3])
    procs = [subprocess.Popen([*DEDUPE, str(batch), str(tmp_path / f"c{i}"), "--index", str(index), "-q",
                               "--jobs", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i, batch in enumerate(batches)]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    succeeded = [code for code, _ in results if code == 0]
    assert succeeded, results
    for code, err in results:
        assert code == 0 or "being updated by another run" in err, err
    assert _cli("index", index, "--verify").returncode == 0
    assert json.loads((index / "index.json").read_text())["rows"] > 0
    assert len(json.loads((index / "index.json").read_text())["batches"]) == len(succeeded)


def test_what_a_killed_update_leaves_is_cleared_by_the_next_run(tmp_path):
    """A run killed while writing its segment leaves a temporary folder, or a complete segment
    that index.json does not name yet: neither is part of the index, and the next writer removes
    both and adds its own batch as the next one."""
    index = tmp_path / "index"
    batches = split_into_batches(SEEDS, tmp_path, [2, 3])
    run_batches(batches[:1], tmp_path, index)
    shutil.copytree(index / "b000001", index / ".tmp-b000002-999")
    shutil.copytree(index / "b000001", index / "b000002")
    run_batches(batches[1:], tmp_path, index)
    assert sorted(p.name for p in index.iterdir()) == ["b000001", "b000002", "index.json", "lock"]
    assert _cli("index", index, "--verify").returncode == 0


def test_sigkill_at_any_moment_leaves_a_usable_index(tmp_path):
    """Runs of the second batch are killed (SIGKILL) after growing delays, through pass 1, the
    decisions, the output and the index update; after each kill the index is the one batch it
    was or the two it became, never damaged, and the next run succeeds with the same result as
    a run never killed."""
    batches = split_into_batches(SEEDS, tmp_path, [2, 3])
    reference_index = tmp_path / "ref-index"
    reference = run_batches(batches, tmp_path / "ref", reference_index)[1]
    index = tmp_path / "index"
    run_batches(batches[:1], tmp_path, index)
    pristine = tmp_path / "pristine"
    shutil.copytree(index, pristine)
    start = time.monotonic()
    done = subprocess.run([*DEDUPE, str(batches[1]), str(tmp_path / "timed"), "--index",
                           str(tmp_path / "timed-index"), "-q", "--jobs", "1"], capture_output=True)
    assert done.returncode == 0
    whole = time.monotonic() - start
    outcomes = set()
    for k in range(12):
        shutil.rmtree(index)
        shutil.copytree(pristine, index)
        out = tmp_path / f"k{k}"
        proc = subprocess.Popen([*DEDUPE, str(batches[1]), str(out), "--index", str(index), "-q",
                                 "--jobs", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(whole * (0.3 + 0.07 * k))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        batches_now = len(json.loads((index / "index.json").read_text())["batches"])
        assert batches_now in (1, 2)
        assert _cli("index", index, "--verify").returncode == 0
        outcomes.add(batches_now)
        if batches_now == 1:  # the batch is not in the index: run it again
            again = _cli(batches[1], out, "--index", index, "-q", "--jobs", "1", "--force")
            assert again.returncode == 0, again.stderr
            assert decisions(out) == decisions(reference)
        assert len(json.loads((index / "index.json").read_text())["batches"]) == 2
    assert 1 in outcomes  # some kills did land before the update


def test_a_batch_of_jsonl_rows_links_to_rows_of_earlier_batches(tmp_path):
    rows = [{"id": p.name, "text": p.read_text(encoding="utf-8"), "lang": "en"} for p in sorted(SEEDS.iterdir())]
    rows.append({"id": "again", "text": rows[0]["text"], "lang": "en"})
    for name, part in (("a.jsonl", rows[:3]), ("b.jsonl", rows[3:])):
        write_files(tmp_path / name[0], {name: "".join(json.dumps(r) + "\n" for r in part)})
    index = tmp_path / "index"
    dedupe(tmp_path / "a" / "a.jsonl", tmp_path / "out-a", index=index, jobs=1)
    dedupe(tmp_path / "b" / "b.jsonl", tmp_path / "out-b", index=index, jobs=1)
    linked = [r["duplicate_of"] for r in provenance(tmp_path / "out-b") if r.get("id") == "again" and r.get("duplicate_of")]
    assert linked and all(d["batch"] == 1 and d["source"] == "a.jsonl" and d["id"] == rows[0]["id"] for d in linked)
    whole = tmp_path / "whole"
    write_files(whole, {"a.jsonl": (tmp_path / "a" / "a.jsonl").read_text(), "b.jsonl": (tmp_path / "b" / "b.jsonl").read_text()})
    dedupe(whole, tmp_path / "out-whole", jobs=1)
    assert (tmp_path / "out-whole" / "b.jsonl").read_bytes() == (tmp_path / "out-b" / "b.jsonl").read_bytes()
    assert manifest(tmp_path / "out-b")["incremental"]["batch"] == 2


def test_an_index_folder_inside_src_or_dst_is_refused(tmp_path):
    src = write_files(tmp_path / "src", {"a.txt": "One paragraph of plain text that is long enough to be a paragraph.\n"})
    for index in (src / "idx", tmp_path / "out" / "idx"):
        result = run_cli(src, tmp_path / "out", "--index", index)
        assert result.exit_code == 3
        assert "the index folder must be outside" in result.output
    assert not (src / "idx").exists() and not (tmp_path / "out").exists()
    # and a run with DST inside the index folder would have its DST removed as a leftover
    result = run_cli(src, tmp_path / "idx" / "b000009", "--index", tmp_path / "idx")
    assert result.exit_code == 3


def test_leftover_removal_touches_only_what_the_index_writes(tmp_path):
    """The next writer removes unnamed segment folders (``b`` and six digits) and temporary files,
    and nothing else that a user may have put in the folder."""
    index = tmp_path / "index"
    batches = split_into_batches(SEEDS, tmp_path, [2, 3])
    run_batches(batches[:1], tmp_path, index)
    (index / "backup").mkdir()
    (index / "notes.txt").write_text("mine")
    (index / "b000007").mkdir()
    run_batches(batches[1:], tmp_path, index)
    assert (index / "backup").is_dir() and (index / "notes.txt").read_text() == "mine"
    assert not (index / "b000007").exists()


def test_report_explain_and_html_name_earlier_batches_and_never_confuse_them_with_this_one(tmp_path):
    """Both batches hold a file named the same: a link into batch 1 must not be read as a link to
    this batch's file of that name."""
    article = (SEEDS / sorted(p.name for p in SEEDS.iterdir())[0]).read_text(encoding="utf-8")
    other = (SEEDS / sorted(p.name for p in SEEDS.iterdir())[1]).read_text(encoding="utf-8")
    b1 = write_files(tmp_path / "b1", {"news.txt": article})
    b2 = write_files(tmp_path / "b2", {"news.txt": other, "wire.txt": article})
    index = tmp_path / "index"
    dedupe(b1, tmp_path / "o1", index=index, jobs=1)
    result = run_cli(b2, tmp_path / "o2", "--index", index, "--report")
    assert result.exit_code == 0, result.output
    explained = run_cli("explain", tmp_path / "o2", "wire.txt:1")
    assert "kept twin: [batch 1] news.txt:1" in explained.output
    assert "earlier batch" in explained.output
    report = json.loads(run_cli("report", tmp_path / "o2", "--json").output)
    kept = [g["kept"] for g in report["largest_duplicate_groups"]]
    assert any(k.get("batch") == 1 for k in kept)
    html = (tmp_path / "o2" / ".dedupe" / "report.html").read_text(encoding="utf-8")
    assert "[batch 1] news.txt" in html
