"""Fast paths of the per-document stages give the same results as the general code they shortcut."""

from __future__ import annotations

import re

import ftfy
import numpy as np
from hypothesis import example, given, settings, strategies as st

from corpus_dedupe import boilerplate, fingerprint, normalise, reader, segment
from corpus_dedupe.model import Document, SourceLine

# Text that exercises the shortcuts: letters of both cases, digits, sentence punctuation, closing
# quotes, whitespace of several kinds, entity-like sequences, a few non-ASCII letters.
_ALPHABET = st.sampled_from(list("aAbBzZ09 .,!?;:'\")-&#\t\u00a0\u2028xX×é’”…。") + ["&amp;", "&#39;", "&zz;", "  "])
texts = st.lists(_ALPHABET, max_size=60).map("".join)
ascii_texts = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=80)


def _reads_as_content_general(text: str) -> bool:
    """reads_as_content as written before the ASCII fast path (regex word lists)."""
    stripped = text.strip()
    if not stripped:
        return False
    words = boilerplate._WORDS.findall(stripped)
    if not stripped.isascii():
        n_letters = sum(map(len, words))
        caseless = sum(len(w) for w in words if w.lower() == w.upper())
        if n_letters and caseless * 2 > n_letters:
            return n_letters >= 30 and bool(boilerplate._SENTENCE_END.search(stripped) or boilerplate._SENTENCE_BREAK.search(stripped) or "。" in stripped)
    if len(words) < 12:
        return False
    if not boilerplate._SENTENCE_END.search(stripped) and not (len(words) >= 20 and boilerplate._SENTENCE_BREAK.search(stripped)):
        return False
    lower = len(boilerplate._LOWER_WORD.findall(stripped)) if stripped.isascii() else sum(1 for w in words if w[0].islower())
    return lower / len(words) >= 0.5


_WORDY = st.lists(st.sampled_from(["the", "The", "cat", "Cat", "sat", "A", "on", "mat", ".", ",", "!", "?", "”", "'", ")", " ", "  ", "12", "x-y", "é", "Élan", "洪水导致", "。", "ßtraße", "İstanbul", "’", "“", "—", "²", "\u00a0", "\u2028", "cat’s", "…"]), max_size=60).map(" ".join)


@given(st.one_of(texts, ascii_texts, _WORDY))
@settings(max_examples=400)
@example("Élan " * 7 + "the " * 5 + "end.")  # a capitalised word outside ASCII: not a lower-case "lan"
@example("“The cat’s mat” — " + "the " * 11 + "end…")  # only punctuation outside ASCII
@example("ßtraße " * 6 + "The " * 6 + "end.")
def test_reads_as_content_matches_general(text):
    assert boilerplate.reads_as_content(text) == _reads_as_content_general(text)


@given(st.one_of(texts, ascii_texts, _WORDY, st.text(max_size=60)))
@settings(max_examples=500)
def test_ascii_word_starts_count_the_runs_of_ascii_letters(text):
    """The word counts of the content test, compiled and in Python, against a regex's list of
    the words (a non-ASCII letter, a digit or any other character separates them)."""
    words = re.findall(r"[A-Za-z]+", text)
    expected = (sum(w[0].islower() for w in words), sum(w[0].isupper() for w in words))
    assert boilerplate._ascii_word_starts_python(text) == expected
    if boilerplate._compiled is not None:  # test_fingerprint reports a missing build
        assert boilerplate._compiled.ascii_word_starts(text) == expected


def test_ascii_word_starts_of_a_text_longer_than_a_counting_block():
    # The compiled loop counts in blocks of 2**20 characters; a word straddles each boundary.
    text = "Ab c" * (3 << 18) + "dE"
    words = re.findall(r"[A-Za-z]+", text)
    expected = (sum(w[0].islower() for w in words), sum(w[0].isupper() for w in words))
    assert boilerplate._ascii_word_starts(text) == boilerplate._ascii_word_starts_python(text) == expected


@given(st.one_of(texts, ascii_texts, st.text(alphabet="a .&\t\x7f\x1fé", max_size=12), st.text(max_size=30)))
@settings(max_examples=500)
def test_a_clean_ascii_line_is_one_repair_leaves_alone(text):
    """The compiled check that spares most lines the repair: the same answer as Python's four
    checks, and a line it passes comes out of repair_text unchanged."""
    clean = normalise._ascii_line_is_clean_python(text)
    if normalise._compiled is not None:  # test_fingerprint reports a missing build
        assert normalise._compiled.ascii_line_is_clean(text) == clean
    if clean:
        assert normalise.repair_text(text) == text


@given(st.one_of(texts, _WORDY))
def test_ends_like_sentence(text):
    stripped = text.strip()
    if stripped:
        assert boilerplate.ends_like_sentence(stripped) == bool(boilerplate._SENTENCE_END.search(stripped))


@given(st.one_of(texts, st.text(alphabet="0123456789.,a ", max_size=30)))
def test_digit_group_regex(text):
    assert normalise._DIGIT_GROUP.sub("", text) == re.sub(r"(?<=\d)[.,](?=\d)", "", text)


@given(st.one_of(texts, st.text(max_size=40)))
def test_collapse_whitespace(text):
    assert normalise.collapse_whitespace(text) == " ".join(text.split())


