"""JSONL (.jsonl, .jsonl.gz, .jsonl.zst) and Parquet in and out: one document per row, DST mirrors
SRC (same names, format, compression, row order and other fields), the provenance names rows by
file, number and id, and report/explain/verify and the Python API work on rows as on files.

The seeds written as rows must get exactly the decisions of the folder run of the seeds: a row is
cleaned as the file whose text it holds."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from conftest import SEEDS, manifest, output_digest, provenance, run_cli, write_files
from corpus_dedupe import dedupe_records

A = "The council approved the new budget after a long debate on Tuesday evening, by nine votes to four."
B = "Residents of the northern district complained that the new bus timetable leaves them stranded after dark."
C = "The harbour festival drew record crowds this summer and filled every hotel room in the old town."
D = "Engineers said the old railway bridge over the river would need a full replacement within five years."


# --------------------------------------------------------------------------------------------
# helpers


def seed_rows() -> list[dict]:
    """One row per seed, in file-name order: its name as id, its text, and two other fields."""
    return [{"id": p.name, "text": p.read_text(encoding="utf-8"), "lang": "en", "n": n}
            for n, p in enumerate(sorted(SEEDS.glob("*.txt")))]


def jsonl_bytes(rows: list) -> bytes:
    """Rows as JSONL; a str row is written as the line it is (for lines that are not JSON)."""
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows).encode("utf-8")


def compress(data: bytes, name: str) -> bytes:
    if name.endswith(".gz"):
        return gzip.compress(data)
    if name.endswith(".zst"):
        return zstandard.ZstdCompressor().compress(data)
    return data


def decompress(data: bytes, name: str) -> bytes:
    if name.endswith(".gz"):
        return gzip.decompress(data)
    if name.endswith(".zst"):
        return zstandard.ZstdDecompressor().stream_reader(data).read()
    return data


def write_jsonl(path: Path, rows: list) -> Path:
    """A JSONL file of ``rows``, compressed by its name (.gz, .zst)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(compress(jsonl_bytes(rows), path.name))
    return path


