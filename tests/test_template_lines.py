"""Corpus template lines (issue 3.2), on tests/data/sites/: four made-up news sites, one folder each,
every site with its own template phrases (mastheads, slogans, share bars, newsletter and app calls,
related lists, photo credits, copyright footers) around ordinary article prose.

The detector must find each site's repeated lines, record how many documents carried them, and
keep every sentence of the articles.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_dedupe.boilerplate import (
    RuleSet,
    content_keys,
    copy_groups,
    find_template_keys,
    reads_as_content,
    split_line_edges,
    template_candidate_key,
)
from corpus_dedupe.model import Paragraph
from corpus_dedupe.normalise import match_key
from corpus_dedupe.reader import read_document
from corpus_dedupe.segment import segment

from conftest import ROOT, provenance, run_cli, write_files
from test_boilerplate import content_sentences

SITES = ROOT / "tests" / "data" / "sites"
TEMPLATE = "template.repeated_line"

# Lines no built-in rule knows, that only repetition across a site's documents gives away.
SITE_TEMPLATES = {
    "harbour-gazette": (5, ["The Harbour Gazette | Since 1887", "Get the Gazette Daily in your inbox", "Print edition on sale every Thursday"]),
    "lakeside-tribune": (4, ["Lakeside Tribune", "Download the Tribune app for live traffic updates", "Lakeside Tribune — Your City, Your Voice"]),
    "valley-courier": (4, ["Tip us off: news@valleycourier.example", "Valley Courier Weekend Edition"]),
    "ridgeline-post": (4, ["Ridgeline Post: News From the High Country", "Tap here for more mountain stories", "Support reader-funded journalism"]),
}


def _run(tmp_path_factory, *options: str) -> Path:
    dst = tmp_path_factory.mktemp("sites") / "out"
    result = run_cli(SITES, dst, "--jobs", "1", *options)
    assert result.exit_code == 0, result.output
    return dst


@pytest.fixture(scope="module")
def sites_run(tmp_path_factory) -> Path:
    return _run(tmp_path_factory)


def template_drops(dst: Path) -> dict[tuple[str, str], set[int]]:
    """{(site, text): {template_documents}} of the template lines removed in a run."""
    found: dict[tuple[str, str], set[int]] = {}
    for r in provenance(dst):
        if r.get("rule") == TEMPLATE:
            found.setdefault((r["source"].split("/")[0], r["text"]), set()).add(r["template_documents"])
    return found


def test_the_corpus_has_four_sites_of_four_or_more_articles():
    sites = sorted(p for p in SITES.iterdir() if p.is_dir())
    assert [s.name for s in sites] == sorted(SITE_TEMPLATES)
    assert all(len(list(s.glob("*.txt"))) >= 4 for s in sites)


@pytest.mark.parametrize(
    "site", list(SITE_TEMPLATES)
)
def test_each_site_template_lines_are_found_with_their_document_count(sites_run, site):
    n_docs, lines = SITE_TEMPLATES[site]
    found = template_drops(sites_run)
    for line in lines:
        assert found.get((site, line)) == {n_docs}, (site, line)
    # Every document of the site lost each of its template lines.
    for line in lines:
        holders = {r["source"] for r in provenance(sites_run) if r.get("rule") == TEMPLATE and r["text"] == line}
        assert len(holders) == n_docs


def test_only_template_lines_are_removed_as_templates(sites_run):
    expected = {(site, line) for site, (_n, lines) in SITE_TEMPLATES.items() for line in lines}
    assert set(template_drops(sites_run)) <= expected


def article_sentences() -> dict[str, list[tuple[int, str]]]:
    """{relative path: [(line, sentence)]}: the content sentences (test_boilerplate.content_sentences)
    that belong to one article, i.e. are not repeated in every document of the site (such as
    valley-courier's cookie banner, which reads like prose but belongs to the site)."""
    found: dict[str, list[tuple[int, str]]] = {}
    for site in sorted(p for p in SITES.iterdir() if p.is_dir()):
        files = sorted(site.glob("*.txt"))
        per_file = {
            f.relative_to(SITES).as_posix(): [
                (n, s) for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) for s in content_sentences(line)
            ]
            for f in files
        }
        everywhere = set.intersection(*({match_key(s) for _n, s in v} for v in per_file.values()))
        for rel, sentences in per_file.items():
            found[rel] = [(n, s) for n, s in sentences if match_key(s) not in everywhere]
    return found