@given(st.text(alphabet=st.sampled_from(list("aA&#;0123456789xX \t<>")), max_size=40))
@settings(max_examples=300)
def test_ascii_text_without_trigger_is_left_alone_by_ftfy(text):
    if not normalise._ASCII_FTFY_TRIGGER.search(text):
        assert ftfy.fix_text(text, normalise._FTFY_CONFIG) == text


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
@settings(max_examples=500)
def test_quick_ascii_scan_passes_every_text_ftfy_could_change(text):
    """_repair_once sends ASCII text on to the entity and control-character pattern only when it
    holds "&" or a character that is not printable: every text that ftfy's own trigger for ASCII
    (``_FTFY_TRIGGER``, the scan it replaces) would let through still gets there."""
    if normalise._FTFY_TRIGGER.search(text):
        assert "&" in text or not text.isprintable()
    by_full_scan = (ftfy.fix_text(text, normalise._FTFY_CONFIG)
                    if normalise._FTFY_TRIGGER.search(text) and normalise._ASCII_FTFY_TRIGGER.search(text) else text)
    assert normalise._repair_once(text) == " ".join(by_full_scan.split())


def test_repair_text_cache_is_transparent():
    line = "Pakistanâ€™s allegations"
    assert normalise.repair_text(line) == normalise.repair_text(line) == "Pakistan’s allegations"
    long_line = "caf\u0065\u0301 " * (normalise._CACHED_LINE_CHARS // 5)
    assert normalise.repair_text(long_line) == " ".join(("café " * (normalise._CACHED_LINE_CHARS // 5)).split())


@given(st.one_of(texts, st.text(alphabet="Xx×✕✖ .!?\t", max_size=20)))
def test_close_button_precheck(text):
    found = [s for s in boilerplate.split_line_edges(text, False) if s[3] == "widget.close_button"]
    m = boilerplate._TRAILING_CLOSE.search(text)
    assert bool(found) == bool(m)


_NEEDLE_TEXT = st.lists(st.sampled_from(["Photo", "PIC", "pi", "c", "(c)", "©", "İ", "i", "ß", "ss", " ", "rights", "Reserved", "x", "É", "é", "×", "ÿ", "’", "K", "Ÿ", "Σ", "𝐀", "k"]), max_size=12).map("".join)
_NEEDLES = st.lists(st.sampled_from(["photo", "pic", "i̇", "i", "ss", "(c)", "©", "rights reserved", "Pic", "", "x", "ic)", "é", "É", "×", "éc", "ÿ", "’", "k", "kx", "ÿ", "σ"]), max_size=6).map(tuple)


def test_compiled_needle_precheck_folds_every_character_below_u0100_as_lower_does():
    if boilerplate._compiled is None:
        return  # test_fingerprint reports a missing build
    specials = boilerplate._chars_lowering_below_u0100()
    for c in map(chr, [*range(256), *map(ord, specials), 0x2019, 0x3A3]):
        text = f"x{c}Y"
        for needles in ((c,), (c.lower(),), (c.upper(),), (f"{c}y".lower(),), (f"X{c}",), (f"x{c}y".lower(),)):
            expected = any(needle in text.lower() for needle in needles)
            assert boilerplate._compiled.contains_any_folded(specials, text, needles) == expected, (text, needles)


def test_characters_lowering_into_latin1_are_all_found():
    expected = "".join(c for c in map(chr, range(256, 0x110000)) if not 0xD800 <= ord(c) <= 0xDFFF and any(ord(x) < 256 for x in c.lower()))
    assert boilerplate._chars_lowering_below_u0100() == expected
    assert "İ" in expected and "\u212a" in expected  # Kelvin sign


@given(st.one_of(_NEEDLE_TEXT, texts, ascii_texts), _NEEDLES)
@settings(max_examples=500)
def test_compiled_needle_precheck_matches_lower_and_contains(text, needles):
    """The compiled precheck of the rules' needs and credit hints: its own scan (A-Z and À-Þ
    folded, a needle that lower() would change never found, a character above U+00FF in no
    match), except for texts holding a character whose lower() falls below U+0100 ("İ" lowers to
    "i̇", the Kelvin sign to "k"), which take Python's lower()."""
    expected = any(needle in text.lower() for needle in needles)
    assert boilerplate._contains_folded_python(text, needles) == expected
    if boilerplate._compiled is not None:  # test_fingerprint reports a missing build
        assert boilerplate._compiled.contains_any_folded(boilerplate._chars_lowering_below_u0100(), text, needles) == expected
        assert boilerplate._contains_folded_first_call(text, needles) == expected


@given(st.binary(max_size=200).map(lambda b: b.replace(b"\r", b"\n")), st.sampled_from(["utf-8", "cp1252", "latin_1"]), st.booleans())
@settings(max_examples=300)
def test_lf_lines_match_general_split(data, codec, ascii_only):
    if ascii_only:
        data = bytes(c & 0x7F for c in data).replace(b"\r", b"\n")
    assert reader._decode_lf_lines(data, codec, 0) == reader._decode_split_lines(data, codec, 0)


def test_lf_lines_long_line_and_bom():
    data = b"\xef\xbb\xbf" + b"ab " * 30000 + b"\nend\n\n"
    assert reader._decode_lf_lines(data, "utf-8", 3) == reader._decode_split_lines(data, "utf-8", 3)
    data = "é".encode("utf-8") * 40000 + b"\nx"
    assert reader._decode_lf_lines(data, "utf-8", 0) == reader._decode_split_lines(data, "utf-8", 0)


@given(st.text(alphabet=st.sampled_from(list("ab .\t\x0b\x1c")), max_size=30))
def test_ascii_line_pieces_match_general(raw):
    # "ascii" is not in the fast path's codec list, so it takes the general path; for ASCII text it
    # encodes exactly like UTF-8.
    line = SourceLine(1, raw, 100, 100 + len(raw))
    fast = segment._pieces_of_line(Document("d", 0, "", "utf-8", [line]), 0, False, boilerplate.split_line_edges)
    general = segment._pieces_of_line(Document("d", 0, "", "ascii", [line]), 0, False, boilerplate.split_line_edges)
    assert fast == general


def test_signatures_chunking():
    rng = np.random.default_rng(7)
    sizes = [1, 3, fingerprint._CHUNK_SHINGLES + 5, 2, fingerprint._CHUNK_SHINGLES, 40] * 3
    owner = np.repeat(np.arange(len(sizes)), sizes)
    shingles = rng.integers(0, 1 << 32, len(owner), dtype=np.uint64).astype(np.uint32)
    a, b = fingerprint.permutations(64, 1)
    mixed = fingerprint.fmix32(shingles)
    sigs = fingerprint._signatures(shingles, owner, 64, 1)
    for o in range(len(sizes)):
        expected = (mixed[owner == o, None] * a[None, :] + b[None, :]).min(axis=0)
        assert (sigs[o] == expected).all()


# Characters of ftfy's mojibake pattern, ASCII letters and spaces: random text made of them hits
# the pattern's alternatives (and its "^" anchor) often.
_MOJIBAKE_ALPHABET = "ÃÂâ€™œžŸ¢£ÐÎ×²³ØÙ–—´·»«¿©‘‚“„•‹®˝”›ßàñœŒ°ВГРСЂўΒΓ ´\xa0\xadab .,?!Zz\u2014\u00e9"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_MOJIBAKE_ALPHABET, max_size=40), st.text(alphabet="abc def ghi .,", min_size=0, max_size=120),
       st.text(alphabet=_MOJIBAKE_ALPHABET, max_size=40))
def test_looks_like_mojibake_is_ftfy_is_bad(head, middle, tail):
    from ftfy.badness import is_bad
    from corpus_dedupe.normalise import looks_like_mojibake
    for text in (head + middle + tail, middle + head + middle + tail + middle, head, head * 5):
        assert looks_like_mojibake(text) == is_bad(text), text


def test_looks_like_mojibake_sees_matches_that_need_ascii_context():
    """Alternatives of ftfy's pattern that start or end with ASCII ("a Ã ", "x Â ¡", "ГўВЂВ.a"),
    placed deep inside long ASCII text and at its very start (the pattern's "^" anchor)."""
    from ftfy.badness import is_bad
    from corpus_dedupe.normalise import looks_like_mojibake
    filler = "plain words of an ordinary sentence " * 4
    for piece in ("a Ã ", "ok Â ¡", "ГўВЂВ.a", "Ã y", "× ²", "xŒ.", "z \u00c0\u20ac"):
        for text in (filler + piece + filler, piece + filler, filler + piece, filler + piece[0] + filler + piece[1:] + filler):
            assert looks_like_mojibake(text) == is_bad(text), (piece, text)


_TYPOGRAPHY = st.sampled_from(["’", "‘", "“", "”", "—", "–", "…", "\u00a0", "é", "°", "×", "²", "Ã", "Â", "Œ", "œ", "\x9d", "€", "™", "©", "·", "»"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_TYPOGRAPHY, st.sampled_from(["the", "a", "x", "Z", " ", "  ", ".", ",", "?", "9", "é"])), min_size=20, max_size=200).map("".join))
def test_looks_like_mojibake_with_scattered_typography_is_ftfy_is_bad(text):
    """English-like text with curly quotes, dashes and accents one by one (the stretches that
    are skipped unsearched), and now and then two together or one that can be mojibake alone."""
    from ftfy.badness import is_bad
    from corpus_dedupe.normalise import looks_like_mojibake
    for variant in (text, "plain words of an ordinary sentence " * 3 + text):
        assert looks_like_mojibake(variant) == is_bad(variant), variant


def test_lone_mojibake_characters_come_from_the_pattern():
    """The characters that can be a match's only non-ASCII one are read off ftfy's pattern (here:
    the C1 controls, "Â", "Ã", "Œ", "œ"); a pattern with an alternative that needs no non-ASCII
    character, or of another shape, switches the shortcut off."""
    from ftfy.badness import BADNESS_RE
    from corpus_dedupe.normalise import _LONE_MOJIBAKE, _lone_mojibake_characters
    assert _LONE_MOJIBAKE is not None and {"Â", "Ã", "Œ", "œ", "\x9d"} <= _LONE_MOJIBAKE and "’" not in _LONE_MOJIBAKE
    assert _lone_mojibake_characters(BADNESS_RE) == _LONE_MOJIBAKE
    assert _lone_mojibake_characters(re.compile("é[a-z]|[a-z]{2}ü|x[üé]")) == frozenset("éü")
    assert _lone_mojibake_characters(re.compile("é|ab")) is None
    assert _lone_mojibake_characters(re.compile("é")) is None


# Sparse damage in long text, the shape fix_text_near_non_ascii shortcuts: mostly ASCII words, a
# few correct non-ASCII words and a few of them garbled (UTF-8 read as Latin-1 or Windows-1252).
_PLAIN_WORDS = st.sampled_from("the a speech of and Congress nation people we will said. , to in x.".split() + ["", "  "])
_ODD_WORDS = ["café", "“street”", "—", "naïve", "’s", "Ωmega", "ﬁne", "Zürich", "…", "\u00a0", "日本", "–", "é", "\x9d", "Ã", "Ã\u00a0"]


def _garble(word: str, codec: str) -> str:
    try:
        return word.encode("utf-8").decode(codec)
    except UnicodeDecodeError:
        return word.encode("utf-8").decode("latin-1")


def _insert(words: list[str], inserts: list[tuple[int, str]]) -> str:
    words = list(words)
    for position, word in inserts:
        words.insert(position % (len(words) + 1), word)
    return " ".join(words)


_odd = st.one_of(st.sampled_from(_ODD_WORDS), st.builds(_garble, st.sampled_from(_ODD_WORDS), st.sampled_from(["latin-1", "cp1252"])))
sparse_damage = st.builds(_insert, st.lists(_PLAIN_WORDS, min_size=30, max_size=160), st.lists(st.tuples(st.integers(0, 400), _odd), max_size=6))


@given(st.one_of(sparse_damage, texts))
@settings(max_examples=400, deadline=None)
def test_fix_text_near_non_ascii_equals_ftfy(text):
    assert normalise.fix_text_near_non_ascii(text) == ftfy.fix_text(text, normalise._FTFY_CONFIG)


def test_fix_text_near_non_ascii_sees_evidence_in_every_window():
    # "Ã " alone is left alone; with "cafÃ©" in the same paragraph, ftfy repairs it too. The two
    # are 60 characters apart (separate windows), and the result is still ftfy's.
    text = "café Ã the " + "the " * 12 + "cafÃ© " + "the " * 40
    fixed = normalise.fix_text_near_non_ascii(text)
    assert fixed == ftfy.fix_text(text, normalise._FTFY_CONFIG)
    assert fixed.startswith("café à the") and "café the" in fixed
    assert ftfy.fix_text("café Ã the " + "the " * 40, normalise._FTFY_CONFIG).startswith("café Ã the")


def _match_key_general(text: str) -> str:
    """match_key as defined, without the ASCII shortcut: digit groups joined, quotes and dashes
    folded, NFKC, case-folded, runs of non-word characters one space."""
    import unicodedata

    text = re.sub(r"(?<=\d)[.,](?=\d)", "", text)
    folded = unicodedata.normalize("NFKC", text.translate(normalise._KEY_FOLD)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", folded).split())


_FOLDED = "".join(chr(code) for code in normalise._KEY_FOLD)


@given(st.one_of(ascii_texts, texts, _WORDY, st.text(alphabet="0123456789.,aZ _-\t", max_size=40),
                 st.text(alphabet=_FOLDED + "aB1 .,é\u00a0ﬁ²", max_size=40)))
@settings(max_examples=500)
def test_match_key_matches_general(text):
    assert normalise.match_key(text) == _match_key_general(text)


_KEY_TEXTS = st.one_of(ascii_texts, texts, _WORDY, st.text(alphabet="0123456789.,aZ _-\t\n", max_size=40),
                      st.text(alphabet=_FOLDED + "aB1 .,é\u00a0ﬁ²\n", max_size=40))


@given(st.lists(_KEY_TEXTS, max_size=12))
@settings(max_examples=500)
def test_match_keys_of_a_batch_are_each_texts_match_key(batch):
    """Folding a document's texts together gives each text its own key: digit groups, spaces and
    ends never reach across from one text to the next (texts ending or starting in digits, dots,
    commas or spaces, empty texts and texts with line feeds included)."""
    assert normalise.match_keys(batch) == [normalise.match_key(text) for text in batch]


@given(st.lists(_KEY_TEXTS, max_size=12), st.booleans())
@settings(max_examples=300)
def test_match_keys_as_utf8_are_the_encoded_match_keys(batch, compiled):
    """The keys pass 1 hands to the fingerprints, cut from the folded batch as bytes, are each
    text's match key encoded, with the compiled space squeezing and without it."""
    saved = normalise._compiled
    if not compiled:
        normalise._compiled = None
    try:
        assert normalise.match_keys_utf8(batch) == [normalise.match_key(text).encode("utf-8") for text in batch]
    finally:
        normalise._compiled = saved


def test_match_keys_at_the_edges_between_texts():
    batch = ["5.", ".3", "1,", "2", "", "  ", " a ", "x\ny", "4.5"]
    assert normalise.match_keys(batch) == ["5", "3", "1", "2", "", "", "a", "x y", "45"]


def _copy_groups_by_definition(doc_of: np.ndarray, key_hash: np.ndarray, n_docs: int) -> list[int]:
    """copy_groups_from_hashes by its definition, in plain Python: two documents are copies when
    the keys they share (among keys held by 2 to COPY_INDEX_LIMIT documents) number at least
    COPY_SHARE of the smaller one's distinct keys; groups are the connected components, named by
    their smallest document."""
    keys_of = [set() for _ in range(n_docs)]
    for d, h in zip(doc_of.tolist(), key_hash.tolist()):
        keys_of[d].add(h)
    holders: dict[int, set[int]] = {}
    for d, keys in enumerate(keys_of):
        for h in keys:
            holders.setdefault(h, set()).add(d)
    usable = {h for h, docs in holders.items() if 2 <= len(docs) <= boilerplate.COPY_INDEX_LIMIT}
    group = list(range(n_docs))
    for a in range(n_docs):
        for b in range(a + 1, n_docs):
            shared = len(keys_of[a] & keys_of[b] & usable)
            if shared and shared >= boilerplate.COPY_SHARE * min(len(keys_of[a]), len(keys_of[b])):
                old, new = max(group[a], group[b]), min(group[a], group[b])
                group = [new if g == old else g for g in group]
    return group


@given(st.integers(1, 12).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 6)), max_size=60))))
@settings(max_examples=400)
def test_copy_groups_without_a_loop_match_the_definition(case):
    n_docs, pairs = case
    doc_of = np.array([d for d, _ in pairs], dtype=np.int64)
    key_hash = np.array([h for _, h in pairs], dtype=np.uint64)
    assert boilerplate.copy_groups_from_hashes(doc_of, key_hash, n_docs).tolist() == _copy_groups_by_definition(doc_of, key_hash, n_docs)


