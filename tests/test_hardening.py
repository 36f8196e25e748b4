"""Hostile input, faults at the file-system boundary, resource limits and the errors a person sees.

Every test runs the real ``dedupe`` command (in-process through click, or as a subprocess when
memory, signals or a real file system are measured) and checks the promise that matters: the run
goes on, nothing is lost (every byte of every source file is accounted for in the provenance, or
the file is listed as skipped with its problem), DST is either the new complete output or the
previous one, and an error is one line on stderr that names the file.

Faults are injected where the program meets the operating system (``os.open``, ``os.read``,
``os.scandir``, the ``open`` used by the writer, a small tmpfs), because the tests run as root and
permission bits do not stop root.

``DEDUPE_LONG_TESTS=1`` adds the 200 MB file without a line break (README.md, "What happens when things go wrong").
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest

import corpus_dedupe.pipeline as pipeline_module
import corpus_dedupe.reader as reader_module
import corpus_dedupe.writer as writer_module
from corpus_dedupe.accounting import byte_coverage_problems
from corpus_dedupe.reader import MAX_LINE_BYTES

from conftest import SHARED_BENCH_TEXT, manifest, provenance, run_cli, write_files

LONG = os.environ.get("DEDUPE_LONG_TESTS") == "1"
PARAGRAPH = "The committee met on Tuesday and agreed on a budget for the coming year, {n}.\n\n"


# --------------------------------------------------------------------------------------------
# Helpers


def dedupe_command() -> list[str]:
    """The installed ``dedupe`` script of this environment (what a person runs)."""
    script = Path(sys.executable).parent / "dedupe"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from corpus_dedupe.cli import main; sys.exit(main())"]


def tree_digest(root: Path) -> dict[bytes, str]:
    """sha256 of every file under ``root`` by raw relative path (bytes, so that names that are not
    UTF-8 compare exactly)."""
    out = {}
    base = os.fsencode(root)
    for folder, _dirs, names in os.walk(base):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                out[os.path.relpath(path, base)] = hashlib.sha256(handle.read()).hexdigest()
    return out


def leftovers(parent: Path) -> list[str]:
    """Staging folders, spill files and renamed-away outputs next to DST."""
    return sorted(p.name for p in parent.iterdir() if ".dedupe-" in p.name)


def assert_all_bytes_accounted(src: Path, dst: Path) -> dict:
    """Every source file of the manifest: its sha256 is that of the file, and the provenance
    records account for each of its bytes. Returns the manifest."""
    m = manifest(dst)
    records: dict[str, list[tuple[int, int]]] = {}
    for rec in provenance(dst):
        records.setdefault(rec["source"], []).append(tuple(rec["bytes"]))
    for entry in m["files"]:
        data = (src / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["input_sha256"], entry["path"]
        assert byte_coverage_problems(data, entry["encoding"], records.get(entry["path"], [])) == [], entry["path"]
    return m


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def letters_text(size: int, seed: int = 1) -> bytes:
    """``size`` bytes of made-up words (no two alike) in sentences, with no line break: random
    lower-case letters, about one byte in six a space, and every 97th space a full stop."""
    rng = np.random.default_rng(seed)
    data = rng.integers(ord("a"), ord("z") + 1, size, dtype=np.uint8)
    spaces = np.nonzero(rng.random(size) < 1 / 6)[0]
    data[spaces] = ord(" ")
    stops = spaces[::97]
    stops = stops[stops > 0]
    data[stops - 1] = ord(".")
    return data.tobytes()


# --------------------------------------------------------------------------------------------
# 1. Hostile and odd input


def test_empty_and_whitespace_only_files_are_listed_not_written(tmp_path):
    src = write_files(
        tmp_path / "src",
        {
            "empty.txt": b"",
            "spaces.txt": b"   \t  ",
            "blank_lines.txt": b"\n\n\r\n\r\r\n  \n",
            "bom_only.txt": b"\xef\xbb\xbf",
            "real.txt": PARAGRAPH.format(n=1),
        },
    )
    dst = tmp_path / "dst"
    result = run_cli(src, dst, "--jobs", "1")
    assert result.exit_code == 0 and result.stderr == ""
    m = assert_all_bytes_accounted(src, dst)
    files = {f["path"]: f for f in m["files"]}
    for name in ("empty.txt", "spaces.txt", "blank_lines.txt", "bom_only.txt"):
        assert files[name]["paragraphs"] == 0 and files[name]["output_path"] is None
        assert not (dst / name).exists()
    assert (dst / "real.txt").exists() and m["skipped"] == []


def _peak_rss_kib(args: list[str]) -> tuple[int, int, str]:
    """Run ``args`` from a fresh helper process and return (exit code, peak RSS of the run in KiB,
    stderr). The helper's RUSAGE_CHILDREN only ever saw this one run."""
    helper = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
        "sys.stderr.buffer.write(r.stderr)\n"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run([sys.executable, "-c", helper, *args], capture_output=True, text=True, timeout=600)
    code, peak = map(int, done.stdout.split())
    return code, peak, done.stderr


