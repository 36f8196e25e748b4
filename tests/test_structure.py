"""Headings after the duplicates are decided: repeated labels over different content stay,
orphaned headings inside a copy go, unique short lines stay, and no document changes because a
copy of it exists later in the corpus."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import SEEDS, provenance, run_cli, write_files

# Real sentences of different recipes and speeches (written for these tests).
PLAN_BODIES = [
    "Two boiled eggs with a slice of rye toast and half an avocado, eaten an hour before training.",
    "A bowl of oats cooked in milk with sliced banana and a spoon of peanut butter stirred in.",
    "Greek yogurt topped with blueberries, a handful of walnuts and a drizzle of honey.",
    "A smoothie of spinach, frozen mango, whey protein and unsweetened almond milk.",
]
SPEECH_A = [
    "We have passed the most sweeping voting rights law since the end of the Civil War.",
    "Every citizen who wants to cast a ballot must find the polling place open and the rolls fair.",
]
SPEECH_B = [
    "The promise of equal justice under law is not yet kept for millions of our neighbours.",
    "I ask the Congress to fund the agencies that enforce the fair housing laws already on the books.",
]


def kept_lines(dst: Path, name: str) -> list[str]:
    return [line for line in (dst / name).read_text(encoding="utf-8").split("\n") if line]


def test_a_label_repeated_above_different_content_stays(tmp_path):
    # One page, four plans, each with the same two labels above a different meal.
    parts = ["Weekly Meal Plans for Strength Training", ""]
    for n, body in enumerate(PLAN_BODIES, 1):
        parts += [f"Plan number {'ABCD'[n - 1]}", "", "Pre-Workout Meal", "", body, ""]
    src = write_files(tmp_path / "src", {"plans.txt": "\n".join(parts)})
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q", "--jobs", "1").exit_code == 0
    lines = kept_lines(dst, "plans.txt")
    assert lines.count("Pre-Workout Meal") == 4
    for body in PLAN_BODIES:  # each meal still under its label
        assert lines[lines.index(body) - 1] == "Pre-Workout Meal"


def test_a_heading_repeated_across_documents_over_different_content_stays(tmp_path):
    src = write_files(tmp_path / "src", {
        "1965.txt": "\n\n".join(["CIVIL RIGHTS", *SPEECH_A]) + "\n",
        "1977.txt": "\n\n".join(["CIVIL RIGHTS", *SPEECH_B]) + "\n",
    })
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q", "--jobs", "1").exit_code == 0
    assert kept_lines(dst, "1977.txt")[0] == "CIVIL RIGHTS"
    assert run_cli("verify", src, dst).exit_code == 0


def test_a_heading_repeated_with_its_repeated_section_goes(tmp_path):
    src = write_files(tmp_path / "src", {
        "a.txt": "\n\n".join(["CIVIL RIGHTS", *SPEECH_A]) + "\n",
        "b.txt": "\n\n".join([*SPEECH_B, "CIVIL RIGHTS", *SPEECH_A]) + "\n",
    })
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q", "--jobs", "1").exit_code == 0
    assert kept_lines(dst, "b.txt") == SPEECH_B


def test_a_unique_short_line_before_copied_paragraphs_stays(tmp_path):
    # Independent posts, one per paragraph: a bug title followed by two posts that are copies.
    posts = [
        "The installer hangs at ninety percent when the disk is almost full and never recovers.",
        "Clearing the cache folder and restarting the service fixed it for me on two machines.",
    ]
    src = write_files(tmp_path / "src", {
        "a.txt": "\n\n".join(posts) + "\n",
        "b.txt": "\n\n".join(["Downloader goes into -ve numbers after 2 Gb limit is reached", *posts]) + "\n",
    })
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q", "--jobs", "1").exit_code == 0
    assert kept_lines(dst, "b.txt") == ["Downloader goes into -ve numbers after 2 Gb limit is reached"]


def test_seed_003_is_the_same_with_a_copy_of_it_later_in_the_corpus(tmp_path):
    seed = next(SEEDS.glob("003_*.txt"))
    alone = write_files(tmp_path / "alone", {seed.name: seed.read_bytes()})
    both = write_files(tmp_path / "both", {seed.name: seed.read_bytes(), "copy_1.txt": seed.read_bytes()})
    assert run_cli(alone, tmp_path / "out1", "-q").exit_code == 0
    assert run_cli(both, tmp_path / "out2", "-q").exit_code == 0
    assert (tmp_path / "out1" / seed.name).read_bytes() == (tmp_path / "out2" / seed.name).read_bytes()
    # The copy's question headings follow 003's, removed as orphans: no link names a removed paragraph.
    copy = [r for r in provenance(tmp_path / "out2") if r["source"] == "copy_1.txt"]
    assert sum(r.get("reason") == "orphan_heading" for r in copy) == 6
    assert run_cli("verify", both, tmp_path / "out2").exit_code == 0


_POOL = [line for seed in sorted(SEEDS.glob("*.txt")) for line in seed.read_text(encoding="utf-8").split("\n") if line.strip()]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(_POOL), min_size=1, max_size=12), min_size=1, max_size=4), st.data())
def test_an_exact_copy_appended_to_the_corpus_changes_no_other_output(tmp_path_factory, documents, data):
    """Documents built from the seeds' real lines (headings, prose, captions, repeats within and
    across documents); a copy of one of them is added as the last file."""
    tmp = tmp_path_factory.mktemp("copy")
    files = {f"doc{i}.txt": "\n\n".join(lines) + "\n" for i, lines in enumerate(documents)}
    copied = data.draw(st.sampled_from(sorted(files)))
    src1 = write_files(tmp / "src1", files)
    src2 = write_files(tmp / "src2", {**files, "zz_copy.txt": files[copied]})
    assert run_cli(src1, tmp / "out1", "-q", "--jobs", "1").exit_code == 0
    assert run_cli(src2, tmp / "out2", "-q", "--jobs", "1").exit_code == 0
    for name in files:
        one, two = tmp / "out1" / name, tmp / "out2" / name
        assert one.exists() == two.exists(), name
        if one.exists():
            assert one.read_bytes() == two.read_bytes(), name