def test_copy_groups_with_crowded_keys_match_the_definition():
    # 300 documents, copies of 100 articles (three each, sharing 6 to 8 of their content keys),
    # each also holding two keys of a small crowded set (some held by more than COPY_INDEX_LIMIT
    # documents, which are not used).
    rng = np.random.default_rng(5)
    doc_of, key_hash = [], []
    for d in range(300):
        article = d // 3
        for k in rng.choice(8, size=int(rng.integers(6, 9)), replace=False):
            doc_of.append(d)
            key_hash.append(1000 + article * 10 + int(k))
        for k in rng.integers(0, 3, 2):
            doc_of.append(d)
            key_hash.append(int(k))
    doc_of_a, key_hash_a = np.array(doc_of), np.array(key_hash, dtype=np.uint64)
    groups = boilerplate.copy_groups_from_hashes(doc_of_a, key_hash_a, 300)
    assert groups.tolist() == _copy_groups_by_definition(doc_of_a, key_hash_a, 300)
    assert len(set(groups.tolist())) == 100


@given(st.integers(1, 40), st.sampled_from([16, 64, 128, 24]), st.integers(0, 2**32 - 1))
@settings(max_examples=200)
def test_estimated_jaccard_by_words_matches_byte_comparison(rows, num_perm, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (rows, num_perm), dtype=np.uint8)
    b = np.where(rng.random((rows, num_perm)) < rng.random((rows, 1)), a, rng.integers(0, 256, (rows, num_perm), dtype=np.uint8)).astype(np.uint8)
    b[:, : num_perm // 3] = np.where(b[:, : num_perm // 3] == 0, 128, b[:, : num_perm // 3])  # bytes with the top bit or zero
    agree = (a == b).mean(axis=1)
    expected = np.clip((agree - 1 / 256) / (1 - 1 / 256), 0.0, 1.0)
    assert np.array_equal(fingerprint.estimated_jaccard(a, b), expected)


@given(st.binary(max_size=60) | st.text(alphabet="0123456789.,a \n", max_size=60).map(str.encode))
@settings(max_examples=500)
def test_digit_groups_joined_by_shape_match_the_regex(data):
    assert normalise._join_digit_groups(data) == re.sub(rb"(?<=\d)[.,](?=\d)", b"", data)


@given(st.one_of(texts, st.text(alphabet=" \t\u3000\u00a0-*•·▪–—()aZ.z1٣۵x", max_size=12)))
@settings(max_examples=500)
def test_list_item_precheck_agrees_with_the_pattern(text):
    from corpus_dedupe import segment

    assert segment.is_list_item(text) == bool(segment._LIST_ITEM.match(text))


@given(st.one_of(texts, st.sampled_from(["Share", "Facebook", "X", "Email:", "Share on WhatsApp (opens in new window)", "twitter.",
                                        "Tweet this", "\u212aoo", "ſhare", "Follow us", "WhatsApp)", "print:", "pocket !"])))
@settings(max_examples=400)
def test_lone_button_precheck_agrees_with_the_pattern(text):
    stripped = text.strip()
    assert boilerplate._is_lone_button(stripped) == bool(boilerplate._LONE_BUTTON.fullmatch(stripped))


@given(st.lists(st.lists(st.text(alphabet=st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=12), max_size=6), min_size=1, max_size=4),
       st.data())
@settings(max_examples=200, deadline=None)
def test_keys_fetched_together_are_the_keys_fetched_one_by_one(batches, data):
    """Verification tasks fetch a few thousand keys with one gather and one decode
    (``KeyStore.many``); that must give each key exactly as reading it alone does, in any order,
    repeated or not, empty or not ASCII, from any of the batches the store was filled with."""
    from corpus_dedupe.cluster import KeyStore

    store = KeyStore()
    for batch in batches:
        store.extend(batch)
    n = len(store)
    if n == 0:
        assert store.many(np.zeros(0, dtype=np.int64)) == []
        return
    indexes = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=20))
    assert store.many(np.array(indexes, dtype=np.int64)) == [store[i] for i in indexes]


