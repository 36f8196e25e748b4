"""Whole-page text: which lines of a scraped web page are the article and which are the page.

A naive scraper's text of a news page is one visible HTML block a line, and most of it is not the
article: menus ("Home", "World", "Sections", ...), section lists, "most read" teasers, comment
forms, cookie banners and footers, in the page's own language. The line rules of
:mod:`.boilerplate` catch the English widgets they were written for; this stage reads the page
as a whole, the way jusText does: every line gets signals from its own text (length, words,
stopwords of the page's language, sentence shape, digits and separators) and from its
neighbourhood (how much prose is around it, where the article's run of prose is), and a small
logistic model in four passes, shipped as data (``page_model.json``, trained by
``benchmarks/train_page_model.py`` with cross-validation by page), turns them into the
probability that the line belongs to the article.

Precision first: a line that reads as a sentence of content (:func:`.boilerplate.reads_as_content`)
inside the article's run is never removed, whatever the model says; and a document that does not
look like a page (few short lines, as in the seeds or a book) is left to the line rules alone.

Everything here is relative to the page itself, so that it carries to languages the model never
saw: the stopword density of a line is compared with that of the page's own prose, and the
article's run is found from the page's own distribution of prose.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from importlib import resources
from typing import Sequence

import numpy as np

from .boilerplate import ends_like_sentence
from .model import BOILERPLATE, EMPTY, METADATA, Paragraph

PAGE_MENU = "page.menu"  # a run of short lines that are not sentences (navigation, section lists)
PAGE_OUTSIDE = "page.outside_article"  # prose before or after the article's run (teasers, comments)
PAGE_LINE = "page.line"  # a line the model scores as page furniture, inside or next to the article
PAGE_ARTICLE_COPY = "page.article_copy"  # the article's paragraphs again, run together on one line
ARTICLE_COPY_PARAGRAPHS = 3  # the fewest paragraphs of the article a line must hold to be a copy of it
ARTICLE_COPY_SHARE = 0.8  # the share of the line's characters they must make up

_WORD = re.compile(r"\w+", re.UNICODE)
_NOT_LETTERS = re.compile(r"[\W\d_]+")
_NOT_DIGITS = re.compile(r"\D+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # written without spaces (Korean has them)
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
# Lengths in the units of a language written with spaces, so that the model's sense of a short
# line or a long word carries to Chinese and Japanese: a word there is 1.5-2 characters (English
# and German words with their space: 5-7 characters), so a CJK character counts as 0.6 of a word
# and as 3.5 characters.
CJK_WORDS_PER_CHAR = 0.6
CJK_CHARS_PER_CHAR = 3.5
_SEPARATORS = re.compile(r"[|»›•·▸►◄←→↑↓✓✔×©®™]|\s[-–—/]\s|\.\.\.$|…$")
_URLISH = re.compile(r"https?://|www\.|\w@\w|\.(?:com|org|net|de|fr|pl|es|cn)\b", re.IGNORECASE)


def page_language(texts: Sequence[str]) -> str:
    """ISO 639-1 code of the page's language, identified (py3langid, offline) on its longest lines:
    menus and names say little, the article's sentences say it. "" when there is too little text."""
    long_lines = sorted((t for t in texts if len(t) >= 30), key=len, reverse=True)
    sample = "\n".join(long_lines)[:1500]
    if len(sample) < 30:
        return ""
    import py3langid  # offline: the model ships in the wheel; loaded once a process, on first use

    return py3langid.classify(sample)[0]


@functools.cache
def stopwords(language: str) -> frozenset[str]:
    """The stoplist of ``language`` from stopwordsiso (ISO 639-1 codes, the same as py3langid's);
    empty for a language it does not have, where :func:`page_stopwords` falls back on the page's
    own most frequent words."""
    if not language:
        return frozenset()
    import stopwordsiso

    language = language if stopwordsiso.has_lang(language) else STOPLIST_OF_RELATIVE.get(language, language)
    if not stopwordsiso.has_lang(language):
        return frozenset()
    return frozenset(w.casefold() for w in stopwordsiso.stopwords(language))


