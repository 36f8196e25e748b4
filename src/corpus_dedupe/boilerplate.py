"""Rules that recognise what web templates leave around an article, and document metadata.

Every rule has an id, recorded in the provenance of each paragraph it removes. Rules match the
*whole* paragraph (``re.fullmatch``, case-insensitive), so a content sentence that merely mentions
the same words ("the minister said he would subscribe to the plan") is never caught by a phrase
rule. Heuristics that look beyond one paragraph (the related-links footer run, corpus template
lines) are additionally held back by :func:`reads_as_content`: a paragraph of real sentences is
never removed by a heuristic alone.

Scopes: ``paragraph`` (anywhere), ``start`` (among the first paragraphs of the document, where
bylines and datelines live), ``end`` (among the last paragraphs, where footers live).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .model import BOILERPLATE, METADATA, Paragraph
from .normalise import match_key

HEAD_PARAGRAPHS = 8
TAIL_PARAGRAPHS = 12
SCOPES = ("paragraph", "start", "end")


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file, the rule and the problem."""


@dataclass(frozen=True)
class Rule:
    id: str
    pattern: str
    scope: str = "paragraph"
    reason: str = BOILERPLATE
    note: str = ""
    starts_footer: bool = False  # a "Related"/"Suggested reading" marker: the headline run after it goes too
    metadata_field: str | None = None  # for metadata rules: the manifest field the value goes to
    compiled: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.pattern, re.IGNORECASE | re.DOTALL))


_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DATE = (
    r"(?:\d{4}-\d{2}-\d{2}(?:[ t]\d{1,2}:\d{2}(?::\d{2})?z?)?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)? {_MONTH},? \d{{4}}"
    rf"|{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}"
    r"|\d{1,2}/\d{1,2}/\d{2,4})"
    r"(?:,? (?:at )?\d{1,2}[:.]\d{2}(?: ?[ap]\.?m\.?)?(?: [a-z]{2,4})?)?"
)
_NAME = r"(?-i:[A-Z][\w.'’-]*(?: (?:[A-Z][\w.'’-]*|and|&|de|van|von|al|bin|of))*)"
_SOCIAL = r"(?:facebook|twitter|x|linkedin|whatsapp|telegram|reddit|pinterest|instagram|youtube|threads|bluesky|email|e-mail|print|copy link|share|flipboard|pocket|messenger)"