@given(st.one_of(st.text(alphabet="ab9 \n", max_size=40), st.text(alphabet="aZ09.,- \t\n", max_size=40), ascii_texts), st.booleans())
@settings(max_examples=500, deadline=None)
def test_compiled_ascii_keys_are_the_three_steps_in_python(text, keep_line_feeds):
    """The compiled loop that makes the match keys of ASCII text (a batch, one text a line, or
    one text) must give exactly what the Python steps give: digit groups joined, the table, then
    ``" ".join(line.split())`` for each line (runs, leading and trailing spaces, empty lines, a
    batch ending in a line feed, separators at the ends of lines)."""
    from corpus_dedupe.compiled import speedups

    if speedups is None:
        return  # test_fingerprint reports a missing build
    table = normalise._ASCII_KEYS_TABLE if keep_line_feeds else normalise._ASCII_KEY_TABLE
    data = text.encode("ascii")
    mapped = normalise._join_digit_groups(data).translate(table).decode("ascii")
    expected = "\n".join(" ".join(line.split()) for line in mapped.split("\n"))
    assert speedups.ascii_keys(data, table).decode("ascii") == expected


_short_key = st.text(alphabet="abé zł", max_size=40)  # ł: a string of a wider kind than its anchor may be


def _related(p: str, extra: str, how: int) -> str:
    """A right-hand key made from ``p``: unrelated, p with text after, before, or in its middle,
    or only p's start (end) followed (preceded) by other text: a truncated copy with an edit."""
    return [extra, p + extra, extra + p, p[:20] + extra + p[-20:], p[:20] + extra * 3, extra * 3 + p[-20:]][how]


