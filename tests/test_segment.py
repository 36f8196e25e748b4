"""Segmentation: paragraph boundaries, hard-wrap joining, and the byte map."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from corpus_dedupe.accounting import byte_coverage_problems
from corpus_dedupe.boilerplate import split_line_edges
from corpus_dedupe.reader import InputError, decode_lines, detect_encoding
from corpus_dedupe.model import Document
from corpus_dedupe.segment import segment


def doc_of(text: str | bytes) -> tuple[Document, bytes]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    codec, bom, notes = detect_encoding(data)
    return Document("a.txt", len(data), "", codec, decode_lines(data, codec, bom), notes), data


def texts(text: str) -> list[str]:
    doc, _ = doc_of(text)
    return [p.text for p in segment(doc)]


def test_blank_line_blocks_and_single_lines_both_work():
    assert texts("One para.\n\nTwo para.\n") == ["One para.", "Two para."]
    assert texts("One para.\nTwo para.\n") == ["One para.", "Two para."]


def test_mid_sentence_wrap_is_joined_second_example():
    src = "The council voted on Tuesday to extend the night bus service to the\nsuburbs of the city.\nA new line opens.\n"
    assert texts(src) == ["The council voted on Tuesday to extend the night bus service to the suburbs of the city.", "A new line opens."]


def test_list_items_and_headings_are_never_joined():
    src = "Key facts\n- The dam burst after three days of rain and\n- The river rose two metres overnight\nWhat happens next\nEngineers will inspect the walls.\n"
    assert texts(src) == [
        "Key facts",
        "- The dam burst after three days of rain and",
        "- The river rose two metres overnight",
        "What happens next",
        "Engineers will inspect the walls.",
    ]


def test_fixed_width_block_is_one_paragraph_even_where_a_break_follows_a_full_stop():
    src = (
        "It was the best of times, it was the worst of times, it was the age\n"
        "of wisdom, it was the age of foolishness. It was the epoch of belief,\n"
        "it was the epoch of incredulity, it was the season of Light, it was\n"
        "the season of Darkness.\n\nNext paragraph here.\n"
    )
    out = texts(src)
    assert len(out) == 2 and out[0].startswith("It was the best") and out[0].endswith("season of Darkness.")


def test_truncated_line_followed_by_new_paragraph_is_not_joined():
    src = "Rescuers reached the village after a long night, reported the local\nThe roads were closed for two more days because of the floods.\n"
    assert len(texts(src)) == 2


def test_line_and_byte_ranges():
    doc, data = doc_of("First line.\r\n\r\nThe storm hit the coast late on Sunday and\r\nknocked out power.\r\n")
    paras = segment(doc)
    assert [(p.first_line, p.last_line) for p in paras] == [(1, 1), (3, 4)]
    assert data[paras[1].byte_start : paras[1].byte_end] == b"The storm hit the coast late on Sunday and\r\nknocked out power."


def test_leading_metadata_token_is_its_own_piece():
    doc, data = doc_of(" date 2026-02-02 India rejected the claims.\n")
    paras = segment(doc, split_line_edges)
    assert [(p.text, p.reason) for p in paras] == [("date 2026-02-02", "metadata"), ("India rejected the claims.", None)]
    assert data[paras[1].byte_start : paras[1].byte_end] == b"India rejected the claims."


_lines = st.lists(
    st.one_of(
        st.just(""),
        st.just("   "),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=60),
        st.sampled_from(["- item", "Heading Here", "a sentence ending mid", "continued here.", " date 2026-01-01 Text.", "Caption. X"]),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(_lines, st.sampled_from(["\n", "\r\n", "\r"]), st.sampled_from(["utf-8", "utf-16", "cp1252"]))
def test_every_byte_is_in_one_paragraph_or_is_whitespace(lines, newline, encoding):
    text = newline.join(lines)
    try:
        data = text.encode(encoding)
        codec, bom, notes = detect_encoding(data)
        doc = Document("a.txt", len(data), "", codec, decode_lines(data, codec, bom), notes)
    except (UnicodeEncodeError, InputError):
        return
    paras = segment(doc, split_line_edges)
    assert byte_coverage_problems(data, codec, [(p.byte_start, p.byte_end) for p in paras]) == []
    assert [p.index for p in paras] == list(range(len(paras)))


def test_a_break_moved_into_the_first_words_joins_the_line_to_its_sentence():
    from corpus_dedupe.segment import ends_mid_sentence
    assert ends_mid_sentence("It is possible", "to open NC:BookmarksRoot group bookmark, as described in the manual.")
    assert ends_mid_sentence("That's", "not the right thing to do, and the committee knows it.")
    # A heading over a paragraph that happens to start in lower case, or a title-cased heading, stays apart.
    assert not ends_mid_sentence("Many Already Serving", "corresponding estimates for the past three months depict the economy")
    assert not ends_mid_sentence("Introduction", "The report was written over three years.")


def test_an_upper_cased_wrapped_paragraph_is_one_paragraph_but_its_heading_is_not():
    from corpus_dedupe.segment import ends_mid_sentence
    assert ends_mid_sentence("BE ACHIEVED UNLESS OUR WORKINGMEN AND WOMEN AND THEIR UNIONS HELP TO",
                             "INCREASE PRODUCTIVITY AND OBTAIN FOR LABOR A FAIR SHARE OF THE")
    assert not ends_mid_sentence("BENEFITS OF OUR ECONOMIC SYSTEM AND THE WAGES OF ITS WORKERS", "LABOR AND MANAGEMENT")
    assert not ends_mid_sentence("Raised In Unrivalled Prosperity, We Inherit An Economy That Is Strong", "LABOR AND MANAGEMENT")