# Languages py3langid tells apart that stopwordsiso has no list for, and the close relative whose
# function words they share (Nynorsk and Bokmål, Bosnian and Croatian, Cantonese and Wu written
# with Chinese characters, Moroccan and Egyptian Arabic, Macedonian and Bulgarian, Luxembourgish
# and German, ...); any other falls back on the page's own most frequent words.
STOPLIST_OF_RELATIVE = {"nn": "no", "nb": "no", "bs": "hr", "yue": "zh", "wuu": "zh", "ary": "ar", "arz": "ar",
                        "mk": "bg", "be": "ru", "lb": "de", "gd": "ga", "fy": "nl", "oc": "ca"}


def _tokens(text: str) -> list[str]:
    """Words of ``text``, casefolded; a CJK character counts as a word of its own (Chinese and
    Japanese have no spaces, and their stoplists hold single characters and short words)."""
    words = _WORD.findall(text.casefold())
    if not any(_CJK.search(w) for w in words):
        return words
    out: list[str] = []
    for w in words:
        if _CJK.search(w):
            out.extend(w)  # one character at a time
        else:
            out.append(w)
    return out


def _topic_tokens(text: str, tokens: list[str], stoplist: frozenset[str]) -> list[str]:
    """The words of a line that can carry a topic: not stopwords, not numbers; in Chinese and
    Japanese the pairs of adjacent characters (a single character is shared by too many lines:
    "评" of "评论", a menu's "comments", is also in "网友评论" under the article)."""
    words = [t for t in tokens if t not in stoplist and not t.isdigit() and not _CJK.fullmatch(t)]
    for run in _CJK_RUN.findall(text):
        words.extend(run[i:i + 2] for i in range(len(run) - 1))
    return words


def page_stopwords(language: str, token_lists: Sequence[list[str]]) -> frozenset[str]:
    """The stoplist used for a page: its language's, or, for a language without one (or none
    identified), the page's thirty most frequent tokens of prose lines (the function words of any
    language are its most frequent words)."""
    listed = stopwords(language)
    if listed:
        return listed
    counts: dict[str, int] = {}
    for tokens in token_lists:
        if len(tokens) >= 10:
            for t in tokens:
                counts[t] = counts.get(t, 0) + 1
    return frozenset(sorted(counts, key=lambda t: (-counts[t], t))[:30])


def _stopword_density(tokens: list[str], words: frozenset[str]) -> float:
    if not tokens:
        return 0.0
    return sum(1 for t in tokens if t in words) / len(tokens)


LINE_FEATURES = (
    "bias", "log_words", "log_chars", "stopword_ratio", "ends_sentence",
    "sentences", "letter_share", "digit_share", "separator", "urlish",
    "repeated_in_page", "decided_by_rule", "prose", "relative_position",
    "words_prev", "words_next", "prose_chars_window2", "prose_chars_window6",
    "short_run", "stopword_window2", "capital_ratio", "prose_gap", "block_share", "block_lines",
    "mentions_cookies",
)
CONTEXT_FEATURES = (
    "previous_pass", "previous_pass_window2", "previous_pass_window6", "previous_pass_window15",
    "article_density", "before_article", "after_article", "inside_article", "topic_overlap",
)
FEATURES = LINE_FEATURES + CONTEXT_FEATURES
_COL = {name: i for i, name in enumerate(FEATURES)}  # a feature's column in PageSignals.features


@dataclass
class PageSignals:
    """What the stage computed for a page: its language, the article's run (first and last line
    index, or -1), and per line the features (:data:`FEATURES`, the context ones from the pass
    before the last) and the final probability that the line belongs to the article."""

    language: str
    article_start: int
    article_end: int
    features: np.ndarray
    probability: np.ndarray
    stopword_density: np.ndarray  # share of each line's words on the language's stoplist
    content_tokens: list[list[str]]  # each line's words that are not stopwords (for the topic)
    prose_density: float  # the stopword share of the page's long lines (the reference of stopword_ratio)


def _smooth(values: np.ndarray, half_width: int) -> np.ndarray:
    if len(values) == 0:
        return values
    kernel = np.ones(2 * half_width + 1)
    padded = np.concatenate([np.zeros(half_width), values, np.zeros(half_width)])
    return np.convolve(padded, kernel, mode="valid")