@given(st.lists(st.builds(lambda p, extra, how, f, s: (p, _related(p, extra, how), f, s),
                          _short_key, _short_key, st.integers(0, 5), st.integers(0, 3), st.sampled_from([0.0, 0.0, 0.85, 1.0])),
                max_size=30))
@settings(max_examples=300, deadline=None)
def test_compiled_pair_kinds_equal_the_python_loop(pairs):
    """The first look at each candidate pair in verification (substring, near score, whether
    the truncated-copy alignments apply) is compiled; it must agree with the Python loop on any
    keys: shorter or longer than the 16-character anchors, equal, empty, not ASCII."""
    from corpus_dedupe import cluster

    if cluster._compiled is None:
        return  # test_fingerprint reports a missing build
    left = [p for p, _q, _f, _s in pairs]
    right = [q for _p, q, _f, _s in pairs]
    flags = np.array([f for _p, _q, f, _s in pairs], dtype=np.int8)
    near = np.array([s for _p, _q, _f, s in pairs], dtype=np.float64)
    assert cluster._pair_kinds(left, right, flags, near, 0.0).tolist() == cluster._pair_kinds_python(left, right, flags, near).tolist()  # 0.0: no alignment ruled out


@given(st.lists(st.integers(0, 2**64 - 1) | st.sampled_from([0, 1, 2**63, 2**64 - 1, 255, 256]), max_size=300))
@settings(max_examples=300, deadline=None)
def test_compiled_stable_argsort_is_numpys(values):
    """Bucket columns are sorted by a compiled radix sort; equal keys must keep their order, as
    in ``np.argsort(kind="stable")``, which the bucket members' corpus order relies on."""
    from corpus_dedupe import cluster

    keys = np.array(values, dtype=np.uint64)
    assert cluster._stable_argsort(keys).tolist() == np.argsort(keys, kind="stable").tolist()