def test_every_content_sentence_of_every_article_is_kept(sites_run):
    checked = 0
    for rel, sentences in article_sentences().items():
        out_key = match_key((sites_run / rel).read_text(encoding="utf-8"))
        for number, sentence in sentences:
            checked += 1
            assert match_key(sentence) in out_key, f"{rel}:{number}: lost {sentence!r}"
    assert checked > 100


HEADLINE_LINE = {"harbour-gazette": 3, "lakeside-tribune": 5, "valley-courier": 7, "ridgeline-post": 2}


def test_every_headline_is_kept(sites_run):
    for src in sorted(SITES.rglob("*.txt")):
        rel = src.relative_to(SITES).as_posix()
        headline = src.read_text(encoding="utf-8").splitlines()[HEADLINE_LINE[rel.split("/")[0]] - 1]
        assert match_key(headline) in match_key((sites_run / rel).read_text(encoding="utf-8")), (rel, headline)


def test_nothing_that_reads_as_content_is_removed_by_a_heuristic(sites_run):
    for r in provenance(sites_run):
        if r.get("reason") in ("boilerplate", "metadata") and reads_as_content(r["text"]):
            # Only rules whose evidence is a phrase a site uses about itself may do so.
            assert r["rule"] == "cookie.consent", r


def test_rules_and_metadata_seen_on_the_sites(sites_run):
    rules = {r.get("rule") for r in provenance(sites_run)}
    for rule_id in ("share.widget", "caption.credit", "related.heading", "related.marker", "related.list", "related.inline",
                    "nav.remnant", "credit.agency", "subscribe.call", "paywall.notice", "cookie.consent", "footer.copyright",
                    "metadata.byline", "metadata.dateline"):
        assert rule_id in rules, rule_id


def test_a_heading_in_two_documents_is_not_a_template(sites_run):
    # Over different content in each: kept in both, neither a template line nor a duplicate.
    assert all(r.get("rule") != TEMPLATE for r in provenance(sites_run) if r.get("text") == "What happens next")
    for name in ("01-ferry-timetable.txt", "05-parking-vote.txt"):
        assert "What happens next" in (sites_run / "harbour-gazette" / name).read_text(encoding="utf-8").split("\n")


def test_section_labels_that_differ_per_article_are_kept(sites_run):
    out = (sites_run / "valley-courier" / "cold-store.txt").read_text(encoding="utf-8")
    assert "Valley Courier · Business" in out  # no rule, not repeated: precision first


def test_min_documents_option(tmp_path_factory):
    found = template_drops(_run(tmp_path_factory, "--template-min-documents", "5"))
    assert {site for site, _line in found} == {"harbour-gazette"}


def test_max_words_option(tmp_path_factory):
    found = {line for _site, line in template_drops(_run(tmp_path_factory, "--template-max-words", "3"))}
    assert "Lakeside Tribune" in found
    assert "Print edition on sale every Thursday" not in found and "Valley Courier Weekend Edition" not in found


def test_no_boilerplate_finds_no_templates(tmp_path_factory):
    dst = _run(tmp_path_factory, "--no-boilerplate")
    assert not template_drops(dst)
    assert all(r.get("reason") not in ("boilerplate", "metadata") for r in provenance(dst))


def test_a_line_repeated_across_sites_is_a_corpus_template(tmp_path):
    body = [
        "Officials said the bridge would stay closed for at least a month while engineers checked the steel.",
        "The school will reopen on Monday after the heating system was repaired over the weekend by volunteers.",
        "Farmers expect a smaller harvest this year because the spring was dry and the summer unusually hot.",
    ]
    files = {f"site{i}/story.txt": f"Headline Number {i}\n\n{text}\n\nPowered by NewsPress CMS\n" for i, text in enumerate(body)}
    dst = tmp_path / "dst"
    assert run_cli(write_files(tmp_path / "src", files), dst, "--jobs", "1").exit_code == 0
    drops = [r for r in provenance(dst) if r.get("rule") == TEMPLATE]
    assert [(r["text"], r["template_documents"]) for r in drops] == [("Powered by NewsPress CMS", 3)] * 3


# ---------------------------------------------------------------------------------------------
# The detector as a function (find_template_keys), including what the pipeline does not do yet.


def _docs(texts_by_path: dict[str, list[str]]) -> list[tuple[str, list[Paragraph]]]:
    return [(path, [Paragraph(path, i, i + 1, i + 1, 0, 0, t) for i, t in enumerate(texts)]) for path, texts in texts_by_path.items()]


STORIES = [
    "The council voted on Tuesday to close the old bridge to lorries after engineers found cracks in two piers.",
    "Residents of the village said the ferry had been cancelled three times this week because of strong winds.",
    "Teachers at the primary school have raised money for a new library by selling cakes at the Saturday market.",
    "The water authority asked farmers to irrigate only at night because the river is running unusually low.",
]