def article_run(gains: np.ndarray) -> tuple[int, int]:
    """First and last line of the article's run: the span with the largest sum of ``gains``
    (a maximum-sum segment, Kadane's algorithm), where a line's gain is its characters weighed by
    how much more likely it is article than page (negative for page lines). A menu of forty
    one-word lines between two halves of an article costs less than the second half weighs; a
    footer of teasers after a comment form does not join it. (-1, -1) when no line gains.

    The article comes before what readers wrote under it: when the best span has another before
    it that weighs at least :data:`EARLIER_RUN_SHARE` of it, that earlier one is the article.
    A comment thread of a hundred lines under a four-paragraph report (the Chargers page of the
    dev set) outweighs the report; so does a thread of replies under a charity's blog post."""
    best, span = _max_segment(gains)
    if span[0] > 0:
        earlier, earlier_span = _max_segment(gains[:span[0]])
        if earlier >= EARLIER_RUN_SHARE * best:
            return earlier_span
    return span


def _max_segment(gains: np.ndarray) -> tuple[float, tuple[int, int]]:
    """The largest sum of a span of ``gains`` and the span (Kadane's algorithm)."""
    if not len(gains) or gains.max() <= 0:
        return 0.0, (-1, -1)
    best, best_span, running, start = -math.inf, (-1, -1), 0.0, 0
    for i, g in enumerate(gains.tolist()):
        if running <= 0:
            running, start = g, i
        else:
            running += g
        if running > best:
            best, best_span = running, (start, i)
    return best, best_span