def read_jsonl(path: Path) -> list[dict]:
    lines = decompress(path.read_bytes(), path.name).decode("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def run_ok(*args):
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    return result


def folder_texts(folder_dst: Path, names: list[str]) -> dict[str, str]:
    """What the folder run wrote for each seed that has an output: its text without the final newline."""
    return {name: (folder_dst / name).read_text(encoding="utf-8").removesuffix("\n")
            for name in names if (folder_dst / name).exists()}


def as_folder_record(rec: dict, container: str, ids: list, out_row_of: dict[int, int]) -> dict:
    """A row's provenance record rewritten as the folder run writes it for the file named by the
    row's id; asserts on the way that the row fields name the container, the row and its id."""
    assert rec["source"] == container and rec["id"] == ids[rec["row"]]
    view = {k: v for k, v in rec.items() if k not in ("row", "id")}
    view["source"] = rec["id"]
    if "output" in rec:
        out = rec["output"]
        assert (out["path"], out["row"]) == (container, out_row_of[rec["row"]])
        view["output"] = {"path": rec["id"], "lines": out["lines"]}
    for relation in ("duplicate_of", "variant_of"):
        if relation in rec:
            target = rec[relation]
            assert target["source"] == container and target["id"] == ids[target["row"]]
            view[relation] = {"source": target["id"], **{k: v for k, v in target.items() if k not in ("source", "row", "id")}}
    return view


def assert_same_decisions_as_folder(folder_dst: Path, dst: Path, container: str, rows: list[dict]) -> None:
    """Every provenance record of the row run equals the folder run's record for the row's file."""
    ids = [r["id"] for r in rows]
    written = [i for i, name in enumerate(ids) if (folder_dst / name).exists()]
    out_row_of = {row: n for n, row in enumerate(written)}
    folder, by_row = provenance(folder_dst), provenance(dst)
    assert len(by_row) == len(folder) > 0
    for f, r in zip(folder, by_row):
        assert as_folder_record(r, container, ids, out_row_of) == f


@pytest.fixture(scope="module")
def seeds_jsonl_run(tmp_path_factory) -> tuple[Path, Path, list[dict]]:
    """(SRC file, DST, rows) of one run on the seeds as a plain JSONL file."""
    root = tmp_path_factory.mktemp("seeds_jsonl")
    rows = seed_rows()
    src = write_jsonl(root / "src" / "seeds.jsonl", rows)
    run_ok(src, root / "out", "-q", "--jobs", "1")
    return src, root / "out", rows


# --------------------------------------------------------------------------------------------
# 1-2: the seeds as rows get the folder run's output and decisions


def test_seeds_as_jsonl_rows_are_cleaned_as_the_seed_files(seeds_run, seeds_jsonl_run):
    _, dst, rows = seeds_jsonl_run
    assert sorted(p.name for p in dst.iterdir()) == [".dedupe", "seeds.jsonl"]
    expected = folder_texts(seeds_run, [r["id"] for r in rows])
    out = read_jsonl(dst / "seeds.jsonl")
    assert [r["id"] for r in out] == [r["id"] for r in rows if r["id"] in expected]
    for source, cleaned in zip((r for r in rows if r["id"] in expected), out):
        assert cleaned == {**source, "text": expected[source["id"]]}  # lang and n unchanged
        assert list(cleaned) == list(source)  # the fields in their order
    assert_same_decisions_as_folder(seeds_run, dst, "seeds.jsonl", rows)
    entry = manifest(dst)["files"][0]
    assert (entry["path"], entry["format"], entry["compression"]) == ("seeds.jsonl", "jsonl", None)
    assert (entry["rows"], entry["rows_written"], entry["rows_skipped"]) == (5, len(out), 0)


@pytest.mark.parametrize("codec", ["zstd", "gzip"])
def test_seeds_as_parquet_rows_keep_schema_columns_and_codec(seeds_run, tmp_path, codec):
    rows = seed_rows()
    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("lang", pa.string()), ("n", pa.int32())],
                       metadata={b"origin": b"seeds"})
    src = tmp_path / "src" / "seeds.parquet"
    src.parent.mkdir()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), src, compression=codec)
    dst = tmp_path / "out"
    run_ok(src, dst, "-q", "--jobs", "2")

    written = pq.ParquetFile(dst / "seeds.parquet")
    assert written.schema_arrow.equals(schema, check_metadata=True)  # int32 stays int32, metadata kept
    meta = written.metadata
    assert {meta.row_group(g).column(c).compression for g in range(meta.num_row_groups)
            for c in range(meta.num_columns)} == {codec.upper()}
    expected = folder_texts(seeds_run, [r["id"] for r in rows])
    assert written.read().to_pylist() == [{**r, "text": expected[r["id"]]} for r in rows if r["id"] in expected]
    assert_same_decisions_as_folder(seeds_run, dst, "seeds.parquet", rows)
    assert manifest(dst)["files"][0]["format"] == "parquet"


# --------------------------------------------------------------------------------------------
# 3: compressed JSONL, determinism


@pytest.mark.parametrize("suffix, magic", [(".jsonl.gz", b"\x1f\x8b"), (".jsonl.zst", b"\x28\xb5\x2f\xfd")])
def test_compressed_jsonl_comes_out_with_the_same_compression_and_rows(tmp_path, seeds_jsonl_run, suffix, magic):
    _, plain_dst, rows = seeds_jsonl_run
    name = "seeds" + suffix
    src = write_jsonl(tmp_path / "src" / name, rows)
    outputs = []
    for dst in (tmp_path / "out1", tmp_path / "out2"):
        run_ok(src, dst, "-q", "--jobs", "1")
        assert sorted(p.name for p in dst.iterdir()) == [".dedupe", name]
        outputs.append((dst / name).read_bytes())
    assert outputs[0] == outputs[1]  # the same input twice: the same compressed bytes
    assert outputs[0].startswith(magic)
    # The rows are those of the uncompressed run, and so are the decisions (file name aside).
    assert decompress(outputs[0], name) == (plain_dst / "seeds.jsonl").read_bytes()
    renamed = (tmp_path / "out1" / ".dedupe" / "provenance.jsonl").read_text(encoding="utf-8").replace(name, "seeds.jsonl")
    assert renamed == (plain_dst / ".dedupe" / "provenance.jsonl").read_text(encoding="utf-8")
    entry = manifest(tmp_path / "out1")["files"][0]
    assert (entry["format"], entry["compression"]) == ("jsonl", "gzip" if suffix.endswith(".gz") else "zstd")


