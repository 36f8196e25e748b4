"""`dedupe report`, `dedupe explain` and `dedupe verify`, run as a user runs them, on the seeds and on
small corpora written here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SEEDS, manifest, provenance, run_cli, write_files

S000 = "000_22eb3f2a3f330b35.txt"
S001 = "001_2a10a640e547daef.txt"
S002 = "002_b956a5e68296c51b.txt"
S003 = "003_13375e4d1e9e6f31.txt"
S004 = "004_1e4e9fbaaeccf645.txt"

STORM = "The regional weather service said on Tuesday that the storm had moved north overnight and that power was restored to most homes."
FERRY = "The harbour master said ferries would resume their normal timetable on Thursday morning if the winds keep falling."
EVACUATED = "Officials confirmed that {} people were evacuated from the coastal villages before the flooding began in the early hours."
SCHOOLS = "Schools in the district will stay closed for the rest of the week while engineers inspect the damaged buildings."


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, Path]:
    """Three files: STORM in all three (kept in a.txt), a near-duplicate FERRY with one word changed,
    and a variant that differs only in a number."""
    root = tmp_path_factory.mktemp("small")
    src = write_files(
        root / "src",
        {
            "a.txt": f"Storm Update\n\n{STORM}\n\n{EVACUATED.format(145)}\n\n{FERRY}\n",
            "b.txt": f"{STORM}\n\n{EVACUATED.format(177)}\n\n{FERRY.replace('said', 'stated')}\n",
            "c.txt": f"{STORM}\n\n{SCHOOLS}\n",
        },
    )
    dst = root / "out"
    result = run_cli(src, dst, "--jobs", "1", "--quiet")
    assert result.exit_code == 0, result.output
    return src, dst


def one_line_error(result, *needles: str) -> None:
    """A user error: exit 2, exactly one line on stderr naming what is wrong, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("dedupe: ")
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in result.output


# ------------------------------------------------------------------------------------------ report


def test_report_on_seeds_shows_totals_reasons_rules_and_files(seeds_run):
    result = run_cli("report", seeds_run)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Paragraphs  204 in, 117 kept, 87 removed" in out
    assert "Bytes       40609 in, 26582 out" in out
    lines = out.splitlines()
    reasons = {line.split()[0]: int(line.split()[1]) for line in lines[lines.index("Removed by reason") + 2 :][:5]}
    assert reasons == manifest(seeds_run)["totals"]["removed"]
    rule_rows = [line.split() for line in lines if line.strip().startswith(("related.list ", "subscribe.call ", "credit.agency ", "widget.close_button "))]
    assert {r[0]: (r[1], int(r[2])) for r in rule_rows} == {
        "related.list": ("boilerplate", 5),
        "subscribe.call": ("boilerplate", 1),
        "credit.agency": ("boilerplate", 2),
        "widget.close_button": ("boilerplate", 1),
    }
    # 003 lost its whole second copy: it heads the files that lost the most, with half its bytes.
    worst = lines[lines.index("Files that lost the most") + 2]
    assert worst.split()[:4] == [S003, "59", "of", "111"] and "50.0%" in worst
    assert "\x1b[" not in out  # no colour codes when stdout is not a terminal