def page_features(texts: Sequence[str], decided: Sequence[bool], prose: Sequence[bool]) -> PageSignals:
    """The features of every line of a page (see :data:`FEATURES`), with the page's language and
    article run. ``decided``: the line rules already removed it; ``prose``: it reads as content."""
    n = len(texts)
    language = page_language(texts)
    token_lists = [_tokens(t) for t in texts]
    words = page_stopwords(language, token_lists)
    f = np.zeros((n, len(FEATURES)))
    if n == 0:
        return PageSignals(language, -1, -1, f, np.zeros(0), np.zeros(0), [], 0.0)
    cjk = np.array([len(_CJK.findall(t)) for t in texts], dtype=float)
    n_words = np.array([len(t) for t in token_lists], dtype=float) - cjk * (1 - CJK_WORDS_PER_CHAR)
    n_chars = np.array([len(t) for t in texts], dtype=float) + cjk * (CJK_CHARS_PER_CHAR - 1)
    density = np.array([_stopword_density(t, words) for t in token_lists])
    long_mask = n_words >= 10
    reference = float(np.median(density[long_mask])) if long_mask.any() else 0.3
    reference = max(reference, 0.05)
    counts: dict[str, int] = {}
    for t in texts:
        counts[t] = counts.get(t, 0) + 1
    prose_arr = np.array(prose, dtype=bool)
    decided_arr = np.array(decided, dtype=bool)
    prose_chars = np.where(prose_arr & ~decided_arr, n_chars, 0.0)
    f[:, _COL["bias"]] = 1.0
    f[:, _COL["log_words"]] = np.log1p(n_words)
    f[:, _COL["log_chars"]] = np.log1p(n_chars)
    f[:, _COL["stopword_ratio"]] = np.minimum(density / reference, 2.0)
    capitals = np.zeros(n)
    for i, text in enumerate(texts):
        stripped = text.strip()
        letters = len(_NOT_LETTERS.sub("", stripped))  # what is left: the letters (C speed)
        digits = len(_NOT_DIGITS.sub("", stripped))
        size = max(1, len(stripped) - stripped.count(" "))  # Chinese has no spaces to count
        f[i, _COL["ends_sentence"]] = ends_like_sentence(stripped)
        f[i, _COL["sentences"]] = math.log1p(sum(stripped.count(c) for c in ".!?。！？"))
        f[i, _COL["letter_share"]] = letters / size
        f[i, _COL["digit_share"]] = digits / size
        f[i, _COL["separator"]] = bool(_SEPARATORS.search(stripped))
        f[i, _COL["urlish"]] = bool(_URLISH.search(stripped))
        # "cookie" is the word of consent banners in most languages ("Wir verwenden Cookies",
        # "utiliza cookies propias", "plików cookie", "使用Cookie"): 98 of the 99 lines of the dev
        # pages that hold it are banners; the line rules know only the English phrases.
        f[i, _COL["mentions_cookies"]] = "cookie" in stripped.casefold()
        tokens = _WORD.findall(stripped)
        if len(tokens) > 1:
            capitals[i] = sum(w[0].isupper() for w in tokens[1:]) / (len(tokens) - 1)
        f[i, _COL["repeated_in_page"]] = counts[text] > 1
    f[:, _COL["decided_by_rule"]] = decided_arr
    f[:, _COL["prose"]] = prose_arr
    f[:, _COL["relative_position"]] = np.arange(n) / max(1, n - 1)
    log_words = np.log1p(n_words)
    f[1:, _COL["words_prev"]] = log_words[:-1]
    f[:-1, _COL["words_next"]] = log_words[1:]
    share = prose_chars / max(1.0, prose_chars.max())
    f[:, _COL["prose_chars_window2"]] = _smooth(share, 2) / 5
    f[:, _COL["prose_chars_window6"]] = _smooth(share, 6) / 13
    # Length of the run of short (< 5 words) non-prose lines the line is in, log-scaled.
    short = (n_words < 5) & ~prose_arr
    run = np.zeros(n)
    i = 0
    while i < n:
        if short[i]:
            j = i
            while j < n and short[j]:
                j += 1
            run[i:j] = math.log1p(j - i)
            i = j
        else:
            i += 1
    f[:, _COL["short_run"]] = run
    # Blocks: the page cut at every run of three or more short lines (a menu, a link list). The
    # article is the heaviest block, lists and all ("Meal 1" / "Eat every 2-3 hours" / "1 scoop
    # Shakeology, 1 cup strawberries, ..." in a meal plan never has three short lines in a row).
    cut = run >= math.log1p(3)
    block = np.cumsum(np.concatenate([[0], (cut[1:] != cut[:-1]).astype(int)]))
    block_chars = np.bincount(block, weights=np.where(decided_arr, 0.0, n_chars))
    block_sizes = np.bincount(block)
    f[:, _COL["block_share"]] = np.where(cut, 0.0, block_chars[block] / max(1.0, block_chars.max()))
    f[:, _COL["block_lines"]] = np.where(cut, 0.0, np.log1p(block_sizes[block]))
    ratio = f[:, _COL["stopword_ratio"]] * np.minimum(n_words, 10) / 10
    f[:, _COL["stopword_window2"]] = _smooth(ratio, 2) / 5
    # Capitalised words compared with the page's own prose: a headline or a menu item capitalises
    # more words than the sentences of the same page (in German, where every noun is capitalised,
    # as in English, where few words are).
    prose_capitals = float(np.median(capitals[long_mask])) if long_mask.any() else 0.2
    f[:, _COL["capital_ratio"]] = capitals - prose_capitals
    # Lines to the nearest line of prose (either side): a menu item sits far from any sentence.
    gap = np.full(n, float(n))
    last = -n
    for i in range(n):
        if prose_arr[i] and not decided_arr[i]:
            last = i
        gap[i] = i - last
    last = 2 * n
    for i in range(n - 1, -1, -1):
        if prose_arr[i] and not decided_arr[i]:
            last = i
        gap[i] = min(gap[i], last - i)
    f[:, _COL["prose_gap"]] = np.log1p(np.minimum(gap, n))
    content_tokens = [_topic_tokens(text, tokens, words) for text, tokens in zip(texts, token_lists)]
    return PageSignals(language, -1, -1, f, np.zeros(n), density, content_tokens, reference)