def test_one_job_and_two_jobs_write_the_same_dst(tmp_path):
    rows = seed_rows()
    src = tmp_path / "src"
    write_jsonl(src / "part1.jsonl.gz", rows[:3])
    write_jsonl(src / "part2.jsonl.zst", rows[3:])
    pq.write_table(pa.Table.from_pylist([{"id": "extra", "text": rows[3]["text"] + "\n\n" + C}]), src / "part3.parquet")
    digests = []
    for jobs in ("1", "2"):
        run_ok(src, tmp_path / f"out{jobs}", "-q", "--jobs", jobs)
        digests.append(output_digest(tmp_path / f"out{jobs}"))
    assert sorted(digests[0]) == [".dedupe/manifest.json", ".dedupe/provenance.jsonl", "part1.jsonl.gz", "part2.jsonl.zst", "part3.parquet"]
    assert digests[0] == digests[1]


AWKWARD_ROWS = [
    # Other fields of every kind a JSON writer emits, around the text field: an integer past 64
    # bits (orjson would read it as a float), NaN (which orjson refuses), non-ASCII keys and
    # values, nesting, null. The rows are written by the workers that clean them (pass 2).
    '{"id": 18446744073709551616, "score": NaN, "text": %s, "meta": {"auteur": "Zoë", "tags": ["a", null]}}'
    % json.dumps(A + "\n\n" + B),
    '{"títol": "ü", "text": %s, "n": -9223372036854775809}' % json.dumps(A + "\n\n" + C),  # A again: removed here
    '{"text": %s, "empty": {}}' % json.dumps(D),
]


def test_rows_keep_every_other_field_as_read_whoever_writes_them(tmp_path):
    src = write_jsonl(tmp_path / "src" / "awkward.jsonl", AWKWARD_ROWS)
    outputs = []
    for jobs in ("1", "2"):
        run_ok(src, tmp_path / f"out{jobs}", "-q", "--jobs", jobs)
        outputs.append((tmp_path / f"out{jobs}" / "awkward.jsonl").read_bytes())
    assert outputs[0] == outputs[1]
    rows = [json.loads(line) for line in outputs[0].decode("utf-8").splitlines()]
    sources = [json.loads(line) for line in AWKWARD_ROWS]
    assert [r["text"] for r in rows] == [A + "\n\n" + B, C, D]
    for row, source in zip(rows, sources):
        assert list(row) == list(source)  # the same fields, in their order
        for key in source:
            if key != "text":
                assert json.dumps(row[key]) == json.dumps(source[key])  # NaN == NaN as text
    assert rows[0]["id"] == 18446744073709551616 and rows[1]["n"] == -9223372036854775809


# --------------------------------------------------------------------------------------------
# 4: rows that cannot be read


BAD_ROWS = [
    {"id": "a", "text": A + "\n\n" + B},  # row 0
    {"id": "b", "body": "no text field"},  # row 1
    "",  # a blank line is not a row
    {"id": "c", "text": 42},  # row 2
    {"text": None},  # row 3
    '{"id": "d", "text": "cut off',  # row 4: not JSON
    {"id": "e", "text": A},  # row 5: all of it a duplicate of row 0
    {"id": "f", "text": B + "\n\n" + C},  # row 6
]
BAD_PROBLEMS = {1: "no field 'text'", 2: "field 'text' is not a string (it is a number)",
                3: "field 'text' is not a string (it is null)", 4: "not a valid JSON line ("}


def run_bad_rows(tmp_path: Path, *options: str):
    src = write_jsonl(tmp_path / "src" / "mixed.jsonl", BAD_ROWS)
    dst = tmp_path / "out"
    result = run_ok(src.parent, dst, "--jobs", "2", *options)
    return src, dst, result


