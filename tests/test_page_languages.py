"""The page stage (``page.*`` rules) on whole web pages in six languages, as a naive scraper saw them.

tests/pages/ holds one hand-written page per language (German, French, Spanish, Polish, simplified
Chinese, English), each with its own layout: menus (one split by a promo line), breadcrumbs, cookie
banners at the top or at the bottom, bylines, inline "read also" lines and captions inside the
article, share bars, tags, "most read" lists, comment forms, newsletter boxes and footers.
tests/pages/pages.json names the sections of every page (see its ``_comment``).

Each page goes through ``dedupe SRC DST`` on its own, with ``--pages precise`` (the default) and
``--pages aggressive``. The requirement, in both: every prose paragraph of the article is kept
whole, and its headline and sub-headings; menus, cookie banners, comment forms and footers are
removed, under a named rule (``page.*``, a line rule, or ``metadata.*`` for a byline) that
``dedupe explain`` can justify; and most of the rest of the page goes too. An ordinary article,
with no page around it, is left to the line rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT, provenance, run_cli, write_files

PAGES = ROOT / "tests" / "pages"
SECTIONS: dict[str, list[list[str]]] = {
    name: sections
    for name, sections in json.loads((PAGES / "pages.json").read_text(encoding="utf-8")).items()
    if not name.startswith("_")
}
PAGE_NAMES = sorted(SECTIONS)
ARTICLE = "article"  # the prose paragraphs of the article body: must be kept whole
ARTICLE_PARTS = {ARTICLE, "headline", "subheading", "standfirst"}  # the article; everything else is page
CLEAR_FURNITURE = {"menu", "cookie", "comments", "footer"}  # must all be removed
MIN_FURNITURE_REMOVED = 0.8  # share of the characters of the page lines (not ARTICLE_PARTS) removed
SENTENCE_END = ".!?。！？\"”»"


def page_lines(name: str) -> list[str]:
    return (PAGES / name).read_text(encoding="utf-8").splitlines()


def line_roles(name: str) -> dict[int, str]:
    """{1-based line number: role} for every non-blank line of a page, from its sections."""
    lines = page_lines(name)
    starts: list[tuple[int, str]] = []
    cursor = 0
    for role, first in SECTIONS[name]:
        assert first in lines[cursor:], f"{name}: section start {first!r} not found after line {cursor}"
        cursor = lines.index(first, cursor)
        starts.append((cursor, role))
        cursor += 1
    assert starts[0][0] == 0, f"{name}: the first section must start on line 1"
    roles: dict[int, str] = {}
    for k, (start, role) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        roles.update({i + 1: role for i in range(start, end) if lines[i].strip()})
    return roles


def lines_with(name: str, wanted: set[str]) -> list[tuple[int, str]]:
    lines = page_lines(name)
    return [(n, lines[n - 1]) for n, role in sorted(line_roles(name).items()) if role in wanted]


MODES = ("precise", "aggressive")  # the same requirements in both: aggressive only removes more


@pytest.fixture(scope="module")
def run_page(tmp_path_factory):
    """``run_page(name, mode)``: DST of ``dedupe SRC DST -q --pages MODE`` on a folder holding
    only that page (cached)."""
    runs: dict[tuple[str, str], Path] = {}

    def run(name: str, mode: str = "precise") -> Path:
        if (name, mode) not in runs:
            root = tmp_path_factory.mktemp(name.split(".")[0])
            src = write_files(root / "src", {name: (PAGES / name).read_text(encoding="utf-8")})
            result = run_cli(src, root / "dst", "-q", "--jobs", "1", "--pages", mode)
            assert result.exit_code == 0, result.output
            runs[name, mode] = root / "dst"
        return runs[name, mode]

    return run


def records_by_line(dst: Path) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {}
    for r in provenance(dst):
        for n in range(r["lines"][0], r["lines"][1] + 1):
            found.setdefault(n, []).append(r)
    return found


def removed_chars_by_line(name: str, dst: Path) -> dict[int, int]:
    """{line: how many of its characters lie in removed paragraphs}, from the records' byte ranges."""
    data = (PAGES / name).read_bytes()
    dropped = bytearray(len(data))
    for r in provenance(dst):
        if r["decision"] == "drop":
            start, end = r["bytes"]
            dropped[start:end] = b"\x01" * (end - start)
    counts, offset = {}, 0
    for n, raw in enumerate(data.split(b"\n"), start=1):
        pos, removed = offset, 0
        for ch in raw.decode("utf-8"):
            size = len(ch.encode("utf-8"))
            removed += dropped[pos] == 1
            pos += size
        counts[n], offset = removed, offset + len(raw) + 1
    return counts