def _big_file_without_newline(tmp_path: Path, size: int) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "one-line.txt").write_bytes(letters_text(size))
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    (tiny / "a.txt").write_text(PARAGRAPH.format(n=1))
    code, baseline, err = _peak_rss_kib([*dedupe_command(), str(tiny), str(tmp_path / "tiny-out"), "--jobs", "1", "-q"])
    assert code == 0, err
    code, peak, err = _peak_rss_kib([*dedupe_command(), str(src), str(tmp_path / "dst"), "--jobs", "1", "-q"])
    assert code == 0, err
    extra = (peak - baseline) * 1024
    print(f"\n{size} bytes without a line break: peak RSS {peak // 1024} MiB, {baseline // 1024} MiB for a tiny corpus, "
          f"{extra / size:.1f} x the file size more")
    # Measured (README.md, "What happens when things go wrong"): about 6 x the file size over the interpreter's own 49 MiB
    # (decoded lines, repaired paragraphs, match keys, pickled paragraphs, the key store), where
    # it was 200 x (8 GB for 40 MB) before lines were cut and fingerprints batched.
    assert extra < 8 * size, f"peak RSS {peak} KiB is {extra / size:.1f} x the file size above the baseline {baseline} KiB"
    dst = tmp_path / "dst"
    m = assert_all_bytes_accounted(src, dst)
    records = provenance(dst)
    assert all(r["lines"] == [1, 1] for r in records)
    assert all(r["bytes"][1] - r["bytes"][0] <= MAX_LINE_BYTES for r in records)
    assert len(records) >= size // MAX_LINE_BYTES and m["totals"]["kept"] == len(records)
    assert m["skipped"] == []


def test_large_file_without_newline_runs_in_bounded_memory(tmp_path):
    _big_file_without_newline(tmp_path, 32 * 1024 * 1024)


@pytest.mark.skipif(not LONG, reason="long test: set DEDUPE_LONG_TESTS=1")
def test_200_mb_file_without_newline_runs_in_bounded_memory(tmp_path):
    _big_file_without_newline(tmp_path, 200 * 1000 * 1000)


@pytest.mark.parametrize(
    "name, data",
    [
        ("nul.txt", b"A normal start of a text file.\n\x00\x00\x00 then zeros\n"),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
        ("program", b"\x7fELF\x02\x01\x01\x00" + bytes(64)),
        ("utf16-no-bom.txt", "Text in UTF-16 without a byte order mark.".encode("utf-16-le")),
        ("controls.txt", b"text with a bell \x07 and a backspace \x08 inside\n"),
        ("bom-then-binary.txt", b"\xef\xbb\xbf\x00\x01\x02\x03"),
    ],
)
def test_binary_files_are_skipped_with_a_message_and_the_rest_is_processed(tmp_path, name, data):
    src = write_files(tmp_path / "src", {name: data, "ok.txt": PARAGRAPH.format(n=1)})
    dst = tmp_path / "dst"
    result = run_cli(src, dst, "--jobs", "1", "-q")
    assert result.exit_code == 0
    assert one_line(result.stderr) == f"dedupe: skipped {name}: binary file (contains NUL or other control bytes)"
    m = manifest(dst)
    assert m["skipped"] == [{"path": name, "problem": "binary file (contains NUL or other control bytes)"}]
    assert [f["path"] for f in m["files"]] == ["ok.txt"] and (dst / "ok.txt").exists()