def add_context(signals: PageSignals, previous: np.ndarray) -> None:
    """Fill the context features from the probabilities of the pass before (``previous``): the
    mean probability around each line (2, 6 and 15 lines each side), the density of
    likely-article characters, the article's run (:func:`article_run`, on gains of characters
    times p - 0.5) with each line's distance from it, and each line's share of the article's
    topic."""
    f = signals.features
    n = len(previous)
    if n == 0:
        return
    chars = np.expm1(f[:, _COL["log_chars"]])
    f[:, _COL["previous_pass"]] = previous
    for width in (2, 6, 15):
        f[:, _COL[f"previous_pass_window{width}"]] = _smooth(previous, width) / (2 * width + 1)
    likely = chars * previous
    density = _smooth(likely, 10)
    f[:, _COL["article_density"]] = density / max(1.0, density.max())
    live = f[:, _COL["decided_by_rule"]] == 0
    start, end = article_run(np.where(live, chars * (previous - 0.5), -chars))
    signals.article_start, signals.article_end = start, end
    # The article's topic: its words (not stopwords) weighed by how likely each line is article.
    # A line of the article shares them ("Shakeology", "Portion Fix Containers" in a meal plan's
    # list; the names of a report); a teaser for another story, a menu or a cookie notice does not.
    topic: dict[str, float] = {}
    for tokens, p in zip(signals.content_tokens, previous.tolist()):
        for t in set(tokens):
            topic[t] = topic.get(t, 0.0) + p
    for i, (tokens, p) in enumerate(zip(signals.content_tokens, previous.tolist())):
        distinct = set(tokens)
        if distinct:
            f[i, _COL["topic_overlap"]] = sum(1 for t in distinct if topic[t] - p >= 1.0) / len(distinct)
    idx = np.arange(n)
    if start >= 0:
        f[:, _COL["before_article"]] = np.log1p(np.maximum(0, start - idx))
        f[:, _COL["after_article"]] = np.log1p(np.maximum(0, idx - end))
        f[start:end + 1, _COL["inside_article"]] = 1.0


@dataclass(frozen=True)
class PageModel:
    """Logistic passes: the first over :data:`LINE_FEATURES`, each later one over :data:`FEATURES`,
    whose context features come from the pass before it (the neighbours' probabilities and the
    article's run they give). A line goes when its final probability is below ``threshold``
    (``aggressive_threshold`` in the aggressive mode)."""

    passes: tuple[np.ndarray, ...]
    threshold: float
    aggressive_threshold: float = 0.5


class PageModelError(ValueError):
    """A page model file that cannot be used; the message names the file and the problem."""