_SCORES = st.one_of(st.sampled_from([0.0, -0.0, 0.25, 0.5, 1.0, 1.5, 5e-324]), st.floats(0, 3, allow_nan=False))


@given(st.dictionaries(st.tuples(st.integers(0, 40), st.integers(0, 2**31 - 1)), _SCORES, max_size=300))
@settings(max_examples=300, deadline=None)
def test_most_similar_first_is_the_three_key_lexsort(score_of_pair):
    """Candidate pairs come sorted by (i, j); the order that puts each row's most similar first
    (ties by j) must be numpy's lexsort on (i, -score, j), ties of 0.0 and -0.0 included."""
    from corpus_dedupe import cluster

    pairs = sorted(score_of_pair)
    i = np.array([p[0] for p in pairs], dtype=np.int64)
    j = np.array([p[1] for p in pairs], dtype=np.int64)
    score = np.array([score_of_pair[p] for p in pairs], dtype=np.float64)
    assert cluster._most_similar_first(i, score).tolist() == np.lexsort((j, -score, i)).tolist()


@given(st.lists(st.integers(0, 2**63 - 1) | st.integers(0, 300), max_size=300))
@settings(max_examples=200, deadline=None)
def test_sorted_pair_codes_are_numpy_sorted(values):
    from corpus_dedupe import cluster

    codes = np.array(values, dtype=np.int64)
    assert cluster._sorted_codes(codes).tolist() == sorted(values)


_TRAIT_CHARS = st.sampled_from(list("aZ_9 &\t\n\x00\x08\x0b\x1f\x7f\x80\x9d\x9f\xa0é’—²٣日\ufffd\ufb00\ufb01\ufb06\ufb07\udc80\udcff\ud800\udc7f") + ["\U0001d400", "Σ"])


@given(st.lists(_TRAIT_CHARS, max_size=30).map("".join), st.integers(0, 7))
@settings(max_examples=400)
def test_compiled_text_traits_are_the_three_patterns(text, wanted):
    """One compiled scan tells what three character-class searches would: a lone surrogate from
    an undecodable byte, a character that makes ftfy worth calling, a letter or digit outside ASCII."""
    expected = normalise._text_traits_python(text, wanted)
    assert expected == (wanted & 1 and bool(normalise._LONE_SURROGATE.search(text))) | (
        wanted & 2 and 2 * bool(normalise._FTFY_TRIGGER.search(text))) | (wanted & 4 and 4 * bool(re.search(r"[^\W\x00-\x7f]", text)))
    if normalise._compiled is not None:  # test_fingerprint reports a missing build
        assert normalise._compiled.text_traits(text, wanted) == expected


def test_compiled_text_traits_of_each_character():
    if normalise._compiled is None:
        return  # test_fingerprint reports a missing build
    for code in [*range(0x3000), *range(0xD700, 0xE000), *range(0xFAF0, 0xFB10), *range(0xFFF0, 0x10000), 0x1D400, 0x10FFFF]:
        c = chr(code)
        for text in (c, f"ab{c}", f"{c}é"):
            assert normalise._compiled.text_traits(text, 7) == normalise._text_traits_python(text, 7), hex(code)