def test_invalid_bytes_in_the_middle_of_a_file_are_replaced_and_the_manifest_says_so(tmp_path):
    good = "Prix: 5 €, “guillemets” — très bien, naïve café.\n\n"
    src = write_files(
        tmp_path / "src",
        {
            "a_utf8.txt": (good * 3).encode() + b"Here \xff\xfe two bad bytes.\n\n" + (good.replace("Prix", "Coût") * 2).encode(),
            "b_bom.txt": b"\xef\xbb\xbf" + "Avec une marque d’ordre, et un octet \u00e9: ".encode() + b"\xe9 isol\xc3\xa9.\n",
            "c_cp1252.txt": "Déjà vu, señor: “quoted” text in a Windows code page.\n".encode("cp1252"),
            "d_utf16.txt": b"\xff\xfe" + "UTF-16 with a lone surrogate: ".encode("utf-16-le") + b"\x00\xd8" + " and more.\n".encode("utf-16-le"),
            "e_utf32.txt": b"\xff\xfe\x00\x00" + "Out of range: ".encode("utf-32-le") + b"\x00\x00\x11\x00" + "!\n".encode("utf-32-le"),
            "f_truncated_utf16.txt": b"\xff\xfe" + "odd".encode("utf-16-le") + b"!",
        },
    )
    dst = tmp_path / "dst"
    result = run_cli(src, dst, "--jobs", "1", "-q")
    assert result.exit_code == 0, result.stderr
    m = assert_all_bytes_accounted(src, dst)
    files = {f["path"]: f for f in m["files"]}
    # Bytes that are not UTF-8 in a file that is otherwise UTF-8 are read in a code page (two
    # sources concatenated), and the manifest says so; with a byte order mark the file declares
    # itself UTF-8, and such bytes are damage (U+FFFD).
    assert files["a_utf8.txt"]["encoding"] == "utf-8+cp1252"
    assert files["a_utf8.txt"]["notes"][0].startswith("mostly UTF-8: 2 byte(s) that are not UTF-8 read as cp1252")
    assert "Here ÿþ two bad bytes." in (dst / "a_utf8.txt").read_text(encoding="utf-8")
    assert files["b_bom.txt"]["notes"] == ["1 invalid UTF-8 byte(s) replaced with U+FFFD"]
    assert files["c_cp1252.txt"]["encoding"] == "cp1252" and "not valid UTF-8" in files["c_cp1252.txt"]["notes"][0]
    assert "Déjà vu, señor: “quoted”" in (dst / "c_cp1252.txt").read_text(encoding="utf-8")
    assert files["d_utf16.txt"]["notes"] == ["1 invalid utf-16-le code unit(s) replaced with U+FFFD"]
    assert (dst / "d_utf16.txt").read_text(encoding="utf-8") == "UTF-16 with a lone surrogate: \ufffd and more.\n"
    assert files["e_utf32.txt"]["notes"] == ["1 invalid utf-32-le code unit(s) replaced with U+FFFD"]
    assert m["skipped"] == [{"path": "f_truncated_utf16.txt", "problem": "truncated utf-16-le data (7 bytes is not a multiple of 2)"}]
    for path in dst.rglob("*"):  # everything written is valid UTF-8
        if path.is_file():
            path.read_bytes().decode("utf-8")


def test_mixed_line_endings_give_the_same_paragraphs_and_exact_lines(tmp_path):
    lines = ["First paragraph, first line.", "", "Second paragraph here.", "", "Third one, at the end."]
    src = write_files(
        tmp_path / "src",
        {
            "lf.txt": "\n".join(lines) + "\n",
            "mixed.txt": lines[0] + "\r\n" + "\r" + lines[2] + "\n\r\n" + lines[4],
        },
    )
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "--jobs", "1", "-q", "--no-boilerplate").exit_code == 0
    assert_all_bytes_accounted(src, dst)
    records = [r for r in provenance(dst) if r["source"] == "mixed.txt"]
    assert [r["lines"] for r in records] == [[1, 1], [3, 3], [5, 5]]
    data = (src / "mixed.txt").read_bytes()
    assert [data[slice(*r["bytes"])].decode() for r in records] == [lines[0], lines[2], lines[4]]
    assert all(r["decision"] == "drop" and r["reason"] == "exact_duplicate" for r in records)


def test_odd_file_names_keep_valid_json_and_land_at_the_same_raw_path(tmp_path):
    src = tmp_path / "src"
    names = [b"with space.txt", "ünïcödé ☃ 名前.txt".encode(), b"new\nline.txt", b"bad \xff\xfe name.txt", b"sub dir/\xe9t\xe9.txt"]
    for n, raw in enumerate(names):
        path = os.path.join(os.fsencode(src), raw)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(PARAGRAPH.format(n=n).encode())
    with open(os.path.join(os.fsencode(src), b"binary \xff.bin"), "wb") as handle:
        handle.write(b"\x00\x01")
    dst = tmp_path / "dst"
    result = run_cli(src, dst, "--jobs", "1", "-q")
    assert result.exit_code == 0
    assert one_line(result.stderr) == "dedupe: skipped binary \\xff.bin: binary file (contains NUL or other control bytes)"
    for name in ("provenance.jsonl", "manifest.json"):  # strict UTF-8, valid JSON
        raw = (dst / ".dedupe" / name).read_bytes()
        text = raw.decode("utf-8")
        if name.endswith(".jsonl"):
            [json.loads(line) for line in text.splitlines()]
        else:
            json.loads(text)
    assert_all_bytes_accounted(src, dst)
    m = manifest(dst)
    assert sorted(os.fsencode(f["path"]) for f in m["files"]) == sorted(names)
    assert [os.fsencode(s["path"]) for s in m["skipped"]] == [b"binary \xff.bin"]
    written = {k: v for k, v in tree_digest(dst).items() if not k.startswith(b".dedupe")}
    assert sorted(written) == sorted(names)  # the same raw byte paths as in SRC
    for f in m["files"]:
        assert (dst / f["output_path"]).read_bytes().decode().startswith("The committee met")