@functools.cache
def load_model(path: str | None = None) -> PageModel:
    """The model in ``path`` (a ``page_model.json`` written by benchmarks/train_page_model.py),
    or the shipped one."""
    try:
        if path is None:
            text = resources.files(__package__).joinpath("page_model.json").read_text(encoding="utf-8")
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        data = json.loads(text)
        if tuple(data["features"]) != FEATURES:
            raise PageModelError(f"{path or 'page_model.json'}: trained on other features than this version computes; retrain it (benchmarks/train_page_model.py)")
        passes = tuple(np.array(w, dtype=float) for w in data["passes"])
        sizes = [len(LINE_FEATURES)] + [len(FEATURES)] * (len(passes) - 1)
        if not passes or [len(w) for w in passes] != sizes:
            raise PageModelError(f"{path}: 'passes' must hold {len(LINE_FEATURES)} weights, then {len(FEATURES)} for each later pass")
        return PageModel(passes, float(data["threshold"]), float(data.get("aggressive_threshold", 0.5)))
    except PageModelError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise PageModelError(f"{path}: cannot read page model: {exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise PageModelError(f"{path}: not a page model (JSON with features, passes, threshold): {exc}") from None


def probabilities(features: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The logistic function of ``features @ weights``, one probability a line."""
    z = features @ weights
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def score_page(signals: PageSignals, model: PageModel) -> None:
    """All passes: the first from the line features, then, for each later pass, the context of
    the one before it."""
    n_line = len(LINE_FEATURES)
    probability = probabilities(signals.features[:, :n_line], model.passes[0])
    for weights in model.passes[1:]:
        add_context(signals, probability)
        probability = probabilities(signals.features, weights)
    signals.probability = probability


def _between_prose(prose: np.ndarray, decided: np.ndarray, reach: int = 2) -> np.ndarray:
    """Lines with a line of prose at most ``reach`` lines before and after them (lines the rules
    removed not counted): the headings and short lines of an article ("Pre-Workout Meal" between
    two paragraphs of a meal plan), as opposed to a menu, whose neighbours are more menu."""
    n = len(prose)
    live = np.flatnonzero(~decided)
    out = np.zeros(n, dtype=bool)
    live_prose = prose[live]
    for k, index in enumerate(live.tolist()):
        if prose[index]:
            continue
        if live_prose[max(0, k - reach):k].any() and live_prose[k + 1:k + 1 + reach].any():
            out[index] = True
    return out


def decide_page(signals: PageSignals, decided: np.ndarray, prose: np.ndarray, model: PageModel,
                threshold: float | None = None, guard: bool = True) -> np.ndarray:
    """Which lines of the page the stage removes (a boolean mask; lines the rules decided are
    never in it): those the model scores below ``threshold``, except, with ``guard`` (the
    precision guards; off only to measure what they cost), the lines that read as content inside
    the article's run, the short lines between prose there, and prose of
    :data:`LONG_PROSE_WORDS` words or more anywhere."""
    score_page(signals, model)
    threshold = model.threshold if threshold is None else threshold
    removed = (signals.probability < threshold) & ~decided
    if guard:
        inside = np.zeros(len(decided), dtype=bool)
        if signals.article_start >= 0:
            inside[signals.article_start:signals.article_end + 1] = True
        removed &= ~(inside & (prose | _between_prose(prose, decided)))
        long_prose = prose & (signals.features[:, _COL["log_words"]] >= math.log1p(LONG_PROSE_WORDS))
        removed &= ~long_prose
    return removed


# ---------------------------------------------------------------------------------------------
# The stage: decide the lines of one document that reads as a whole page.

EARLIER_RUN_SHARE = 0.3  # an earlier span of prose this heavy (against the heaviest) is the article
LONG_PROSE_WORDS = 60  # a paragraph of prose this long is never removed by the page stage
MAX_MORE_ROUNDS = 3  # readings of what stays after the first, until nothing more goes
METADATA_REACH = 8  # lines before and after the article's start where bylines and datelines are looked for
MIN_PAGE_LINES = 12  # fewer lines than this: too little page to read a layout from
MIN_SHORT_SHARE = 0.25  # share of short non-sentence lines from which a document reads as a page
MIN_MENU_RUN = 4  # short non-sentence lines in a row: a menu


def looks_like_page(texts: Sequence[str], prose: Sequence[bool]) -> bool:
    """Whether a document is a whole page as a scraper saw it: at least :data:`MIN_PAGE_LINES`
    lines, of which at least :data:`MIN_SHORT_SHARE` are short (under five words) and no sentence,
    with a run of :data:`MIN_MENU_RUN` of them in a row somewhere (a menu). An article, a speech
    or a book (the seeds, the benchmark's speeches) has a heading or two between its paragraphs,
    never four in a row; a page has its menus, section lists and footers, one item a line."""
    if len(texts) < MIN_PAGE_LINES:
        return False
    short = [not is_prose and len(_WORD.findall(t)) < 5 for t, is_prose in zip(texts, prose)]
    if sum(short) < MIN_SHORT_SHARE * len(texts):
        return False
    run = 0
    for is_short in short:
        run = run + 1 if is_short else 0
        if run >= MIN_MENU_RUN:
            return True
    return False


def article_copies(signals: PageSignals, texts: Sequence[str], prose: np.ndarray, gone: np.ndarray) -> dict[int, tuple[int, float]]:
    """Long lines that are the article again, run together: at least
    :data:`ARTICLE_COPY_PARAGRAPHS` shorter paragraphs of prose of the page that stay occur in
    the line, word for word, and make up :data:`ARTICLE_COPY_SHARE` of its characters. A page's
    meta description or its structured data ("articleBody") can hold the whole article as one
    line of 9,000 characters (a Business Insider page of the dev set, twice). The duplicate stage
    compares paragraphs one to one and cannot see it; nothing of the article is lost, since its
    paragraphs stay. {line: (paragraphs found, their share of its characters)}."""
    found: dict[int, tuple[int, float]] = {}
    staying = [i for i in range(len(texts)) if prose[i] and not gone[i]]
    if signals.article_start < 0 or len(staying) <= ARTICLE_COPY_PARAGRAPHS:
        return found
    shortest = min(len(texts[i]) for i in staying)
    for index in staying:
        text = texts[index]
        if len(text) < ARTICLE_COPY_PARAGRAPHS * shortest:
            continue
        inside = [texts[i] for i in staying if len(texts[i]) < len(text) and texts[i] in text]
        share = sum(map(len, inside)) / len(text)
        if len(inside) >= ARTICLE_COPY_PARAGRAPHS and share >= ARTICLE_COPY_SHARE:
            found[index] = (len(inside), share)
    return found


def rule_for(signals: PageSignals, index: int) -> str:
    """The rule id a removed line is recorded under, from where it sits: a short line in a run
    of short lines is a menu, a line outside the article's run is outside the article (teasers,
    comments, footers), anything else a page line the model scored."""
    f = signals.features[index]
    if f[_COL["short_run"]] >= math.log1p(3):
        return PAGE_MENU
    if signals.article_start >= 0 and not signals.article_start <= index <= signals.article_end:
        return PAGE_OUTSIDE
    return PAGE_LINE


EVIDENCE_FIELDS = ("probability", "threshold", "words", "stopwords", "prose_stopwords", "language",
                   "short_run", "neighbours", "from_run")


def evidence_for(signals: PageSignals, index: int, threshold: float) -> list:
    """The signals and context that decided a line, as the compact list the provenance records
    (:data:`EVIDENCE_FIELDS`; 40 bytes a line where the sentence :func:`describe_evidence` makes
    of it takes 180: a page stage's evidence would otherwise be half the provenance map):
    the article probability and the threshold it fell below, the line's words, its stopword share
    and that of the page's prose, the page's language, the run of short lines it is in (0: none),
    its neighbours' probability, and where it is from the article's run (lines before it, negative
    after it, 0 inside, None without a run)."""
    f = signals.features[index]
    if signals.article_start < 0:
        where = None
    elif index < signals.article_start:
        where = signals.article_start - index
    elif index > signals.article_end:
        where = signals.article_end - index
    else:
        where = 0
    return [round(float(signals.probability[index]), 2), round(float(threshold), 2),
            int(round(math.expm1(f[_COL["log_words"]]))), round(float(signals.stopword_density[index]), 2),
            round(float(signals.prose_density), 2), signals.language or "",
            int(round(math.expm1(f[_COL["short_run"]]))), round(float(f[_COL["previous_pass_window2"]]), 2), where]


def describe_evidence(evidence) -> str:
    """The evidence list of a provenance record in words, for ``dedupe explain`` and the report.

    >>> describe_evidence([0.01, 0.4, 3, 0.33, 0.55, "en", 18, 0.0, 27])
    "article probability 0.01 < 0.40; 3 words; stopwords 0.33 (page's prose 0.55, language en); in a run of 18 short lines; neighbours' probability 0.00; 27 lines before the article's run"
    >>> describe_evidence([0.2, 0.4, 12, 0.5, 0.5, "de", 0, 0.3, -4])
    "article probability 0.20 < 0.40; 12 words; stopwords 0.50 (page's prose 0.50, language de); neighbours' probability 0.30; 4 lines after the article's run"
    """
    if isinstance(evidence, str):
        return evidence
    try:
        probability, threshold, words, stop, prose_stop, language, short_run, neighbours, where = evidence
    except (TypeError, ValueError):
        return str(evidence)
    parts = [f"article probability {probability:.2f} < {threshold:.2f}", f"{words} word{'s' if words != 1 else ''}",
             f"stopwords {stop:.2f} (page's prose {prose_stop:.2f}, language {language or 'unknown'})"]
    if short_run:
        parts.append(f"in a run of {short_run} short lines")
    parts.append(f"neighbours' probability {neighbours:.2f}")
    if where is None:
        parts.append("no article run found")
    elif where > 0:
        parts.append(f"{where} lines before the article's run")
    elif where < 0:
        parts.append(f"{-where} lines after the article's run")
    else:
        parts.append("inside the article's run")
    return "; ".join(parts)


def headline_lines(signals: PageSignals, texts: Sequence[str], boilerplate: np.ndarray, metadata: np.ndarray) -> list[int]:
    """The article's headline and standfirst: going up from the article's run (at most
    :data:`METADATA_REACH` lines, bylines and datelines skipped, up to the first line the rules
    removed as boilerplate or the first line of a menu), the first two lines of 3 to 30 words that do not end like a sentence ("Las
    universidades andaluzas adelantan la matrícula..." and "La medida afectará a más de 40.000
    estudiantes..." over "Lucía Herrera" and "Sevilla - 08 oct 2024" over the first paragraph).
    The page stage never removes them: they are the article's first lines."""
    start = signals.article_start
    found: list[int] = []
    if start < 0:
        return found
    short_run = signals.features[:, _COL["short_run"]]
    for index in range(start - 1, max(-1, start - 1 - METADATA_REACH), -1):
        if metadata[index]:
            continue
        if boilerplate[index] or short_run[index] >= math.log1p(3) or len(found) == 2:
            break
        text = texts[index].strip()
        words = len(_tokens(text)) - len(_CJK.findall(text)) * (1 - CJK_WORDS_PER_CHAR)  # as in page_features
        if 3 <= words <= 30 and not ends_like_sentence(text) and not _SEPARATORS.search(text):
            found.append(index)
    return found


def classify_page(paragraphs: list[Paragraph], model: PageModel | None = None, aggressive: bool = False, rules=None) -> None:
    """Mark the page lines of one document in place (reason ``boilerplate``, a ``page.*`` rule
    and the evidence), when it looks like a whole page. The paragraphs the line rules already
    decided take part as context (a share bar next to a line says something about it) but keep
    their decisions; empty paragraphs and edge pieces are left out.

    ``rules`` (a :class:`.boilerplate.RuleSet`): its byline and dateline rules are tried on the
    lines around the start of the article's run, where a page has them ("By Jamelle Bouie",
    "First Published: Tuesday, November 19, 2019" after sixty lines of menus); the line rules
    only look at a document's first lines."""
    lines = [p for p in paragraphs if p.reason != EMPTY]
    model = model or load_model()
    threshold = model.aggressive_threshold if aggressive else model.threshold
    # Then again on what stays, as a second run over the output would see it (no menus, no lines
    # the rules removed), until nothing more goes: the stage is idempotent.
    for _round in range(1 + MAX_MORE_ROUNDS):
        if not _classify_round(lines, model, threshold, rules):
            return
        lines = [p for p in lines if p.reason is None]


def _classify_round(lines: list[Paragraph], model: PageModel, threshold: float, rules) -> int:
    """One reading of the page ``lines``: marks what goes, returns how many lines it marked
    (0 when the lines do not look like a page)."""
    if sum(1 for p in lines if p.reason is None) < MIN_PAGE_LINES:
        return 0  # most documents of a corpus of posts or paragraphs: no page to read, and no arrays built
    texts = [p.text for p in lines]
    decided = np.array([p.reason is not None for p in lines], dtype=bool)
    prose = np.array([p.prose for p in lines], dtype=bool)
    live = ~decided
    if not looks_like_page([t for t, keep in zip(texts, live) if keep], prose[live].tolist()):
        return 0
    signals = page_features(texts, decided.tolist(), prose.tolist())
    removed = decide_page(signals, decided, prose, model, threshold)
    if rules is not None and signals.article_start >= 0:
        for index in range(max(0, signals.article_start - METADATA_REACH), min(len(lines), signals.article_start + METADATA_REACH)):
            if decided[index] or prose[index]:
                continue
            found = rules.match_metadata(texts[index])
            if found is not None:
                p = lines[index]
                p.reason, p.rule = METADATA, found[0]
                p.metadata = found[1]
                removed[index] = False
                decided[index] = True
    reasons = [p.reason for p in lines]
    removed[headline_lines(signals, texts, np.array([r == BOILERPLATE for r in reasons]), np.array([r == METADATA for r in reasons]))] = False
    for index in np.flatnonzero(removed).tolist():
        p = lines[index]
        p.reason, p.rule = BOILERPLATE, rule_for(signals, index)
        p.evidence = evidence_for(signals, index, threshold)
    copies = article_copies(signals, texts, prose, removed | decided)
    for index, (count, share) in copies.items():
        p = lines[index]
        p.reason, p.rule = BOILERPLATE, PAGE_ARTICLE_COPY
        p.evidence = f"holds {count} shorter paragraphs of prose of this page that stay, {share:.0%} of its characters"  # words: few such lines
    return int(removed.sum()) + len(copies)
