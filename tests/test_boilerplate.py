"""Boilerplate rules (issue 3): every rule on at least two real-world-shaped examples, the content
that merely mentions the same words, the precision guard, metadata, user rules through the real
CLI, and "every sentence of real article text in the five seeds is kept"."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import corpus_dedupe.boilerplate as bp
from corpus_dedupe.boilerplate import (
    BUILTIN_RULES,
    DERIVED_RULE_IDS,
    RuleSet,
    RulesError,
    is_sentence_shaped,
    reads_as_content,
    split_line_edges,
    template_candidate_key,
)
from corpus_dedupe.model import Paragraph
from corpus_dedupe.normalise import match_key
from corpus_dedupe.segment import is_heading

from conftest import ROOT, SEEDS, manifest, provenance, run_cli, write_files

RULES = RuleSet.load()


def para(text: str, index: int = 0) -> Paragraph:
    return Paragraph("doc.txt", index, index + 1, index + 1, 0, 0, text)


def classify(*texts: str) -> list[tuple[str | None, str | None]]:
    """(reason, rule) of each paragraph of a document made of ``texts``."""
    ps = [para(t, i) for i, t in enumerate(texts)]
    RULES.classify(ps)
    return [(p.reason, p.rule) for p in ps]


def rule_of(*texts: str, at: int) -> str | None:
    return classify(*texts)[at][1]


# ---------------------------------------------------------------------------------------------
# The criterion for "a sentence of real article text", used here on the seeds and in
# test_template_lines.py on the made-up sites.

_SPLIT = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"“‘(]?[A-Z])")
_WORD = re.compile(r"[^\W\d_]+")
# A caption is a line whose trailing fragment (after its last full sentence) is an image credit
# ("... February 1, 2026. File Image/Reuters"): issue 3 lists captions as not-the-article.
# A front-matter token at the start of a line (" date 2026-02-02 India ...") is metadata (issue 3.3).
_FRONT_MATTER = re.compile(r"^\s*date\s+\d{4}-\d{2}-\d{2}\s+", re.IGNORECASE)
_CREDIT_FRAGMENT = re.compile(r"\(?\s*(?:file |representational )?(?:image|photo|picture|photograph)s?\b", re.IGNORECASE)


def content_sentences(line: str) -> list[str]:
    """The sentences of ``line`` that are article text: six words or more, ending in sentence
    punctuation, mostly lower-case words (not a headline), in a line that is not a caption, without
    a leading front-matter token, in a line that is not a heading (segment.is_heading)."""
    line = _FRONT_MATTER.sub("", line).strip()
    if is_heading(line) and not _SPLIT.search(line):
        return []  # "What happened in the 40 hours in Balochistan?" heads a section; it is no sentence
    pieces = [s.strip() for s in _SPLIT.split(line) if s.strip()]
    if not pieces:
        return []
    if not re.search(r"[.!?][\"'”’)]*$", pieces[-1]) and _CREDIT_FRAGMENT.match(pieces[-1]):
        return []  # a caption with its credit
    found = []
    for s in pieces:
        words = _WORD.findall(s)
        if len(words) >= 6 and re.search(r"[.!?][\"'”’)]*$", s) and sum(w[0].islower() for w in words) * 2 >= len(words):
            found.append(s)
    return found


def test_content_sentences_criterion():
    assert content_sentences("Pakistan Points Finger After Deadly Attacks") == []
    assert content_sentences("A view of a door in Quetta, Pakistan, February 1, 2026. File Image/Reuters") == []
    assert content_sentences("In Pasni, militants targeted a naval camp. A bomber rammed the gate, reported Karachi-based") == [
        "In Pasni, militants targeted a naval camp."
    ]


def test_every_content_sentence_of_the_seeds_is_kept(seeds_run):
    checked = 0
    for src in sorted(SEEDS.iterdir()):
        out_key = match_key((seeds_run / src.name).read_text(encoding="utf-8"))
        for number, line in enumerate(src.read_text(encoding="utf-8").splitlines(), 1):
            for sentence in content_sentences(line):
                checked += 1
                assert match_key(sentence) in out_key, f"{src.name}:{number}: lost {sentence!r}"
    assert checked > 200


def test_no_seed_paragraph_that_reads_as_content_is_removed_as_boilerplate(seeds_run):
    for rec in provenance(seeds_run):
        if rec.get("reason") in ("boilerplate", "metadata"):
            assert not reads_as_content(rec["text"]) or rec["rule"] == "caption.credit", rec


# ---------------------------------------------------------------------------------------------
# Every rule: two or more real-world-shaped examples, and content that mentions the same words.

EXAMPLES: dict[str, list[str]] = {
    "share.widget": [
        "Share this article",
        "Share on Facebook",
        "Facebook Twitter WhatsApp Email",
        "Click to share on WhatsApp (Opens in new window)",
        "Follow us on Instagram",
        "Facebook | X | LinkedIn | Copy link",
        "Share on Facebook Share on X Share via Email",
        "1.2k shares",
    ],
    "subscribe.call": [
        "Subscribe to our channels on YouTube and WhatsApp",  # seed 002
        "Sign up for our daily newsletter",
        "Join our WhatsApp channel for the latest updates",
        "Get the latest headlines delivered to your inbox every morning.",
        "Sign up for The Morning Briefing newsletter",
        "Download our app",
        "Click here to subscribe",
    ],
    "paywall.notice": [
        "Already a subscriber? Log in",
        "This article is for subscribers only.",
        "You have 2 free articles left this month.",
        "Subscribe to continue reading",
    ],
    "related.marker": ["Suggested Reading:", "Also Read", "You may also like", "Related Articles", "READ MORE:"],
    "related.inline": [
        "Also Read: Eight MPs Suspended for Protesting Over LoP Rahul Gandhi's Speech",
        "READ MORE | Floods hit Assam as Brahmaputra crosses danger mark",
        "WATCH: Firefighters battle blaze near Athens",
    ],
    "caption.credit": [
        "A view of a bullet riddle door at a police station, following militant attacks, in Quetta, Pakistan, "
        "February 1, 2026. File Image/Reuters",  # seed 003
        "Firefighters battle a wildfire near Athens on Tuesday. Photo: AP",
        "Photo by Jane Doe/Getty Images",
        "(Photo: PTI)",
        "Farmers at a protest in Ludhiana | Photo Credit: Special Arrangement",
        "Rescue workers search the rubble in Antakya. (Photo courtesy of the ministry)",
        "Representational image",
    ],
    "credit.agency": [
        "With inputs from agencies",  # seed 003
        "(With inputs from PTI)",
        "Reporting by Jane Doe in London; Editing by John Smith",
        "With additional reporting by Reuters and AFP.",
        "(With agency inputs)",
    ],
    "editor.tag": ["[DS]", "[RS/AB]", "-ENDS-", "(PTI)", "(jsi/dj)"],
    "tool.label": [
        "Rewritten Article",  # seed 004
        "AI-generated summary",
        "This article was generated by an AI tool.",
        "Summary generated by ChatGPT",
    ],
    "punct.lone": ["-", "***", "• • •"],
    "nav.remnant": [
        "X",
        "Advertisement",
        "Back to top",
        "Home > World > Asia",
        "News › India › Assam",
        "Home / Sport / Football",
        "Skip to main content",
        "Listen to this article",
    ],
    "cookie.consent": [
        "We use cookies to improve your experience on our site. By continuing to browse, you agree to our use of cookies.",
        "This site uses cookies. By continuing to browse the site you are agreeing to our use of cookies.",
        "Accept all cookies",
        "Manage preferences",
    ],
    "footer.copyright": [
        "© 2026 The Harbour Gazette. All rights reserved.",
        "Copyright 2025 Lakeside Media Ltd",
        "Ridgeline Post Ltd. All Rights Reserved.",
        "Copyright © 2024 Example News Pvt Ltd",
    ],
}

# Content that mentions the words a rule looks for; none of it may be removed.
MENTIONS: dict[str, list[str]] = {
    "share.widget": [
        "The minister said he would share the report with the committee before the vote on Thursday.",
        "Facebook said it had removed the accounts.",
        "Share prices fell sharply on Monday.",
        "Facebook",
    ],
    "subscribe.call": [
        "The minister said he would subscribe to the plan",
        "Sign up for the council's flood alerts at the library, officials said.",
        "Download the NHS app to book a vaccine.",
    ],
    "paywall.notice": ["The editor said the article is for subscribers only until Friday, when the paywall lifts."],
    "related.marker": ["Read more about the plan in the council's published report, which runs to 300 pages."],
    "related.inline": [
        "Related-party transactions rose sharply in 2025",
        "Related: the minister said on Monday that the new scheme would start in April next year after consultation.",
        "Watch your step",
    ],
    "caption.credit": [
        "He was pictured in a famous photo by Annie Leibovitz.",
        "The ferry sank at dawn. All 40 passengers were rescued. Photo: AP",  # the credit is split off the line instead
        "Photo finish at Ascot",
    ],
    "credit.agency": [
        "With inputs from farmers and traders, the panel drew up a new price list for onions.",
        "Reporting by The Guardian revealed the scheme",
        "Compiled from official data, the figures show a rise.",
    ],
    "editor.tag": ["(The company declined to comment.)", "Ends of the earth"],
    "tool.label": ["The rewritten article was published on Monday after complaints from readers about the errors."],
    "punct.lone": ["2026", "A."],
    "nav.remnant": ["Temperatures > 40 degrees", "He met Malcolm X", "Next year the council will vote again."],
    "cookie.consent": [
        "This website uses cookies to track users without asking, the regulator found.",
        "We use cookies sparingly, the company's privacy chief told MPs, and only with consent.",
    ],
    "footer.copyright": [
        "(c) the minister shall publish the report within 30 days",
        "The label said all rights reserved belonged to the estate.",
        "The court ruled that copyright in the photographs belonged to the agency.",
    ],
    "metadata.byline": ["By Monday the floods had receded.", "By Monday"],
    "metadata.dateline": ["February 2026", "Published in 2026, the report found that rents had doubled."],
}

CASES = [(rule_id, text) for rule_id, texts in EXAMPLES.items() for text in texts]


@pytest.mark.parametrize("rule_id, text", CASES)
def test_rule_removes_its_examples(rule_id, text):
    assert rule_of("Headline of the story", text, "A closing paragraph of content that is long enough to read as a sentence of prose.", at=1) == rule_id


@pytest.mark.parametrize("rule_id, text", [(r, t) for r, ts in MENTIONS.items() for t in ts])
def test_content_that_mentions_the_words_is_kept(rule_id, text):
    # First, in the middle and last position of a document, and in the head where metadata rules apply.
    for doc, at in (([text, "Body."], 0), (["Intro.", text, "Body."], 1), (["Intro.", text], 1)):
        assert classify(*doc)[at] == (None, None), (rule_id, doc)
    assert RULES.explain(text) is None


def test_every_rule_has_two_examples_and_a_mention_test():
    boilerplate_ids = [r.id for r in BUILTIN_RULES if r.reason == "boilerplate" and r.id != "related.heading"]
    for rule_id in boilerplate_ids:
        assert len(EXAMPLES.get(rule_id, [])) >= 2, rule_id
        assert MENTIONS.get(rule_id), rule_id
    assert set(EXAMPLES) == set(boilerplate_ids)


def test_every_rule_note_quotes_an_example_that_it_matches():
    for rule in BUILTIN_RULES:
        quoted = re.findall(r'"([^"]+)"', rule.note)
        assert quoted, rule.id
        assert rule.match(quoted[0]), (rule.id, quoted[0])


def test_rule_ids_are_unique_and_documented():
    ids = bp.rule_ids()
    assert len(ids) == len(set(ids))
    doc = (ROOT / "docs" / "boilerplate.md").read_text(encoding="utf-8")
    for rule_id in ids:
        assert f"`{rule_id}`" in doc, rule_id


def test_doctests_of_the_module():
    result = doctest.testmod(bp)
    assert result.attempted >= 15 and result.failed == 0


# ---------------------------------------------------------------------------------------------
# Rules that look beyond one paragraph.

HEADLINES = [
    "Union Budget Session 2026 LIVE: Eight MPs Suspended for Protesting Over LoP Rahul Gandhi's Speech",
    "Pakistan to Inoculate Over 45 Million Children in 2026's First Nationwide Polio Vaccination Drive",
    "Tirupati Laddu Scam: CBI Finds ‘Synthetic Adulteration’ of Ghee—No Lard or Beef Tallow",
]
PROSE = "Officials said the bridge would stay closed for at least a month while engineers checked the steel supports."


def test_related_footer_at_the_end_takes_the_headlines_after_it():
    got = classify("Headline", PROSE, "[DS]", "Suggested Reading:", "Subscribe to our channels on YouTube and WhatsApp", *HEADLINES)
    assert got[:2] == [(None, None), (None, None)]
    assert got[2] == ("boilerplate", "editor.tag") and got[3] == ("boilerplate", "related.marker")
    # the subscribe call keeps its own, more specific rule id; the headlines are the list
    assert got[4] == ("boilerplate", "subscribe.call")
    assert all(g == ("boilerplate", "related.list") for g in got[5:])


def test_related_heading_second_example_more_from():
    got = classify("Headline", PROSE, "More from Business", "Oil Prices Slide as Demand Weakens", "Airline Orders 40 New Jets")
    assert got[2:] == [("boilerplate", "related.heading")] + [("boilerplate", "related.list")] * 2


def test_related_footer_stops_before_content_and_keeps_it():
    # A marker followed later by a paragraph that reads as content is not a footer: the headline-like
    # lines between are kept (precision first), the unambiguous marker itself is removed.
    got = classify("Headline", "Also Read", HEADLINES[0], PROSE)
    assert got == [(None, None), ("boilerplate", "related.marker"), (None, None), (None, None)]


def test_ambiguous_related_heading_is_kept_when_content_follows():
    got = classify("Headline", PROSE, "Top Stories", PROSE.replace("bridge", "tunnel"), "Trending Now")
    assert got[2] == (None, None)  # "Top Stories" heads real text here
    assert got[4] == ("boilerplate", "related.heading")  # at the very end, nothing after it


def test_share_bar_of_lone_buttons_is_a_run():
    got = classify("Headline", PROSE, "Facebook", "X", "WhatsApp", "Email", PROSE.replace("bridge", "road"))
    assert got[2:6] == [("boilerplate", "share.widget")] * 4
    assert classify("Share", "Twitter", PROSE)[:2] == [("boilerplate", "share.widget")] * 2
    # A lone platform name, or two of them, may be a heading or a list of content: kept.
    assert classify("Facebook", PROSE)[0] == (None, None)
    assert classify("Facebook", "Instagram", PROSE)[:2] == [(None, None), (None, None)]


def test_guarded_rule_never_removes_a_paragraph_that_reads_as_content():
    text = "Related: the minister said on Monday that the new scheme would start in April next year after consultation."
    assert reads_as_content(text)
    assert classify(text, PROSE)[0] == (None, None)
    assert classify("Related: Floods Hit Assam Again", PROSE)[0] == ("boilerplate", "related.inline")


def test_start_scope_rules_apply_only_near_the_top():
    assert classify("Headline", "By Jane Doe", PROSE)[1] == ("metadata", "metadata.byline")
    late = ["Headline"] + [PROSE] * 9 + ["By Jane Doe"]
    assert classify(*late)[-1] == (None, None)


# ---------------------------------------------------------------------------------------------
# Metadata: bylines, desk credits and datelines go to the document metadata.


@pytest.mark.parametrize(
    "text, field, value",
    [
        ("Author : NewsGram Desk", "author", "NewsGram Desk"),  # seed 002
        ("By Jane Doe", "author", "Jane Doe"),
        ("Written by: Amal Perera", "author", "Amal Perera"),
        ("Express News Service", "author", "Express News Service"),
        ("Published 1 February 2026", "date", "1 February 2026"),  # seed 004
        ("Updated: Feb 2, 2026 10:15 IST", "date", "Feb 2, 2026 10:15 IST"),
        ("Last updated: 3 March 2025, 09:40 GMT", "date", "3 March 2025, 09:40 GMT"),
    ],
)
def test_metadata_rules(text, field, value):
    ps = [para("Headline"), para(text, 1), para(PROSE, 2)]
    RULES.classify(ps)
    assert ps[1].reason == "metadata" and ps[1].metadata == {field: value}


def test_metadata_through_the_cli_manifest_and_provenance(tmp_path):
    src = write_files(tmp_path / "src", {
        "a.txt": "Published: 3 March 2025 Floods hit the valley after a week of rain, the weather office said on Monday.\n\n"
                 "By Jane Doe\n\nRescue teams reached the villages cut off by the water on Tuesday morning.\n",
        "b.txt": "River Levels Fall as Dry Spring Continues\n\nUpdated: Feb 2, 2026 10:15 IST\n\n"
                 "Express News Service\n\nThe river is running at half its usual level for the time of year.\n",
    })
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "--jobs", "1").exit_code == 0
    files = {f["path"]: f for f in manifest(dst)["files"]}
    assert files["a.txt"]["metadata"] == {"date": "3 March 2025", "author": "Jane Doe"}
    assert files["b.txt"]["metadata"] == {"date": "Feb 2, 2026 10:15 IST", "author": "Express News Service"}
    recs = {(r["source"], r.get("rule")): r for r in provenance(dst)}
    assert recs[("a.txt", "metadata.leading_date")]["text"] == "Published: 3 March 2025"
    out = (dst / "a.txt").read_text(encoding="utf-8")
    assert out.startswith("Floods hit the valley") and "Jane Doe" not in out
    assert "Express News Service" not in (dst / "b.txt").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Line edges.


def test_credit_glued_to_a_line_of_several_sentences_is_split_off(tmp_path):
    line = "The ferry sank at dawn. All 40 passengers were rescued by fishing boats. Photo: AP"
    spans = split_line_edges(line, False)
    assert [(line[a:b], rule) for a, b, _r, rule, _m in spans] == [(" Photo: AP", "caption.credit")]
    src = write_files(tmp_path / "src", {"a.txt": "Ferry Sinks Off Oban\n\n" + line + "\n"})
    assert run_cli(src, tmp_path / "dst", "--jobs", "1").exit_code == 0
    assert (tmp_path / "dst" / "a.txt").read_text(encoding="utf-8") == (
        "Ferry Sinks Off Oban\n\nThe ferry sank at dawn. All 40 passengers were rescued by fishing boats.\n"
    )


def test_close_button_second_example():
    line = "Supporters gather outside the stadium before the final in Lisbon on Sunday. ×"
    assert [rule for *_x, rule, _m in split_line_edges(line, False)] == ["widget.close_button"]


# ---------------------------------------------------------------------------------------------
# The precision guard.


def test_reads_as_content():
    assert reads_as_content(PROSE)
    assert reads_as_content("“We will carry out intelligence-based operations against terrorists, and we will drag them out,” Bugti said.")
    # A paragraph whose final full stop was lost still reads as content when it holds sentences.
    assert reads_as_content("The council met on Monday. It agreed to close the old bridge to lorries after engineers found cracks in two of the piers")
    assert not reads_as_content(HEADLINES[0])
    assert not reads_as_content("Subscribe to our channels on YouTube and WhatsApp")
    assert not reads_as_content("Short sentence here.")
    assert reads_as_content("洪水导致当地多条道路中断，救援人员正在全力搜救被困群众，预计明天恢复部分交通。")


SUBJECTS = ["The minister", "Residents", "The council", "A spokeswoman for the port", "Teachers", "Officials in the district"]
ORDINARY = (
    "the a and of to in on for with from by at said would could after before during week month year plan report river "
    "school road bridge market share subscribe follow photo image picture read more related also cookies newsletter "
    "channel agencies inputs rewritten article copyright rights reserved home next advertisement credit our us "
    "updates alerts inbox app editing reporting trending stories top latest"
).split()

sentences = st.builds(
    lambda subject, words: f"{subject} {' '.join(words)}.",
    st.sampled_from(SUBJECTS),
    st.lists(st.sampled_from(ORDINARY), min_size=11, max_size=40),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(sentences, min_size=1, max_size=4), st.integers(min_value=0, max_value=6))
def test_content_sentences_of_ordinary_words_are_never_removed(body, where):
    boiler = ["Share this article", "Related Articles", "Subscribe to our newsletter", "Advertisement", "-", "Top Stories"]
    doc = ["A Headline for the Story", *body]
    doc.insert(min(where, len(doc)), boiler[where % len(boiler)])
    got = classify(*doc)
    for text, decision in zip(doc, got):
        if text in body:
            assert decision == (None, None), text
            assert template_candidate_key(para(text), 8) is None


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(SUBJECTS), st.lists(st.sampled_from(ORDINARY), min_size=2, max_size=9))
def test_short_statements_are_never_template_candidates(subject, words):
    text = f"{subject} {' '.join(words)}."
    assert is_sentence_shaped(text)
    assert template_candidate_key(para(text), 20) is None


# ---------------------------------------------------------------------------------------------
# User rules (--rules FILE) and --no-boilerplate, through the real CLI.

ARTICLE = (
    "Harbour Gazette Print Edition Out Thursday\n\n"
    "The ferry between Port Ellery and the island will sail twice a day until the end of March, the operator said.\n\n"
    "With inputs from agencies\n\n"
    "[DS]\n"
)


def _run_with_rules(tmp_path: Path, toml: str, *extra: str):
    src = write_files(tmp_path / "src", {"a.txt": ARTICLE})
    rules = tmp_path / "rules.toml"
    rules.write_text(toml, encoding="utf-8")
    dst = tmp_path / "dst"
    return run_cli(src, dst, "--jobs", "1", "--rules", rules, *extra), dst, rules


def test_user_rule_adds_and_disable_removes(tmp_path):
    result, dst, _ = _run_with_rules(tmp_path, """