def test_symbolic_links_are_not_followed_unless_asked_and_never_out_of_src(tmp_path):
    outside = write_files(tmp_path / "outside", {"secret.txt": "Outside text that must never be read by the run at all.\n"})
    src = write_files(tmp_path / "src", {"a/real.txt": PARAGRAPH.format(n=1), "hidden/.x": "x"})
    (src / "link_to_file.txt").symlink_to(src / "a" / "real.txt")
    (src / "link_to_folder").symlink_to(src / "a", target_is_directory=True)
    (src / "out_file.txt").symlink_to(outside / "secret.txt")
    (src / "out_folder").symlink_to(outside, target_is_directory=True)
    (src / "a" / "loop").symlink_to(src / "a", target_is_directory=True)
    (src / "self").symlink_to(src / "self")
    (src / "broken.txt").symlink_to(src / "nothing-here.txt")
    dst = tmp_path / "dst"

    result = run_cli(src, dst, "--jobs", "1", "-q")
    assert result.exit_code == 0
    m = manifest(dst)
    assert [f["path"] for f in m["files"]] == ["a/real.txt"]
    assert {s["path"] for s in m["skipped"]} == {"a/loop", "broken.txt", "link_to_file.txt", "link_to_folder", "out_file.txt", "out_folder", "self"}
    assert all(s["problem"] == "symbolic link (not followed; use --follow-symlinks)" for s in m["skipped"])
    assert len(result.stderr.strip().splitlines()) == 7

    result = run_cli(src, dst, "--jobs", "1", "-q", "--follow-symlinks")
    assert result.exit_code == 0
    m = manifest(dst)
    assert [f["path"] for f in m["files"]] == ["a/real.txt", "link_to_file.txt"]
    assert {s["path"]: s["problem"] for s in m["skipped"]} == {
        "a/loop": "symbolic link loop",
        "broken.txt": "broken symbolic link",
        "link_to_folder": "symbolic link to a folder that is read under another path",
        "out_file.txt": "symbolic link to outside SRC",
        "out_folder": "symbolic link to outside SRC",
        "self": "symbolic link loop",
    }
    assert "Outside text" not in (dst / ".dedupe" / "provenance.jsonl").read_text()


def test_a_link_into_a_hidden_folder_is_followed_once(tmp_path):
    src = write_files(tmp_path / "src", {".store/doc.txt": PARAGRAPH.format(n=1)})
    (src / "visible").symlink_to(src / ".store", target_is_directory=True)
    (src / ".store" / "back").symlink_to(src / "visible", target_is_directory=True)
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "--jobs", "1", "-q", "--follow-symlinks").exit_code == 0
    m = manifest(dst)
    assert [f["path"] for f in m["files"]] == ["visible/doc.txt"]
    assert m["skipped"] == [{"path": "visible/back", "problem": "symbolic link loop"}]


def _fail_for(monkeypatch, module, name: str, target: Path, exc: OSError) -> None:
    """Make ``module.name`` (an os function) raise ``exc`` when called with the path ``target``;
    every other call goes through."""
    real = getattr(module, name)

    def fake(path, *args, **kwargs):
        if os.path.abspath(os.fsdecode(path)) == str(target):
            raise exc
        return real(path, *args, **kwargs)

    monkeypatch.setattr(module, name, fake)


def test_unreadable_file_and_folder_are_reported_and_the_rest_processed(tmp_path, monkeypatch):
    src = write_files(
        tmp_path / "src",
        {"a.txt": PARAGRAPH.format(n=1), "locked.txt": PARAGRAPH.format(n=2), "closed/inner.txt": PARAGRAPH.format(n=3), "z/ok.txt": PARAGRAPH.format(n=4)},
    )
    _fail_for(monkeypatch, reader_module.os, "open", src / "locked.txt", PermissionError(errno.EACCES, "Permission denied"))
    _fail_for(monkeypatch, reader_module.os, "scandir", src / "closed", PermissionError(errno.EACCES, "Permission denied"))
    dst = tmp_path / "dst"
    result = run_cli(src, dst, "--jobs", "1", "-q")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == ["dedupe: skipped closed: permission denied (folder)", "dedupe: skipped locked.txt: permission denied"]
    m = manifest(dst)
    assert [f["path"] for f in m["files"]] == ["a.txt", "z/ok.txt"]
    assert m["skipped"] == [{"path": "closed", "problem": "permission denied (folder)"}, {"path": "locked.txt", "problem": "permission denied"}]


