"""Tests for the benchmark: corpus generator, datasketch baseline and scorer (benchmarks/).

The corpora are tiny (~0.2 MB) so the whole module runs in a few seconds. Paragraph text is read
back from the written files with a splitter written here, independently of the generator's and the
baseline's own code, so a generator that writes something other than what its truth claims fails.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import ftfy
import pytest

from conftest import decodes_as_utf8

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
SOURCE = Path("/work/shared/bench-text")
SIZE_MB = 0.2

pytestmark = pytest.mark.skipif(not SOURCE.is_dir(), reason=f"benchmark source text not found at {SOURCE}")


def _load(name: str):
    """Import benchmarks/<name>.py as a module (benchmarks/ is a folder of scripts, not a package)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))  # run.py itself does "import generate"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


generate = _load("generate")
baseline = _load("baseline_datasketch")
run = _load("run")


def read_paragraphs(corpus: Path) -> dict[tuple[str, int], str]:
    """{(path, first line): text} for every paragraph; re-wrapped lines are joined with spaces."""
    paragraphs = {}
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        rel = path.relative_to(corpus).as_posix()
        lines = path.read_bytes().decode("utf-8").split("\n")
        assert lines[-1] == "", f"{rel} does not end with a newline"
        lines = lines[:-1]
        if "" not in lines:  # one paragraph per line
            paragraphs.update(((rel, i + 1), line) for i, line in enumerate(lines))
            continue
        start = 0
        for i, line in enumerate(lines + [""]):
            if line == "":
                assert i > start, f"{rel}:{i + 1}: two blank lines in a row"
                paragraphs[(rel, start + 1)] = " ".join(lines[start:i])
                start = i + 1
    return paragraphs


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "corpus"
    meta = generate.generate(SOURCE, SIZE_MB, 1, out)
    truth = [json.loads(line) for line in generate.truth_path(out).read_text(encoding="utf-8").splitlines()]
    return out, truth, meta, read_paragraphs(out)


def originals(truth, paragraphs) -> dict[int, str]:
    """Origin id -> the text of its first ("original") occurrence."""
    return {r["origin"]: paragraphs[(r["path"], r["line"])] for r in truth if r["kind"] == "original"}


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_corpus_and_truth(corpus, tmp_path):
    """A second run in a fresh process with another hash seed (so set/dict-order dependence shows)
    writes the same bytes; a different seed does not."""
    out, _, _, _ = corpus
    again = tmp_path / "again"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    cmd = [sys.executable, str(BENCH / "generate.py"), "--source", str(SOURCE), "--size-mb", str(SIZE_MB),
           "--seed", "1", "--out", str(again)]
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    assert tree_bytes(again) == tree_bytes(out)
    for side_file in (generate.truth_path, generate.meta_path):
        assert side_file(again).read_bytes() == side_file(out).read_bytes()

    other = tmp_path / "other"
    generate.generate(SOURCE, SIZE_MB, 2, other)
    assert generate.truth_path(other).read_bytes() != generate.truth_path(out).read_bytes()


def test_truth_is_outside_corpus_and_covers_every_paragraph(corpus):
    out, truth, meta, paragraphs = corpus
    assert not any(p.suffix == ".jsonl" for p in out.rglob("*"))
    keys = [(r["path"], r["line"]) for r in truth]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(paragraphs)
    assert all(text.strip() for text in paragraphs.values())
    assert meta["paragraphs"] == len(truth)
    assert SIZE_MB * 1e6 <= meta["bytes"] == sum(len(b) for b in tree_bytes(out).values())
    # ~100 documents per site folder, 5-40 body paragraphs per document
    assert all(re.fullmatch(r"site\d{4}/doc\d{6}\.txt", path) for path, _ in keys)


def test_all_kinds_present_and_duplicates_follow_their_original(corpus):
    _, truth, meta, _ = corpus
    kinds = [r["kind"] for r in truth]
    assert set(kinds) == set(generate.KINDS)
    seen = set()
    for r in sorted(truth, key=lambda r: (r["path"], r["line"])):
        if r["kind"] == "boilerplate":
            assert r["origin"] < 0
            continue
        # the first occurrence of an origin is its original; every later one is an injected kind
        assert (r["kind"] == "original") == (r["origin"] not in seen), r
        seen.add(r["origin"])
    scored = [k for k in kinds if k != "boilerplate"]
    share = sum(k != "original" for k in scored) / len(scored)
    assert 0.25 <= share <= 0.35
    assert meta["duplicate_share"] == pytest.approx(share, abs=1e-4)