disable = ["credit.agency"]

[[rule]]
id = "gazette.print"
pattern = 'harbour gazette print edition .*'
scope = "start"
reason = "boilerplate"
note = "Masthead promo: 'Harbour Gazette Print Edition Out Thursday'"
""")
    assert result.exit_code == 0, result.output
    by_rule = {r.get("rule"): r for r in provenance(dst)}
    assert by_rule["gazette.print"]["decision"] == "drop"
    assert "credit.agency" not in by_rule
    out = (dst / "a.txt").read_text(encoding="utf-8")
    assert "With inputs from agencies" in out and "Print Edition" not in out and "[DS]" not in out
    assert manifest(dst)["parameters"]["rules_file"] == "rules.toml"


def test_user_rule_replaces_a_builtin_and_can_be_guarded(tmp_path):
    result, dst, _ = _run_with_rules(tmp_path, """
[[rule]]
id = "editor.tag"
pattern = '\\[[A-Z]{2}\\]'
note = "Only two-letter tags: '[DS]'"

[[rule]]
id = "site.ferry"
pattern = 'the ferry .*'
guard = true
""")
    assert result.exit_code == 0, result.output
    rules = {r.get("rule") for r in provenance(dst)}
    assert "editor.tag" in rules and "site.ferry" not in rules  # the guard kept the content sentence


def test_user_metadata_rule_records_its_value(tmp_path):
    result, dst, _ = _run_with_rules(tmp_path, """