BUILTIN_RULES: tuple[Rule, ...] = (
    Rule(
        "share.widget",
        rf"(?:share(?: this)?(?: article| story| post| page)?(?: on| via)?(?: {_SOCIAL})?|tweet this|email this(?: article)?|print this(?: article| page)?|copy link|{_SOCIAL}(?:\s*[,|/•·]?\s*{_SOCIAL}){{1,9}}|follow us(?: on [\w ,&]{{1,60}})?|like us on facebook)\s*[:!.]?",
        note='Share/follow buttons: "Share this article", "Facebook Twitter WhatsApp Email", "Follow us on Instagram"',
    ),
    Rule(
        "subscribe.call",
        r"(?:(?:subscribe|sign up|join|follow|register)(?: now| today| for free)?(?: to| for| on)? (?:our|the) (?:free )?(?:daily |weekly )?(?:newsletters?|channels?|podcasts?|mailing list|updates|alerts|whatsapp channel|youtube channel|telegram channel)[^.!?]{0,80}"
        r"|get (?:the latest|our) [^.!?]{0,60}(?:in|to) your inbox[^.!?]{0,40}"
        r"|(?:stay|keep) (?:updated|informed|up to date)[^.!?]{0,60}(?:newsletter|subscribe|follow us)[^.!?]{0,40})\s*[.!]?",
        note='Newsletter and channel calls: "Subscribe to our channels on YouTube and WhatsApp", "Sign up for our daily newsletter"',
    ),
    Rule(
        "related.marker",
        r"(?:suggested reading|related(?: articles?| stories| news| posts| coverage| content| reading)?|read more|also read|read also|see also|more (?:stories|news) from [\w ]{1,40}|more from [\w ]{1,40}|you (?:may|might) also like|recommended(?: for you| stories| articles)?|more stories|trending(?: now| stories)?|most (?:read|popular)|popular (?:stories|now)|top stories)\s*[:\-–—]?",
        scope="end",
        starts_footer=True,
        note='A related-links marker ("Suggested Reading:", "Related Stories", "You may also like") and the run of headline-like lines after it',
    ),
    Rule(
        "related.inline",
        r"(?:also read|read more|read also|related|see also|must read|don'?t miss)\s*[:|\-–—]\s*[^\n]{3,200}",
        note='A single related link: "Also Read: Eight MPs Suspended ...", "READ MORE | Floods hit Assam"',
    ),
    Rule(
        "caption.credit",
        r"[^\n]{0,400}?(?:\b(?:file )?(?:image|photo|picture|photograph|pic|video)s?(?: credit)?\s*(?:/|:|by|courtesy(?: of)?|credit:?)\s*(?-i:[A-Z@][\w.&@-]*(?: [A-Z@][\w.&@-]*){0,4})"
        r"|\((?:file )?(?:image|photo|picture|photograph)s?\s*(?:/|:|by|courtesy(?: of)?|credit:?)[^)]{1,60}\))\s*",
        note='Captions and photo credits: "... in Quetta, February 1, 2026. File Image/Reuters", "Photo: AP", "(Photo courtesy of the ministry)"',
    ),
    Rule(
        "credit.agency",
        r"\(?(?:with (?:additional )?inputs? from|inputs? from|additional reporting by|with (?:agency )?inputs|compiled from) [\w ,&.'’-]{1,80}\)?\s*[.]?|\(?(?:with )?agency inputs\)?\.?",
        note='Agency credits: "With inputs from agencies", "(With inputs from PTI)", "Additional reporting by Jane Doe in London"',
    ),
    Rule(
        "editor.tag",
        r"\[[A-Za-z]{1,5}(?:/[A-Za-z]{1,5})*\]|\(?-*\s*ends\s*-*\)?|\(\s*[A-Z]{2,5}(?:/[A-Z]{2,5})*\s*\)",
        note='Editor and desk tags: "[DS]", "[RS/AB]", "(ENDS)", "(PTI)"',
    ),
    Rule(
        "tool.label",
        r"(?:(?:rewritten|paraphrased|summari[sz]ed|ai[- ]generated|auto[- ]generated|machine[- ]generated|generated) (?:article|summary|text|content|version|news)"
        r"|(?:article|text|content|summary) (?:rewritten|paraphrased|summari[sz]ed|generated)(?: (?:by|with|using) [\w .-]{1,40})?"
        r"|this (?:article|story|summary|text) (?:was|has been|is) (?:rewritten|generated|summari[sz]ed|paraphrased|created)(?: (?:by|with|using) [\w .-]{1,40})?)\s*[.:]?",
        note='Labels left by rewriting or summarising tools: "Rewritten Article", "AI-generated summary", "This article was generated by an AI tool."',
    ),
    Rule(
        "punct.lone",
        r"[\W_]{1,40}",
        note='Lines of punctuation only: "-", "***", "• • •"',
    ),
    Rule(
        "nav.remnant",
        r"(?:x|×|✕|✖|close|menu|skip to (?:main )?content|back to top|scroll to top|home|search|log ?in|sign ?in|next|previous|prev|advertisement|advertisment|sponsored|ad|loading\.*|click here|tap to expand|show more|view comments|comments?|\d+ comments?)"
        r"|[\w&' -]{1,30}(?:\s*[>»›]\s*[\w&' -]{1,30}){1,6}",
        note='Navigation remnants: a lone "X" close button, "Advertisement", "Back to top", breadcrumbs like "Home > World > Asia"',
    ),
    Rule(
        "cookie.consent",
        r"(?:we use cookies|this (?:web)?site uses cookies|by (?:continuing to use|using) (?:this|our) (?:site|website)|accept (?:all )?cookies|cookie (?:policy|settings|preferences)|manage (?:cookies|consent|preferences))[^\n]{0,300}",
        note='Cookie and consent banners: "We use cookies to improve your experience. Accept all cookies"',
    ),
    Rule(
        "metadata.byline",
        rf"(?:by|author|authors|written by|reported by|posted by|edited by)\s*[:\-–]?\s*(?P<value>{_NAME}(?:, {_NAME})?)\s*",
        scope="start",
        reason=METADATA,
        metadata_field="author",
        note='Bylines and desk credits: "Author : NewsGram Desk", "By Jane Doe"',
    ),
    Rule(
        "metadata.dateline",
        rf"(?:(?:published|updated|posted|last updated|first published|date)(?: on| at)?\s*[:\-–]?\s*)?(?P<value>{_DATE})\s*",
        scope="start",
        reason=METADATA,
        metadata_field="date",
        note='Datelines: "Published 1 February 2026", "Updated: Feb 2, 2026 10:15 IST", "2026-02-02"',
    ),
)