@given(st.lists(st.one_of(_TYPOGRAPHY, st.sampled_from(["a", " ", "xyz", ".", "日本", "ÃÂ", "\x9d"])), max_size=60).map("".join),
       st.integers(0, 12), st.booleans())
@settings(max_examples=400)
def test_compiled_mojibake_windows_are_the_python_loops(text, reach, with_lone):
    """The stretches looks_like_mojibake searches, found by the compiled loop: the same counts
    and stretches as the Python loop over the runs, with the real lone characters or none."""
    lone = normalise._LONE_MOJIBAKE if with_lone else None
    expected = normalise._mojibake_windows_python(text, reach, lone)
    if normalise._compiled is not None:  # test_fingerprint reports a missing build
        lone_text = None if lone is None else "".join(sorted(lone))
        assert normalise._compiled.mojibake_windows(text, reach, lone_text) == expected


def _run_keep_first(loop, n, active, is_exact, first_of, starts, ends, cand_j, known, hidden_code, hidden_sim):
    """Drive a keep-first loop to the end, filling a verdict from the hidden ones whenever the loop
    stops for it (as decide does); the outputs and the candidates it stopped at."""
    from corpus_dedupe import cluster

    code = np.zeros(n, dtype=np.int8)
    duplicate_of = np.full(n, -1, dtype=np.int32)
    sims = np.full(n, np.nan, dtype=np.float64)
    variant_of = np.full(n, -1, dtype=np.int32)
    variant_pair = np.full(n, -1, dtype=np.int64)
    kept = bytearray(b"\x01") * n
    verdict_code = np.where(known, hidden_code, -1).astype(np.int8)
    verdict_sim = np.where(known, hidden_sim, 0.0)
    stops = []
    r = 0
    while True:
        r, k = loop(active, is_exact, first_of, starts, ends, cand_j, kept, verdict_code, verdict_sim, cluster._MAX_VERIFY, r,
                    code, duplicate_of, sims, variant_of, variant_pair)
        if k < 0:
            break
        assert verdict_code[k] == -1 and k not in stops
        stops.append((r, k))
        verdict_code[k], verdict_sim[k] = hidden_code[k], hidden_sim[k]
    return code.tolist(), duplicate_of.tolist(), np.nan_to_num(sims, nan=-1.0).tolist(), variant_of.tolist(), variant_pair.tolist(), bytes(kept), stops


@given(st.data())
@settings(max_examples=300, deadline=None)
def test_compiled_keep_first_equals_the_python_loop(data):
    """The keep-first loop of the duplicate decisions is compiled; on any candidate lists (up to
    a dozen per row, verdicts known or not, tied similarities, exact copies of removed
    paragraphs) it must decide as the Python loop does and stop for the same verdicts."""
    from corpus_dedupe import cluster

    if cluster._compiled is None:
        return  # test_fingerprint reports a missing build
    n = data.draw(st.integers(1, 25))
    active = sorted(data.draw(st.sets(st.integers(0, n - 1))))
    is_exact, first_of, cand_i, cand_j = [], [], [], []
    for i in active:
        copy = i > 0 and data.draw(st.booleans())
        is_exact.append(copy)
        first_of.append(data.draw(st.integers(0, i - 1)) if copy else i)
        if not copy:
            for j in data.draw(st.lists(st.integers(0, n - 1).filter(lambda j: j != i), max_size=12)):
                cand_i.append(i)
                cand_j.append(j)
    m = len(cand_i)
    hidden_code = np.array(data.draw(st.lists(st.sampled_from([0, 0, 1, 2, 3, 1 | 8, 2 | 8, 3 | 8]), min_size=m, max_size=m)), dtype=np.int8)
    hidden_sim = np.array(data.draw(st.lists(st.sampled_from([0.9, 0.95, 0.95, 1.0]), min_size=m, max_size=m)), dtype=np.float64)
    known = np.array(data.draw(st.lists(st.booleans(), min_size=m, max_size=m)), dtype=bool)
    rows = np.array(active, dtype=np.int64)
    cand_i_a = np.array(cand_i, dtype=np.int64)
    arrays = (rows, np.array(is_exact, dtype=np.uint8), np.array(first_of, dtype=np.int64),
              np.searchsorted(cand_i_a, rows, side="left"), np.searchsorted(cand_i_a, rows, side="right"),
              np.array(cand_j, dtype=np.int32), known, hidden_code, hidden_sim)
    assert _run_keep_first(cluster._compiled.keep_first, n, *arrays) == _run_keep_first(cluster._keep_first_python, n, *arrays)


def _differing_numbers_by_regex(p: str, q: str, code: int):
    """cluster._differing_numbers as written before its digit shortcut."""
    from collections import Counter

    from corpus_dedupe import cluster

    found_i, found_j = cluster._DIGITS.findall(p), cluster._DIGITS.findall(q)
    if found_i == found_j or (not found_i and code != cluster.NEAR):
        return None
    numbers_i, numbers_j = Counter(found_i), Counter(found_j)
    if numbers_i == numbers_j if code == cluster.NEAR else not (numbers_i - numbers_j):
        return None
    return sorted(((numbers_i - numbers_j) + (numbers_j - numbers_i)).elements())


_NUMBERY = st.lists(st.sampled_from(["a", "killed", " ", "1", "3", "13", "31", "٣", "۱", "x9", "é"]), max_size=12).map("".join)


