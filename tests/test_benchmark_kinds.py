"""Tests for the extended benchmark kinds (benchmarks/generate.py --extended) and their per-kind
scoring (benchmarks/kinds.py).

A tiny extended corpus (0.3 MB, about a second to generate) is read back line by line, independently
of the generator's code, and every new kind is checked against its promise: a copy's truth names
the paragraph it copies, which is in the corpus, earlier, with the same origin; keep kinds have
origins of their own. The whole module runs in a few seconds.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
SOURCE = Path("/work/shared/bench-text")
SIZE_MB = 0.3
NEW_COPY_KINDS = ("break_moved", "case_break_moved", "short_edit", "copy_of_copy")
NEW_KEEP_KINDS = ("unique_short_line", "name_variant", "repeated_label")
# sha256 of the default (not extended) corpus of 0.1 MB, seed 1, per GENERATOR_VERSION: the
# default output must stay byte-identical unless the version is bumped.
DEFAULT_DIGESTS = {1: "720198da145cea0ceb19eae2305ab3582382119910188e6dfef5a67e6f8ec592"}

pytestmark = pytest.mark.skipif(not SOURCE.is_dir(), reason=f"benchmark source text not found at {SOURCE}")


def _load(name: str):
    """Import benchmarks/<name>.py as a module (benchmarks/ is a folder of scripts, not a package)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))  # kinds.py and run.py do "import generate"
    spec = importlib.util.spec_from_file_location(f"bench_kinds_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


generate = _load("generate")
kinds = _load("kinds")
run = _load("run")


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def digest(out: Path) -> str:
    h = hashlib.sha256()
    for rel, data in tree_bytes(out).items():
        h.update(rel.encode() + b"\0" + data + b"\0")
    h.update(generate.truth_path(out).read_bytes())
    h.update(generate.meta_path(out).read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """(folder, truth records in corpus order, meta, {(path, line): lines of that paragraph}, file lines)."""
    out = tmp_path_factory.mktemp("ext") / "corpus"
    meta = generate.generate(SOURCE, SIZE_MB, 1, out, extended=True)
    truth = [json.loads(line) for line in generate.truth_path(out).read_text(encoding="utf-8").splitlines()]
    truth.sort(key=lambda r: (r["path"], r["line"]))
    files = {}
    for rel in tree_bytes(out):
        text = (out / rel).read_bytes().decode("utf-8")
        assert text.endswith("\n")
        files[rel] = text.split("\n")[:-1]
    paragraphs = {(r["path"], r["line"]): files[r["path"]][r["lines"][0] - 1 : r["lines"][1]] for r in truth}
    return out, truth, meta, paragraphs, files


def joined(lines: list[str]) -> str:
    return " ".join(line.strip() for line in lines)


def at(ref: dict) -> tuple[str, int]:
    return ref["path"], ref["line"]


def test_extended_corpus_is_byte_identical_across_runs_and_hash_seeds(corpus, tmp_path):
    out = corpus[0]
    again = tmp_path / "again"
    env = dict(os.environ, PYTHONHASHSEED="4321")
    cmd = [sys.executable, str(BENCH / "generate.py"), "--source", str(SOURCE), "--size-mb", str(SIZE_MB),
           "--seed", "1", "--out", str(again), "--extended"]
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    assert tree_bytes(again) == tree_bytes(out)
    for side_file in (generate.truth_path, generate.meta_path):
        assert side_file(again).read_bytes() == side_file(out).read_bytes()


def test_default_corpus_is_unchanged(tmp_path):
    """Without --extended the generator writes what it always wrote (for this GENERATOR_VERSION)."""
    out = tmp_path / "default"
    meta = generate.generate(SOURCE, 0.1, 1, out)
    assert "extended" not in meta
    assert set(meta["kinds"]) == set(generate.KINDS)
    assert digest(out) == DEFAULT_DIGESTS[generate.GENERATOR_VERSION], "default output changed: bump GENERATOR_VERSION"


def test_truth_covers_every_line_and_labels_agree(corpus):
    """Every non-empty line lies in exactly one truth paragraph; the origin rule (a duplicate has the
    origin of an earlier paragraph) says duplicate exactly for the copy kinds."""
    out, truth, meta, _, files = corpus
    owner = {}
    for r in truth:
        first, last = r["lines"]
        assert first == r["line"] <= last
        for n in range(first, last + 1):
            assert files[r["path"]][n - 1].strip(), (r, n)
            assert (r["path"], n) not in owner
            owner[(r["path"], n)] = r
    assert {(rel, n + 1) for rel, lines in files.items() for n, line in enumerate(lines) if line.strip()} == set(owner)
    labels = run.load_truth(generate.truth_path(out))
    for r in truth:
        dup = labels.is_duplicate[(r["path"], r["line"])]
        if r["kind"] == "boilerplate":
            assert dup is None
        else:
            assert dup == (r["kind"] in generate.ALL_DUPLICATE_KINDS), r
    assert set(meta["kinds"]) == set(generate.ALL_KINDS) and meta["extended"] is True
    assert sum(meta["kinds"].values()) == len(truth)


def test_every_new_kind_appears_and_a_copy_names_its_source_in_the_corpus(corpus):
    _, truth, _, paragraphs, _ = corpus
    by_key = {(r["path"], r["line"]): r for r in truth}
    position = {key: i for i, key in enumerate(by_key)}
    counts = {k: sum(r["kind"] == k for r in truth) for k in NEW_COPY_KINDS + NEW_KEEP_KINDS}
    assert all(n >= 5 for n in counts.values()), counts
    for r in truth:
        key = (r["path"], r["line"])
        if r["kind"] in generate.ALL_DUPLICATE_KINDS:
            source = by_key[at(r["source"])]  # a paragraph of the corpus
            assert source["kind"] in generate.ORIGINAL_KINDS and source["origin"] == r["origin"], r
            assert source["kind"] == "original" or r["kind"] == "repeated_body"  # (a repeated body repeats short lines too)
            assert position[at(r["source"])] < position[key]
            assert paragraphs[at(r["source"])]  # it has text
        else:
            assert "source" not in r
        if r["kind"] == "copy_of_copy":
            via = by_key[at(r["via"])]
            assert via["kind"] == "near_edit" and via["origin"] == r["origin"]
            assert position[at(r["via"])] < position[key]
    # keep kinds are originals of their own: no other paragraph shares their origin
    origins = {}
    for r in truth:
        origins.setdefault(r["origin"], []).append(r["kind"])
    for r in truth:
        if r["kind"] in NEW_KEEP_KINDS:
            assert origins[r["origin"]][0] == r["kind"]
            assert all(k in generate.ALL_DUPLICATE_KINDS for k in origins[r["origin"]][1:])  # (a repeated body may copy it)


def test_break_moved_copies_are_the_source_on_other_lines(corpus):
    _, truth, _, paragraphs, _ = corpus
    for r in truth:
        if r["kind"] not in ("break_moved", "case_break_moved"):
            continue
        lines, source = paragraphs[(r["path"], r["line"])], joined(paragraphs[at(r["source"])])
        assert len(lines) >= 2 and 1 <= len(lines[0].split()) <= 3, lines
        assert not re.search(r"[.!?][\"')]?$", lines[0].strip())  # the break is in mid-sentence
        text = joined(lines)
        if r["kind"] == "break_moved":
            assert text == source
        else:
            assert text != source and text in (source.upper(), generate.title_case(source)), (text, source)


def test_short_edit_changes_one_lower_case_word_of_a_short_paragraph(corpus):
    _, truth, _, paragraphs, _ = corpus
    for r in truth:
        if r["kind"] != "short_edit":
            continue
        text, source = joined(paragraphs[(r["path"], r["line"])]), joined(paragraphs[at(r["source"])])
        words, source_words = text.split(" "), source.split(" ")
        assert 8 <= len(source_words) <= 20
        ops = [op for op in difflib.SequenceMatcher(None, source_words, words, autojunk=False).get_opcodes() if op[0] != "equal"]
        assert len(ops) == 1, (source, text)
        tag, i1, i2, j1, j2 = ops[0]
        assert max(i2 - i1, j2 - j1) == 1, (source, text)
        for word in source_words[i1:i2] + words[j1:j2]:  # never a number or a capitalised name
            assert not any(c.isdigit() for c in word) and not word[:1].isupper(), (source, text)


def test_copy_of_copy_is_a_cut_of_the_edited_copy(corpus):
    _, truth, _, paragraphs, _ = corpus
    for r in truth:
        if r["kind"] != "copy_of_copy":
            continue
        text = joined(paragraphs[(r["path"], r["line"])])
        edited, original = joined(paragraphs[at(r["via"])]), joined(paragraphs[at(r["source"])])
        assert edited.startswith(text) and len(text) < len(edited)
        assert not original.startswith(text)  # it keeps the edit: a cut of the copy, not of the original


def test_short_keep_lines(corpus):
    _, truth, _, paragraphs, _ = corpus
    texts = [joined(paragraphs[(r["path"], r["line"])]) for r in truth]
    count = {}  # fold key -> paragraphs with that text, a repeated body's copies aside
    for text, r in zip(texts, truth):
        if r["kind"] != "repeated_body":
            count[generate.fold(text)] = count.get(generate.fold(text), 0) + 1
    by_key = {(r["path"], r["line"]): r for r in truth}
    labels: dict[str, list[str]] = {}
    for i, r in enumerate(truth):
        text = texts[i]
        following = truth[i + 1] if i + 1 < len(truth) and truth[i + 1]["path"] == r["path"] else None
        if r["kind"] == "unique_short_line":
            assert 3 <= len(text.split()) <= 10
            assert count[generate.fold(text)] == 1, text  # unique in the corpus
            assert following and following["kind"] in generate.ALL_DUPLICATE_KINDS  # it stands above a duplicate
        elif r["kind"] == "name_variant":
            assert following and following["kind"] == "original"
            if "variant_of" in r:
                earlier = by_key[at(r["variant_of"])]
                assert earlier["kind"] == "name_variant"
                a, b = joined(paragraphs[at(r["variant_of"])]).split(" "), text.split(" ")
                diff = [op for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
                assert len(diff) == 1 and a != b, (a, b)  # one name, letter or identifier differs
        elif r["kind"] == "repeated_label":
            assert 1 <= len(text.split()) <= 4
            assert following and following["kind"] == "original"
            labels.setdefault(text, []).append(joined(paragraphs[(following["path"], following["line"])]))
            if "repeats" in r:
                assert joined(paragraphs[at(r["repeats"])]) == text
    name_variants = [t for t, r in zip(texts, truth) if r["kind"] == "name_variant"]
    assert len(name_variants) == len(set(name_variants))
    repeated = {label: contents for label, contents in labels.items() if len(contents) >= 2}
    assert repeated, labels
    for contents in repeated.values():
        assert len(set(contents)) == len(contents)  # above different content each time


def test_kind_scorer_on_a_fake_run(tmp_path):
    """Line-level mapping: a break_moved copy whose short first line survives leaves a fragment and
    is not recalled; a label dropped as boilerplate is removed but not lost; a name variant
    removed as a near duplicate costs precision and is lost."""
    corpus = tmp_path / "c"
    (corpus / "s").mkdir(parents=True)
    source = "We must carry on with the work that lies ahead of us all today."
    (corpus / "s" / "a.txt").write_text(f"Meal Plan A\n{source}\nMeal 1\nAnother original paragraph of prose here, long enough.\n")
    (corpus / "s" / "b.txt").write_text(
        f"Meal Plan B\nSomething else that is new and fine to keep here.\nWe must \ncarry on with the work that lies ahead of us all today.\n"
        f"{source}\nMeal 1\nA third original paragraph that has nothing to do with it.\n")
    truth = [
        {"path": "s/a.txt", "line": 1, "origin": 100, "kind": "name_variant", "lines": [1, 1]},
        {"path": "s/a.txt", "line": 2, "origin": 1, "kind": "original", "lines": [2, 2]},
        {"path": "s/a.txt", "line": 3, "origin": 101, "kind": "repeated_label", "lines": [3, 3]},
        {"path": "s/a.txt", "line": 4, "origin": 2, "kind": "original", "lines": [4, 4]},
        {"path": "s/b.txt", "line": 1, "origin": 102, "kind": "name_variant", "lines": [1, 1]},
        {"path": "s/b.txt", "line": 2, "origin": 3, "kind": "original", "lines": [2, 2]},
        {"path": "s/b.txt", "line": 3, "origin": 1, "kind": "break_moved", "lines": [3, 4]},
        {"path": "s/b.txt", "line": 5, "origin": 1, "kind": "exact", "lines": [5, 5]},
        {"path": "s/b.txt", "line": 6, "origin": 103, "kind": "repeated_label", "lines": [6, 6]},
        {"path": "s/b.txt", "line": 7, "origin": 4, "kind": "original", "lines": [7, 7]},
    ]
    truth_file = tmp_path / "c.truth.jsonl"
    truth_file.write_text("".join(json.dumps(r) + "\n" for r in reversed(truth)))
    keep = lambda src, n: {"source": src, "lines": [n, n], "decision": "keep"}  # noqa: E731
    drop = lambda src, n, reason, last=None: {"source": src, "lines": [n, last or n], "decision": "drop", "reason": reason}  # noqa: E731
    provenance = [
        keep("s/a.txt", 1), keep("s/a.txt", 2), drop("s/a.txt", 3, "boilerplate"), keep("s/a.txt", 4),
        drop("s/b.txt", 1, "near_duplicate"), keep("s/b.txt", 2), keep("s/b.txt", 3), drop("s/b.txt", 4, "contained"),
        drop("s/b.txt", 5, "exact_duplicate"), keep("s/b.txt", 6), keep("s/b.txt", 7),
    ]
    prov_file = tmp_path / "provenance.jsonl"
    prov_file.write_text("".join(json.dumps(r) + "\n" for r in provenance))

    records = kinds.load_truth_records(truth_file, corpus)
    report = kinds.score_kinds(records, corpus, kinds.line_decisions(prov_file))
    k = report["kinds"]
    assert list(k) == ["original", "exact", "break_moved", "name_variant", "repeated_label"]
    assert (k["break_moved"]["removed_as_duplicate"], k["break_moved"]["fragment_left"], k["break_moved"]["multi_line"]) == (0, 1, 1)
    assert k["break_moved"]["similar"] == 1 and k["break_moved"]["recall_similar"] == 0.0
    assert k["exact"]["recall"] == 1.0
    assert (k["name_variant"]["removed"], k["name_variant"]["removed_as_duplicate"], k["name_variant"]["lost"]) == (1, 1, 1)
    assert (k["repeated_label"]["removed"], k["repeated_label"]["lost"]) == (1, 0)
    assert k["repeated_label"]["removed_by_reason"] == {"boilerplate": 1}
    assert report["precision"] == pytest.approx(2 / 3)  # break_moved (partly) and exact, against the name variant
    assert (report["copies"], report["copies_removed"], report["recall"]) == (2, 1, 0.5)
    assert (report["originals"], report["unique_lost"]) == (8, 1)
    assert report["missing_lines"] == 0 and report["provenance_lines_outside_truth"] == 0

    # a truth file without line ranges (a default corpus) gets them from the next paragraph
    for r in truth:
        del r["lines"]
    truth_file.write_text("".join(json.dumps(r) + "\n" for r in truth))
    assert [r["lines"] for r in kinds.load_truth_records(truth_file, corpus)] == [
        [1, 1], [2, 2], [3, 3], [4, 4], [1, 1], [2, 2], [3, 4], [5, 5], [6, 6], [7, 7]]


def test_kinds_command_scores_a_real_run(corpus, tmp_path, capsys):
    out = corpus[0]
    dedupe = Path(sys.executable).parent / "dedupe"
    assert dedupe.exists(), "the test needs the project installed in this environment"
    report_file = tmp_path / "kinds.json"
    assert kinds.main(["--corpus", str(out), "--dedupe", str(dedupe), "--json-out", str(report_file)]) == 0
    report = json.loads(report_file.read_text())
    assert set(NEW_COPY_KINDS + NEW_KEEP_KINDS) <= set(report["kinds"])
    assert report["missing_lines"] == 0
    assert report["kinds"]["exact"]["recall"] == 1.0
    printed = capsys.readouterr().out
    for kind in NEW_COPY_KINDS + NEW_KEEP_KINDS:
        assert f"| {kind} |" in printed