# Edge rules split a piece off the start or end of a line (not the whole paragraph).
_LEADING_DATE = re.compile(rf"^\s*(?:date|published|updated|posted)\s*:?\s*(?P<value>{_DATE})(?=\s+\S)", re.IGNORECASE)
_TRAILING_CLOSE = re.compile(r"(?<=[.!?\"”’)])\s+[X×✕✖]\s*$")


def split_line_edges(raw: str, first_content_line: bool) -> list[tuple[int, int, str, str, dict | None]]:
    """Spans of one raw line that are not part of its text.

    ``metadata.leading_date``: a front-matter token glued to the first line (" date 2026-02-02 India
    rejected ..."); the rest of the line is content and stays. ``widget.close_button``: a lightbox
    close button glued to the end of a caption ("... Balochistan Liberation Army. X").

    >>> split_line_edges(" date 2026-02-02 India rejected the claims.", True)
    [(0, 16, 'metadata', 'metadata.leading_date', {'date': '2026-02-02'})]
    >>> split_line_edges("Published: 3 March 2025 Floods hit the valley.", True)[0][4]
    {'date': '3 March 2025'}
    >>> split_line_edges("At least 31 civilians were killed in the assaults. X", False)
    [(50, 52, 'boilerplate', 'widget.close_button', None)]
    >>> split_line_edges("He met Malcolm X", False)
    []
    """
    spans = []
    if first_content_line:
        m = _LEADING_DATE.match(raw)
        if m:
            spans.append((0, m.end(), METADATA, "metadata.leading_date", {"date": m.group("value")}))
    m = _TRAILING_CLOSE.search(raw)
    if m and (not spans or m.start() >= spans[-1][1]):
        spans.append((m.start(), len(raw), BOILERPLATE, "widget.close_button", None))
    return spans


_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*$")
_WORDS = re.compile(r"[^\W\d_]+")


def reads_as_content(text: str) -> bool:
    """The precision guard: a paragraph that reads as sentences of content.

    Twelve words or more, ending like a sentence, and mostly lower-case words (a headline
    capitalises most of its words; a sentence does not).

    >>> reads_as_content("The minister said he would subscribe to the plan once the budget was agreed by parliament.")
    True
    >>> reads_as_content("MP Govt Focuses on Improving Quality of Health Services and Medical Education in the State: Dy CM Shukla")
    False
    """
    words = _WORDS.findall(text)
    if len(words) < 12 or not _SENTENCE_END.search(text.strip()):
        return False
    lower = sum(1 for w in words if w[0].islower())
    return lower / len(words) >= 0.5