@given(_NUMBERY, _NUMBERY, st.sampled_from([1, 2, 3]))
@settings(max_examples=500, deadline=None)
def test_differing_numbers_shortcut_agrees_with_the_regex(p, q, code):
    """Pairs found alike skip the number regex when a key has no digit; keys with ASCII digits,
    with other digits ("٣" is one for the regex), or none must get the same verdict."""
    from corpus_dedupe import cluster

    assert cluster._differing_numbers(p, q, code) == _differing_numbers_by_regex(p, q, code)


def _edited(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with each (kind, position, character) edit applied: 0 replaces, 1 inserts, 2 deletes."""
    chars = list(text)
    for kind, pos, ch in edits:
        if not chars:
            break
        pos %= len(chars)
        if kind == 0:
            chars[pos] = ch
        elif kind == 1:
            chars.insert(pos, ch)
        else:
            del chars[pos]
    return "".join(chars)


_ALIGN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789 éłЖ"  # many pairs, few by chance; ł, Ж: strings of wider kinds


def _alignment_kinds(p: str, piece: str, extra: str, at_end: bool, threshold: float) -> tuple[int, int, int]:
    """The compiled and the Python first look at p against a key holding ``piece`` (as long as p)
    at its start (at its end) and ``extra`` beside it, checked against each other; returns
    (compiled, python, alignments left out)."""
    from rapidfuzz import fuzz

    from corpus_dedupe import cluster

    q = piece + extra if not at_end else extra + piece
    flags, near = np.array([cluster._CONTAIN_OK], dtype=np.int8), np.zeros(1)
    compiled = int(cluster._pair_kinds([p], [q], flags, near, threshold)[0])
    python = int(cluster._pair_kinds_python([p], [q], flags, near)[0])
    assert compiled & ~python == 0
    assert compiled & ~(cluster._KIND_HEAD | cluster._KIND_TAIL) == python & ~(cluster._KIND_HEAD | cluster._KIND_TAIL)
    left_out = 0
    for bit, part in ((cluster._KIND_HEAD, q[: len(p)]), (cluster._KIND_TAIL, q[-len(p) :])):
        if python & bit and not compiled & bit:
            assert fuzz.ratio(p, part, score_cutoff=threshold * 100) == 0, (p, part, threshold)
            left_out += 1
    return compiled, python, left_out


@given(st.text(alphabet=_ALIGN_CHARS, min_size=2, max_size=300), st.lists(st.tuples(st.sampled_from([0, 1, 1, 2, 2]), st.integers(0, 10**6), st.sampled_from(_ALIGN_CHARS)), max_size=80),
       st.text(alphabet=_ALIGN_CHARS, min_size=1, max_size=30), st.booleans(), st.sampled_from([0.0, 0.8, 0.9, 0.95, 0.99]))
@settings(max_examples=1000, deadline=None)
def test_compiled_alignment_filter_never_drops_a_passing_alignment(p, edits, extra, at_end, threshold):
    """The compiled first look leaves out truncated-copy alignments that its character-pair bound
    says cannot pass; every one it leaves out must score below the threshold (the verdicts would
    otherwise change), and it must agree with the Python loop on everything else."""
    from corpus_dedupe import cluster

    if cluster._compiled is None:
        return  # test_fingerprint reports a missing build
    piece = _edited(p, edits)
    piece = (piece + p)[: len(p)] if not at_end else (p + piece)[-len(p) :]
    _alignment_kinds(p, piece, extra, at_end, threshold)


def test_compiled_alignment_filter_at_its_bound():
    """Copies made with paired deletions and insertions (each unmatched character spoils three
    character pairs, the worst case of the bound) near the threshold: the alignments that pass
    are all kept, and most of those that fail are left out (the bound does its job)."""
    import random

    from rapidfuzz import fuzz

    from corpus_dedupe import cluster

    if cluster._compiled is None:
        return  # test_fingerprint reports a missing build
    rng = random.Random(7)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 "
    passing = failing = left_out = 0
    for _ in range(4000):
        n = rng.randint(20, 300)
        p = "".join(rng.choice(alphabet) for _ in range(n))
        threshold = rng.choice([0.8, 0.9, 0.95])
        chars = list(p)
        for _ in range(rng.randint(1, int(n * (1 - threshold) * 1.5) + 2)):
            del chars[rng.randrange(len(chars))]
            chars.insert(rng.randrange(len(chars) + 1), rng.choice(alphabet))
        piece = "".join(chars)
        if piece[:16] != p[:16] and piece[-16:] != p[-16:]:
            piece = p[:16] + piece[16:]  # the anchor holds: the alignment is looked at
        at_end = piece[-16:] == p[-16:] and rng.random() < 0.5
        _compiled, _python, dropped = _alignment_kinds(p, piece, "~", at_end, threshold)
        if fuzz.ratio(p, piece, score_cutoff=threshold * 100):
            passing += 1
        else:
            failing += 1
            left_out += dropped
    assert passing > 500 and failing > 500
    assert left_out > 100


@given(st.lists(texts | st.sampled_from(["Iâ€™ve", "the Islamic â€œstreetâ€\x9d", "caf\u00c3\u00a9 &amp; bar"]), min_size=1, max_size=8))
@settings(max_examples=200, deadline=None)
def test_cached_ftfy_repairs_as_ftfy_does(pieces):
    """Short stretches go through a cache of ftfy's results: asked again (the same stretch in
    another copy of a story), or longer than what is cached, the repair must be ftfy's."""
    for text in pieces + pieces + [" ".join(pieces) * 300]:
        assert normalise._ftfy_fix(text) == ftfy.fix_text(text, normalise._FTFY_CONFIG)
