"""Rules that recognise what web templates leave around an article, and document metadata.

Every rule has an id, recorded in the provenance of each paragraph it removes, and a note that
quotes the real text that motivated it (docs/boilerplate.md lists them all with examples). Rules
match the *whole* paragraph (``re.fullmatch``, case-insensitive), so a content sentence that merely
mentions the same words ("the minister said he would subscribe to the plan") is never caught by a
phrase rule.

Precision comes first: a removed sentence of real content is worse than a kept share button. Three
things hold the rules back:

* whole-paragraph matching, with free text allowed only after an anchoring phrase ("Also read: ..."),
  before a credit that follows a finished sentence ("... Quetta. File Image/Reuters"), or inside a
  phrase that only a site uses about itself ("We use cookies to improve your experience");
* :func:`reads_as_content`, the precision guard: a paragraph that reads as sentences of content is
  never removed by a heuristic alone (the related-links footer run, corpus template lines) nor by a
  rule marked ``guard``;
* scopes: ``paragraph`` (anywhere), ``start`` (among the first paragraphs of the document, where
  bylines and datelines live), ``end`` (among the last paragraphs; for a footer marker such as
  "Top Stories", only where nothing after it reads as content).
"""

from __future__ import annotations

import functools
import operator
import re
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Collection, Hashable, Iterable, Sequence

import numpy as np

from .compiled import speedups as _compiled
from .model import BOILERPLATE, METADATA, Paragraph
from .normalise import DECIMAL_DIGIT, NON_ASCII_WORD_CHAR, match_key, text_traits