def test_unreadable_rows_are_reported_skipped_and_left_out(tmp_path):
    src, dst, result = run_bad_rows(tmp_path)
    lines = result.stderr.splitlines()
    assert len(lines) == len(BAD_PROBLEMS)
    # A row's id is named when the row has one, even when its text is missing.
    assert lines[0] == "dedupe: skipped mixed.jsonl row 1 (id b): no field 'text'"
    assert lines[1] == "dedupe: skipped mixed.jsonl row 2 (id c): field 'text' is not a string (it is a number)"
    assert lines[2] == "dedupe: skipped mixed.jsonl row 3: field 'text' is not a string (it is null)"
    assert lines[3].startswith("dedupe: skipped mixed.jsonl row 4: not a valid JSON line (")
    assert "7 rows read: 2 written, 4 could not be read" in result.stdout

    m = manifest(dst)
    assert [(s["path"], s["row"], s.get("id")) for s in m["skipped"]] == [("mixed.jsonl", 1, "b"), ("mixed.jsonl", 2, "c"),
                                                                       ("mixed.jsonl", 3, None), ("mixed.jsonl", 4, None)]
    assert "Rows        7 read, 2 written, 4 could not be read" in run_cli("report", dst).stdout
    assert all(problem in s["problem"] for s, problem in zip(m["skipped"], BAD_PROBLEMS.values()))
    entry = m["files"][0]
    assert (entry["rows"], entry["rows_written"], entry["rows_skipped"]) == (7, 2, 4)
    assert read_jsonl(dst / "mixed.jsonl") == [{"id": "a", "text": A + "\n\n" + B}, {"id": "f", "text": C}]
    assert {r["row"] for r in provenance(dst)} == {0, 5, 6}
    assert run_cli("verify", src.parent, dst).exit_code == 0


def test_keep_empty_rows_gives_every_source_row_its_output_row(tmp_path):
    src, dst, result = run_bad_rows(tmp_path, "--keep-empty-rows", "-q")
    assert len(result.stderr.splitlines()) == len(BAD_PROBLEMS)
    source_lines = [line for line in src.read_bytes().splitlines() if line.strip()]
    out_lines = (dst / "mixed.jsonl").read_bytes().splitlines()
    assert len(out_lines) == len(source_lines) == 7
    for row in BAD_PROBLEMS:
        assert out_lines[row] == source_lines[row]  # written as it was, even the line that is not JSON
    cleaned = {row: json.loads(out_lines[row]) for row in (0, 5, 6)}
    assert cleaned == {0: {"id": "a", "text": A + "\n\n" + B}, 5: {"id": "e", "text": ""}, 6: {"id": "f", "text": C}}
    entry = manifest(dst)["files"][0]
    assert (entry["rows"], entry["rows_written"], entry["rows_skipped"]) == (7, 7, 4)
    assert run_cli("verify", src.parent, dst).exit_code == 0


# --------------------------------------------------------------------------------------------
# 5: verify


def test_verify_checks_the_rows_of_a_jsonl_run(tmp_path):
    src = write_jsonl(tmp_path / "src" / "seeds.jsonl", seed_rows()).parent
    dst = tmp_path / "out"
    run_ok(src, dst, "-q", "--jobs", "1")
    ok = run_cli("verify", src, dst)
    assert ok.exit_code == 0 and ok.stdout.startswith("verified: 1 source files"), ok.output

    edited = tmp_path / "edited"
    shutil.copytree(dst, edited)
    rows = read_jsonl(edited / "seeds.jsonl")
    assert " the " in rows[2]["text"]
    rows[2]["text"] = rows[2]["text"].replace(" the ", " a ", 1)
    (edited / "seeds.jsonl").write_bytes(jsonl_bytes(rows))
    failed = run_cli("verify", src, edited)
    assert failed.exit_code != 0
    assert f"{edited / 'seeds.jsonl'} row 2: its text is not the row's kept paragraphs" in failed.stdout.splitlines()
    assert not any(" row 0:" in line or " row 1:" in line for line in failed.stdout.splitlines())
    assert "verify failed" in failed.stderr

    changed = read_jsonl(src / "seeds.jsonl")
    changed[1]["text"] = changed[1]["text"].replace("government", "state", 1)
    (src / "seeds.jsonl").write_bytes(jsonl_bytes(changed))
    stale = run_cli("verify", src, dst)
    assert stale.exit_code != 0
    assert f"{src / 'seeds.jsonl'}: changed since the run (sha256 differs from the manifest's input_sha256)" in stale.stdout


# --------------------------------------------------------------------------------------------
# 6: explain


@pytest.fixture
def explained_run(tmp_path) -> Path:
    """news.jsonl (rows with ids) and plain.jsonl (rows without), sharing paragraphs."""
    src = tmp_path / "src"
    write_jsonl(src / "news.jsonl", [{"id": "n1", "text": A + "\n\n" + B}, {"id": "n2", "text": C + "\n\n" + A}])
    write_jsonl(src / "plain.jsonl", [{"text": D + "\n\n" + B}])
    run_ok(src, tmp_path / "out", "-q", "--jobs", "1")
    return tmp_path / "out"