@dataclass
class RuleSet:
    rules: tuple[Rule, ...]

    @classmethod
    def load(cls, rules_file: str | None = None) -> "RuleSet":
        """The built-in rules, adjusted by a TOML rules file.

        The file may hold ``disable = ["rule.id", ...]`` and any number of ``[[rule]]`` tables with
        ``id``, ``pattern`` (a Python regular expression matched against the whole paragraph,
        case-insensitive), optional ``scope`` (paragraph, start, end), ``reason`` (boilerplate or
        metadata) and ``note``. A rule with the id of a built-in one replaces it.
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
                raise RulesError(f"{path}: rule {rule_id!r} in 'disable' is not a built-in rule id")
            del rules[rule_id]
        for n, table in enumerate(config.get("rule", []), start=1):
            if not isinstance(table, dict):
                raise RulesError(f"{path}: [[rule]] number {n} is not a table")
            rule_id = table.get("id")
            if not isinstance(rule_id, str) or not re.fullmatch(r"[\w.-]+", rule_id):
                raise RulesError(f"{path}: [[rule]] number {n}: 'id' must be a word like 'mysite.promo'")
            extra = set(table) - {"id", "pattern", "scope", "reason", "note"}
            if extra:
                raise RulesError(f"{path}: rule {rule_id!r}: unknown key(s) {', '.join(sorted(extra))}")
            pattern = table.get("pattern")
            if not isinstance(pattern, str) or not pattern:
                raise RulesError(f"{path}: rule {rule_id!r}: 'pattern' must be a non-empty string")
            scope = table.get("scope", "paragraph")
            if scope not in SCOPES:
                raise RulesError(f"{path}: rule {rule_id!r}: scope must be one of {', '.join(SCOPES)}, got {scope!r}")
            reason = table.get("reason", BOILERPLATE)
            if reason not in (BOILERPLATE, METADATA):
                raise RulesError(f"{path}: rule {rule_id!r}: reason must be boilerplate or metadata, got {reason!r}")
            try:
                rule = Rule(rule_id, pattern, scope, reason, str(table.get("note", "")),
                            metadata_field=rule_id if reason == METADATA else None)
            except re.error as exc:
                raise RulesError(f"{path}: rule {rule_id!r}: invalid regular expression: {exc}") from None
            rules[rule_id] = rule
        return cls(tuple(rules.values()))

    def classify(self, paragraphs: list[Paragraph]) -> None:
        """Mark boilerplate and metadata paragraphs of one document in place (reason, rule,
        metadata). Paragraphs already decided (empty, edge pieces) are left alone."""
        content = [p for p in paragraphs if p.reason is None]
        n = len(content)
        footer_from: int | None = None
        for position, p in enumerate(content):
            in_head = position < HEAD_PARAGRAPHS
            in_tail = position >= n - TAIL_PARAGRAPHS
            if footer_from is not None:
                if reads_as_content(p.text):
                    footer_from = None
                else:
                    p.reason, p.rule = BOILERPLATE, "related.list"
                    continue
            for rule in self.rules:
                if rule.scope == "start" and not in_head:
                    continue
                if rule.scope == "end" and not in_tail:
                    continue
                m = rule.compiled.fullmatch(p.text)
                if not m:
                    continue
                p.reason, p.rule = rule.reason, rule.id
                if rule.reason == METADATA:
                    value = m.groupdict().get("value") or p.text
                    p.metadata = {rule.metadata_field or rule.id: value.strip()}
                if rule.starts_footer:
                    footer_from = position
                break


def template_candidate_key(p: Paragraph, max_words: int) -> str | None:
    """The key under which a paragraph is counted for corpus template detection, or None when it
    is too long or reads as content."""
    if p.reason is not None or reads_as_content(p.text):
        return None
    key = match_key(p.text)
    if not key or len(key.split()) > max_words:
        return None
    return key


def site_of(path: str) -> str:
    """The site a document belongs to: its top-level folder ("" for files at the top)."""
    return path.split("/", 1)[0] if "/" in path else ""