HEAD_PARAGRAPHS = 8
TAIL_PARAGRAPHS = 12
FOOTER_MAX_PARAGRAPHS = 40  # longest run after a footer marker that is removed with it
SCOPES = ("paragraph", "start", "end")
RELATED_LIST = "related.list"  # the run of lines after a related-links marker at the end
TEMPLATE_LINE = "template.repeated_line"  # corpus template lines (decided in the pipeline)


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file, the rule and the problem."""


@dataclass(frozen=True)
class Rule:
    """One boilerplate or metadata rule.

    ``pattern`` is matched against the whole paragraph (case-insensitive, ``.`` matches newlines).
    ``guard``: the rule never removes a paragraph that :func:`reads_as_content`. ``check``: an extra
    test on the match (built-in rules only). ``starts_footer``: a related-links marker; when nothing
    after it reads as content, the lines after it go too (rule ``related.list``).

    Cheap prechecks (built-in rules only), each a necessary condition of a match that costs a
    fraction of the pattern: ``needs``, words one of which the lowered text holds ("photo" for a
    photo credit); ``precheck``, a test that is false of every text the pattern matches (the
    dateline: a decimal digit; see :func:`_holds_digit` and :func:`_may_be_byline`). They matter
    for documents of a few lines, where every paragraph is among the first and meets the
    ``start`` rules: on a line of prose the dateline pattern (a hundred month names tried
    case-insensitively) cost 19,000 instructions and the byline pattern 7,000 to 13,000.
    """

    id: str
    pattern: str
    scope: str = "paragraph"
    reason: str = BOILERPLATE
    note: str = ""
    starts_footer: bool = False
    metadata_field: str | None = None  # for metadata rules: the manifest field the value goes to
    guard: bool = False
    check: Callable[[re.Match], bool] | None = field(default=None, repr=False, compare=False)
    needs: tuple[str, ...] = field(default=(), repr=False, compare=False)  # cheap precheck: no match without one of these (lower case)
    precheck: Callable[[str], bool] | None = field(default=None, repr=False, compare=False)  # cheap precheck: no match where it is false
    compiled: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.pattern, re.IGNORECASE | re.DOTALL))

    def match(self, text: str) -> re.Match | None:
        """The match when this rule applies to the whole of ``text``, else None (scope and guard
        aside)."""
        if self.needs and not contains_folded(text, self.needs):
            return None
        if self.precheck is not None and not self.precheck(text):
            return None
        m = self.compiled.fullmatch(text)
        if m is None or (self.check is not None and not self.check(m)):
            return None
        return m


def _contains_folded_python(text: str, needles: tuple[str, ...]) -> bool:
    """Whether ``text.lower()`` contains one of ``needles``: the reference for the compiled
    version, and the fallback where it was not built."""
    low = text.lower()
    return any(map(low.__contains__, needles))  # map: no generator frame per call


@functools.cache
def _chars_lowering_below_u0100() -> str:
    """The characters above U+00FF whose ``lower()`` holds one below U+0100 ("İ", the Kelvin
    sign...), found in this Python's own Unicode tables by halving the code space: 30 ms, once
    per process, at the first precheck."""
    below = re.compile("[\x00-\xff]")

    def found(chunk: str) -> str:
        if not below.search(chunk.lower()):
            return ""
        if len(chunk) == 1:
            return chunk
        middle = len(chunk) // 2
        return found(chunk[:middle]) + found(chunk[middle:])

    return found(np.arange(256, 0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass"))


def _contains_folded_first_call(text: str, needles: tuple[str, ...]) -> bool:
    """The compiled precheck needs :func:`_chars_lowering_below_u0100`; it is worked out at the
    first call (not at import: most runs of the command never get here in the main process)."""
    global contains_folded
    contains_folded = functools.partial(_compiled.contains_any_folded, _chars_lowering_below_u0100())
    return contains_folded(text, needles)


# Run on every paragraph (the rules' ``needs``) and every line (the credit hints); compiled, a
# text is scanned once instead of lowered and scanned once per needle: 3.0 -> 0.7 µs for an
# ASCII paragraph of 400 characters and ten needles, 5.4 -> 1.0 µs for one with curly quotes.
contains_folded: Callable[[str, tuple[str, ...]], bool] = (
    _contains_folded_first_call if _compiled is not None else _contains_folded_python
)


# ---------------------------------------------------------------------------------------------
# Building blocks

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
    # German, French, Spanish, Italian, Portuguese, Dutch, Polish (genitive) month names and
    # abbreviations ("4. März 2025", "4 septembre 2024", "8 de octubre de 2024", "14 maja 2025")
    r"|januar|februar|märz|mär|mai|juni|juli|oktober|okt|dezember|dez"
    r"|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre"
    r"|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|ene|abr|ago|dic"
    r"|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|gen|giu|lug|ott"
    r"|janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|novembro|dezembro|fev|set|out|dez"
    r"|januari|februari|maart|mei|augustus|mrt"
    r"|stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października|listopada|grudnia)\.?"
)
_DATE = (
    r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,? )?"  # "Tuesday, November 19, 2019"
    r"(?:\d{4}-\d{2}-\d{2}(?:[ t]\d{1,2}:\d{2}(?::\d{2})?z?)?"
    r"|\d{1,2}\.\d{1,2}\.\d{4}"  # "12.03.2025" (German, Polish, Russian...)
    rf"|\d{{1,2}}(?:st|nd|rd|th|\.)? (?:de )?{_MONTH},? (?:de )?\d{{4}}"
    rf"|{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}"
    r"|\d{1,2}/\d{1,2}/\d{2,4})"
    r"(?:,?(?: -)? (?:at |à |um |a las |alle |às |o )?\d{1,2}[:.h]\d{2}(?: ?[ap]\.?m\.?)?(?: [a-z]{2,4})?)?"
    # an update stamp after it: "Publié le 4 septembre 2024 à 07h15, mis à jour à 10h02"
    r"(?:,? (?:updated|mis à jour|aktualisiert|actualizado|aggiornato|atualizado|zaktualizowano)[^\n]{0,30})?"
)
# A person's or an organisation's name: capitalised words, with the small words names contain.
_CAPITAL = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĲĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽ"  # "Łukasz", "Ørsted"
_NAME = rf"(?-i:[{_CAPITAL}][\w.'’-]*(?: (?:[{_CAPITAL}][\w.'’-]*|and|&|de|van|von|al|bin|of|y|und|et|e|i))*)"
_NOT_A_NAME = r"(?!(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|june|july|august|september|october|november|december)\b)"
_SOCIAL = (
    r"(?:facebook|twitter|x|linkedin|whatsapp|telegram|reddit|pinterest|instagram|youtube|threads|bluesky|mastodon|tumblr|tiktok|"
    r"email|e-mail|mail|sms|print|copy link|copy url|share|tweet|flipboard|pocket|messenger|koo)(?!\w)"
)
_SHARE_ACTION = (
    rf"(?:(?:click to |tap to )?(?:share|post|send)(?: this)?(?: article| story| post| page)? (?:on|via|to|with|by) {_SOCIAL}"
    r"(?: \(opens in (?:a )?new window\))?)"
)
_SHARE_ITEM = rf"(?:{_SHARE_ACTION}|{_SOCIAL})"
_SEP = r"\s*[,|/•·]?\s*"
_CREDIT_NAMES = (
    r"(?-i:[A-Z@][\w.&@'’-]*|\d[\d.]*)"
    r"(?:(?:\s*/\s*|\s+|,\s*|\s+(?-i:for|via|of|and|the|de|for the)\s+)(?-i:[A-Z@][\w.&@'’-]*|\d[\d.]*)){0,7}"
)
_CREDIT = (
    r"(?:\(\s*)?(?:file |representational |representative )?(?:image|photo|picture|photograph|pic|photo illustration|illustration|video|graphic)s?"
    rf"(?: credit)?\s*(?:/|:|\||by|courtesy(?: of)?|credit:?|source:?)\s*{_CREDIT_NAMES}\s*\)?\.?"
    r"|\(\s*(?:file )?(?:image|photo|picture|photograph)s?(?: credit)?\s*(?:/|:|by|courtesy(?: of)?|credit:?)[^()\n]{1,60}\)\.?"
    r"|(?:\(\s*)?(?:(?:file|representational|representative) (?:image|photo|picture)|images? (?:used )?for representation(?:al purposes?)?(?: only)?)\s*\)?\.?"
)
_CREDIT_HINT = ("image", "photo", "pic", "illustration", "video", "graphic")  # every credit has one of these
_CREDIT_WHO = rf"(?:(?:news |wire )?agencies|agency (?:reports|inputs)|wire (?:services|reports)|{_NAME})(?:(?:\s*,\s*|\s+and\s+|\s*&\s*)(?:agencies|{_NAME}))*"

# A sentence boundary inside a text: end punctuation, space, then a capital or an opening quote.
_SENTENCE_BREAK = re.compile(r"[.!?][\"'”’)]*\s+(?=[\"“‘'(]?[A-Z])")
_SENTENCE_END = re.compile(r"[.!?。！？।؟…][\"'”’)»]*$")
_STATEMENT_END = re.compile(r"[.!][\"'”’)»]*$")
_WORDS = re.compile(r"[^\W\d_]+")
_LOWER_WORD = re.compile(r"(?<![A-Za-z])[a-z]")  # ASCII: the words of _WORDS that start in lower case


def _one_sentence_caption(m: re.Match) -> bool:
    """A caption is at most one sentence before its credit; several sentences followed by a
    credit are content with a credit glued on (that credit is split off by the line-edge rule)."""
    caption = (m.group("caption") or "").rstrip()
    return len(_SENTENCE_BREAK.findall(caption)) == 0


_BYLINE_START = (
    r"(?:by|author|authors|written by|reported by|posted by|edited by"
    # the same in the languages of most news pages: "Von Katrin Vollmer", "Par Jean Dupont",
    # "Por Lucía Herrera", "Autor: Tomasz Wróbel", "Door Jan de Vries" (not Italian "di": "Di Maio")
    r"|von|par|por|door|av|autor|autorin|autora|autore|auteur|auteurs|texto|text|tekst)"
    r"(?:\s*[:\-–]\s*|\s+)"  # a space or a colon: not "PARTY RESPONSIBILITIES"
)
_DESKS = ("Desk", "Web Desk", "News Desk", "News Service", "Bureau", "Correspondent", "Staff Reporter", "Staff Writer")
_BYLINE_START_RE = re.compile(_BYLINE_START, re.IGNORECASE | re.DOTALL)
_DESK_ENDINGS = tuple(sorted({desk.split()[-1] for desk in _DESKS}))


def _holds_digit(text: str) -> bool:
    """Whether ``text`` holds a decimal digit (what a regex's ``\\d`` matches, "٣" too): the
    precheck of the dateline rule, every date of which holds one. One scan of the text (compiled)
    instead of the dateline pattern, which tries a hundred month names at the start of every line
    of prose.

    >>> _holds_digit("Published 1 February 2026"), _holds_digit("Published on Monday"), _holds_digit("٢٠٢٦")
    (True, False, True)
    """
    return text_traits(text, DECIMAL_DIGIT) != 0


def _may_be_byline(text: str) -> bool:
    """The precheck of the byline rule, false of every text its pattern matches: the pattern's
    first alternative starts with a byline word and its separator ("By ", "Author : ", "Von "),
    matched here alone with the same flags; the second ends in a desk name ("Web Desk", "Express
    News Service"), case-sensitive, before trailing whitespace. "Tonight America is stronger ...",
    a line of prose, is neither: the byline pattern took 13,000 instructions to read its first
    two words as a name and fail; this test, about a quarter of that.

    >>> _may_be_byline("By Jane Doe"), _may_be_byline("Express News Service "), _may_be_byline("Tonight America is stronger.")
    (True, True, False)
    """
    return _BYLINE_START_RE.match(text) is not None or text.rstrip().endswith(_DESK_ENDINGS)


# ---------------------------------------------------------------------------------------------
# The built-in rules, in the order they are tried.

BUILTIN_RULES: tuple[Rule, ...] = (
    Rule(
        "share.widget",
        r"(?:share(?: this)?(?: article| story| post| page| link| video)?(?: on| via| with)?"
        r"|tweet this|email this(?: article| story)?|print this(?: article| story| page)?|copy (?:link|url)|link copied"
        r"|\d[\d.,]*\s*k?\s*shares?"
        rf"|{_SHARE_ACTION}(?:{_SEP}{_SHARE_ITEM}){{0,9}}"
        rf"|{_SOCIAL}(?:{_SEP}{_SHARE_ITEM}){{1,9}}"
        r"|follow us(?: on| at)?(?: [\w@ ,&.]{1,60})?|follow @\w+(?: on \w+)?|like us on facebook)\s*[:!.]?",
        note='Share and follow buttons: "Share this article", "Facebook Twitter WhatsApp Email", '
        '"Click to share on WhatsApp (Opens in new window)", "Follow us on Instagram"; a run of lone '
        'button words ("Share" / "Facebook" / "X" / "Email", one a line) is caught as a run.',
    ),
    Rule(
        "subscribe.call",
        r"(?:(?:click here to |tap here to )?(?:subscribe|sign up|join|follow|register)(?: now| today| for free| here)?(?: to| for| on| with)? "
        r"(?:our (?:free )?(?:[\w'’-]+ ){0,3}|the (?:free )?(?-i:[A-Z][\w'’-]*(?: [A-Z][\w'’-]*){0,3}) )"
        r"(?:newsletters?|channels?|podcasts?|mailing list|updates|alerts|bulletins?|briefings?)\b[^.!?]{0,80}"
        r"|(?:click here to |tap here to )?subscribe(?: now| today| for free| here)?"
        r"|get (?:the latest|our|the best|the top|the day's)[^.!?]{0,60}(?:in|to) your inbox[^.!?]{0,40}"
        r"|(?:download|get|install) (?:our (?:free |new |mobile )?(?:[\w'’-]+ ){0,2}apps?\b[^.!?]{0,60}|the app)"
        r"|(?:stay|keep) (?:updated|informed|up to date)[^.!?]{0,60}(?:newsletter|subscribe|follow us|whatsapp|telegram|channel)[^.!?]{0,40})\s*[.!]?",
        note='Newsletter, channel and app calls: "Subscribe to our channels on YouTube and WhatsApp" (seed 002), '
        '"Sign up for our daily newsletter", "Get the latest headlines delivered to your inbox", "Download our app".',
    ),
    Rule(
        "paywall.notice",
        r"(?:already (?:a subscriber|a member|have an account)\??\s*(?:(?:please )?(?:log ?in|sign ?in)[^\n]{0,40})?"
        r"|this (?:article|story|content) is (?:only )?(?:for|available to|exclusive to|reserved for) (?:our )?(?:subscribers|members|premium (?:subscribers|members))[^\n]{0,80}"
        r"|subscribe to (?:continue|read|unlock|keep reading)[^\n]{0,80}"
        r"|you have (?:\d+|one|two|three|four|five) free (?:articles?|stories) (?:left|remaining)[^\n]{0,60})",
        note='Paywall remnants: "Already a subscriber? Log in", "This article is for subscribers only", '
        '"You have 2 free articles left this month".',
    ),
    Rule(
        "related.marker",
        r"(?:suggested reading|also read|read also|read more|must read|don'?t miss"
        r"|related (?:articles?|stories|news|posts|coverage|content|reading|links|topics)"
        r"|you (?:may|might) also (?:like|enjoy|be interested in)|more (?:on|about) this (?:story|topic)"
        r"|recommended (?:for you|stories|articles|reading)|stories you (?:may|might) have missed)\s*[:\-–—|]?",
        starts_footer=True,
        note='A related-links marker: "Suggested Reading:" (seed 002), "Also Read", "You may also like". '
        "Removed anywhere; when nothing after it reads as content, the headlines after it go too "
        "(recorded as related.list).",
    ),
    Rule(
        "related.heading",
        r"(?:related|see also|more (?:stories|news|headlines)|more from [\w'’ ]{1,40}|recommended|trending(?: now| stories| news)?"
        r"|most (?:read|popular|viewed|shared)|popular (?:stories|now|posts|articles)|top (?:stories|news|headlines)"
        r"|latest (?:news|stories|headlines)|what to read next|editor'?s picks?|in other news)\s*[:\-–—|]?",
        scope="end",
        starts_footer=True,
        note='A heading that can also head real text ("Top Stories", "Trending Now", "More from Business"): '
        "removed, with the headlines after it, only when nothing after it reads as content.",
    ),
    Rule(
        "related.inline",
        r"(?:also read|read also|read more|must read|see also|related|don'?t miss|watch|listen)(?:\s*[:|]\s*|\s+[-–—]\s+)\S[^\n]{2,200}",
        guard=True,
        note='A single related link: "Also Read: Eight MPs Suspended for Protesting Over LoP Rahul Gandhi\'s Speech", '
        '"READ MORE | Floods hit Assam as Brahmaputra crosses danger mark"; never a paragraph that reads as content.',
    ),
    Rule(
        "caption.credit",
        rf"(?:(?P<caption>[^\n]{{0,400}}?(?:[.!?\"”’)]\s+|\s+[|–—-]\s+|\s*\|\s*)))?(?P<credit>{_CREDIT})\s*",
        check=_one_sentence_caption,
        needs=_CREDIT_HINT,
        note='Photo captions and credits: "A view of a bullet riddle door at a police station, following militant attacks, '
        'in Quetta, Pakistan, February 1, 2026. File Image/Reuters" (seed 003), "Photo: AP", "Photo by Jane Doe/Getty Images". '
        "The credit must follow a finished sentence or a separator and the caption must be one sentence.",
    ),
    Rule(
        "credit.agency",
        r"\(?\s*(?:[-–—]\s*)?(?:with (?:additional )?inputs? from|inputs? from|(?:with )?(?:additional )?reporting by)\s+"
        rf"{_CREDIT_WHO}(?:\s+in\s+{_NAME})?(?:\s*[;,]\s*(?:editing|writing|additional reporting|reporting) by\s+{_CREDIT_WHO}(?:\s+in\s+{_NAME})?)*\s*\)?\s*\.?"
        r"|\(?\s*(?:with )?(?:agency|agencies) inputs\s*\)?\.?",
        note='Agency and desk credits at the foot of a story: "With inputs from agencies" (seed 003), "(With inputs from PTI)", '
        '"Reporting by Jane Doe in London; Editing by John Smith".',
    ),
    Rule(
        "editor.tag",
        r"\[[A-Za-z]{1,5}(?:/[A-Za-z]{1,5})*\]|\(?\s*[-–—]*\s*ends\s*[-–—]*\s*\)?|\(\s*[A-Z]{2,6}(?:/[A-Z]{2,6})*\s*\)",
        note='Editor and desk tags: "[DS]" (seed 002), "[RS/AB]", "-ENDS-", "(PTI)", "(jsi/dj)".',
    ),
    Rule(
        "tool.label",
        r"(?:(?:rewritten|paraphrased|summari[sz]ed|ai[- ]generated|auto[- ]generated|machine[- ]generated|generated) (?:article|summary|text|content|version|news)"
        r"|(?:article|text|content|summary) (?:rewritten|paraphrased|summari[sz]ed|generated)(?: (?:by|with|using) [\w .-]{1,40})?"
        r"|this (?:article|story|summary|text) (?:was|has been|is) (?:rewritten|generated|summari[sz]ed|paraphrased|created)(?: (?:by|with|using) [\w .-]{1,40})?)\s*[.:]?",
        note='Labels left by rewriting or summarising tools: "Rewritten Article" (seed 004), "AI-generated summary", '
        '"This article was generated by an AI tool."',
    ),
    Rule(
        "punct.lone",
        r"[\W_]{1,40}",
        note='Lines of punctuation only: "-" (seed 004, twice), "***", "• • •".',
    ),
    Rule(
        "nav.remnant",
        r"(?:x|×|✕|✖|close|menu|skip to (?:main )?content|back to top|scroll to top|home|search|log ?in|sign ?in|next|previous|prev"
        r"|advertisement|advertisment|sponsored|ad|loading\.*|click here|tap to expand|show (?:more|less)|load more|see more|continue reading"
        r"|view comments|comments?|\d+ comments?|listen to (?:this )?article|open in app)"
        # Breadcrumbs. The words are matched possessively (*+, ++): what may follow a word (a space,
        # a separator, the end) is never a word character, so giving characters back cannot help,
        # and a sentence of prose fails at its fifth word instead of after backtracking into each.
        r"|home(?:\s*[>»›/|]\s*(?-i:[A-Z][\w&'’.-]*+)(?: [\w&'’.-]++){0,3}){1,6}"
        r"|(?-i:[A-Z][\w&'’.-]*+)(?: [\w&'’.-]++){0,3}(?:\s*[>»›]\s*(?-i:[A-Z][\w&'’.-]*+)(?: [\w&'’.-]++){0,3}){2,6}",
        note='Navigation remnants: a lone "X" close button (seed 002), "Advertisement", "Back to top", breadcrumbs '
        '"Home > World > Asia" and "News › India › Assam".',
    ),
    Rule(
        "cookie.consent",
        r"(?:we use cookies|this (?:web)?site uses cookies|our (?:web)?site uses cookies|by (?:continuing to (?:use|browse)|using) (?:this|our) (?:web)?site)"
        r"[^\n]{0,400}?(?:you(?: are)? (?:agree|consent|accept)|your (?:experience|consent|browsing|preferences)|(?:accept|agree to) (?:our|the use of|all)"
        r"|(?:cookie|privacy) (?:policy|notice)|learn more|find out more|manage (?:settings|preferences)|use of cookies)[^\n]{0,300}"
        r"|(?:accept|allow|reject|decline|refuse)(?: all)?(?: cookies)?|(?:cookie|privacy) (?:policy|settings|preferences|notice)"
        r"|manage (?:cookies|consent|preferences|settings)|i (?:agree|accept)|got it|ok(?:ay)?,? (?:i agree|got it)",
        note='Cookie and consent banners and their buttons: "We use cookies to improve your experience on our site. '
        'By continuing to browse, you agree to our use of cookies.", "Accept all cookies", "Manage preferences".',
    ),
    Rule(
        "footer.copyright",
        r"(?:copyright\s*)?(?:©|\(c\)(?=\s*\d{4}))[^\n]{0,200}"
        r"|copyright\s+\d{4}(?:\s*[-–]\s*\d{4})?[^\n]{0,200}"
        r"|(?:[^\n]{0,120}?(?:[.|]\s*|\s[–—-]\s+))?all rights reserved\.?(?:\s+[^\n]{0,160})?",
        needs=("©", "(c)", "copyright", "rights reserved"),
        note='Copyright footers: "© 2026 The Harbour Gazette. All rights reserved.", "Copyright 2025 Lakeside Media Ltd", '
        '"Ridgeline Post Ltd. All Rights Reserved."',
    ),
    Rule(
        "metadata.byline",
        rf"{_BYLINE_START}{_NOT_A_NAME}(?P<value>{_NAME}(?:, {_NAME})?)\s*"
        rf"|(?P<value_desk>(?:{_NAME} )?(?-i:{'|'.join(_DESKS)}))\s*",
        scope="start",
        precheck=_may_be_byline,
        reason=METADATA,
        metadata_field="author",
        note='Bylines and desk credits near the top: "Author : NewsGram Desk" (seed 002), "By Jane Doe", "Express News Service".',
    ),
    Rule(
        "metadata.dateline",
        rf"(?:(?:published|updated|posted|last updated|first published|date"
        r"|veröffentlicht|aktualisiert|stand|publié|mis à jour|publicado|actualizado|pubblicato|aggiornato"
        r"|opublikowano|zaktualizowano|gepubliceerd|bijgewerkt|publicerad|uppdaterad|datum|fecha|data)"
        rf"(?: on| at| am| le| el| il| op| den)?\s*[:\-–]?\s*)?(?P<value>{_DATE})\s*",
        scope="start",
        reason=METADATA,
        metadata_field="date",
        precheck=_holds_digit,  # every alternative of _DATE holds a \d (a year, a day)
        note='Datelines near the top: "Published 1 February 2026" (seed 004), "Updated: Feb 2, 2026 10:15 IST", "2026-02-02".',
    ),
)

# Rule ids recorded by this module outside the rule table (line edges, runs, the template stage).
DERIVED_RULE_IDS = {
    "metadata.leading_date": 'a front-matter date token glued to the first line: " date 2026-02-02 India rejected ..." (seeds 000, 001)',
    "widget.close_button": 'a lightbox close button glued to the end of a caption: "... Balochistan Liberation Army. X" (seed 002)',
    "caption.credit": 'a photo credit glued to the end of a line of several sentences is split off; the sentences stay',
    RELATED_LIST: 'the headlines after a related-links marker at the end of a document (seed 002, after "Suggested Reading:")',
    TEMPLATE_LINE: "a short non-sentence line carried by many documents of a site or of the corpus",
    # The page stage (page.py), for documents that are whole web pages:
    "page.menu": "a line in a run of short non-sentence lines of a page: menus, section lists, footer links",
    "page.outside_article": "a line before or after the article's run on a page: teasers, comment threads, footers",
    "page.line": "a line inside or beside the article's run that the page model scores as page (a caption, a tool label)",
    "page.article_copy": "the article's paragraphs again, run together on one line (a page's meta description or articleBody)",
}


# ---------------------------------------------------------------------------------------------
# Line edges: pieces of one raw line that are not part of its text.

_LEADING_DATE = re.compile(rf"^\s*(?:date|published|updated|posted)\s*:?\s*(?P<value>{_DATE})(?=\s+\S)", re.IGNORECASE)
_TRAILING_CLOSE = re.compile(r"(?<=[.!?\"”’)])\s+[X×✕✖]\s*$")
_CLOSE_BUTTONS = ("X", "×", "✕", "✖")
_TRAILING_CREDIT = re.compile(rf"(?<=[.!?\"”’)])\s+(?P<credit>{_CREDIT})\s*$", re.IGNORECASE)


def split_line_edges(raw: str, first_content_line: bool) -> list[tuple[int, int, str, str, dict | None]]:
    """Spans of one raw line that are not part of its text.

    ``metadata.leading_date``: a front-matter token glued to the first line (" date 2026-02-02 India
    rejected ..."); the rest of the line is content and stays. ``widget.close_button``: a lightbox
    close button glued to the end of a caption ("... Balochistan Liberation Army. X").
    ``caption.credit``: a photo credit glued to the end of a line that holds several sentences;
    the sentences stay (a one-sentence caption with its credit is left whole for the
    ``caption.credit`` rule).

    >>> split_line_edges(" date 2026-02-02 India rejected the claims.", True)
    [(0, 16, 'metadata', 'metadata.leading_date', {'date': '2026-02-02'})]
    >>> split_line_edges("Published: 3 March 2025 Floods hit the valley.", True)[0][4]
    {'date': '3 March 2025'}
    >>> split_line_edges("At least 31 civilians were killed in the assaults. X", False)
    [(50, 52, 'boilerplate', 'widget.close_button', None)]
    >>> split_line_edges("He met Malcolm X", False)
    []
    >>> split_line_edges("The ferry sank at dawn. All 40 passengers were rescued. Photo: AP", False)
    [(55, 65, 'boilerplate', 'caption.credit', None)]
    >>> split_line_edges("Rescuers at the pier in Oban on Monday. Photo: AP", False)
    []
    """
    spans = []
    if first_content_line:
        m = _LEADING_DATE.match(raw)
        if m:
            spans.append((0, m.end(), METADATA, "metadata.leading_date", {"date": m.group("value")}))
    # _TRAILING_CLOSE ends in "[X×✕✖]\s*$": test the last character that is not whitespace
    # before scanning the whole line with it.
    m = _TRAILING_CLOSE.search(raw) if raw.rstrip()[-1:] in _CLOSE_BUTTONS else None
    if m and (not spans or m.start() >= spans[-1][1]):
        spans.append((m.start(), len(raw), BOILERPLATE, "widget.close_button", None))
        return spans
    m = _TRAILING_CREDIT.search(raw) if contains_folded(raw, _CREDIT_HINT) else None
    if m and (not spans or m.start() >= spans[-1][1]):
        before = raw[spans[-1][1] if spans else 0 : m.start()]
        if _SENTENCE_BREAK.search(before.strip()):
            spans.append((m.start(), len(raw), BOILERPLATE, "caption.credit", None))
    return spans


# ---------------------------------------------------------------------------------------------
# The precision guard.


_first_char = operator.itemgetter(0)


def reads_as_content(text: str) -> bool:
    """The precision guard: a paragraph that reads as sentences of content.

    For cased scripts: twelve words or more, mostly lower-case words (a headline capitalises most
    of its words; a sentence does not), and ending like a sentence, or, from twenty words on,
    holding a sentence boundary inside (a paragraph whose final full stop the scraper lost). For
    scripts without case (Chinese, Japanese, Arabic, Hindi...): thirty letters or more and a
    sentence ending or boundary.

    >>> reads_as_content("The minister said he would subscribe to the plan once the budget was agreed by parliament.")
    True
    >>> reads_as_content("MP Govt Focuses on Improving Quality of Health Services and Medical Education in the State: Dy CM Shukla")
    False
    >>> reads_as_content("Subscribe to our channels on YouTube and WhatsApp")
    False
    >>> reads_as_content("洪水导致当地多条道路中断，救援人员正在全力搜救被困群众，预计明天恢复部分交通。")
    True
    """
    stripped = text.strip()
    if not stripped:
        return False
    if stripped.isascii() or not text_traits(stripped, NON_ASCII_WORD_CHAR):
        # Outside ASCII only punctuation and spaces (curly quotes, dashes: most English news
        # text): the words are ASCII letter runs, as in ASCII text. 25 -> 3 µs a paragraph.
        return _ascii_reads_as_content(stripped)
    words = _WORDS.findall(stripped)
    if not stripped.isascii():  # ASCII letters all have case: only other scripts need the check
        n_letters = sum(map(len, words))
        # An ASCII word (letters only) always has case: only the others are looked at.
        caseless = sum(len(w) for w in words if not w.isascii() and w.lower() == w.upper())
        if n_letters and caseless * 2 > n_letters:
            return n_letters >= 30 and bool(_SENTENCE_END.search(stripped) or _SENTENCE_BREAK.search(stripped) or "。" in stripped)
    if len(words) < 12:
        return False
    if not ends_like_sentence(stripped) and not (len(words) >= 20 and _SENTENCE_BREAK.search(stripped)):
        return False
    lower = len(_LOWER_WORD.findall(stripped)) if stripped.isascii() else sum(map(str.islower, map(_first_char, words)))
    return lower / len(words) >= 0.5


# ASCII word shapes: a lower-case letter becomes "a", a capital "A", anything else a space. In
# b" " + shape, a word (a run of ASCII letters, what _WORDS finds in ASCII text) starts exactly
# where a space is followed by "a" or "A", so counting b" a" and b" A" counts the words and their
# case without building a list of them.
_ASCII_WORD_SHAPE = bytes(97 if 97 <= c <= 122 else 65 if 65 <= c <= 90 else 32 for c in range(256))
_SENTENCE_CLOSERS = "\"'”’)»"  # what _SENTENCE_END allows after the final punctuation
_SENTENCE_FINALS = ".!?。！？।؟…"


def ends_like_sentence(stripped: str) -> bool:
    """``_SENTENCE_END.search(stripped)`` for text without trailing whitespace, from its end: the
    last character that is not a closing quote or bracket is sentence-final punctuation.

    >>> ends_like_sentence("He left.”)"), ends_like_sentence("He left"), ends_like_sentence("”")
    (True, False, False)
    """
    body = stripped.rstrip(_SENTENCE_CLOSERS)
    return bool(body) and body[-1] in _SENTENCE_FINALS


def _ascii_word_starts_python(text: str) -> tuple[int, int]:
    """The words of ``text`` (runs of ASCII letters) that start lower-case and those that start
    with a capital, counted on their shapes (``_ASCII_WORD_SHAPE``) instead of listed by a regex:
    the reference for the compiled version, and the fallback where it was not built.

    >>> _ascii_word_starts_python("The cat’s mat, 2x2 Élan")  # "Élan": "É" is no ASCII letter
    (5, 1)
    """
    shape = b" " + text.encode("ascii", "replace").translate(_ASCII_WORD_SHAPE)  # other characters: "?", no letter
    return shape.count(b" a"), shape.count(b" A")


_ascii_word_starts = _compiled.ascii_word_starts if _compiled is not None else _ascii_word_starts_python


def _ascii_reads_as_content(stripped: str) -> bool:
    """:func:`reads_as_content` for stripped, non-empty text whose letters and digits are all ASCII
    (ASCII letters all have case), with the words counted by :func:`_ascii_word_starts` instead
    of listed by a regex.

    >>> _ascii_reads_as_content("The minister said he would subscribe to the plan once the budget was agreed.")
    True
    """
    lower, upper = _ascii_word_starts(stripped)
    n_words = lower + upper
    if n_words < 12:
        return False
    if not ends_like_sentence(stripped) and not (n_words >= 20 and _SENTENCE_BREAK.search(stripped)):
        return False
    return lower / n_words >= 0.5


def is_sentence_shaped(text: str) -> bool:
    """A short statement: two words or more, a lower-case word after the first, ending in a full
    stop or an exclamation mark ("No one was injured.", "Thank you very much."). Such a line is
    never a corpus template line, however often it recurs: short sentences of prose repeat across
    documents (the State of the Union addresses end in "Thank you." and "Thank you, and God bless
    you." year after year), and the duplicate stage keeps their first occurrence.

    >>> is_sentence_shaped("No one was injured."), is_sentence_shaped("Thank you.")
    (True, True)
    >>> is_sentence_shaped("The Harbour Gazette | Since 1887"), is_sentence_shaped("Why it matters?")
    (False, False)
    >>> is_sentence_shaped("Advertisement."), is_sentence_shaped("Photo: AP.")
    (False, False)
    """
    stripped = text.strip()
    if not _STATEMENT_END.search(stripped):
        return False
    words = _WORDS.findall(stripped)
    return len(words) >= 2 and any(w[0].islower() for w in words[1:])


# ---------------------------------------------------------------------------------------------
# Rule sets.

_LONE_BUTTON = re.compile(rf"(?:{_SOCIAL}|{_SHARE_ACTION})\s*:?", re.IGNORECASE)
_SHARE_VERB = re.compile(r"(?:share|tweet|email|e-mail|print|copy link|copy url)\b.*", re.IGNORECASE)


_BACK_REFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")  # \1, (?P=name), (?(1)yes|no): a rule that cannot be merged


def _prefilter(rules: Sequence[Rule]) -> tuple[re.Pattern | None, tuple[Rule, ...]]:
    """One pattern that fully matches wherever one of the merged rules would, and the rules left
    out of it (in their order).

    Trying sixteen rules one after another on every paragraph costs about 10 µs, nearly all of it
    spent failing on the first characters of a sentence of content; the alternation of their
    patterns fails in one call. When it does not match, none of the merged rules can (a full
    match of ``A|B`` is a full match of ``A`` or of ``B``), so only the rules left out are tried.
    Left out: rules with a ``needs`` precheck (cheaper than their pattern: the caption rule scans
    up to 400 characters, but only in paragraphs that say "photo" or "image"), rules with named
    groups (metadata values; names may not repeat in one pattern) and rules with back references
    (their numbers would shift). A rules file whose patterns cannot be merged (a global inline
    flag such as ``(?x)``) gets no prefilter.
    """
    merged = [r for r in rules if not r.needs and not r.compiled.groupindex and not _BACK_REFERENCE.search(r.pattern)]
    if len(merged) < 2:
        return None, tuple(rules)
    try:
        pattern = re.compile("|".join(f"(?:{r.pattern})" for r in merged), re.IGNORECASE | re.DOTALL)
    except re.error:
        return None, tuple(rules)
    return pattern, tuple(r for r in rules if r not in merged)


def _is_lone_button(stripped: str) -> bool:
    """``_LONE_BUTTON.fullmatch(stripped)``, which ends in a network's name or a share action
    (letters, or the ")" of "(opens in new window)") and an optional ":": a text ending in
    anything else (a full stop, most paragraphs) is not matched against the pattern."""
    last = stripped[-1:]
    return bool(last) and (last.isalpha() or last in "):") and _LONE_BUTTON.fullmatch(stripped) is not None


def _share_bar(content: list[Paragraph]) -> set[int]:
    """Positions in runs of lone share buttons, one a line ("Share" / "Facebook" / "X" / "Email").

    A run counts from three buttons, or from two when one of them is a share verb; a lone
    "Facebook" line may be a heading, so it is left alone.
    """
    found: set[int] = set()
    run: list[int] = []
    for position, p in enumerate(content + [None]):  # type: ignore[list-item]
        if p is not None and _is_lone_button(p.text.strip()):
            run.append(position)
            continue
        if len(run) >= 3 or (len(run) == 2 and any(_SHARE_VERB.fullmatch(content[i].text.strip()) for i in run)):
            found.update(run)
        run = []
    return found


def _metadata_of(rule: Rule, m: re.Match, text: str) -> dict:
    """The metadata a rule's match records: its first non-empty ``value*`` group (the name in
    "By Jane Doe"), or the whole text, under the rule's field."""
    values = [v for k, v in m.groupdict().items() if k.startswith("value") and v]
    return {rule.metadata_field or rule.id: (values[0] if values else text).strip()}


@dataclass
class RuleSet:
    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        self._prefilter, self._unfiltered = _prefilter(self.rules)
        # Every rule's cheap precheck words together: one scan of a paragraph tells that none of
        # the rules with such words can match it (most paragraphs), instead of one scan per rule.
        self._all_needs = tuple(dict.fromkeys(word for rule in self.rules for word in rule.needs))

    @classmethod
    def load(cls, rules_file: str | None = None) -> "RuleSet":
        """The built-in rules, adjusted by a TOML rules file.

        The file may hold ``disable = ["rule.id", ...]`` and any number of ``[[rule]]`` tables with
        ``id``, ``pattern`` (a Python regular expression matched against the whole paragraph,
        case-insensitive), optional ``scope`` (paragraph, start, end), ``reason`` (boilerplate or
        metadata), ``note`` and ``guard`` (true: never remove a paragraph that reads as content).
        A rule with the id of a built-in one replaces it; new rules are tried after the built-in ones.
        """
        rules = {r.id: r for r in BUILTIN_RULES}
        if rules_file is None:
            return cls(tuple(rules.values()))
        path = Path(rules_file)
        try:
            config = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise RulesError(f"{path}: cannot read rules file: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise RulesError(f"{path}: not valid TOML: {exc}") from None
        unknown_keys = set(config) - {"disable", "rule"}
        if unknown_keys:
            raise RulesError(f"{path}: unknown top-level key(s): {', '.join(sorted(unknown_keys))} (allowed: disable, rule)")
        disable = config.get("disable", [])
        if not isinstance(disable, list) or not all(isinstance(x, str) for x in disable):
            raise RulesError(f"{path}: 'disable' must be a list of rule ids")
        for rule_id in disable:
            if rule_id not in rules:
                raise RulesError(f"{path}: rule {rule_id!r} in 'disable' is not a built-in rule id (known: {', '.join(rules)})")
            del rules[rule_id]
        tables = config.get("rule", [])
        if not isinstance(tables, list):
            raise RulesError(f"{path}: 'rule' must be written as [[rule]] tables")
        for n, table in enumerate(tables, start=1):
            if not isinstance(table, dict):
                raise RulesError(f"{path}: [[rule]] number {n} is not a table")
            rule_id = table.get("id")
            if not isinstance(rule_id, str) or not re.fullmatch(r"[\w.-]+", rule_id):
                raise RulesError(f"{path}: [[rule]] number {n}: 'id' must be a word like 'mysite.promo'")
            extra = set(table) - {"id", "pattern", "scope", "reason", "note", "guard"}
            if extra:
                raise RulesError(f"{path}: rule {rule_id!r}: unknown key(s) {', '.join(sorted(extra))} (allowed: id, pattern, scope, reason, note, guard)")
            pattern = table.get("pattern")
            if not isinstance(pattern, str) or not pattern:
                raise RulesError(f"{path}: rule {rule_id!r}: 'pattern' must be a non-empty string")
            scope = table.get("scope", "paragraph")
            if scope not in SCOPES:
                raise RulesError(f"{path}: rule {rule_id!r}: scope must be one of {', '.join(SCOPES)}, got {scope!r}")
            reason = table.get("reason", BOILERPLATE)
            if reason not in (BOILERPLATE, METADATA):
                raise RulesError(f"{path}: rule {rule_id!r}: reason must be boilerplate or metadata, got {reason!r}")
            guard = table.get("guard", False)
            if not isinstance(guard, bool):
                raise RulesError(f"{path}: rule {rule_id!r}: guard must be true or false, got {guard!r}")
            try:
                rule = Rule(rule_id, pattern, scope, reason, str(table.get("note", "")),
                            metadata_field=rule_id if reason == METADATA else None, guard=guard)
            except re.error as exc:
                raise RulesError(f"{path}: rule {rule_id!r}: invalid regular expression: {exc}") from None
            if rule.compiled.fullmatch(""):
                raise RulesError(f"{path}: rule {rule_id!r}: pattern matches an empty paragraph; it would remove too much")
            rules[rule_id] = rule
        return cls(tuple(rules.values()))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)

    def classify(self, paragraphs: list[Paragraph]) -> None:
        """Mark boilerplate and metadata paragraphs of one document in place (reason, rule,
        metadata). Paragraphs already decided (empty, edge pieces) are left alone."""
        content = [p for p in paragraphs if p.reason is None]
        n = len(content)
        prose = [reads_as_content(p.text) for p in content]
        for p, is_prose in zip(content, prose):
            p.prose = is_prose
        # From footer_start on, nothing reads as content: a related-links marker there is a footer.
        footer_start = n
        while footer_start > 0 and not prose[footer_start - 1]:
            footer_start -= 1
        share_bar = _share_bar(content)
        footer_from: int | None = None
        for position, p in enumerate(content):
            rules = self.rules if self._prefilter is None or self._prefilter.fullmatch(p.text) else self._unfiltered
            if footer_from is not None:
                # In the footer every line goes; a specific rule, when one matches, names it better.
                specific = next((r for r in rules if r.reason == BOILERPLATE and r.scope != "start" and r.match(p.text)), None)
                p.reason, p.rule = BOILERPLATE, specific.id if specific else RELATED_LIST
                continue
            if position in share_bar:
                p.reason, p.rule = BOILERPLATE, "share.widget"
                continue
            at_footer = position >= footer_start and n - position - 1 <= FOOTER_MAX_PARAGRAPHS
            any_needed = bool(self._all_needs) and contains_folded(p.text, self._all_needs)
            for rule in rules:
                if rule.scope == "start" and position >= HEAD_PARAGRAPHS:
                    continue
                if rule.scope == "end" and not (at_footer if rule.starts_footer else position >= n - TAIL_PARAGRAPHS):
                    continue
                if rule.guard and prose[position]:
                    continue
                if rule.needs and not any_needed:
                    continue
                m = rule.match(p.text)
                if m is None:
                    continue
                p.reason, p.rule = rule.reason, rule.id
                if rule.reason == METADATA:
                    p.metadata = _metadata_of(rule, m, p.text)
                if rule.starts_footer and at_footer:
                    footer_from = position
                break

    def match_metadata(self, text: str) -> tuple[str, dict] | None:
        """The id and the value of the first metadata rule of the ``start`` scope (bylines,
        datelines) that matches ``text`` alone, or None. The page stage asks it about the lines
        around the start of an article, which on a real page sit far below the first lines."""
        for rule in self.rules:
            if rule.reason != METADATA or rule.scope != "start" or (rule.guard and reads_as_content(text)):
                continue
            m = rule.match(text)
            if m is not None:
                return rule.id, _metadata_of(rule, m, text)
        return None

    def explain(self, text: str) -> str | None:
        """The id of the first rule (any scope) that matches ``text`` alone, or None: a quick way
        to try a line against the rules. Guards apply; runs and scopes need a document."""
        for rule in self.rules:
            if rule.guard and reads_as_content(text):
                continue
            if rule.match(text):
                return rule.id
        return None


# ---------------------------------------------------------------------------------------------
# Corpus template lines.


def template_candidate_key(p: Paragraph, max_words: int) -> str | None:
    """The key under which a paragraph is counted for corpus template detection, or None when it
    is already decided, too long, reads as content or is a short statement (:func:`is_sentence_shaped`)."""
    if p.reason is not None or reads_as_content(p.text):
        return None
    key = match_key(p.text)
    return key if template_shaped(p.text, key, max_words) else None


def template_shaped(text: str, key: str | bytes, max_words: int) -> bool:
    """For an undecided paragraph that does not read as content, with its match key (as text or
    as its UTF-8: its words are separated by single ASCII spaces either way): short enough and not
    a statement, so a corpus template line candidate. The pipeline has the key and the content
    verdict already and asks only this."""
    return bool(key) and len(key.split()) <= max_words and not is_sentence_shaped(text)


def site_of(path: str) -> str:
    """The site a document belongs to: its top-level folder ("" for files at the top); a row's,
    its file's (a row's key holds its id after a NUL: an id such as "a/b" names no folder).

    >>> site_of("news/a.txt"), site_of("a.txt"), site_of("rows.jsonl\\x003\\x00\\"a/b\\""), site_of("s/r.jsonl\\x000\\x00")
    ('news', '', '', 's')
    """
    if "\0" in path:
        path = path.split("\0", 1)[0]
    return path.split("/", 1)[0] if "/" in path else ""


COPY_SHARE = 0.5  # documents sharing this share of their content paragraphs are copies of one article
COPY_INDEX_LIMIT = 100  # content paragraphs found in more documents than this are not used to find copies


def content_keys(paragraphs: Iterable[Paragraph]) -> set[str]:
    """Match keys of the undecided paragraphs of one document that read as content: what
    :func:`copy_groups` compares."""
    return {match_key(p.text) for p in paragraphs if p.reason is None and reads_as_content(p.text)}


def copy_groups(keysets: Sequence[Collection[Hashable]]) -> list[int]:
    """For each document, the id of its group of copies (the index of the first document of the
    group). Documents sharing at least half of the content paragraphs of the shorter one
    (``keysets``: one collection of keys per document, see :func:`content_keys`) are copies of one
    article: a wire story in three outlets, a page scraped twice.

    A line that recurs only because one article was copied is not a site template: the headline of
    an agency story carried by three outlets is a duplicate to keep once, not boilerplate to remove
    from all three. Template lines are therefore counted once per group.

    >>> copy_groups([{"bridge", "lorries"}, {"bridge", "lorries", "ferry"}, {"ferry", "school", "market"}, set()])
    [0, 0, 2, 3]
    """
    ids: dict[Hashable, int] = {}
    doc_of: list[int] = []
    key_id: list[int] = []
    for d, keys in enumerate(keysets):
        for key in keys:
            doc_of.append(d)
            key_id.append(ids.setdefault(key, len(ids)))
    groups = copy_groups_from_hashes(np.array(doc_of, dtype=np.int64), np.array(key_id, dtype=np.uint64), len(keysets))
    return groups.tolist()


def copy_groups_from_hashes(doc_of: np.ndarray, key_hash: np.ndarray, n_docs: int) -> np.ndarray:
    """:func:`copy_groups` on arrays, for the streaming pipeline: ``doc_of[i]`` is the document
    of content paragraph i and ``key_hash[i]`` the hash of its match key (``Fingerprints.key_hash``).
    Keys held by more than ``COPY_INDEX_LIMIT`` documents are not used (site boilerplate that
    reads as prose, or mass syndication); the pairs of documents sharing a key are counted with
    numpy, then joined with a union-find. Returns the group id (smallest member) of each document.

    >>> copy_groups_from_hashes(np.array([0, 0, 1, 1, 2]), np.array([7, 8, 7, 8, 9], dtype=np.uint64), 4).tolist()
    [0, 0, 2, 3]
    """
    parent = np.arange(n_docs, dtype=np.int64)
    if len(doc_of) == 0:
        return parent
    hashes, docs = np.asarray(key_hash, dtype=np.uint64), np.asarray(doc_of, dtype=np.int64)
    order = np.lexsort((docs, hashes))
    hashes, docs = hashes[order], docs[order]
    distinct = np.r_[True, (hashes[1:] != hashes[:-1]) | (docs[1:] != docs[:-1])]
    hashes, docs = hashes[distinct], docs[distinct]
    n_content = np.bincount(docs, minlength=n_docs)
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    sizes = np.diff(np.r_[starts, len(hashes)])
    # Every pair of holders of a key held by 2 to COPY_INDEX_LIMIT documents, without a loop over
    # the keys: the holder at position p of a group ending at e is paired with those at p+1 .. e-1.
    used = (sizes >= 2) & (sizes <= COPY_INDEX_LIMIT)
    group_end = np.repeat((starts + sizes)[used], sizes[used])
    position = np.flatnonzero(np.repeat(used, sizes))  # the rows of the used groups, in order
    partners = group_end - position - 1
    if not partners.any():
        return parent
    first = np.repeat(position, partners)
    second = first + 1 + np.arange(len(first)) - np.repeat(np.cumsum(partners) - partners, partners)
    codes, counts = np.unique(docs[first] * n_docs + docs[second], return_counts=True)
    a, b = codes // n_docs, codes % n_docs
    copies = counts >= COPY_SHARE * np.minimum(n_content[a], n_content[b])
    up = list(range(n_docs))  # the union-find on a list: numpy's per-item access is slow

    def root(d: int) -> int:
        while up[d] != d:
            up[d] = up[up[d]]
            d = up[d]
        return d

    for x, y in zip(a[copies].tolist(), b[copies].tolist()):
        rx, ry = root(x), root(y)
        if rx != ry:
            up[max(rx, ry)] = min(rx, ry)
    return np.array([root(d) for d in range(n_docs)], dtype=np.int64)


def count_template_lines(documents: Iterable[tuple[str, Iterable[str], int]], min_documents: int) -> dict[tuple[str, str], int]:
    """Corpus template lines from per-document facts: (relative path, the document's template
    candidate keys, its copy group). Returns, per (site, key), the number of documents carrying
    the line, for lines found in at least ``min_documents`` different articles (copy groups) of
    one site (top-level folder) or of the whole corpus.

    >>> docs = [("s/1", ["get the app"], 0), ("s/2", ["get the app"], 1), ("t/3", ["get the app"], 2), ("t/4", [], 3)]
    >>> count_template_lines(docs, 3)
    {('s', 'get the app'): 3, ('t', 'get the app'): 3}
    >>> count_template_lines([("s/1", ["wire headline"], 0), ("s/2", ["wire headline"], 0), ("s/3", ["wire headline"], 0)], 3)
    {}
    """
    return template_lines_found(template_line_counts(documents), min_documents)


@dataclass
class TemplateLineCounts:
    """Per (site, line) and per line (the whole corpus): the documents that carried it and the
    articles (copy groups) among them. Counts of separate batches add up (incremental.py)."""

    site_docs: Counter
    corpus_docs: Counter
    site_articles: Counter
    corpus_articles: Counter


def template_line_counts(documents: Iterable[tuple[str, Iterable[str], int]]) -> TemplateLineCounts:
    site_docs: Counter = Counter()
    corpus_docs: Counter = Counter()
    site_articles: dict[tuple[str, str], set[int]] = defaultdict(set)
    corpus_articles: dict[str, set[int]] = defaultdict(set)
    for path, keys, group in documents:
        site = site_of(path)
        for key in set(keys):
            site_docs[(site, key)] += 1
            corpus_docs[key] += 1
            site_articles[(site, key)].add(group)
            corpus_articles[key].add(group)
    return TemplateLineCounts(site_docs, corpus_docs, Counter({k: len(v) for k, v in site_articles.items()}),
                              Counter({k: len(v) for k, v in corpus_articles.items()}))


def template_lines_found(counts: TemplateLineCounts, min_documents: int) -> dict[tuple[str, str], int]:
    """The lines of :func:`count_template_lines`, from their counts."""
    found = {}
    for (site, key), count in counts.site_docs.items():
        if max(counts.site_articles[(site, key)], counts.corpus_articles[key]) >= min_documents:
            found[(site, key)] = max(count, counts.corpus_docs[key])
    return found


def find_template_keys(documents: Sequence[tuple[str, Sequence[Paragraph]]], min_documents: int, max_words: int) -> dict[tuple[str, str], int]:
    """Corpus template lines of classified documents, (relative path, paragraphs) in corpus order:
    short non-sentence lines (:func:`template_candidate_key`) found in ``min_documents`` different
    articles of one site or of the corpus; copies of one article (:func:`copy_groups`) count once
    towards the threshold. Returns {(site, match key): number of documents carrying it}."""
    groups = copy_groups([content_keys(paragraphs) for _path, paragraphs in documents])
    facts = (
        (path, [k for k in (template_candidate_key(p, max_words) for p in paragraphs) if k], group)
        for (path, paragraphs), group in zip(documents, groups)
    )
    return count_template_lines(facts, min_documents)


def rule_ids(rules: Iterable[Rule] = BUILTIN_RULES) -> list[str]:
    """Every rule id this stage can record: the rules, then the derived ids."""
    ids = [r.id for r in rules]
    return ids + [i for i in DERIVED_RULE_IDS if i not in ids]
