"""Repair and match-key folding."""

from __future__ import annotations

from hypothesis import example, given, settings, strategies as st

from corpus_dedupe.normalise import match_key, numbers_in, repair_text


def test_mojibake_of_a_whole_sentence_is_repaired():
    original = "India’s MEA called the claims “baseless” — a diversion from internal failings."
    import ftfy.bad_codecs  # noqa: F401  (registers "sloppy-windows-1252", how browsers mis-decode)

    broken = original.encode("utf-8").decode("sloppy-windows-1252")
    assert broken != original
    assert repair_text(broken) == original


def test_second_mojibake_example_latin1_accents():
    original = "Le président a déclaré à la presse que la réforme était nécessaire."
    assert repair_text(original.encode("utf-8").decode("latin-1")) == original


def test_entities_controls_and_whitespace():
    assert repair_text("Tom &amp; Jerry\x07  say\t hi \u00a0 ") == "Tom & Jerry say hi"


def test_typographic_quotes_and_dashes_are_kept():
    text = "“Quoted” – and ‘single’ — kept…"
    assert repair_text(text) == text


def test_undecodable_bytes_become_replacement_characters():
    assert repair_text("bad \udcff byte") == "bad \ufffd byte"


def test_match_key_folds_case_quotes_dashes_and_punctuation():
    assert match_key("“India-backed” TERRORISTS, said Pakistan’s army.") == match_key('"India–backed" terrorists said Pakistan\'s army')


def test_numbers():
    assert numbers_in("177 militants, 31 civilians, 1,000 to 2,000 attackers, 4.5%") == ["177", "31", "1000", "2000", "45"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
@example("\xa0ßØ")  # found by hypothesis: stripping the no-break space exposed mojibake for a second round
def test_repair_is_idempotent_and_single_line(text):
    text = text.replace("\n", " ").replace("\r", " ")
    once = repair_text(text)
    assert repair_text(once) == once
    assert "\n" not in once and once == once.strip()
    assert "  " not in once


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_match_key_is_idempotent_and_case_insensitive(text):
    key = match_key(text)
    assert match_key(key) == key
    assert match_key(text.upper()) == match_key(text.lower()) or not text.isascii()