@pytest.mark.skipif(os.geteuid() == 0, reason="permission bits do not stop root (the injected test above covers it)")
def test_unreadable_file_and_folder_with_real_permission_bits(tmp_path):
    src = write_files(tmp_path / "src", {"a.txt": PARAGRAPH.format(n=1), "locked.txt": "x", "closed/inner.txt": "y"})
    (src / "locked.txt").chmod(0)
    (src / "closed").chmod(0)
    try:
        result = run_cli(src, tmp_path / "dst", "--jobs", "1", "-q")
    finally:
        (src / "closed").chmod(0o755)
    assert result.exit_code == 0
    assert {s["path"] for s in manifest(tmp_path / "dst")["skipped"]} == {"closed", "locked.txt"}


def test_src_that_cannot_be_listed_fails_in_one_line_and_leaves_dst(tmp_path, monkeypatch):
    src = write_files(tmp_path / "src", {"a.txt": PARAGRAPH.format(n=1)})
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q").exit_code == 0
    before = tree_digest(dst)
    _fail_for(monkeypatch, reader_module.os, "scandir", src, PermissionError(errno.EACCES, "Permission denied"))
    result = run_cli(src, dst, "-q")
    assert result.exit_code == 1
    assert one_line(result.stderr) == f"dedupe: {src}: cannot list SRC: permission denied; DST was left as it was before the run"
    assert tree_digest(dst) == before