def test_explain_a_row_by_id_shows_its_paragraphs_and_the_kept_twin(explained_run):
    result = run_ok("explain", explained_run, "news.jsonl:n2")
    lines = result.stdout.splitlines()
    assert lines[0] == "news.jsonl:n2: 2 paragraphs, 1 kept, 1 removed (exact_duplicate 1); output news.jsonl row 1"
    assert "line 1  paragraph 0  kept -> news.jsonl row 1:1" in lines
    assert "line 3  paragraph 1  removed: exact_duplicate  similarity 1.0" in lines
    assert "    " + C in lines and "    " + A in lines
    assert "    kept twin: news.jsonl:n1:1 (paragraph 0), output news.jsonl row 0:1" in lines

    only = run_ok("explain", explained_run, "news.jsonl:n2:3").stdout.splitlines()
    assert [line for line in only if line.startswith("line ")] == ["line 3  paragraph 1  removed: exact_duplicate  similarity 1.0"]

    kept = run_ok("explain", explained_run, "news.jsonl:n1").stdout
    assert "    removed copies of it: news.jsonl:n2:3 (exact_duplicate)" in kept.splitlines()


def test_explain_a_row_without_id_by_its_number(explained_run):
    lines = run_ok("explain", explained_run, "plain.jsonl:0").stdout.splitlines()
    assert lines[0] == "plain.jsonl:0: 2 paragraphs, 1 kept, 1 removed (exact_duplicate 1); output plain.jsonl row 0"
    assert "line 1  paragraph 0  kept -> plain.jsonl row 0:1" in lines
    assert "    kept twin: news.jsonl:n1:3 (paragraph 1), output news.jsonl row 0:3" in lines


def test_explain_of_a_container_or_an_unknown_row_asks_for_a_row(explained_run):
    bare = run_cli("explain", explained_run, "plain.jsonl")
    assert bare.exit_code == 2 and bare.stdout == ""
    assert bare.stderr == "dedupe: plain.jsonl: a jsonl file; name one of its rows as plain.jsonl:ROW_ID (the row's id, or its number from 0)\n"
    unknown = run_cli("explain", explained_run, "news.jsonl:n9")
    assert unknown.exit_code == 2 and unknown.stderr == "dedupe: news.jsonl:n9: news.jsonl has no row with id or number 'n9'\n"


# --------------------------------------------------------------------------------------------
# 7: the Python API on records


def test_dedupe_records_on_the_seeds_matches_the_folder_run(seeds_run):
    records = [{"id": r["id"], "text": r["text"]} for r in seed_rows()]
    index_of = {r["id"]: i for i, r in enumerate(records)}
    cleaned = dedupe_records(records, jobs=2)
    expected = folder_texts(seeds_run, list(index_of))
    assert [(c.index, c.record) for c in cleaned] == [
        (index_of[name], {"id": name, "text": text}) for name, text in expected.items()]
    drops: dict[str, list] = {}
    for rec in provenance(seeds_run):
        if rec["decision"] == "drop":
            twin = rec.get("duplicate_of")
            drops.setdefault(rec["source"], []).append((
                rec["paragraph"], rec["text"], rec["reason"], rec.get("rule"),
                (index_of[twin["source"]], twin["paragraph"]) if twin else None, rec.get("similarity")))
    assert any(d[4] for ds in drops.values() for d in ds)  # the seeds hold duplicates
    for c in cleaned:
        got = [(p.paragraph, p.text, p.reason, p.rule, p.duplicate_of, p.similarity) for p in c.removed]
        assert got == drops.get(c.record["id"], [])


# --------------------------------------------------------------------------------------------
# 8: text files and rows in one folder


