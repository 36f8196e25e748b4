"""What the command refuses before it touches DST (issue 20, point 7): another corpus's output,
an empty selection, a path that does not exist, a size it cannot read."""

from __future__ import annotations


from conftest import SEEDS as SEEDS_DIR, manifest, output_digest, run_cli, write_files

TEXT = "The council approved the new budget after a long debate on Tuesday evening, by nine votes to four.\n"


def test_replacing_the_output_of_another_src_asks_for_force(tmp_path):
    first = write_files(tmp_path / "first", {"a.txt": TEXT})
    second = write_files(tmp_path / "second", {"b.txt": TEXT.replace("nine", "eight")})
    dst = tmp_path / "out"
    assert run_cli(first, dst, "-q").exit_code == 0
    assert run_cli(first, dst, "-q").exit_code == 0  # the same SRC again: replaced without asking
    before = output_digest(dst)
    refused = run_cli(second, dst, "-q")
    assert refused.exit_code == 3
    assert refused.stderr.strip() == f"dedupe: {dst}: DST is the output of another SRC ({first.resolve()}); use --force to replace it"
    assert output_digest(dst) == before
    assert run_cli(second, dst, "-q", "--force").exit_code == 0
    assert [f["path"] for f in manifest(dst)["files"]] == ["b.txt"]


def test_a_src_or_include_that_selects_no_file_leaves_dst_as_it_was(tmp_path):
    src = write_files(tmp_path / "src", {"a.txt": TEXT, ".hidden.txt": TEXT})
    dst = tmp_path / "out"
    assert run_cli(src, dst, "-q").exit_code == 0
    before = output_digest(dst)
    nothing = run_cli(src, dst, "-q", "--include", "*.md")
    assert nothing.exit_code == 1
    assert nothing.stderr.strip() == f"dedupe: {src}: no file matches --include *.md (hidden files and folders are not read); DST was left as it was before the run"
    assert output_digest(dst) == before
    empty = tmp_path / "empty"
    (empty / ".git").mkdir(parents=True)
    result = run_cli(empty, tmp_path / "new", "-q")
    assert result.exit_code == 1 and "no file to read" in result.stderr and not (tmp_path / "new").exists()


def test_a_missing_src_says_it_does_not_exist(tmp_path):
    result = run_cli(tmp_path / "nowhere", tmp_path / "out")
    assert result.exit_code == 2 and result.stderr.strip() == f"dedupe: {tmp_path / 'nowhere'}: SRC does not exist"
    # One file is a corpus of one (a JSONL or Parquet file is the usual case): DST/a.txt.
    file_src = write_files(tmp_path / "f", {"a.txt": TEXT}) / "a.txt"
    assert run_cli(file_src, tmp_path / "out").exit_code == 0
    assert (tmp_path / "out" / "a.txt").read_text() == TEXT


def test_max_file_size_takes_units(tmp_path):
    src = write_files(tmp_path / "src", {"small.txt": TEXT, "big.txt": TEXT * 30})  # 100 bytes and 3 KB
    dst = tmp_path / "out"
    assert run_cli(src, dst, "-q", "--max-file-size", "2KB").exit_code == 0
    assert [s["path"] for s in manifest(dst)["skipped"]] == ["big.txt"]
    assert manifest(dst)["parameters"]["max_file_size"] == 2000
    assert run_cli(src, dst, "-q", "--max-file-size", "1MiB").exit_code == 0
    assert manifest(dst)["parameters"]["max_file_size"] == 1 << 20 and manifest(dst)["skipped"] == []
    bad = run_cli(src, dst, "-q", "--max-file-size", "ten")
    assert bad.exit_code == 2 and "'ten' is not a size" in bad.stderr


def test_dedupe_help_shows_the_main_jobs_options():
    result = run_cli("--help")
    assert result.exit_code == 0
    for text in ("dedupe run SRC DST", "--near-threshold", "--pages", "--max-file-size", "--text-field", "--keep-empty-rows",
                 "report", "explain", "verify"):
        assert text in result.output, text


def test_explain_with_a_bare_name_suggests_the_full_relative_path(tmp_path):
    src = write_files(tmp_path / "src", {"2024/march/minutes.txt": TEXT})
    dst = tmp_path / "out"
    assert run_cli(src, dst, "-q").exit_code == 0
    result = run_cli("explain", dst, "minutes.txt:1")
    assert result.exit_code != 0
    assert result.stderr.strip().endswith("did you mean 2024/march/minutes.txt:1?")
    assert run_cli("explain", dst, "2024/march/minutes.txt:1").exit_code == 0


def test_the_python_fallbacks_write_the_same_output_as_the_compiled_loops(tmp_path):
    # One switch (corpus_dedupe.compiled, DEDUPE_PURE_PYTHON=1) turns every compiled loop off.
    import os
    import subprocess
    import sys

    from conftest import ROOT, SEEDS

    outputs = {}
    for pure in ("0", "1"):
        env = dict(os.environ, DEDUPE_PURE_PYTHON=pure)
        probe = subprocess.run([sys.executable, "-c", "from corpus_dedupe.compiled import speedups; print(speedups is None)"],
                               env=env, capture_output=True, text=True, check=True)
        if pure == "1":
            assert probe.stdout.strip() == "True"
        dst = tmp_path / f"out{pure}"
        subprocess.run([sys.executable, "-c", "import sys; from corpus_dedupe.cli import main; sys.argv[0] = 'dedupe'; main()",
                        str(SEEDS), str(dst), "-q", "--jobs", "2"], env=env, check=True, cwd=ROOT)
        outputs[pure] = output_digest(dst)
    assert outputs["0"] == outputs["1"]


def test_every_command_says_which_path_does_not_exist(tmp_path, seeds_run):
    missing = tmp_path / "nowhere"
    for args, shown in ((("report", missing), f"{missing}: does not exist"),
                        (("explain", missing, "a.txt"), f"{missing}: does not exist"),
                        (("verify", missing, seeds_run), f"{missing}: SRC does not exist"),
                        (("verify", SEEDS_DIR, missing), f"{missing}: does not exist")):
        result = run_cli(*args)
        assert result.exit_code != 0 and result.stderr.strip() == f"dedupe: {shown}", (args, result.stderr)


def test_dedupe_run_reads_a_src_named_like_a_subcommand(tmp_path, monkeypatch):
    # `dedupe report out` is the report command; `dedupe run report out` cleans the folder "report".
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "report", {"a.txt": TEXT})
    assert run_cli("report", "out").exit_code != 0  # the audit command: "out" is no dedupe output
    result = run_cli("run", "report", "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "a.txt").read_text() == TEXT