def test_two_thousand_nested_folders(tmp_path):
    # A short base path: 2,000 levels of "d/" are 4,000 bytes of the 4,095 a path may have.
    base = Path(tempfile.mkdtemp(prefix="dd", dir="/tmp"))
    try:
        src = base / "s"
        src.mkdir()
        fd = os.open(src, os.O_RDONLY)
        try:
            for depth in range(2000):
                if depth % 400 == 0:
                    with open(os.open(f"f{depth}.txt", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as handle:
                        handle.write(PARAGRAPH.format(n=depth))
                os.mkdir("d", dir_fd=fd)
                child = os.open("d", os.O_RDONLY, dir_fd=fd)
                os.close(fd)
                fd = child
            with open(os.open("z", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as handle:
                handle.write("The deepest paragraph of the tree.\n")
        finally:
            os.close(fd)
        result = run_cli(src, base / "o", "--jobs", "1", "-q")
        assert result.exit_code == 0, result.stderr
        m = manifest(base / "o")
        deepest = "d/" * 2000 + "z"
        paths = [f["path"] for f in m["files"]]
        assert deepest in paths and len(paths) == 6
        assert (base / "o" / deepest).read_text() == "The deepest paragraph of the tree.\n"
        assert run_cli(src, base / "o", "--jobs", "1", "-q").exit_code == 0  # replacing a deep output
        assert leftovers(base) == []
    finally:
        writer_module.remove_tree(base)


def test_a_file_that_changes_while_it_is_read_is_read_again(tmp_path, monkeypatch):
    src = write_files(tmp_path / "src", {"growing.txt": PARAGRAPH.format(n=1), "steady.txt": PARAGRAPH.format(n=2)})
    real_read = reader_module.os.read
    calls = {"n": 0}

    def read_while_appending(fd, n):
        data = real_read(fd, n)
        if calls["n"] == 0 and os.path.samestat(os.fstat(fd), os.stat(src / "growing.txt")):
            calls["n"] += 1
            with open(src / "growing.txt", "a") as handle:  # a writer appends during our read
                handle.write(PARAGRAPH.format(n=3))
        return data

    monkeypatch.setattr(reader_module.os, "read", read_while_appending)
    dst = tmp_path / "dst"
    result = run_cli(src, dst, "--jobs", "1", "-q")
    assert result.exit_code == 0 and result.stderr == ""
    m = assert_all_bytes_accounted(src, dst)  # the manifest describes the file as it is now, whole
    assert calls["n"] == 1 and next(f for f in m["files"] if f["path"] == "growing.txt")["paragraphs"] == 2


def test_a_file_that_keeps_changing_is_skipped(tmp_path, monkeypatch):
    src = write_files(tmp_path / "src", {"log.txt": PARAGRAPH.format(n=1), "steady.txt": PARAGRAPH.format(n=2)})
    real_read = reader_module.os.read

    def read_while_appending(fd, n):
        data = real_read(fd, n)
        if data and os.path.samestat(os.fstat(fd), os.stat(src / "log.txt")):
            with open(src / "log.txt", "a") as handle:
                handle.write("another line\n")
        return data

    monkeypatch.setattr(reader_module.os, "read", read_while_appending)
    result = run_cli(src, tmp_path / "dst", "--jobs", "1", "-q")
    assert result.exit_code == 0
    assert one_line(result.stderr) == "dedupe: skipped log.txt: file kept changing while being read (3 attempts)"
    assert [f["path"] for f in manifest(tmp_path / "dst")["files"]] == ["steady.txt"]


def test_a_file_that_disappears_after_discovery_is_skipped_and_one_deleted_while_open_is_read(tmp_path, monkeypatch):
    src = write_files(tmp_path / "src", {"a.txt": PARAGRAPH.format(n=1), "gone.txt": PARAGRAPH.format(n=2), "unlinked.txt": PARAGRAPH.format(n=3)})
    real_discover = pipeline_module.discover_inputs
    real_open = reader_module.os.open

    def discover_then_delete(*args, **kwargs):
        found = real_discover(*args, **kwargs)
        (src / "gone.txt").unlink()  # deleted between listing and reading
        return found

    def open_then_delete(path, *args, **kwargs):
        fd = real_open(path, *args, **kwargs)
        # The reader's open (with --jobs 1 it reads in the main thread; the read-ahead thread's
        # opens are only hints and are left alone).
        if os.fsdecode(path) == str(src / "unlinked.txt") and threading.current_thread() is threading.main_thread():
            os.unlink(path)  # deleted while open: the descriptor still reads it whole
        return fd

    monkeypatch.setattr(pipeline_module, "discover_inputs", discover_then_delete)
    monkeypatch.setattr(reader_module.os, "open", open_then_delete)
    dst = tmp_path / "dst"
    result = run_cli(src, dst, "--jobs", "1", "-q")
    assert result.exit_code == 0
    assert one_line(result.stderr) == "dedupe: skipped gone.txt: file disappeared before it could be read"
    m = manifest(dst)
    assert [f["path"] for f in m["files"]] == ["a.txt", "unlinked.txt"]
    assert (dst / "unlinked.txt").read_text() == PARAGRAPH.format(n=3).strip() + "\n"


# --------------------------------------------------------------------------------------------
# 4. Resource limits


def test_max_file_size_skips_and_records_too_large_files(tmp_path):
    src = write_files(tmp_path / "src", {"big.txt": PARAGRAPH.format(n=1) * 20, "small.txt": PARAGRAPH.format(n=2)})
    size = (src / "big.txt").stat().st_size
    dst = tmp_path / "dst"
    result = run_cli(src, dst, "--jobs", "1", "-q", "--max-file-size", "500")
    assert result.exit_code == 0
    problem = f"file too large ({size} bytes > --max-file-size 500)"
    assert one_line(result.stderr) == f"dedupe: skipped big.txt: {problem}"
    m = manifest(dst)
    assert m["skipped"] == [{"path": "big.txt", "problem": problem}] and m["parameters"]["max_file_size"] == 500
    assert [f["path"] for f in m["files"]] == ["small.txt"]
    assert run_cli(src, dst, "--max-file-size", "0").exit_code == 2


class _DiskFullFile:
    """A file whose writes fail with ENOSPC once ``budget`` bytes are written, as on a full disk
    (a real write() error carries no file name)."""

    def __init__(self, handle, budget: int) -> None:
        self._handle = handle
        self._budget = budget

    def write(self, data):
        if len(data) > self._budget:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._budget -= len(data)
        return self._handle.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.close()
        return False

    def __getattr__(self, name):
        return getattr(self._handle, name)


def _src_for_disk_tests(tmp_path: Path) -> Path:
    return write_files(tmp_path / "src", {f"doc{n}.txt": PARAGRAPH.format(n=n) * 3 + f"Unique closing line number {n}.\n" for n in range(5)})


@pytest.mark.parametrize("target", ["doc2.txt", "provenance.jsonl", "manifest.json"])
def test_disk_full_while_writing_fails_in_one_line_and_keeps_the_previous_output(tmp_path, monkeypatch, target):
    src = _src_for_disk_tests(tmp_path)
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q").exit_code == 0
    before = tree_digest(dst)
    (src / "doc9.txt").write_text("A new document that the next run would add to the corpus.\n")
    real_open = builtins.open

    def open_on_a_full_disk(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        if "w" in mode and os.fsdecode(path).endswith(target):
            return _DiskFullFile(handle, budget=10)
        return handle

    monkeypatch.setattr(writer_module, "open", open_on_a_full_disk, raising=False)
    result = run_cli(src, dst, "--jobs", "1", "-q")
    assert result.exit_code == 1
    shown = dst / target if target.endswith(".txt") else dst / ".dedupe" / target
    assert one_line(result.stderr) == f"dedupe: {shown.absolute()}: No space left on device; DST was left as it was before the run"
    assert tree_digest(dst) == before
    assert leftovers(tmp_path) == []
    verbose = run_cli(src, dst, "--jobs", "1", "-q", "--verbose")
    assert one_line(verbose.stderr).endswith("DST was left as it was before the run [OSError, ENOSPC]")


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    return done.returncode == 0


# 1800k: the disk fills while the output is written; which file hits the limit first (an output
# file or the provenance map, written side by side by the workers) does not matter, only that the
# message names a file in DST.
@pytest.mark.parametrize("size, culprit", [("600k", ".dst.dedupe-spill-"), ("1800k", "/disk/dst/")])
def test_a_real_full_file_system(tmp_path, size, culprit):
    """A small tmpfs holds DST (and so the spill file and the staging folder): the run fails when
    it is full, names the file, and the previous output is intact. Skipped where tmpfs cannot be
    mounted (not root, or no CAP_SYS_ADMIN)."""
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, size):
        pytest.skip("cannot mount a tmpfs here")
    try:
        small = write_files(tmp_path / "small", {"a.txt": PARAGRAPH.format(n=1)})
        dst = disk / "dst"
        assert subprocess.run([*dedupe_command(), str(small), str(dst), "-q"]).returncode == 0
        before = tree_digest(dst)
        big = tmp_path / "big"
        big.mkdir()
        for path in sorted((SHARED_BENCH_TEXT / "state_union").glob("*.txt"))[:40]:
            shutil.copy(path, big / path.name)  # 1.4 MB: 600k do not hold the spill file, 1800k hold it but not the output too
        done = subprocess.run([*dedupe_command(), str(big), str(dst), "-q", "--jobs", "2", "--force"], capture_output=True, text=True, timeout=120)  # another SRC
        assert done.returncode == 1, done.stderr
        line = one_line(done.stderr)
        assert culprit in line and line.endswith(": No space left on device; DST was left as it was before the run")
        assert tree_digest(dst) == before
        assert leftovers(disk) == []
    finally:
        subprocess.run(["umount", str(disk)])


# --------------------------------------------------------------------------------------------
# 5. Errors a person can act on, and exit codes


def test_exit_codes_and_one_line_errors(tmp_path):
    src = write_files(tmp_path / "src", {"a.txt": PARAGRAPH.format(n=1)})
    ok = run_cli(src, tmp_path / "dst", "-q")
    assert ok.exit_code == 0 and ok.stderr == ""
    usage = run_cli(src, tmp_path / "dst", "--near-threshold", "7")
    assert usage.exit_code == 2 and one_line(usage.stderr) == "dedupe: near_threshold must be between 0.5 and 1.0, got 7.0"
    assert run_cli(src).exit_code == 2  # missing DST: click's usage message
    assert run_cli(src, tmp_path / "dst", "--jobs", "many").exit_code == 2
    refused = run_cli(src, src / "inside")
    assert refused.exit_code == 3 and one_line(refused.stderr) == f"dedupe: {src / 'inside'}: DST is inside SRC"
    rules = tmp_path / "rules.toml"
    rules.write_text("this is [not toml\n")
    bad_rules = run_cli(src, tmp_path / "dst", "--rules", rules)
    assert bad_rules.exit_code == 4 and one_line(bad_rules.stderr).startswith("dedupe: ")
    assert str(rules) in bad_rules.stderr


def test_verbose_prints_stage_timings(tmp_path):
    src = write_files(tmp_path / "src", {"a.txt": PARAGRAPH.format(n=1)})
    result = run_cli(src, tmp_path / "dst", "-q", "--verbose", "--jobs", "1")
    assert result.exit_code == 0
    line = one_line(result.stderr)
    assert line.startswith("dedupe: ") and "with 1 job(s); discover " in line and " write " in line


def test_an_internal_error_is_one_line_and_the_traceback_only_with_verbose(tmp_path, monkeypatch):
    src = write_files(tmp_path / "src", {"a.txt": PARAGRAPH.format(n=1)})
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q").exit_code == 0
    before = tree_digest(dst)

    def broken(*_args, **_kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(pipeline_module, "decide", broken)
    result = run_cli(src, dst, "-q", "--jobs", "1")
    assert result.exit_code == 1
    assert one_line(result.stderr) == (
        "dedupe: internal error: ValueError: a bug; DST was left as it was before the run (run with --verbose for the traceback)"
    )
    verbose = run_cli(src, dst, "-q", "--jobs", "1", "--verbose")
    assert verbose.exit_code == 1 and "Traceback" in verbose.stderr and "ValueError: a bug" in verbose.stderr
    assert tree_digest(dst) == before and leftovers(tmp_path) == []


def test_no_traceback_for_any_input_problem_in_a_subprocess(tmp_path):
    """All the hostile input of this file in one folder, run by the real command with two
    workers: exit 0, one line per skipped file, no traceback."""
    src = tmp_path / "src"
    files = {
        b"empty.txt": b"",
        b"nul.bin": b"\x00" * 10,
        b"bad \xff name.txt": b"Latin-1 text, caf\xe9 cr\xe8me.\n",
        b"new\nline.txt": PARAGRAPH.format(n=1).encode(),
        b"mixed.txt": b"one\r\ntwo\rthree\n",
        b"utf16.txt": b"\xff\xfe" + "hi\n".encode("utf-16-le") + b"\x00\xdc",
        b"odd.txt": b"\xfe\xff\x00",
        b"long.txt": letters_text(3 * MAX_LINE_BYTES + 5),
    }
    src.mkdir()
    for name, data in files.items():
        with open(os.path.join(os.fsencode(src), name), "wb") as handle:
            handle.write(data)
    (src / "loop").symlink_to(src / "loop")
    done = subprocess.run([*dedupe_command(), str(src), str(tmp_path / "dst"), "-q", "--jobs", "2", "--follow-symlinks"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(done.stderr.splitlines()) == [
        "dedupe: skipped loop: symbolic link loop",
        "dedupe: skipped nul.bin: binary file (contains NUL or other control bytes)",
        "dedupe: skipped odd.txt: truncated utf-16-be data (1 bytes is not a multiple of 2)",
    ]
    assert_all_bytes_accounted(src, tmp_path / "dst")


# --------------------------------------------------------------------------------------------
# Found by these tests in other modules (strict: they turn into failures once fixed, so that the
# marker is removed)


def test_verify_accepts_a_utf16_file_with_invalid_code_units(tmp_path):
    src = write_files(tmp_path / "src", {"d.txt": b"\xff\xfe" + "A lone surrogate: ".encode("utf-16-le") + b"\x00\xd8" + " and more.\n".encode("utf-16-le")})
    assert run_cli(src, tmp_path / "dst", "-q", "--jobs", "1").exit_code == 0
    assert run_cli("verify", src, tmp_path / "dst").exit_code == 0


def test_html_report_with_a_file_name_that_is_not_utf8(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    with open(os.path.join(os.fsencode(src), b"bad \xff.txt"), "wb") as handle:
        handle.write(PARAGRAPH.format(n=1).encode())
    assert run_cli(src, tmp_path / "dst", "-q", "--jobs", "1").exit_code == 0
    assert run_cli("report", tmp_path / "dst", "--html", tmp_path / "report.html").exit_code == 0


def _append_blobs(spill: str, tag: int, sizes: list[int], out) -> None:
    from corpus_dedupe.pipeline import _append_to_spill

    out.send([(_append_to_spill(spill, bytes([tag]) * size), size) for size in sizes])


def test_workers_appending_to_one_spill_file_never_overlap(tmp_path):
    """Pool workers append their batches' paragraphs to the same spill file at once: each blob
    must be read back whole, unmixed with the other worker's, from the offset it was given."""
    import multiprocessing
    import random

    spill = tmp_path / "spill"
    spill.write_bytes(b"")
    context = multiprocessing.get_context("fork")
    runs = []
    for tag in (1, 2, 3):
        sizes = [random.Random(tag * 100 + i).randrange(1, 300_000) for i in range(60)]
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_append_blobs, args=(str(spill), tag, sizes, send))
        process.start()
        runs.append((tag, process, receive))
    placed = []
    for tag, process, receive in runs:
        placed.append((tag, receive.recv()))
        process.join(60)
    data = spill.read_bytes()
    assert len(data) == sum(size for _tag, blobs in placed for _offset, size in blobs)
    for tag, blobs in placed:
        for offset, size in blobs:
            assert data[offset : offset + size] == bytes([tag]) * size