def test_a_folder_of_text_and_jsonl_dedupes_across_formats(tmp_path):
    src = write_files(tmp_path / "src", {"a_notes.txt": f"{A}\n\n{C}\n", "c_more.txt": f"{B}\n\n{D}\n\nOnly this file says so.\n"})
    write_jsonl(src / "b_rows.jsonl", [{"text": B + "\n\n" + A}, {"text": D + "\n\n" + C}])
    dst = tmp_path / "out"
    result = run_ok(src, dst, "--jobs", "2")
    assert "2 rows read: 2 written, 0 could not be read" in result.stdout
    assert sorted(p.name for p in dst.iterdir()) == [".dedupe", "a_notes.txt", "b_rows.jsonl", "c_more.txt"]
    assert (dst / "a_notes.txt").read_text() == f"{A}\n\n{C}\n"
    assert read_jsonl(dst / "b_rows.jsonl") == [{"text": B}, {"text": D}]
    assert (dst / "c_more.txt").read_text() == "Only this file says so.\n"

    drops = {(r["source"], r.get("row"), r["paragraph"]): r["duplicate_of"] for r in provenance(dst) if r["decision"] == "drop"}
    assert drops == {
        ("b_rows.jsonl", 0, 1): {"source": "a_notes.txt", "paragraph": 0, "line": 1},  # a row repeats the text file
        ("b_rows.jsonl", 1, 1): {"source": "a_notes.txt", "paragraph": 1, "line": 3},
        ("c_more.txt", None, 0): {"source": "b_rows.jsonl", "row": 0, "paragraph": 0, "line": 1},  # the text file repeats a row
        ("c_more.txt", None, 1): {"source": "b_rows.jsonl", "row": 1, "paragraph": 0, "line": 1},
    }
    formats = {f["path"]: f.get("format", "txt") for f in manifest(dst)["files"]}
    assert formats == {"a_notes.txt": "txt", "b_rows.jsonl": "jsonl", "c_more.txt": "txt"}
    # In corpus order, by path: the container's entry (written last) between the text files'.
    assert [f["path"] for f in manifest(dst)["files"]] == ["a_notes.txt", "b_rows.jsonl", "c_more.txt"]
    explained = run_ok("explain", dst, "c_more.txt:1").stdout
    assert "    kept twin: b_rows.jsonl:0:1 (paragraph 0), output b_rows.jsonl row 0:1" in explained.splitlines()
    assert run_cli("verify", src, dst).exit_code == 0


# --------------------------------------------------------------------------------------------
# 9: other field names


def test_text_field_and_id_field_pick_the_fields(tmp_path):
    src = tmp_path / "src"
    write_jsonl(src / "a.jsonl", [{"doc": "x1", "body": A + "\n\n" + B, "text": "left alone", "id": 7},
                                  {"doc": "x2", "body": B, "text": "left alone", "id": 8}])
    pq.write_table(pa.table({"doc": ["p1"], "body": [A + "\n\n" + C], "text": ["left alone"]}), src / "b.parquet")
    dst = tmp_path / "out"
    run_ok(src, dst, "-q", "--jobs", "1", "--text-field", "body", "--id-field", "doc")
    assert read_jsonl(dst / "a.jsonl") == [{"doc": "x1", "body": A + "\n\n" + B, "text": "left alone", "id": 7}]
    assert pq.read_table(dst / "b.parquet").to_pylist() == [{"doc": "p1", "body": C, "text": "left alone"}]
    names = sorted({(r["source"], r["row"], r["id"]) for r in provenance(dst)})
    assert names == [("a.jsonl", 0, "x1"), ("a.jsonl", 1, "x2"), ("b.parquet", 0, "p1")]
    drops = [(r["id"], r["duplicate_of"]) for r in provenance(dst) if r["decision"] == "drop"]
    assert drops == [("x2", {"source": "a.jsonl", "row": 0, "id": "x1", "paragraph": 1, "line": 3}),
                     ("p1", {"source": "a.jsonl", "row": 0, "id": "x1", "paragraph": 0, "line": 1})]
    assert manifest(dst)["parameters"]["text_field"] == "body"
    assert "kept twin: a.jsonl:x1:1" in run_ok("explain", dst, "b.parquet:p1").stdout
    assert run_cli("verify", src, dst).exit_code == 0

    # Without the options the run cleans "text", and a Parquet file without that column is skipped.
    no_text = write_files(tmp_path / "src2", {"c.txt": C + "\n"})
    pq.write_table(pa.table({"doc": ["p1"], "body": [A]}), no_text / "b.parquet")
    result = run_ok(no_text, tmp_path / "out2", "-q")
    assert result.stderr == "dedupe: skipped b.parquet: no column 'text' (columns: doc, body)\n"


