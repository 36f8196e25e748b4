"""The page stage's contract beyond the six-language pages (test_page_languages.py): which
documents it reads as pages, the options, the model file, metadata around the article's start,
section headings against template lines, determinism, and its features on any text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import ROOT, manifest, output_digest, provenance, run_cli, write_files
from corpus_dedupe import page
from corpus_dedupe.boilerplate import RuleSet

PAGES = ROOT / "tests" / "pages"

MENU = ["Home", "News", "Politics", "Business", "Sport", "Culture", "Weather", "Video", "Podcasts", "Subscribe"]
FOOTER = ["About us", "Contact", "Careers", "Advertise", "Privacy policy", "Terms of use", "© 2025 The Valley Herald"]
ARTICLE = [
    "The county council voted on Tuesday to keep the old swimming pool open for at least three more summers, reversing a plan to close it in June.",
    "More than two thousand residents had signed a petition asking the council to find the money for repairs instead of building a new pool on the edge of town.",
    "The repairs will cost about four hundred thousand pounds, most of it for a new filter system and the roof over the changing rooms.",
    "Councillors said they would look again at a new pool once the budget for the next five years is agreed in the spring.",
    "The pool's manager said the staff were relieved and that the summer timetable would be published next week.",
]


def herald_page(byline: str = "By Margaret Okonkwo", dateline: str = "First Published: Tuesday, November 19, 2024") -> str:
    # Forty lines of menus before the article: the byline and dateline sit far below the first eight lines.
    lines = ["The Valley Herald", *MENU, *(f"{m} section" for m in MENU), *MENU[:6], *MENU[:8],
             "Old pool saved for three more summers", byline, dateline, *ARTICLE,
             "Share", "Facebook", "Email", "Most read", "Bypass works to start in March", "New head for the grammar school",
             "Market hall to open on Sundays", "Flood warning lifted for the river", *FOOTER]
    return "\n".join(lines) + "\n"


def kept_text(dst: Path, name: str) -> str:
    return (dst / name).read_text(encoding="utf-8") if (dst / name).exists() else ""


def test_bylines_and_datelines_far_below_the_top_go_to_the_metadata(tmp_path):
    src = write_files(tmp_path / "src", {"pool.txt": herald_page()})
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q").exit_code == 0
    entry = next(d for d in manifest(dst)["files"] if d["path"] == "pool.txt")
    assert entry["metadata"] == {"author": "Margaret Okonkwo", "date": "Tuesday, November 19, 2024"}
    out = kept_text(dst, "pool.txt")
    for paragraph in ARTICLE:
        assert paragraph in out
    for line in MENU + FOOTER:
        assert f"\n{line}\n" not in f"\n{out}"


def test_a_byline_in_another_language_is_found_too(tmp_path):
    # German: "Von ..." and a numeric date with "Uhr".
    src = write_files(tmp_path / "src", {"pool.txt": herald_page("Von Katrin Vollmer", "12.03.2025, 17:42 Uhr")})
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q").exit_code == 0
    entry = next(d for d in manifest(dst)["files"] if d["path"] == "pool.txt")
    assert entry["metadata"] == {"author": "Katrin Vollmer", "date": "12.03.2025, 17:42 Uhr"}


def test_an_article_with_headings_and_a_short_list_is_not_a_page(tmp_path):
    # Headings, a four-item list and short lines, but never a run of short lines like a menu.
    text = "\n\n".join(["Old pool saved", ARTICLE[0], "What changes", ARTICLE[1], "Opening hours", "Monday to Friday",
                        ARTICLE[2], "Saturday and Sunday", ARTICLE[3], "What next", ARTICLE[4], "Prices", "Adults: £4",
                        ARTICLE[0].replace("Tuesday", "Wednesday")]) + "\n"
    src = write_files(tmp_path / "src", {"article.txt": text})
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q").exit_code == 0
    assert not [r for r in provenance(dst) if (r.get("rule") or "").startswith("page.")]
    assert "What changes" in kept_text(dst, "article.txt") and "Adults: £4" in kept_text(dst, "article.txt")


def test_the_seeds_and_the_speeches_never_look_like_pages(seeds_run):
    assert not [r for r in provenance(seeds_run) if (r.get("rule") or "").startswith("page.")]


def test_pages_off_and_aggressive(tmp_path):
    src = write_files(tmp_path / "src", {name: (PAGES / name).read_text(encoding="utf-8") for name in ("en_local.txt", "de_politik.txt")})
    removed = {}
    for mode in ("off", "precise", "aggressive"):
        dst = tmp_path / mode
        assert run_cli(src, dst, "-q", "--pages", mode).exit_code == 0
        removed[mode] = {(r["source"], r["paragraph"]) for r in provenance(dst) if (r.get("rule") or "").startswith("page.")}
        assert manifest(dst)["parameters"]["pages"] == mode
    assert not removed["off"]
    assert removed["precise"] and removed["precise"] <= removed["aggressive"]
    assert len(removed["aggressive"]) > len(removed["precise"])


def test_explain_shows_why_a_page_line_went(tmp_path):
    src = write_files(tmp_path / "src", {"pool.txt": herald_page()})
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q").exit_code == 0
    record = next(r for r in provenance(dst) if r.get("rule") == "page.menu")
    probability, threshold, words, *_rest, short_run, _neighbours, where = record["evidence"]
    assert probability < threshold == 0.4 and words <= 3 and short_run >= 3 and where > 0  # a menu above the article
    result = run_cli("explain", dst, f"pool.txt:{record['lines'][0]}")
    assert result.exit_code == 0
    assert "removed: boilerplate (page.menu)" in result.output and "why: article probability" in result.output


def test_a_retrained_model_file_is_used_and_a_bad_one_is_refused(tmp_path):
    src = write_files(tmp_path / "src", {"pool.txt": herald_page()})
    shipped = json.loads((ROOT / "src" / "corpus_dedupe" / "page_model.json").read_text(encoding="utf-8"))
    # A model whose threshold keeps everything: no page line goes.
    keep_all = tmp_path / "keep_all.json"
    keep_all.write_text(json.dumps({**shipped, "threshold": 0.0}), encoding="utf-8")
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q", "--page-model", keep_all).exit_code == 0
    assert not [r for r in provenance(dst) if (r.get("rule") or "").startswith("page.")]
    assert manifest(dst)["parameters"]["page_model"] == "keep_all.json"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**shipped, "passes": [[1.0, 2.0]]}), encoding="utf-8")
    result = run_cli(src, tmp_path / "dst2", "-q", "--page-model", bad)
    assert result.exit_code != 0
    message = result.output.strip()
    assert "bad.json" in message and "passes" in message and len(message.splitlines()) == 1
    assert not (tmp_path / "dst2").exists()


def test_the_output_is_the_same_for_any_worker_count(tmp_path):
    src = write_files(tmp_path / "src", {name: (PAGES / name).read_text(encoding="utf-8") for name in sorted(p.name for p in PAGES.glob("*.txt"))})
    outs = []
    for jobs in ("1", "2"):
        dst = tmp_path / f"j{jobs}"
        assert run_cli(src, dst, "-q", "--jobs", jobs).exit_code == 0
        outs.append(output_digest(dst))
    assert outs[0] == outs[1]


SPEECH_PARTS = {
    "EDUCATION": "We must give every child a school with good teachers and the books they need, in every town of this nation.",
    "AGRICULTURE": "The farmers of this country have fed the world, and they deserve prices that let them keep their land.",
    "CONCLUSION": "Let us go forward together, with faith in each other and in the future we are building for our children.",
}
OPENINGS = [
    "Tonight I report to you on the state of a nation that has come through a hard year with its courage intact and its work unfinished.",
    "This year has tested us, and in meeting its trials we have learned again how much we can do when we act as one people.",
    "I come before you with a program for the year ahead, shaped by the lessons of the past and by the hopes of millions of families.",
]


def test_a_section_heading_repeated_across_documents_is_not_a_template_line(tmp_path):
    # The same three headings in three speeches, each between paragraphs of prose (the State of
    # the Union addresses' "EDUCATION", "CONCLUSION"); the same short line between menu lines of
    # three pages of a site is a template line.
    files = {}
    for n, opening in enumerate(OPENINGS):
        parts = [opening]
        for heading, body in SPEECH_PARTS.items():
            parts += [heading, body.replace("this", ["this", "our", "the"][n])]
        files[f"speeches/{n}.txt"] = "\n\n".join(parts) + "\n"
        files[f"site/{n}.txt"] = "\n".join(["Home", "EDUCATION", "Sport", "Weather", ARTICLE[n]]) + "\n"
    src = write_files(tmp_path / "src", files)
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q", "--pages", "off").exit_code == 0
    for n in range(3):
        speech = kept_text(dst, f"speeches/{n}.txt")
        for heading in SPEECH_PARTS:
            assert f"\n{heading}\n" in speech
    template = {(r["source"], r["text"]) for r in provenance(dst) if r.get("rule") == "template.repeated_line"}
    assert {("site/0.txt", "EDUCATION"), ("site/1.txt", "EDUCATION"), ("site/2.txt", "EDUCATION")} <= template
    assert not [s for s, _ in template if s.startswith("speeches/")]


def test_match_metadata_looks_at_bylines_and_datelines_only():
    rules = RuleSet.load()
    assert rules.match_metadata("By Jamelle Bouie") == ("metadata.byline", {"author": "Jamelle Bouie"})
    assert rules.match_metadata("Opublikowano: 14.05.2025, 09:30") == ("metadata.dateline", {"date": "14.05.2025, 09:30"})
    assert rules.match_metadata("Di Maio") is None  # an Italian surname, not "by"
    # A prefix is a word of its own: a heading that starts with its letters is no byline.
    assert rules.match_metadata("PARTY RESPONSIBILITIES") is None and rules.match_metadata("BYRON SMITH") is None
    assert rules.match_metadata("By:Jane Doe") == ("metadata.byline", {"author": "Jane Doe"})
    assert rules.match_metadata("Subscribe to our newsletter") is None
    assert rules.match_metadata("By the end of the year the council had spent its whole budget on the bridge.") is None


line_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=120)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line_text, max_size=60), st.data())
def test_page_features_and_decisions_on_any_text(texts, data):
    n = len(texts)
    decided = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    prose = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    signals = page.page_features(texts, decided, prose)
    assert signals.features.shape == (n, len(page.FEATURES))
    assert np.isfinite(signals.features).all()
    removed = page.decide_page(signals, np.array(decided, dtype=bool), np.array(prose, dtype=bool), page.load_model())
    assert removed.shape == (n,) and not (removed & np.array(decided, dtype=bool)).any()
    assert ((signals.probability >= 0) & (signals.probability <= 1)).all()
    if signals.article_start >= 0:
        assert 0 <= signals.article_start <= signals.article_end < n


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["Home", "News", "Sport", "Weather", ARTICLE[0], ARTICLE[1], "What next"]), max_size=40))
def test_a_document_is_a_page_only_with_a_menu_run(texts):
    prose = [t in ARTICLE for t in texts]
    run = longest = 0
    for t, p in zip(texts, prose):
        run = run + 1 if (not p and len(t.split()) < 5) else 0
        longest = max(longest, run)
    if page.looks_like_page(texts, prose):
        assert longest >= page.MIN_MENU_RUN and len(texts) >= page.MIN_PAGE_LINES


def test_the_article_run_together_on_one_line_goes_and_its_paragraphs_stay(tmp_path):
    # A page's meta description that holds the whole article: after the article, one line.
    page_text = herald_page().replace("Share\n", "Share\n" + " ".join(ARTICLE) + "\n", 1)
    src = write_files(tmp_path / "src", {"pool.txt": page_text})
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q").exit_code == 0
    copies = [r for r in provenance(dst) if r.get("rule") == "page.article_copy"]
    assert [r["text"] for r in copies] == [" ".join(ARTICLE)]
    assert "holds 5 shorter paragraphs" in copies[0]["evidence"]
    out = [block.strip() for block in kept_text(dst, "pool.txt").split("\n\n")]
    for paragraph in ARTICLE:
        assert paragraph in out


def test_a_language_without_a_stoplist_uses_a_relatives_or_the_pages_own_words():
    assert page.stopwords("nn") == page.stopwords("no") != frozenset()  # Nynorsk: the Norwegian list
    assert page.stopwords("zxx") == frozenset()
    # No list at all: the page's thirty most frequent words of its long lines stand in.
    lines = [["ka", "tui", "te", "whare", "i", "te", "ata", "ka", "hoki", "mai", "ia", "ki", "te", "kainga"]] * 3
    own = page.page_stopwords("zxx", lines)
    assert {"te", "ka"} <= own and len(own) <= 30


page_line = st.one_of(
    st.sampled_from(MENU + FOOTER + ["Share", "Reply", "12 comments", "Kommentare (3)", "评论", "Mehr zum Thema"]),
    st.sampled_from(ARTICLE),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=80).filter(lambda t: t.strip()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(page_line, min_size=12, max_size=80, unique=True), st.sampled_from(["precise", "aggressive"]))
def test_any_page_is_processed_accounted_and_verified(tmp_path_factory, lines, mode):
    # Pages of menus, footers, article sentences and any other text (each line once: a repeated
    # line is removed by the duplicate stage, after the page stage, and changes the page a run
    # over the output sees): the run succeeds, keeps every byte accounted for (verify), a second
    # run gives the same bytes, and a run over the output removes no more page lines.
    from corpus_dedupe.audit import verify

    root = tmp_path_factory.mktemp("page")
    src = write_files(root / "src", {"page.txt": "\n".join(lines) + "\n"})
    digests = []
    for n in (1, 2):
        dst = root / f"out{n}"
        result = run_cli(src, dst, "-q", "--pages", mode, "--jobs", "1")
        assert result.exit_code == 0, result.stderr
        assert list(verify(src, dst).failures) == []
        digests.append(output_digest(dst))
    assert digests[0] == digests[1]
    if (root / "out1" / "page.txt").exists():  # something was kept: a run over the output removes no more page lines
        again = root / "again"
        assert run_cli(root / "out1", again, "-q", "--pages", mode, "--jobs", "1").exit_code == 0
        assert [r["text"] for r in provenance(again) if (r.get("rule") or "").startswith("page.")] == []
    for r in provenance(root / "out1"):
        if (r.get("rule") or "").startswith("page.") and r["rule"] != "page.article_copy":
            assert len(r["evidence"]) == len(page.EVIDENCE_FIELDS)


def test_a_second_run_over_the_output_removes_no_more_page_lines(tmp_path):
    # The stage reads what stays again until nothing more goes, as a second run would see it.
    src = write_files(tmp_path / "src", {p.name: p.read_text(encoding="utf-8") for p in PAGES.glob("*.txt")})
    src = write_files(src, {"pool.txt": herald_page()})
    for mode in ("precise", "aggressive"):
        first, again = tmp_path / f"first-{mode}", tmp_path / f"again-{mode}"
        assert run_cli(src, first, "-q", "--pages", mode).exit_code == 0
        assert run_cli(first, again, "-q", "--pages", mode).exit_code == 0
        assert [r for r in provenance(again) if (r.get("rule") or "").startswith("page.")] == []
