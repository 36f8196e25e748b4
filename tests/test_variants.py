"""Near-duplicates whose differences matter are variants (kept and linked), not duplicates:
numbers, single letters, identifiers, and in a short title or heading a word replaced by another."""

from __future__ import annotations

from conftest import provenance, run_cli, write_files


def decisions(dst):
    return {(r["source"], r["lines"][0]): r for r in provenance(dst)}


def test_titles_that_differ_by_a_letter_or_a_name_are_kept_as_variants(tmp_path):
    src = write_files(tmp_path / "src", {
        "a.txt": "Meal Prep Menu for Eating Plan A\n\nAddress before the Congress by President Ronald Reagan\n\n"
                 "State of the Union Address by President George H.W. Bush\n",
        "b.txt": "Meal Prep Menu for Eating Plan B\n\nAddress before the Congress by President Bill Clinton\n\n"
                 "State of the Union Address by President George W. Bush\n",
    })
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q", "--jobs", "1").exit_code == 0
    kept = (dst / "b.txt").read_text(encoding="utf-8").split("\n")
    assert "Meal Prep Menu for Eating Plan B" in kept
    assert "Address before the Congress by President Bill Clinton" in kept
    assert "State of the Union Address by President George W. Bush" in kept
    b = [r for r in provenance(dst) if r["source"] == "b.txt"]
    linked = [r for r in b if r.get("variant_of")]
    assert len(linked) >= 2 and all(r["variant_of"]["source"] == "a.txt" for r in linked)
    assert run_cli("verify", src, dst).exit_code == 0


def test_a_word_left_out_of_a_sentence_is_still_an_edit(tmp_path):
    first = "Second, we will continue our programs for world economic recovery and lasting peace."
    src = write_files(tmp_path / "src", {
        "a.txt": first + "\n",
        "b.txt": first.replace(" for ", " ") + "\n\nA different sentence about the harbour and its old ferry timetable.\n",
        # A deleted article in a longer paragraph is an edit too.
        "c.txt": "The council approved a plan to rebuild the old bridge over the river before the winter floods arrive.\n",
        "d.txt": "The council approved plan to rebuild the old bridge over the river before the winter floods arrive.\n",
    })
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q", "--jobs", "1").exit_code == 0
    by = {(r["source"], r["paragraph"]): r for r in provenance(dst)}
    assert by[("b.txt", 0)].get("reason") == "near_duplicate"
    assert by[("d.txt", 0)].get("reason") == "near_duplicate"


def test_a_short_sentence_with_its_middle_word_replaced_is_found():
    """Nine words with the fifth replaced share no 3-word-shingle band and no first- or
    last-eight-words key: the first and last three words find the pair."""
    from corpus_dedupe.cluster import NEAR, decide_texts
    from corpus_dedupe.settings import Settings

    result = decide_texts(["tonight the cup of peril is full in vietnam", "tonight the cup of motor is full in vietnam",
                           "the harbour ferry leaves at seven every morning in summer"], Settings(jobs=1))
    assert result.code.tolist() == [0, NEAR, 0] and result.duplicate_of[1] == 0
