"""Legacy code pages on real text: one ``dedupe`` run over ``tests/data/encodings/files/``.

The corpus (built by ``tests/data/encodings/make.py`` from the UTF-8 texts in ``source/``) holds
ordinary prose in 23 encodings: Central European, Cyrillic, Western, Greek, Turkish, Hebrew,
Arabic, Baltic, Vietnamese and CJK code pages, plus hard cases: mostly-ASCII English with a
handful of accented letters, a Windows-1252 file holding mojibake, a UTF-8 file with a
Windows-1252 tail, and files with one stray control byte. ``expected.json`` names each file's
source text and the codecs that decode it right.

Every file is checked the same way: it is in the output (not skipped), each output line's letters
and digits are a run of the source's, all of the source's letters and digits are there, and the
output holds no U+FFFD and no C0/C1 control character. The run uses ``--no-boilerplate`` and no
two files share a sentence, so nothing is removed and the output is the whole text.
"""

from __future__ import annotations

import importlib.util
import json
import unicodedata
from pathlib import Path

import pytest

from conftest import manifest, run_cli

ENC = Path(__file__).resolve().parent / "data" / "encodings"
EXPECTED: dict[str, dict] = json.loads((ENC / "expected.json").read_text(encoding="utf-8"))


def names(*cases: str) -> list[str]:
    return sorted(name for name, meta in EXPECTED.items() if meta["case"] in cases)


def letters(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFC", s) if c.isalnum()).lower()


def is_control(c: str) -> bool:
    o = ord(c)
    return (o < 0x20 and c not in "\t\n\r") or 0x7F <= o <= 0x9F


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One ``dedupe files/ DST --no-boilerplate`` for the whole module: (DST, click result)."""
    dst = tmp_path_factory.mktemp("encodings") / "out"
    result = run_cli(ENC / "files", dst, "--no-boilerplate", "--jobs", "1", "-q")
    return dst, result


def check_decoded(run, name: str) -> dict:
    """The checks every file gets; returns the file's manifest entry."""
    dst, result = run
    meta = EXPECTED[name]
    source = (ENC / meta["text_file"]).read_text(encoding="utf-8")
    m = manifest(dst)
    skipped = {s["path"]: s["problem"] for s in m.get("skipped", [])}
    assert name not in skipped, f"{name} was skipped: {skipped.get(name)}"
    entries = {f["path"]: f for f in m["files"]}
    assert name in entries, f"{name} is not in the manifest"
    entry = entries[name]
    how = f"{name}: read as {entry.get('encoding')} (right: {meta['codecs'] or meta.get('parts')})"
    out = dst / name
    assert out.exists(), f"{name}: no output file"
    text = out.read_text(encoding="utf-8")
    assert "\ufffd" not in text, f"{how}: U+FFFD in the output"
    controls = sorted({f"U+{ord(c):04X}" for c in text if is_control(c)})
    assert not controls, f"{how}: control characters in the output: {controls}"
    want = letters(source)
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            assert letters(line) in want, f"{how}: output line {number} is not in the source text: {line!r}"
    assert letters(text) == want, f"{how}: the output's letters are not the source text's"
    return entry


# --------------------------------------------------------------------------------------------


def test_the_run_succeeds(run):
    _dst, result = run
    assert result.exit_code == 0, result.output


def test_the_corpus_is_what_make_py_builds():
    spec = importlib.util.spec_from_file_location("encodings_make", ENC / "make.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    built = make.build()
    assert sorted(built) == sorted(EXPECTED) == sorted(p.name for p in (ENC / "files").iterdir())
    for name, (data, meta) in built.items():
        assert (ENC / "files" / name).read_bytes() == data, f"{name}: run tests/data/encodings/make.py"
        assert EXPECTED[name] == json.loads(json.dumps(meta, ensure_ascii=False)), name


@pytest.mark.parametrize("name", names("plain"))
def test_legacy_code_page_file_is_decoded_right(run, name):
    check_decoded(run, name)


@pytest.mark.parametrize("name", names("central_european"))
def test_central_european_text_is_not_read_as_windows_1252(run, name):
    check_decoded(run, name)


@pytest.mark.parametrize("name", names("mostly_ascii"))
def test_mostly_ascii_latin1_files_are_not_read_as_a_dos_code_page(run, name):
    check_decoded(run, name)


@pytest.mark.parametrize("name", names("mojibake"))
def test_windows_1252_file_holding_mojibake_gets_every_letter_right(run, name):
    check_decoded(run, name)
    out = (run[0] / name).read_text(encoding="utf-8")
    for word in ("Jürgen", "Köhler", "Zürich", "café", "crème brûlée"):
        assert word in unicodedata.normalize("NFC", out), word


@pytest.mark.parametrize("name", names("utf8_tail"))
def test_utf8_file_with_a_windows_1252_tail(run, name):
    check_decoded(run, name)


@pytest.mark.parametrize("name", names("control"))
def test_stray_control_bytes_are_text_not_binary(run, name):
    entry = check_decoded(run, name)
    notes = entry.get("notes", [])
    assert any("control" in n for n in notes), f"{name} ({EXPECTED[name]['control_byte']}): no note on the control byte: {notes}"


def test_every_file_has_a_test():
    tested = names("plain", "central_european", "mostly_ascii", "mojibake", "utf8_tail", "control")
    assert sorted(tested) == sorted(EXPECTED)