def test_injected_variants_have_the_promised_shape(corpus):
    out, truth, _, paragraphs = corpus
    source = originals(truth, paragraphs)
    fold = generate.fold
    numbers = lambda text: [t for t in text.split() if any(c.isdigit() for c in t)]  # noqa: E731
    for r in truth:
        text, orig = paragraphs[(r["path"], r["line"])], source.get(r["origin"])
        kind = r["kind"]
        if kind in ("exact", "repeated_body", "original", "boilerplate", "mojibake"):
            if kind == "exact":
                assert text == orig
            continue
        assert (text == orig) == (kind == "rewrapped"), r  # only the line breaks of a re-wrap differ
        if kind == "near_edit":
            words, orig_words = text.split(" "), orig.split(" ")
            ops = difflib.SequenceMatcher(None, orig_words, words, autojunk=False).get_opcodes()
            edits = sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")
            assert 1 <= edits <= min(3, max(1, len(orig_words) // 10)), (orig, text)
            assert numbers(text) == numbers(orig)
        elif kind == "case_punct":
            assert fold(text) == fold(orig)
        elif kind == "truncated":
            assert orig.startswith(text)
            assert 0.55 <= len(text.split()) / len(orig.split()) < 1
            assert not re.search(r"[.!?][\"')]?$", text)  # cut mid-sentence
        elif kind == "rewrapped":
            lines = (out / r["path"]).read_text(encoding="utf-8").split("\n")[r["line"] - 1 :]
            block = lines[: lines.index("")] if "" in lines else lines
            assert len(block) >= 2 and all(len(line) <= 75 for line in block), block


def test_mojibake_is_real_mojibake_that_ftfy_repairs(corpus):
    _, truth, _, paragraphs = corpus
    source = originals(truth, paragraphs)
    garbled = [(paragraphs[(r["path"], r["line"])], source[r["origin"]]) for r in truth if r["kind"] == "mojibake"]
    assert len(garbled) >= 5
    for text, orig in garbled:
        assert text != orig
        assert re.search("â€|Ã|Â", text), text
        assert ftfy.fix_text(text) == ftfy.fix_text(orig)


def test_baseline_finds_exact_duplicates(corpus):
    out, truth, _, _ = corpus
    flagged = baseline.find_duplicates(out)
    result = run.score(run.load_truth(generate.truth_path(out)),
                       [((f["path"], f["line"]), True, None) for f in flagged], complete=False)
    assert result.unmapped_records == 0
    assert result.recall_by_kind["exact"] >= 0.95
    assert result.recall_by_kind["repeated_body"] >= 0.95
    assert result.precision >= 0.95  # different origins must not look alike


def test_scorer_on_a_fake_provenance(tmp_path):
    """Precision/recall, unmapped and missing records, boilerplate excluded, keep-first labels."""
    truth_rows = [
        {"path": "a.txt", "line": 1, "origin": 7, "kind": "original"},
        {"path": "a.txt", "line": 2, "origin": -1, "kind": "boilerplate"},
        {"path": "a.txt", "line": 3, "origin": 8, "kind": "original"},
        {"path": "b.txt", "line": 1, "origin": 7, "kind": "exact"},
        {"path": "b.txt", "line": 3, "origin": 8, "kind": "near_edit"},
        {"path": "b.txt", "line": 5, "origin": -1, "kind": "boilerplate"},
        {"path": "b.txt", "line": 6, "origin": 9, "kind": "original"},
    ]
    truth_file = tmp_path / "c.truth.jsonl"
    truth_file.write_text("".join(json.dumps(r) + "\n" for r in reversed(truth_rows)))  # order must not matter
    provenance = [
        {"source": "a.txt", "lines": [1, 1], "decision": "keep", "reason": None},
        {"source": "a.txt", "lines": [2, 2], "decision": "drop", "reason": "boilerplate"},
        {"source": "a.txt", "lines": [3, 3], "decision": "drop", "reason": "near_duplicate"},  # false positive
        {"source": "b.txt", "lines": [1, 1], "decision": "drop", "reason": "exact_duplicate"},  # true positive
        {"source": "b.txt", "lines": [4, 4], "decision": "drop", "reason": "contained"},  # unmapped
        {"source": "b.txt", "lines": [5, 5], "decision": "drop", "reason": "exact_duplicate"},  # boilerplate
        {"source": "b.txt", "lines": [6, 6], "decision": "drop", "reason": "orphan_heading"},  # not a dup flag
    ]  # b.txt:3 (a near_edit duplicate) is missing
    prov_file = tmp_path / "provenance.jsonl"
    prov_file.write_text("".join(json.dumps(r) + "\n" for r in provenance))

    s = run.score(run.load_truth(truth_file), run.read_provenance(prov_file), complete=True)
    assert (s.scored, s.true_duplicates) == (5, 2)
    assert (s.flagged, s.true_positives) == (2, 1)
    assert s.precision == 0.5 and s.recall == 0.5
    assert s.recall_by_kind == {"exact": 1.0, "near_edit": 0.0}
    assert s.false_positives_by_kind == {"original": 1}
    assert (s.unmapped_records, s.unmapped_flagged, s.flagged_boilerplate, s.missing) == (1, 1, 1, 1)
    assert (s.boilerplate, s.boilerplate_as_boilerplate) == (2, 1)


def test_runner_repeats_dedupe_around_the_baseline_and_reports_the_median_run(corpus, tmp_path, capsys):
    out, _, _, _ = corpus
    dedupe = Path(sys.executable).parent / "dedupe"
    assert dedupe.exists(), "the test needs the project installed in this environment"
    report_file = tmp_path / "report.json"
    assert run.main(["--corpus", str(out), "--dedupe", str(dedupe), "--repeat", "3", "--json-out", str(report_file)]) == 0
    report = json.loads(report_file.read_text())
    entry, base = report["systems"]
    assert (entry["system"], base["system"]) == ("dedupe", "baseline")
    assert [r["when"] for r in entry["runs"]] == ["before the baseline"] * 2 + ["after the baseline"]
    walls = [r["wall_seconds"] for r in entry["runs"]]
    assert entry["wall_seconds"] == sorted(walls)[1] == walls[entry["median_run"]]
    assert entry["peak_rss_mb"] == max(r["peak_rss_mb"] for r in entry["runs"])
    assert entry["same_result"] is True and entry["score"]["recall"] > 0.9
    assert report["ratios"]["speed"] == pytest.approx(entry["mb_per_s"] / base["mb_per_s"])
    printed = capsys.readouterr().out
    assert f"dedupe: 3 runs, the table shows the median one (run {entry['median_run'] + 1})" in printed
    with pytest.raises(SystemExit):
        run.main(["--corpus", str(out), "--repeat", "0"])


def test_lsh_memory_script_measures_both_indexes(corpus):
    """benchmarks/lsh_memory.py on the tiny corpus: both indexes measured, and the numpy arrays
    take less memory per paragraph than datasketch's MinHashLSH (its dicts of band hashes)."""
    folder = corpus[0] if isinstance(corpus, tuple) else corpus
    done = subprocess.run([sys.executable, str(BENCH / "lsh_memory.py"), "--corpus", str(folder), "--paragraphs", "400"],
                          capture_output=True, text=True, check=True)
    rows = dict(re.findall(r"^\| (datasketch MinHashLSH|corpus-dedupe numpy arrays)[^|]*\| ([\d,]+) \|", done.stdout, re.M))
    assert set(rows) == {"datasketch MinHashLSH", "corpus-dedupe numpy arrays"}, done.stdout
    assert int(rows["corpus-dedupe numpy arrays"].replace(",", "")) < int(rows["datasketch MinHashLSH"].replace(",", ""))


def test_typographic_copy_keeps_match_keys_and_non_utf8_files(corpus, tmp_path):
    """benchmarks/typographic_copy.py: the copy has curly quotes and dashes where the corpus had
    straight ones, the same match key on every line (so the ground truth still holds), and the
    files that are not UTF-8 byte for byte."""
    from corpus_dedupe.normalise import match_key

    folder = corpus[0]
    out = tmp_path / "typographic"
    done = subprocess.run([sys.executable, str(BENCH / "typographic_copy.py"), str(folder), str(out)],
                          capture_output=True, text=True, check=True)
    before, after = tree_bytes(folder), tree_bytes(out)
    assert sorted(before) == sorted(after)
    changed = 0
    for rel, data in before.items():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            assert after[rel] == data, rel
            continue
        new = after[rel].decode("utf-8")
        assert not re.search(r"\w'\w", new), rel
        lines, new_lines = text.split("\n"), new.split("\n")
        assert len(lines) == len(new_lines)
        assert [match_key(line) for line in lines] == [match_key(line) for line in new_lines], rel
        changed += new != text
    assert changed > len(before) // 2, done.stdout
    assert f"{sum(1 for d in before.values() if decodes_as_utf8(d))} files made typographic" in done.stdout


# --- the many-small-documents shape (generate_small.py, to_jsonl.py, run.py --shape small) ------

generate_small = _load("generate_small")
to_jsonl = _load("to_jsonl")
SMALL_DOCS = 400


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("small") / "small"
    meta = generate_small.generate_small(SOURCE, out, seed=1, docs=SMALL_DOCS, jsonl=True)
    truth = [json.loads(line) for line in generate.truth_path(out).read_text(encoding="utf-8").splitlines()]
    return out, truth, meta, read_paragraphs(out)


def test_small_corpus_is_deterministic(small_corpus, tmp_path):
    """Another process with another hash seed writes the same bytes (folder, truth, meta, JSONL)."""
    out, _, _, _ = small_corpus
    again = tmp_path / "small"
    env = dict(os.environ, PYTHONHASHSEED="4242")
    subprocess.run([sys.executable, str(BENCH / "generate_small.py"), "--source", str(SOURCE), "--docs", str(SMALL_DOCS),
                    "--seed", "1", "--out", str(again), "--jsonl"], check=True, env=env, capture_output=True)
    assert tree_bytes(again) == tree_bytes(out)
    for side_file in (generate.truth_path, generate.meta_path, generate_small.jsonl_path):
        assert side_file(again).read_bytes() == side_file(out).read_bytes()


def test_small_corpus_shape_truth_and_duplicates(small_corpus):
    """300-330 byte documents of 1-3 paragraphs; the truth covers every paragraph; about 30 % of
    paragraphs are duplicates, each after its original, of every kind; whole-document copies are
    recorded and an exact one is byte-identical to the document it copies."""
    out, truth, meta, paragraphs = small_corpus
    files = tree_bytes(out)
    assert len(files) == meta["files"] == SMALL_DOCS
    assert all(re.fullmatch(r"batch\d{4}/doc\d{7}\.txt", rel) for rel in files)
    assert all(generate_small.DOC_BYTES[0] <= len(data) <= generate_small.DOC_BYTES[1] for data in files.values())
    keys = [(r["path"], r["line"]) for r in truth]
    assert len(keys) == len(set(keys)) and set(keys) == set(paragraphs)
    per_doc = {}
    for path, _ in keys:
        per_doc[path] = per_doc.get(path, 0) + 1
    assert set(per_doc.values()) == {1, 2, 3}
    seen = set()
    for r in sorted(truth, key=lambda r: (r["path"], r["line"])):
        assert (r["kind"] == "original") == (r["origin"] not in seen), r
        seen.add(r["origin"])
    assert {r["kind"] for r in truth} == {"original", *generate_small.SLOT_KIND_WEIGHTS}
    share = sum(r["kind"] != "original" for r in truth) / len(truth)
    assert 0.2 <= share <= 0.4 and meta["duplicate_share"] == pytest.approx(share, abs=1e-4)
    source = originals(truth, paragraphs)
    for r in truth:  # an exact copy is its original's text
        if r["kind"] == "exact":
            assert paragraphs[(r["path"], r["line"])] == source[r["origin"]]
    copies = {r["path"]: r["doc_copy_of"] for r in truth if "doc_copy_of" in r}
    assert len(copies) == meta["doc_exact_copies"] + meta["doc_near_copies"] > 0
    identical = sum(files[path] == files[of] for path, of in copies.items())
    assert identical >= meta["doc_exact_copies"] > 0 and all(of < path for path, of in copies.items())


def test_small_corpus_as_jsonl_and_the_baseline_on_it(small_corpus, tmp_path):
    """to_jsonl.py writes one row per file in sorted path order (id = relative path, text = the
    content), and the baseline flags the same paragraphs in the JSONL file as in the folder."""
    out, _, meta, _ = small_corpus
    jsonl = generate_small.jsonl_path(out)
    rows = to_jsonl.read_rows(jsonl)
    files = tree_bytes(out)
    assert [r["id"] for r in rows] == sorted(files) and meta["jsonl"]["rows"] == len(rows)
    assert all(list(r) == ["id", "text"] and r["text"].encode("utf-8") == files[r["id"]] for r in rows)
    again = tmp_path / "again.jsonl"
    done = subprocess.run([sys.executable, str(BENCH / "to_jsonl.py"), str(out), str(again)], capture_output=True, text=True)
    assert done.returncode == 0 and again.read_bytes() == jsonl.read_bytes()
    assert baseline.find_duplicates(jsonl) == baseline.find_duplicates(out)
    assert run.corpus_bytes(jsonl) == meta["bytes"] == run.corpus_bytes(out)
    assert run.truth_of(jsonl) == run.truth_of(out) == generate.truth_path(out)


def test_provenance_of_rows_maps_to_the_folder_truth(tmp_path):
    """A row's record is keyed by its id (the file's relative path) and its line in the row's
    text; a row without an id by the name run.corpus_rows gives its row number."""
    provenance = [
        {"source": "c.jsonl", "row": 0, "id": "b1/d0.txt", "paragraph": 0, "lines": [1, 1], "decision": "keep"},
        {"source": "c.jsonl", "row": 1, "id": "b1/d1.txt", "paragraph": 1, "lines": [3, 4], "decision": "drop",
         "reason": "near_duplicate"},
        {"source": "c.jsonl", "row": 2, "paragraph": 0, "lines": [2, 2], "decision": "drop", "reason": "exact_duplicate"},
        {"source": "plain.txt", "paragraph": 0, "lines": [5, 5], "decision": "drop", "reason": "boilerplate"},
    ]
    prov_file = tmp_path / "provenance.jsonl"
    prov_file.write_text("".join(json.dumps(r) + "\n" for r in provenance))
    assert run.read_provenance(prov_file, ["b1/d0.txt", "b1/d1.txt", "b1/d2.txt"]) == [
        (("b1/d0.txt", 1), False, None),
        (("b1/d1.txt", 3), True, "near_duplicate"),
        (("b1/d2.txt", 2), True, "exact_duplicate"),
        (("plain.txt", 5), False, "boilerplate"),
    ]
    rows = tmp_path / "c.jsonl"
    rows.write_text('{"id": "b1/d0.txt", "text": "é\\n"}\n\n{"text": "x\\n"}\n')
    assert run.corpus_rows(rows) == (["b1/d0.txt", "1"], 5)


def test_runner_small_shape_reports_folder_and_jsonl_side_by_side(small_corpus, tmp_path, capsys):
    """run.py --shape small on the tiny corpus: dedupe and the baseline on the folder and on the
    JSONL file, the rows mapped back to the folder's truth, so both shapes score the same."""
    out, _, _, _ = small_corpus
    dedupe = Path(sys.executable).parent / "dedupe"
    report_file = tmp_path / "report.json"
    assert run.main(["--shape", "small", "--corpus", str(out), "--dedupe", str(dedupe), "--json-out", str(report_file)]) == 0
    report = json.loads(report_file.read_text())
    folder, jsonl = report["shapes"]
    assert (folder["format"], jsonl["format"]) == ("folder", "jsonl")
    assert jsonl["corpus"] == str(generate_small.jsonl_path(out)) and jsonl["documents"] == folder["documents"] == SMALL_DOCS
    assert folder["input_mb"] == jsonl["input_mb"]
    for shape in (folder, jsonl):
        d, b = shape["systems"]
        assert (d["system"], b["system"]) == ("dedupe", "baseline")
        assert d["score"]["precision"] >= 0.99 and d["score"]["recall"] > 0.9 and b["score"]["precision"] >= 0.99
        assert d["score"]["unmapped_records"] <= 3 and d["score"]["missing"] <= 6
        assert shape["ratios"]["speed"] == pytest.approx(d["mb_per_s"] / b["mb_per_s"])
    assert folder["systems"][0]["score"] == jsonl["systems"][0]["score"]
    assert folder["systems"][1]["score"] == jsonl["systems"][1]["score"]
    assert report["command"].startswith("benchmarks/run.py --shape small") and "commit" in report["git"]["at_start"]
    printed = capsys.readouterr().out
    assert "| jsonl | dedupe |" in printed and "| folder | baseline |" in printed