def describe(records: list[dict]) -> str:
    return ", ".join(f"{r['decision']} {r.get('rule') or r.get('reason') or ''}".strip() for r in records)


# --------------------------------------------------------------------------------- the fixtures


def test_pages_cover_the_six_languages():
    assert {name.split("_")[0] for name in PAGE_NAMES} >= {"de", "fr", "es", "pl", "zh", "en"}


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_each_page_is_a_whole_page_around_an_article(name):
    lines, roles = page_lines(name), line_roles(name)
    assert 60 <= len(lines) <= 120
    assert sum(1 for line in lines if line.strip()) == len(roles)  # every non-blank line has a role
    count = lambda role: sum(1 for r in roles.values() if r == role)  # noqa: E731
    assert 8 <= count(ARTICLE) <= 15 and 1 <= count("subheading") <= 2 and count("headline") == 1
    assert 10 <= count("menu") <= 30 and 6 <= count("related") - 1 <= 12
    assert count("comments") >= 4 and count("footer") >= 5
    for _, text in lines_with(name, {ARTICLE}):
        assert len(text) >= 30 and text.rstrip()[-1] in SENTENCE_END, text


# ------------------------------------------------------------------------------- the page stage


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_article_prose_is_kept_whole(run_page, name, mode):
    dst = run_page(name, mode)
    # Compared with whitespace collapsed: the clean text folds ragged whitespace (U+3000 too).
    text_out = (dst / name).read_text(encoding="utf-8") if (dst / name).exists() else ""
    output = {" ".join(line.split()) for line in text_out.splitlines()}
    by_line = records_by_line(dst)
    lost = [f"line {n} ({describe(by_line.get(n, []))}): {text[:70]}"
            for n, text in lines_with(name, {ARTICLE})
            if " ".join(text.split()) not in output or any(r["decision"] == "drop" for r in by_line[n])]
    assert not lost, "article prose removed or altered:\n" + "\n".join(lost)


def lines_decided(name: str, dst: Path, roles: set[str], decision: str) -> list[str]:
    """The lines of the given roles that have a record with that decision, described."""
    by_line = records_by_line(dst)
    return [f"line {n} [{line_roles(name)[n]}] ({describe(by_line[n])}): {text[:70]}"
            for n, text in lines_with(name, roles) if any(r["decision"] == decision for r in by_line[n])]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_the_headline_and_the_sub_headings_are_kept(run_page, name, mode):
    lost = lines_decided(name, run_page(name, mode), {"headline", "subheading", "standfirst"}, "drop")
    assert not lost, "article headings removed:\n" + "\n".join(lost)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_menus_cookie_banners_comment_forms_and_footers_are_removed(run_page, name, mode):
    kept = lines_decided(name, run_page(name, mode), CLEAR_FURNITURE, "keep")
    assert not kept, "page furniture kept:\n" + "\n".join(kept)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_most_of_the_page_around_the_article_is_removed(run_page, name, mode):
    dst = run_page(name, mode)
    removed = removed_chars_by_line(name, dst)
    page = [(n, text) for n, text in lines_with(name, set(line_roles(name).values()) - ARTICLE_PARTS)]
    total = sum(len(text) for _, text in page)
    share = sum(removed[n] for n, _ in page) / total
    kept = [f"line {n} [{line_roles(name)[n]}]: {text[:60]}" for n, text in page if removed[n] < len(text)]
    assert share >= MIN_FURNITURE_REMOVED, f"{share:.0%} of the page's characters removed; kept:\n" + "\n".join(kept)


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_removed_lines_carry_a_boilerplate_rule(run_page, name):
    records = provenance(run_page(name))
    drops = [r for r in records if r["decision"] == "drop"]
    # A byline or dateline may go as metadata (``metadata.*``): a named rule too, and kept in the record.
    odd = [f"line {r['lines'][0]} ({r.get('reason')} {r.get('rule')}): {r['text'][:60]}"
           for r in drops if r.get("reason") not in ("boilerplate", "metadata") or not r.get("rule")]
    assert not odd, "removed without a boilerplate or metadata rule:\n" + "\n".join(odd)
    assert any(r["rule"].startswith("page.") for r in drops)
    assert all(r.get("evidence") for r in drops if r["rule"].startswith("page."))


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_explain_says_why_a_menu_line_was_removed(run_page, name):
    dst = run_page(name)
    by_line = records_by_line(dst)
    menu = [n for n, _ in lines_with(name, {"menu"})
            if all(r["decision"] == "drop" and (r.get("rule") or "").startswith("page.") for r in by_line[n])]
    assert menu, "no menu line removed by a page.* rule"
    result = run_cli("explain", dst, f"{name}:{menu[0]}")
    assert result.exit_code == 0, result.output
    assert "removed: boilerplate (page." in result.stdout and "why:" in result.stdout, result.stdout


