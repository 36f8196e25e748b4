"""How the code page is chosen: the failure kinds seen on real legacy files, ``--encoding``, the
manifest's record, and the same choice in every process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from corpus_dedupe.codepage import choose_code_page
from corpus_dedupe.reader import decide_encoding, decode_lines

from conftest import manifest, run_cli, write_files

ROOT = Path(__file__).resolve().parent.parent

# Real sentences (written for these tests) of languages whose legacy files are often misread.
FRENCH = "Noël approche : les marchés de la ville ouvrent déjà leurs chalets, et l'odeur du vin chaud flotte sur la place.\n"
CROATIAN = (
    "Opća skupština proglašava ovu deklaraciju kao zajednički standard za sve narode. Svako ljudsko biće "
    "rođeno je slobodno; čovjek ima pravo na život, slobodu i osobnu sigurnost, a nitko ne smije biti držan u ropstvu.\n"
)
HUNGARIAN = "A kőszívű ember fiai című regény szerzője Jókai Mór, akinek művei ma is népszerűek az olvasók körében.\n"
TURKISH = "İstanbul'un tarihi yarımadası, Boğaziçi'nin kıyısında yüzyıllardır ayakta duran camileri ve çarşılarıyla ünlüdür.\n"
SERBIAN = "Свако људско биће рађа се слободно и једнако у достојанству и правима; ђаци и њихови учитељи то знају.\n"


def test_kind_1_latin1_file_with_a_few_accents_is_not_read_as_a_dos_code_page():
    # "wájike" came out "wßjike" and "Noël" "NoŠl": cp850 was chosen for a Latin-1 file.
    data = (b"The report was filed on 12\xa0March by the committee.\n" * 30) + "Noël in Zürich, wájike.\n".encode("latin_1")
    choice = choose_code_page(data)
    assert choice.codec == "cp1252"
    assert data.decode(choice.codec).endswith("Noël in Zürich, wájike.\n")


def test_kind_1_a_single_non_ascii_byte_goes_to_the_common_code_page():
    data = b"Plain English text, line after line.\n" * 40 + b"The end\xa0of it.\n"  # one no-break space
    assert choose_code_page(data).codec == "cp1252"


@pytest.mark.parametrize("text, codec", [(CROATIAN, "cp1250"), (CROATIAN, "iso8859_2"), (HUNGARIAN * 2, "cp1250")])
def test_kind_2_central_european_text_is_not_read_as_windows_1252(text, codec):
    data = text.encode(codec)
    chosen = decide_encoding(data).codec
    assert data.decode(chosen) == text, chosen


def test_turkish_text_is_not_read_as_windows_1252():
    data = (TURKISH * 2).encode("cp1254")
    assert data.decode(decide_encoding(data).codec) == TURKISH * 2


def test_kind_3_windows_1252_file_with_utf8_mojibake_gets_every_letter(tmp_path):
    # Real accented letters as single bytes, and "café" saved as its UTF-8 bytes (C3 A9).
    data = "Jürgen Köhler and Françoise Müller met in Zürich.\n".encode("cp1252") + "They shared a café crème.\n".encode("utf-8")
    src = write_files(tmp_path / "src", {"a.txt": data})
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "--no-boilerplate", "-q").exit_code == 0
    out = (dst / "a.txt").read_text(encoding="utf-8")
    assert "Jürgen Köhler and Françoise Müller met in Zürich." in out and "café crème" in out
    assert "\ufffd" not in out


def test_kind_4_cyrillic_with_latin_look_alikes_and_arabic_with_a_stray_byte_are_read(tmp_path):
    # A Serbian file typed with Latin "a", "o", "e" among the Cyrillic letters, and an Arabic file
    # holding one 0x1C byte: both were skipped ("no legacy encoding fits", "binary").
    serbian = SERBIAN.replace("а", "a").replace("о", "o").replace("е", "e")
    arabic = "تعتبر اللغة العربية من أكثر اللغات انتشارا في العالم، ويتحدث بها أكثر من أربعمائة مليون إنسان.\n"
    src = write_files(tmp_path / "src", {
        "sr.txt": (serbian * 3).encode("cp1251"),
        "ar.txt": (arabic * 2).encode("cp1256").replace(b"\n", b"\x1c\n", 1),
    })
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "--no-boilerplate", "-q").exit_code == 0
    files = {f["path"]: f for f in manifest(dst)["files"]}
    assert files["sr.txt"]["encoding"] == "cp1251" and files["ar.txt"]["encoding"] == "cp1256"
    assert serbian.strip() in (dst / "sr.txt").read_text(encoding="utf-8")
    assert arabic.strip() in (dst / "ar.txt").read_text(encoding="utf-8")
    assert "1 control byte(s) left out of the output" in files["ar.txt"]["notes"]


def test_manifest_records_code_page_and_confidence(tmp_path):
    src = write_files(tmp_path / "src", {"fr.txt": (FRENCH * 3).encode("cp1252"), "u.txt": FRENCH})
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "--no-boilerplate", "-q").exit_code == 0
    files = {f["path"]: f for f in manifest(dst)["files"]}
    assert files["fr.txt"]["encoding"] == "cp1252" and 0.5 < files["fr.txt"]["encoding_confidence"] <= 1.0
    assert "next best" in files["fr.txt"]["notes"][0]
    assert files["u.txt"]["encoding"] == "utf-8" and files["u.txt"]["encoding_confidence"] == 1.0


def test_encoding_option_forces_a_code_page_for_all_or_for_a_glob(tmp_path):
    # KOI8-R bytes that the detector would not take for cp1251, forced both ways.
    russian = "Москва - столица России, крупнейший по численности населения город страны.\n"
    other = "Санкт-Петербург основан в начале восемнадцатого века на берегах реки Невы.\n"
    src = write_files(tmp_path / "src", {"ru/a.txt": russian.encode("koi8_r"), "b.txt": other.encode("cp1251")})
    dst = tmp_path / "dst"
    result = run_cli(src, dst, "--no-boilerplate", "-q", "--encoding", "ru/*=koi8_r", "--encoding", "cp1251")
    assert result.exit_code == 0, result.stderr
    files = {f["path"]: f for f in manifest(dst)["files"]}
    assert files["ru/a.txt"]["encoding"] == "koi8_r" and files["b.txt"]["encoding"] == "cp1251"
    assert (dst / "ru/a.txt").read_text(encoding="utf-8") == russian
    assert (dst / "b.txt").read_text(encoding="utf-8") == other
    assert "--encoding" in files["b.txt"]["notes"][-1]
    verified = run_cli("verify", src, dst)
    assert verified.exit_code == 0, verified.stdout + verified.stderr
    # The wrong code page forced on a file gives its wrong letters: the user decided.
    dst2 = tmp_path / "dst2"
    assert run_cli(src, dst2, "--no-boilerplate", "-q", "--encoding", "cp1251").exit_code == 0
    assert (dst2 / "ru/a.txt").read_text(encoding="utf-8") != russian


def test_unknown_codec_is_a_one_line_usage_error(tmp_path):
    src = write_files(tmp_path / "src", {"a.txt": FRENCH})
    result = run_cli(src, tmp_path / "dst", "--encoding", "*.txt=klingon-8")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "klingon-8" in result.stderr
    assert not (tmp_path / "dst").exists()


def test_the_same_choice_in_every_process():
    """The choice must not depend on the process (string hashing is randomised per process): the
    output is byte-identical whatever the worker count."""
    data = (CROATIAN + HUNGARIAN).encode("cp1250") + (b"Ascii line " * 5 + b"\n") * 3
    script = (
        "import sys; from corpus_dedupe.codepage import choose_code_page; "
        "c = choose_code_page(sys.stdin.buffer.read()); print(c.codec, c.confidence, c.runner_up)"
    )
    answers = set()
    for seed in ("1", "2", "3", "4"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", script], input=data, capture_output=True, env=env, check=True)
        answers.add(done.stdout)
    assert len(answers) == 1, answers


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="cp1252", exclude_categories=("Cc", "Cs")), min_size=1, max_size=300))
def test_any_windows_1252_text_decodes_to_lines_that_give_back_their_bytes(text):
    """Whatever reading is chosen, the lines' byte ranges hold exactly the bytes that the reading
    turns into the line's text (the provenance stays exact)."""
    data = text.encode("cp1252")
    decision = decide_encoding(data)
    for line in decode_lines(data, decision.codec, decision.bom):
        assert data[line.byte_start : line.byte_end].decode(decision.codec, "surrogateescape") == line.raw