def test_find_template_keys_counts_documents_and_ignores_sentences():
    docs = _docs({f"s/{i}.txt": [f"Story {i}", STORIES[i], "Get the Courier app", "No one was injured."] for i in range(4)})
    found = find_template_keys(docs, min_documents=3, max_words=8)
    assert found == {("s", "get the courier app"): 4}


def test_copies_of_one_article_count_once():
    # A wire story carried by three outlets: its headline recurs, but it is one article.
    docs = _docs({
        f"outlet{i}/wire.txt": ["Bridge Closed to Lorries After Cracks Found", STORIES[0], STORIES[1], f"Outlet {i} Slogan"]
        for i in range(3)
    })
    assert copy_groups([content_keys(p) for _path, p in docs]) == [0, 0, 0]
    assert find_template_keys(docs, min_documents=3, max_words=8) == {}
    # Three different articles with the same short line: a template.
    different = _docs({f"outlet{i}/story.txt": ["Read the Outlet Daily", STORIES[i]] for i in range(3)})
    assert len(find_template_keys(different, min_documents=3, max_words=8)) == 3


def test_find_template_keys_agrees_with_the_pipeline_on_the_sites(sites_run):
    # The same per-document stages as the pipeline (segment with line edges, then the rules).
    rules = RuleSet.load()
    documents = []
    for src in sorted(SITES.rglob("*.txt")):
        doc, _data = read_document(SITES, src.relative_to(SITES).as_posix(), 1 << 20)
        paragraphs = segment(doc, split_line_edges)
        rules.classify(paragraphs)
        documents.append((doc.path, paragraphs))
    ours = find_template_keys(documents, min_documents=3, max_words=8)
    theirs = {(r["source"].split("/")[0], match_key(r["text"])): r["template_documents"]
              for r in provenance(sites_run) if r.get("rule") == TEMPLATE}
    assert ours == theirs and ours


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(STORIES), min_size=1, max_size=3), st.integers(min_value=3, max_value=8))
def test_content_repeated_in_every_document_is_never_a_template(shared, n_docs):
    docs = _docs({f"site/{i}.txt": [f"Headline {i}", STORIES[i % 4].replace("the", f"the {i}"), *shared] for i in range(n_docs)})
    found = find_template_keys(docs, min_documents=3, max_words=40)
    for text in shared:
        assert ("site", match_key(text)) not in found
        assert template_candidate_key(Paragraph("x", 0, 1, 1, 0, 0, text), 40) is None


# ---------------------------------------------------------------------------------------------
# The segmentation problem met on the ridgeline-post site (outside boilerplate.py).


def test_one_line_per_paragraph_page_is_segmented_line_by_line():
    rel = "ridgeline-post/hut-reopens.txt"
    doc, _data = read_document(SITES, rel, 1 << 20)
    paragraphs = segment(doc)
    assert len(paragraphs) == len([line for line in (SITES / rel).read_text(encoding="utf-8").splitlines() if line.strip()])




def test_a_syndicated_headline_is_a_duplicate_not_a_template(tmp_path):
    wire = "Bridge Closed to Lorries After Cracks Found\n\n" + "\n\n".join(STORIES[:2]) + "\n"
    files = {f"outlet{i}/wire.txt": f"Outlet {i} Daily\n\n{wire}" for i in range(3)}
    dst = tmp_path / "dst"
    assert run_cli(write_files(tmp_path / "src", files), dst, "--jobs", "1").exit_code == 0
    headlines = [r for r in provenance(dst) if r["lines"] == [3, 3]]
    assert [r.get("rule") for r in provenance(dst)].count(TEMPLATE) == 0
    assert "Bridge Closed to Lorries" in (dst / "outlet0" / "wire.txt").read_text(encoding="utf-8")
    assert [r.get("reason") for r in headlines] == [None, "exact_duplicate", "exact_duplicate"]


def test_a_short_sentence_in_many_documents_is_not_a_template(tmp_path):
    files = {f"speeches/{i}.txt": f"Address Number {i}\n\n{STORIES[i]}\n\nThank you very much.\n" for i in range(4)}
    dst = tmp_path / "dst"
    assert run_cli(write_files(tmp_path / "src", files), dst, "--jobs", "1").exit_code == 0
    thanks = [r for r in provenance(dst) if r["lines"] == [5, 5]]
    assert [r.get("reason") for r in thanks] == [None, "exact_duplicate", "exact_duplicate", "exact_duplicate"]