# ------------------------------------------------------------------------------------ a control

CONTROL_HEADLINE = "La médiathèque de Quimper prolonge ses horaires d'ouverture"
CONTROL_HEADINGS = ["Une demande ancienne des étudiants", "Un budget encore à trouver"]
CONTROL_PARAGRAPHS = [
    "À partir du 1er octobre, la médiathèque centrale de Quimper restera ouverte jusqu'à 21 heures du mardi au vendredi. La municipalité a annoncé la mesure lundi soir, à l'issue du conseil municipal.",
    "L'établissement fermait jusqu'ici ses portes à 18 heures, un horaire jugé peu adapté aux personnes qui travaillent. Le samedi, l'ouverture sera également avancée à 9 heures.",
    "Selon l'adjointe à la culture, la fréquentation a progressé de près de 12 % depuis la rénovation du bâtiment en 2022. Les salles de travail du premier étage sont souvent complètes dès le début de l'après-midi.",
    "Les étudiants du pôle universitaire réclamaient depuis plusieurs années un lieu calme où réviser le soir. Une pétition lancée au printemps avait recueilli plus de 1 500 signatures.",
    "« Pendant les examens, nous n'avions nulle part où aller après 18 heures », explique Maëlle, étudiante en licence de droit. Elle salue une décision qui, selon elle, profitera aussi aux lycéens.",
    "L'extension des horaires nécessitera le recrutement de trois agents supplémentaires. La ville estime le coût annuel à environ 110 000 euros, dont une partie pourrait être prise en charge par l'État.",
    "Une convention avec la direction régionale des affaires culturelles doit être signée avant la fin de l'année. En cas de refus, la municipalité assure qu'elle financera seule la mesure pendant au moins deux ans.",
    "Un premier bilan sera présenté aux usagers au printemps prochain, lors d'une réunion publique organisée dans l'auditorium de la médiathèque.",
]


def test_an_ordinary_article_is_left_whole_by_the_page_stage(tmp_path):
    blocks = [CONTROL_HEADLINE, *CONTROL_PARAGRAPHS[:3], CONTROL_HEADINGS[0], *CONTROL_PARAGRAPHS[3:6],
              CONTROL_HEADINGS[1], *CONTROL_PARAGRAPHS[6:]]
    src = write_files(tmp_path / "src", {"fr_article.txt": "\n\n".join(blocks) + "\n"})
    result = run_cli(src, tmp_path / "dst", "-q", "--jobs", "1")
    assert result.exit_code == 0, result.output
    records = provenance(tmp_path / "dst")
    assert not [r for r in records if (r.get("rule") or "").startswith("page.")]
    assert [r for r in records if r["decision"] == "drop"] == []
    output = (tmp_path / "dst" / "fr_article.txt").read_text(encoding="utf-8").split("\n\n")
    assert [block.strip() for block in output] == blocks