def test_report_json_agrees_with_manifest_and_provenance(seeds_run):
    result = run_cli("report", seeds_run, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    m = manifest(seeds_run)
    for key in ("files", "paragraphs", "kept", "input_bytes", "output_bytes"):
        assert data["totals"][key] == m["totals"][key]
    assert {k: v["paragraphs"] for k, v in data["by_reason"].items()} == m["totals"]["removed"]
    drops = [r for r in provenance(seeds_run) if r["decision"] == "drop"]
    assert data["totals"]["removed_source_bytes"] == sum(r["bytes"][1] - r["bytes"][0] for r in drops)
    assert data["by_rule"]["structure.orphan_heading"] == {"reason": "orphan_heading", "paragraphs": 7, "bytes": 279}
    assert [f["path"] for f in data["files_losing_most"]][:2] == [S003, S004]
    assert data["duplicate_groups"] == 61  # 59 exact + 2 contained copies, each of its own paragraph
    assert len(data["largest_duplicate_groups"]) == 10  # --top defaults to 10
    all_groups = json.loads(run_cli("report", seeds_run, "--json", "--top", "100").stdout)["largest_duplicate_groups"]
    by_kept_line = {(g["kept"]["source"], g["kept"]["line"]): g for g in all_groups}
    g17 = by_kept_line[(S003, 17)]
    assert g17["copies"] == 2 and g17["text"].endswith("reported Karachi-based Geo News.")
    assert [(m["line"], m["decision"], m.get("reason")) for m in g17["members"]] == [(17, "keep", None), (72, "drop", "contained")]


def test_report_groups_across_files_on_a_small_corpus(small):
    _src, dst = small
    data = json.loads(run_cli("report", dst, "--json").stdout)
    top = data["largest_duplicate_groups"][0]
    assert top["copies"] == 3 and top["text"] == STORM
    assert top["files"] == ["a.txt", "b.txt", "c.txt"]
    assert [(m["source"], m["line"]) for m in top["members"]] == [("a.txt", 3), ("b.txt", 1), ("c.txt", 1)]
    assert data["variants"] == 1
    text = run_cli("report", dst).stdout
    assert "b.txt:1 (exact_duplicate), c.txt:1 (exact_duplicate)" in text
    assert "1 kept as variants" in text


def _run_in_terminal(args: list[str]) -> str:
    """Run ``dedupe ARGS`` with stdout on a pseudo-terminal, as a person at a terminal does."""
    import pty

    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    env.update(TERM="xterm-256color", COLUMNS="160")
    code = "from corpus_dedupe.cli import main; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=slave, stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_report_uses_colour_and_tables_only_on_a_terminal(seeds_run):
    on_terminal = _run_in_terminal(["report", str(seeds_run)])
    assert "\x1b[" in on_terminal and "┃" in on_terminal  # colour codes and a drawn table
    assert "exact_duplicate" in on_terminal
    piped = subprocess.run([sys.executable, "-c", "from corpus_dedupe.cli import main; main()", "report", str(seeds_run)], capture_output=True, text=True, check=True)
    assert "\x1b[" not in piped.stdout and "┃" not in piped.stdout
    assert "Removed by reason" in piped.stdout


def test_report_errors_are_one_line(tmp_path):
    one_line_error(run_cli("report", tmp_path / "nope"), str(tmp_path / "nope"), "does not exist")
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.txt").write_text("hello\n")
    one_line_error(run_cli("report", plain), str(plain), "not a dedupe output")
    (plain / ".dedupe").mkdir()
    (plain / ".dedupe" / "manifest.json").write_text('{"files": [', encoding="utf-8")
    one_line_error(run_cli("report", plain), "manifest.json", "not valid JSON")


def test_report_on_damaged_provenance_names_the_line(seeds_run, tmp_path):
    dst = shutil.copytree(seeds_run, tmp_path / "out")
    prov = dst / ".dedupe" / "provenance.jsonl"
    lines = prov.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[4] = lines[4][:30] + "\n"
    prov.write_text("".join(lines), encoding="utf-8")
    one_line_error(run_cli("report", dst), "provenance.jsonl", "line 5")


# ----------------------------------------------------------------------------------------- explain


def test_explain_truncated_copy_shows_twin_similarity_and_missing_tail(seeds_run):
    result = run_cli("explain", seeds_run, f"{S003}:72")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "line 72  paragraph 69  removed: contained  similarity 1.0" in out
    assert f"kept twin: {S003}:17 (paragraph 16), output {S003}:33" in out
    diff = next(line for line in out.splitlines() if "diff (twin -> this)" in line)
    # the removed copy is the kept paragraph without its last words, and nothing else
    assert diff.endswith("reported Karachi-based [-Geo News.-]")
    assert "{+" not in diff
    assert [line for line in out.splitlines() if line.startswith("line")] == ["line 72  paragraph 69  removed: contained  similarity 1.0"]


def test_explain_json_gives_the_same_facts(seeds_run):
    data = json.loads(run_cli("explain", seeds_run, f"{S003}:96", "--json").stdout)
    [p] = data["paragraphs"]
    assert p["reason"] == "contained" and p["twin"]["line"] == 39 and p["twin"]["decision"] == "keep"
    assert p["twin"]["text"].startswith(p["text"])  # line 96 is line 39 cut short
    assert [d["op"] for d in p["diff"]] == ["equal", "delete"]
    assert p["diff"][1]["twin"].startswith("repeatedly targeted")


def test_explain_whole_file_lists_every_paragraph_with_its_decision(seeds_run):
    data = json.loads(run_cli("explain", seeds_run, S003, "--json").stdout)
    recs = [r for r in provenance(seeds_run) if r["source"] == S003]
    assert [(p["paragraph"], p["decision"], p.get("reason")) for p in data["paragraphs"]] == [
        (r["paragraph"], r["decision"], r.get("reason")) for r in recs
    ]
    out = (seeds_run / S003).read_text(encoding="utf-8").split("\n")
    first = data["paragraphs"][0]
    assert first["decision"] == "keep" and first["text"] == out[0] == "What is the story about?"
    exact = [p for p in data["paragraphs"] if p.get("reason") == "exact_duplicate"]
    assert len(exact) == 48 and all(p["identical"] for p in exact)
    text = run_cli("explain", seeds_run, S003).stdout
    assert text.startswith(f"{S003}: 111 paragraphs, 52 kept, 59 removed")
    assert text.count("\nline") == 111  # "line N" or "lines N-M", one per paragraph


def test_explain_kept_paragraph_names_its_removed_copies(seeds_run):
    out = run_cli("explain", seeds_run, f"{S003}:18").stdout  # line 18 is the wrapped tail of 17
    assert "lines 17-18  paragraph 16  kept -> " in out
    assert f"removed copies of it: {S003}:72 (contained)" in out


def test_explain_line_split_into_pieces_shows_each_piece(seeds_run):
    data = json.loads(run_cli("explain", seeds_run, f"{S002}:1", "--json").stdout)
    keep, close = data["paragraphs"]
    assert keep["decision"] == "keep" and keep["text"].endswith("the banned Balochistan Liberation Army.")
    assert (close["decision"], close["rule"], close["text"]) == ("drop", "widget.close_button", "X")


def test_explain_accepts_a_path_under_src(seeds_run):
    result = run_cli("explain", seeds_run, f"seeds/{S000}:1")
    assert result.exit_code == 0, result.output
    assert "removed: metadata (metadata.leading_date)" in result.stdout
    assert "metadata: date=2026-02-02" in result.stdout


def test_explain_near_duplicate_and_variant_show_the_changed_words(small):
    _src, dst = small
    out = run_cli("explain", dst, "b.txt").stdout
    assert "removed: near_duplicate" in out
    assert "kept twin: a.txt:7 (paragraph 3), output a.txt:7" in out
    assert "The harbour master [-said-] {+stated+} ferries" in out
    assert "variant of: a.txt:5" in out and "numbers that differ: 145, 177" in out
    assert "Officials confirmed that [-145-] {+177+} people" in out
    assert "diff: identical text" in out  # STORM is an exact copy
    later = run_cli("explain", dst, "a.txt:5").stdout
    assert "later variants of it: b.txt:3" in later


def test_explain_reads_twin_from_src_when_the_output_is_gone(small, tmp_path):
    src, dst = small
    dst = shutil.copytree(dst, tmp_path / "out")
    (dst / "a.txt").unlink()
    without = run_cli("explain", dst, "b.txt:5")
    assert without.exit_code == 0
    assert "twin text not available" in without.stdout and "[-said-]" not in without.stdout
    with_src = run_cli("explain", dst, "b.txt:5", "--src", src)
    assert "The harbour master [-said-] {+stated+} ferries" in with_src.stdout


def test_explain_errors_are_one_line(seeds_run, tmp_path):
    one_line_error(run_cli("explain", seeds_run, "nope.txt"), "nope.txt", "not a source file")
    one_line_error(run_cli("explain", seeds_run, f"{S003}:500"), S003, "line 500", "past its last paragraph")
    one_line_error(run_cli("explain", seeds_run, f"{S002}:3"), S002, "line 3", "not in any paragraph")
    one_line_error(run_cli("explain", tmp_path, S003), "not a dedupe output")


# ------------------------------------------------------------------------------------------ verify


def verify(src: Path, dst: Path):
    result = run_cli("verify", src, dst)
    assert "Traceback" not in result.output
    return result


def failures(result) -> list[str]:
    assert result.exit_code == 1, result.output
    assert "verify failed" in result.stderr
    return result.stdout.strip().splitlines()


def test_verify_passes_on_the_seeds(seeds_run):
    result = verify(SEEDS, seeds_run)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("verified: 5 source files (40609 bytes) are accounted for byte by byte by 204 paragraph records")
    assert "5 output files are exactly their kept paragraphs" in result.stdout
    assert "61 duplicate links point at kept paragraphs" in result.stdout


def test_verify_passes_on_encodings_line_ends_wraps_and_skips(tmp_path):
    """Kept paragraphs rebuilt from SRC equal the outputs whatever the source encoding."""
    para = "The regional weather service said that the storm had moved north overnight and that power was restored."
    src = write_files(
        tmp_path / "src",
        {
            "a.txt": f"Caf\u00e9 owners \u201cwelcomed\u201d the news \u2014 finally.\n\n{para}\n",
            "b_bom_crlf.txt": b"\xef\xbb\xbf" + f"An \u00e9l\u00e8ve story, written on a Windows machine today.\r\n\r\n{para}\r\n".encode(),
            "c_utf16.txt": "\ufeffZ\u00fcrich reported a quiet night with little wind and no damage.\n\nShare this article\n".encode("utf-16-le"),
            "d_cp1252.txt": "Le caf\u00e9 \u00e9tait ferm\u00e9 \u2013 les cl\u00e9s perdues, na\u00efvement.\n\nNo one was hurt, the mayor said.\n".encode("cp1252"),
            "e_wrapped.txt": "A suicide bomber rammed an explosive-laden vehicle into the main gate, reported Karachi-based\nGeo News.\n\n"
            "The long paragraph continues on this line and was cut by the scraper at a well-\nknown point.\n\n"
            "Pakistan\u00e2\u20ac\u2122s allegations were rejected on Sunday.\n",
            "f_badbyte.txt": "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 d\u00e9j\u00e0 vu, said the menu.\n".encode() + b"Bad \xff byte, then \xc3\xa9 fine.\n",
            "sub/g_dup.txt": para + "\n",
            "h_empty.txt": b"",
            "i_binary.bin": b"\x00\x01binary",
            "j_cr.txt": b"Old Mac line endings in this little file.\rSecond line.\r",
        },
    )
    dst = tmp_path / "out"
    assert run_cli(src, dst, "--jobs", "1", "--quiet").exit_code == 0
    m = manifest(dst)
    assert {f["encoding"] for f in m["files"]} >= {"utf-8", "utf-16-le", "cp1252"}
    assert next(f for f in m["files"] if f["path"] == "sub/g_dup.txt")["output_path"] is None
    result = verify(src, dst)
    assert result.exit_code == 0, result.output
    assert "9 source files" in result.stdout
    one_line_error(run_cli("explain", dst, "i_binary.bin"), "i_binary.bin", "skipped by the run", "binary")
    wrapped = json.loads(run_cli("explain", dst, "e_wrapped.txt:2", "--json").stdout)["paragraphs"]
    assert [p["lines"] for p in wrapped] == [[1, 2]] and wrapped[0]["text"].endswith("reported Karachi-based Geo News.")


@pytest.fixture
def seeds_copy(tmp_path) -> tuple[Path, Path]:
    """A private copy of the seeds and a fresh run on it, free to be damaged."""
    src = shutil.copytree(SEEDS, tmp_path / "src")
    dst = tmp_path / "out"
    assert run_cli(src, dst, "--jobs", "1", "--quiet").exit_code == 0
    assert verify(src, dst).exit_code == 0
    return src, dst


def test_verify_fails_on_a_tampered_output(seeds_copy):
    src, dst = seeds_copy
    out = dst / S003
    out.write_text(out.read_text(encoding="utf-8").replace("Gwadar", "Gwadur", 1), encoding="utf-8")
    lines = failures(verify(src, dst))
    assert all(str(out) in line for line in lines), lines
    assert any("does not match the manifest" in line for line in lines)
    assert any("is not exactly its kept paragraphs (first difference at output line 9)" in line for line in lines)


def test_verify_rebuilds_outputs_even_when_the_manifest_was_updated_to_match(seeds_copy):
    """Re-hashing a tampered output into the manifest does not fool verify: outputs are rebuilt
    from SRC."""
    import hashlib

    src, dst = seeds_copy
    out = dst / S004
    data = out.read_bytes().replace(b"92 insurgents", b"29 insurgents")
    out.write_bytes(data)
    mpath = dst / ".dedupe" / "manifest.json"
    m = json.loads(mpath.read_text(encoding="utf-8"))
    entry = next(f for f in m["files"] if f["path"] == S004)
    entry["output_sha256"] = hashlib.sha256(data).hexdigest()
    mpath.write_text(json.dumps(m, indent=2), encoding="utf-8")
    assert failures(verify(src, dst)) == [f"{out}: is not exactly its kept paragraphs (first difference at output line 7)"]


def test_verify_fails_on_an_edited_source(seeds_copy):
    src, dst = seeds_copy
    edited = src / S001
    edited.write_bytes(edited.read_bytes().replace(b"India", b"Indla", 1))
    assert failures(verify(src, dst)) == [f"{edited}: changed since the run (sha256 differs from the manifest's input_sha256)"]


def test_verify_fails_on_a_truncated_provenance_file(seeds_copy):
    src, dst = seeds_copy
    prov = dst / ".dedupe" / "provenance.jsonl"
    data = prov.read_bytes()
    prov.write_bytes(data[: len(data) * 2 // 3])  # cut in the middle of a record of 003
    lines = failures(verify(src, dst))
    assert lines[0] == f"{prov}: does not end with a line break: the last record is cut off (truncated file?)"
    assert any(f"{prov}: line " in line and "not a valid JSON record" in line for line in lines)
    # the paragraphs that lost their records leave source bytes unaccounted for, in 003 and in 004
    for name in (S003, S004):
        assert any(line.startswith(f"{src / name}: bytes ") and "are not in any paragraph" in line for line in lines), lines
    assert not any(line.startswith(str(src / S000)) for line in lines)


def test_verify_fails_when_whole_records_are_missing(seeds_copy):
    src, dst = seeds_copy
    prov = dst / ".dedupe" / "provenance.jsonl"
    lines = prov.read_text(encoding="utf-8").splitlines(keepends=True)
    prov.write_text("".join(lines[:-3]), encoding="utf-8")  # a clean cut at a line end
    found = failures(verify(src, dst))
    assert f"{src / S004}: bytes 4791-5722 are not in any paragraph and are not whitespace (according to provenance.jsonl)" in found
    assert any(f"31 records for {S004}, the manifest says 34 paragraphs" in line for line in found)


def test_verify_fails_when_a_duplicate_points_at_a_removed_paragraph(seeds_copy):
    src, dst = seeds_copy
    prov = dst / ".dedupe" / "provenance.jsonl"
    recs = [json.loads(line) for line in prov.read_text(encoding="utf-8").splitlines()]
    rec = next(r for r in recs if r["source"] == S003 and r["lines"][0] == 72)
    rec["duplicate_of"] = {"source": S003, "paragraph": 53, "line": 56}  # itself a removed copy
    prov.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    assert failures(verify(src, dst)) == [
        f"{prov}: {S003} paragraph 69 (line 72): duplicate_of points at {S003} paragraph 53 (line 56), which was removed (exact_duplicate)"
    ]


def test_verify_fails_when_recorded_removed_text_or_record_shape_is_wrong(seeds_copy):
    src, dst = seeds_copy
    prov = dst / ".dedupe" / "provenance.jsonl"
    lines = prov.read_text(encoding="utf-8").splitlines()
    recs = [json.loads(line) for line in lines]
    n = next(i for i, r in enumerate(recs) if r["source"] == S002 and r.get("rule") == "editor.tag")
    recs[n]["text"] = "[DS] and a sentence that was never in the source"
    lines[n] = json.dumps(recs[n], ensure_ascii=False)
    lines[0] = lines[0].replace('"bytes":[1,16]', '"bytes":"1-16"')
    prov.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = failures(verify(src, dst))
    assert found[0] == f"{prov}: line 1: 'lines' and 'bytes' must be pairs of numbers"
    assert f"{prov}: {S002} paragraph 29 (line 54): the recorded removed text is not the source text" in found
    assert f"{src / S000}: bytes 0-17 are not in any paragraph and are not whitespace (according to provenance.jsonl)" in found


def test_verify_fails_on_added_missing_and_stray_files(seeds_copy):
    src, dst = seeds_copy
    (src / "005_new.txt").write_text("A new document written after the run.\n", encoding="utf-8")
    (src / S000).unlink()
    (dst / "stray.txt").write_text("not from the run\n", encoding="utf-8")
    (dst / S002).unlink()
    found = failures(verify(src, dst))
    assert f"{src / '005_new.txt'}: in SRC but not in the manifest (added since the run?)" in found
    assert f"{src / S000}: listed in the manifest but not found in SRC" in found
    assert f"{dst / 'stray.txt'}: in DST but not written by the run (not in the manifest)" in found
    assert any(line.startswith(f"{dst / S002}: missing or unreadable output file") for line in found)
    assert len(found) == 4


def test_verify_errors_are_one_line(seeds_run, tmp_path):
    one_line_error(run_cli("verify", SEEDS, tmp_path), str(tmp_path), "not a dedupe output")
    one_line_error(run_cli("verify", tmp_path / "missing", seeds_run), "SRC does not exist")


def test_verify_handles_a_very_deep_tree(tmp_path):
    """1,200 nested folders: deeper than Python 3.11's recursion limit lets os.walk go."""
    from conftest import run_cli
    from corpus_dedupe.writer import remove_tree

    try:
        src = tmp_path / "src"
        deep = src
        src.mkdir()
        for _ in range(1200):  # one level at a time: Path.mkdir(parents=True) recurses too
            deep = deep / "d"
            deep.mkdir()
        (deep / "a.txt").write_text("A paragraph at the bottom of a very deep tree of folders.\n")
        dst = tmp_path / "dst"
        assert run_cli(src, dst, "-q").exit_code == 0
        result = run_cli("verify", src, dst)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("verified: 1 source files")
    finally:  # pytest's own clean-up of old temporary folders recurses: leave no deep tree behind
        remove_tree(tmp_path / "src")
        remove_tree(tmp_path / "dst")