def test_a_parquet_file_is_written_row_group_by_row_group(tmp_path):
    # Seven rows in row groups of two: the output keeps the groups that have rows written (one
    # group is read at a time), rows removed whole or null are left out, the rest is unchanged.
    texts = [A, B, A, None, C, B, "Read more"]
    table = pa.table({"id": [f"r{i}" for i in range(7)], "text": texts, "n": list(range(7))})
    src = tmp_path / "src" / "groups.parquet"
    src.parent.mkdir()
    pq.write_table(table, src, row_group_size=2, compression="snappy")
    assert pq.ParquetFile(src).metadata.num_row_groups == 4
    dst = tmp_path / "out"
    run_ok(src, dst, "--jobs", "1", "-q")
    out = pq.read_table(dst / "groups.parquet").to_pylist()
    assert [(r["id"], r["text"], r["n"]) for r in out] == [("r0", A, 0), ("r1", B, 1), ("r4", C, 4)]
    assert pq.ParquetFile(dst / "groups.parquet").metadata.num_row_groups == 2  # groups 0 and 2; 1 and 3 lost every row
    assert run_cli("verify", src, dst).exit_code == 0

    kept = tmp_path / "kept"
    run_ok(src, kept, "--jobs", "1", "-q", "--keep-empty-rows")
    rows = pq.read_table(kept / "groups.parquet").to_pylist()
    assert [r["text"] for r in rows] == [A, B, "", None, C, "", ""]
    assert pq.ParquetFile(kept / "groups.parquet").metadata.num_row_groups == 4
    assert run_cli("verify", src, kept).exit_code == 0


def test_format_option_forces_how_every_file_is_read(tmp_path):
    # An export named .txt that holds JSON lines is read as rows with --format jsonl; a .jsonl
    # file is read as plain text with --format txt (its lines are then paragraphs of one document).
    src = tmp_path / "src"
    src.mkdir()
    (src / "export.txt").write_text(json.dumps({"id": "x", "text": A}) + "\n" + json.dumps({"id": "y", "text": A + "\n\n" + B}) + "\n",
                                    encoding="utf-8")
    rows = tmp_path / "rows"
    run_ok(src, rows, "--jobs", "1", "-q", "--format", "jsonl")
    assert read_jsonl(rows / "export.txt") == [{"id": "x", "text": A}, {"id": "y", "text": B}]
    assert manifest(rows)["files"][0]["format"] == "jsonl"
    assert run_cli("verify", src, rows).exit_code == 0

    as_text = tmp_path / "text"
    (src / "export.txt").rename(src / "export.jsonl")
    run_ok(src, as_text, "--jobs", "1", "-q", "--format", "txt")
    assert (as_text / "export.jsonl").read_text(encoding="utf-8").count('"id"') == 2  # the JSON lines, kept as text
    assert "format" not in manifest(as_text)["files"][0]
    assert run_cli("verify", src, as_text).exit_code == 0


def test_template_lines_count_across_rows_whatever_their_ids(tmp_path):
    # A masthead repeated in four documents is a corpus template line; as rows of one JSONL file
    # (ids with slashes, "a/1", which name no folder: boilerplate.site_of) it is one too, and the
    # rows get the files' decisions paragraph by paragraph.
    bodies = [A, B, C, D]
    texts = [f"Harbour Gazette Weekly\n\n{body}\n" for body in bodies]
    folder = write_files(tmp_path / "folder", {f"{i}.txt": text for i, text in enumerate(texts)})
    src = write_jsonl(tmp_path / "rows" / "site.jsonl", [{"id": f"a/{i}", "text": text} for i, text in enumerate(texts)])
    run_ok(folder, tmp_path / "out-folder", "--jobs", "1", "-q")
    run_ok(src, tmp_path / "out-rows", "--jobs", "1", "-q")
    folder_rules = [(r["paragraph"], r.get("rule")) for r in provenance(tmp_path / "out-folder")]
    row_rules = [(r["paragraph"], r.get("rule")) for r in provenance(tmp_path / "out-rows")]
    assert ("template.repeated_line" in {rule for _, rule in folder_rules})  # the premise: a template line in files
    assert row_rules == folder_rules
    assert [r["text"] for r in read_jsonl(tmp_path / "out-rows" / "site.jsonl")] == bodies


def test_an_empty_parquet_file_comes_out_empty_with_its_schema(tmp_path):
    src = tmp_path / "src" / "empty.parquet"
    src.parent.mkdir()
    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("n", pa.int32())], metadata={b"origin": b"test"})
    pq.write_table(pa.Table.from_pylist([], schema=schema), src)
    dst = tmp_path / "out"
    run_ok(src, dst, "--jobs", "1", "-q")
    out = pq.read_table(dst / "empty.parquet")
    assert out.num_rows == 0 and out.schema.equals(schema, check_metadata=True)
    assert run_cli("verify", src, dst).exit_code == 0