[[rule]]
id = "edition"
pattern = 'harbour gazette (?P<value>print edition) .*'
scope = "start"
reason = "metadata"
""")
    assert result.exit_code == 0, result.output
    assert manifest(dst)["files"][0]["metadata"] == {"edition": "Print Edition"}


def test_invalid_regex_exit_4_and_one_line_message(tmp_path):
    result, dst, rules = _run_with_rules(tmp_path, """
[[rule]]
id = "site.broken"
pattern = 'share (this|that'
""")
    assert result.exit_code == 4
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    message = lines[0]
    assert str(rules) in message and "'site.broken'" in message
    assert "invalid regular expression" in message and "missing ), unterminated subpattern" in message
    assert "Traceback" not in result.output and not dst.exists()


@pytest.mark.parametrize(
    "toml, expected",
    [
        ('disable = ["no.such.rule"]', "'no.such.rule' in 'disable' is not a built-in rule id"),
        ('[[rule]]\nid = "a.b"\npattern = "x"\nscope = "middle"', "rule 'a.b': scope must be one of paragraph, start, end"),
        ('[[rule]]\nid = "a.b"\npattern = "x"\nreason = "duplicate"', "rule 'a.b': reason must be boilerplate or metadata"),
        ('[[rule]]\nid = "a.b"\npattern = "x"\ncolour = "red"', "rule 'a.b': unknown key(s) colour"),
        ('[[rule]]\nid = "a.b"\npattern = ".*"', "rule 'a.b': pattern matches an empty paragraph"),
        ('[[rule]]\nid = "a b"\npattern = "x"', "'id' must be a word"),
        ("disable = [", "not valid TOML"),
        ('rules = []', "unknown top-level key(s): rules"),
    ],
)
def test_invalid_rules_files_exit_4(tmp_path, toml, expected):
    result, _dst, rules = _run_with_rules(tmp_path, toml)
    assert result.exit_code == 4, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert str(rules) in result.stderr and expected in result.stderr


def test_rules_errors_are_raised_by_the_library():
    with pytest.raises(RulesError):
        RuleSet.load(str(ROOT / "no-such-rules.toml"))


def test_no_boilerplate_turns_the_stage_off(tmp_path):
    src = write_files(tmp_path / "src", {"a.txt": ARTICLE})
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "--jobs", "1", "--no-boilerplate").exit_code == 0
    assert (dst / "a.txt").read_text(encoding="utf-8") == ARTICLE
    assert all(r["decision"] == "keep" for r in provenance(dst))


def test_provenance_grep_recipe_from_the_docs(seeds_run):
    lines = (seeds_run / ".dedupe" / "provenance.jsonl").read_text(encoding="utf-8").splitlines()
    hits = [line for line in lines if '"rule":"caption.credit"' in line]
    assert len(hits) == 1 and "File Image/Reuters" in hits[0]


def test_derived_rule_ids_are_recorded_on_the_seeds(seeds_run):
    rules = {r.get("rule") for r in provenance(seeds_run)}
    for rule_id in ("metadata.leading_date", "widget.close_button", "related.list"):
        assert rule_id in rules and rule_id in DERIVED_RULE_IDS


def test_the_rules_file_example_in_the_docs_works(tmp_path):
    doc = (ROOT / "docs" / "boilerplate.md").read_text(encoding="utf-8")
    toml = re.search(r"```toml\n(.*?)```", doc, re.DOTALL).group(1)
    path = tmp_path / "rules.toml"
    path.write_text(toml, encoding="utf-8")
    rules = RuleSet.load(str(path))
    assert "credit.agency" not in rules.ids
    assert rules.explain("Print edition on sale every Thursday") == "mysite.print"
    assert rules.explain("This article was originally published on The Conversation.") == "mysite.republished"
    ps = [para("Morning Edition"), para(PROSE, 1)]
    rules.classify(ps)
    assert ps[0].metadata == {"edition": "Morning Edition"}


# ---------------------------------------------------------------------------------------------
# The merged prefilter (one pattern for the rules without a precheck) changes no decision.


def _without_prefilter(rules: RuleSet) -> RuleSet:
    plain = RuleSet(rules.rules)
    plain._prefilter, plain._unfiltered = None, rules.rules
    return plain


_RULE_WORDS = st.sampled_from(
    ["Share", "this", "article", "Facebook", "X", "Email", "Subscribe", "to", "our", "newsletter", "Also", "Read:", "Related",
     "Photo:", "AP", "With", "inputs", "from", "agencies", "[DS]", "Rewritten", "Article", "-", "***", "Home", ">", "World",
     "We", "use", "cookies", "©", "2026", "All", "rights", "reserved.", "By", "Jane", "Doe", "Published", "1", "February",
     "the", "minister", "said", "he", "would", "join", "the", "plan.", "Top", "Stories", "Advertisement", "|", "Next"]
)


@given(st.lists(st.lists(_RULE_WORDS, min_size=1, max_size=14).map(" ".join), min_size=1, max_size=14))
@settings(max_examples=300, deadline=None)
def test_prefilter_changes_no_decision(texts):
    with_prefilter = [para(t, i) for i, t in enumerate(texts)]
    without = [para(t, i) for i, t in enumerate(texts)]
    RULES.classify(with_prefilter)
    _without_prefilter(RULES).classify(without)
    assert [(p.reason, p.rule, p.metadata) for p in with_prefilter] == [(p.reason, p.rule, p.metadata) for p in without]


def test_prefilter_on_the_seeds_and_the_bench_text_changes_no_decision():
    from corpus_dedupe.reader import read_document
    from corpus_dedupe.segment import segment

    plain = _without_prefilter(RULES)
    sources = [(SEEDS, p.name) for p in sorted(SEEDS.iterdir()) if p.is_file()]
    bench = ROOT.parent / "shared" / "bench-text"
    sources += [(bench, p.name) for p in sorted(bench.iterdir())[:20] if p.is_file()] if bench.is_dir() else []
    assert len(sources) >= 5
    decided = 0
    for folder, name in sources:
        doc = read_document(folder, name, 1 << 30)[0]
        a, b = segment(doc, bp.split_line_edges), segment(doc, bp.split_line_edges)
        RULES.classify(a)
        plain.classify(b)
        assert [(p.reason, p.rule) for p in a] == [(p.reason, p.rule) for p in b], name
        decided += sum(p.rule is not None for p in a)
    assert decided > 10  # the rules did fire on these files


def test_rules_that_cannot_be_merged_still_apply(tmp_path):
    # A back reference, a global inline flag and a named group: each rule still removes its line.
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(
        '[[rule]]\nid = "site.echo"\npattern = "(\\\\w+) \\\\1"\n'
        '[[rule]]\nid = "site.verbose"\npattern = "(?x) promo \\\\s code \\\\s \\\\d+"\n'
        '[[rule]]\nid = "site.named"\npattern = "ref:(?P<ref>\\\\d+)"\n',
        encoding="utf-8",
    )
    rules = RuleSet.load(str(rules_file))
    assert rules._prefilter is None  # (?x) cannot stand inside an alternation
    for text, rule_id in (("again again", "site.echo"), ("promo code 42", "site.verbose"), ("ref:17", "site.named")):
        ps = [para("Intro of the story.", 0), para(text, 1), para("A closing paragraph of content that is long enough to read as prose.", 2)]
        rules.classify(ps)
        assert ps[1].rule == rule_id, text
    no_flag = tmp_path / "rules2.toml"
    no_flag.write_text('[[rule]]\nid = "site.echo"\npattern = "(\\\\w+) \\\\1"\n', encoding="utf-8")
    rules = RuleSet.load(str(no_flag))
    assert rules._prefilter is not None and [r.id for r in rules._unfiltered if r.id == "site.echo"] == ["site.echo"]
    ps = [para("Intro of the story.", 0), para("again again", 1)]
    rules.classify(ps)
    assert ps[1].rule == "site.echo"


_CRUMB_PIECES = st.sampled_from(["Home", "home", "World", "Asia", "News", "U.S.", "Rock & Roll", "it's", "the", "a-b", " > ", " » ", " › ", " / ", " | ", ">", " ", "  ", "x", "'", "."])


@given(st.lists(_CRUMB_PIECES, max_size=16).map("".join))
@settings(max_examples=400)
def test_possessive_breadcrumb_words_match_what_backtracking_would(text):
    nav = next(r for r in BUILTIN_RULES if r.id == "nav.remnant")
    backtracking = re.compile(nav.pattern.replace("*+", "*").replace("++", "+"), re.IGNORECASE | re.DOTALL)
    assert bool(nav.compiled.fullmatch(text)) == bool(backtracking.fullmatch(text))
