"""Duplicate detection end to end on a corpus written here: an article that is not the seeds',
repeated across outlets re-wrapped, truncated, edited, with mojibake, in cp1252 and UTF-16."""

from __future__ import annotations

import textwrap

import pytest

from corpus_dedupe.cluster import CONT, EXACT, KEEP, NEAR, decide_texts
from corpus_dedupe.normalise import match_key
from corpus_dedupe.settings import Settings

from conftest import manifest, provenance, run_cli, write_files

ARTICLE = [
    "Heavy rain caused the Elbe to burst its banks on Thursday night, flooding the old town of Meissen for the first time since 2013.",
    "About 1,200 residents were moved to emergency shelters in school gyms, the district office said, and the main bridge was closed to traffic.",
    "Firefighters from three neighbouring counties worked through the night to fill sandbags and pump water out of basements near the cathedral.",
    "The mayor said the damage would run into millions of euros and asked the state government for emergency funds before the weekend.",
    "Forecasters expect the river to peak on Saturday afternoon at about seven metres, two metres above its normal level.",
    "Residents who stayed behind described water rising up the stairs within minutes, carrying cars and rubbish bins down the narrow lanes.",
]


def wrapped(paragraph: str) -> str:
    return "\n".join(textwrap.wrap(paragraph, 62))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("flood")
    src = root / "src"
    outlet_b = [
        wrapped(ARTICLE[0]),  # re-wrapped
        ARTICLE[1].replace("school gyms", "sports halls"),  # word edit
        " ".join(ARTICLE[2].split()[:14]),  # truncated mid-sentence
        ARTICLE[3].upper(),  # case change
        "Local traders in the Café Élise arcade said they had not yet been able to reach their shops to assess the losses.",  # new
    ]
    import ftfy.bad_codecs  # noqa: F401  (registers "sloppy-windows-1252", how browsers mis-decode)

    mojibake = ARTICLE[5].replace("described", "“described”").encode("utf-8").decode("sloppy-windows-1252")
    outlet_c = [
        "Flood update from our correspondent in Saxony, where the situation remains tense tonight.",
        mojibake,
        ARTICLE[4].replace("at about seven", "at roughly seven"),
    ]
    variant = ARTICLE[1].replace("1,200", "1,500")
    write_files(
        src,
        {
            "a/original.txt": "\n\n".join(ARTICLE) + "\n",
            "b/outlet.txt": ("\r\n\r\n".join(outlet_b) + "\r\n").encode("cp1252"),
            "c/outlet.txt": ("\n".join(outlet_c) + "\n").encode("utf-16"),  # with a BOM
            "d/variant.txt": variant + "\n",
        },
    )
    dst = root / "dst"
    result = run_cli(src, dst, "--jobs", "1")
    assert result.exit_code == 0, result.output
    return src, dst


def by_file(dst):
    out: dict[str, list[dict]] = {}
    for rec in provenance(dst):
        out.setdefault(rec["source"], []).append(rec)
    return out


def test_every_kind_of_copy_is_found_and_points_at_the_original(corpus):
    src, dst = corpus
    recs = by_file(dst)
    b = recs["b/outlet.txt"]
    assert [r.get("reason") for r in b] == ["exact_duplicate", "near_duplicate", "contained", "exact_duplicate", None]
    assert b[0]["lines"] == [1, 3]  # the re-wrapped paragraph is one paragraph again
    for rec, original in zip(b[:4], range(4)):
        assert rec["duplicate_of"] == {"source": "a/original.txt", "paragraph": original, "line": 1 + 2 * original}
    c = recs["c/outlet.txt"]
    assert [r.get("reason") for r in c] == [None, "exact_duplicate", "near_duplicate"]  # mojibake repaired first
    assert c[1]["duplicate_of"]["paragraph"] == 5


def test_original_kept_whole_and_new_content_kept(corpus):
    src, dst = corpus
    assert all(r["decision"] == "keep" for r in by_file(dst)["a/original.txt"])
    assert (dst / "a" / "original.txt").read_text(encoding="utf-8") == "\n\n".join(ARTICLE) + "\n"
    assert "Local traders in the Café Élise arcade said" in (dst / "b" / "outlet.txt").read_text(encoding="utf-8")


def test_encodings_recorded_and_output_is_utf8_with_repaired_text(corpus):
    src, dst = corpus
    files = {f["path"]: f for f in manifest(dst)["files"]}
    assert files["b/outlet.txt"]["encoding"] == "cp1252"
    assert files["c/outlet.txt"]["encoding"].startswith("utf-16")
    out_c = (dst / "c" / "outlet.txt").read_text(encoding="utf-8")
    assert out_c.startswith("Flood update from our correspondent")


def test_numbers_that_differ_make_a_linked_variant_not_a_duplicate(corpus):
    src, dst = corpus
    (rec,) = by_file(dst)["d/variant.txt"]
    assert rec["decision"] == "keep"
    assert rec["variant_of"] == {"source": "a/original.txt", "paragraph": 1, "line": 3}
    assert rec["differing_numbers"] == ["1200", "1500"]


def test_keep_first_is_corpus_order_not_length():
    """The first occurrence in corpus order is kept even when a later copy is longer."""
    s = Settings(jobs=1)
    texts = [" ".join(ARTICLE[2].split()[:14]), ARTICLE[2]]
    result = decide_texts([match_key(t) for t in texts], s)
    assert result.code.tolist() == [KEEP, KEEP]  # the later, longer one is not "contained"
    result = decide_texts([match_key(t) for t in reversed(texts)], s)
    assert result.code.tolist() == [KEEP, CONT]


def test_a_paragraph_repeated_100000_times_stays_linear():
    """A site footer on every page must cost look-ups, not comparisons between every pair."""
    s = Settings(jobs=1)
    footer = "This article is copyright of the Daily Example and may not be republished without permission from the editors."
    texts = [footer] * 100_000 + [footer.replace("the editors", "its publishers")] * 1000
    result = decide_texts([match_key(t) for t in texts], s)
    assert result.code[0] == KEEP and (result.code[1:100_000] == EXACT).all()
    assert result.code[100_000] == NEAR
    # exact copies of a removed near-duplicate point, like it, at the kept paragraph
    assert (result.code[100_001:] == NEAR).all() and (result.duplicate_of[1:] == 0).all()
    assert result.counts["verified_pairs"] <= 10


def crowded_corpus(seed: int = 5, n_originals: int = 300, n_copies: int = 60) -> tuple[list[str], list[tuple[int, str]]]:
    """Paragraphs that recombine a pool of twelve sentences three at a time (no two alike, none
    inside another), and copies of some of them: three words changed, the last sentence cut off
    with a word of the first changed, or upper-cased."""
    import random

    rng = random.Random(seed)
    pool = ARTICLE + [
        "The regional rail operator suspended services between Dresden and Meissen until further notice.",
        "Volunteers handed out hot meals and blankets at the town hall, which stayed open all night.",
        "Insurance companies said they had received more than four hundred claims by Friday morning.",
        "Schools in the lower town will stay closed on Monday while engineers inspect the buildings.",
        "The last comparable flood, in August 2002, caused damage worth several hundred million euros.",
        "Police asked people not to walk along the embankment, which had been weakened in several places.",
    ]
    originals: list[str] = []
    while len(originals) < n_originals:
        text = " ".join(rng.sample(pool, 3))
        if all(text not in o and o not in text for o in originals):
            originals.append(text)
    copies = []  # (index of the original, copy)
    for n in rng.sample(range(len(originals)), n_copies):
        words = originals[n].split()
        kind = len(copies) % 3
        if kind == 0:  # three words changed: about a quarter of the shingles differ
            for i in rng.sample([i for i, w in enumerate(words) if w.isalpha()], 3):  # numbers make variants
                words[i] = "considerable" if words[i] != "considerable" else "notable"
            copy = " ".join(words)
        elif kind == 1:  # the last sentence cut off and a word of the first one changed
            kept = " ".join(originals[n].split(". ")[:2]).split()
            kept[6] = "soon" if kept[6] != "soon" else "now"
            copy = " ".join(kept) + "."
        else:
            copy = originals[n].upper()
        copies.append((n, copy))
    return originals, copies


def test_copies_are_found_where_every_sentence_recurs_in_many_paragraphs():
    """The crowded case the signature sketches were added for: paragraphs recombine the same few
    sentences, so nearly every paragraph shares an LSH bucket with dozens of others that merely
    quote one of its sentences. Those pairs are dropped before any text comparison; the real
    copies must all still be found."""
    originals, copies = crowded_corpus()
    texts = originals + [c for _, c in copies]
    result = decide_texts([match_key(t) for t in texts], Settings(jobs=1))
    removed_originals = [i for i in range(len(originals)) if result.code[i] != KEEP]
    assert removed_originals == []  # sharing sentences is not being a copy
    for k, (n, copy) in enumerate(copies):
        row = len(originals) + k
        assert result.code[row] != KEEP, (n, copy)
        twin = int(result.duplicate_of[row])
        # a cut-off copy may equally be a copy of another original holding the same two sentences
        assert twin == n or (k % 3 == 1 and ". ".join(originals[n].split(". ")[:2]) in originals[twin]), (n, twin, copy)
    assert result.counts["in_shared_buckets"] > len(originals) // 2  # the case is crowded indeed


def test_keystore_holds_keys_given_as_strings_or_as_utf8_bytes():
    from corpus_dedupe.cluster import KeyStore

    keys = ["heavy rain in meissen", "", "zürich flood ß", "日本語 のキー", "x"]
    as_strings, as_bytes = KeyStore(), KeyStore()
    as_strings.extend(keys[:2])
    as_strings.extend(keys[2:])
    encoded = [k.encode("utf-8") for k in keys]
    as_bytes.extend_encoded(b"".join(encoded[:3]), [len(e) for e in encoded[:3]])
    as_bytes.extend_encoded(b"".join(encoded[3:]), [len(e) for e in encoded[3:]])
    for store in (as_strings, as_bytes):
        assert len(store) == len(keys)
        assert [store[i] for i in range(len(keys))] == keys
        get = store.cached()
        assert [get(i) for i in reversed(range(len(keys)))] == keys[::-1]


def test_comparing_pairs_in_worker_processes_gives_the_same_decisions(monkeypatch):
    """With --jobs 2 the candidate pairs are compared in forked workers, ahead of the keep-first
    loop; the decisions must not change (here the pool is used even for a small corpus)."""
    import corpus_dedupe.cluster as cluster

    originals, copies = crowded_corpus(seed=11, n_originals=400, n_copies=120)
    keys = [match_key(t) for t in originals + [c for _, c in copies]]
    one = decide_texts(keys, Settings(jobs=1))
    monkeypatch.setattr(cluster, "_PARALLEL_FROM", 0)
    monkeypatch.setattr(cluster, "_VERIFY_TASK", 64)
    two = decide_texts(keys, Settings(jobs=2))
    for field in ("code", "duplicate_of", "variant_of"):
        assert getattr(one, field).tolist() == getattr(two, field).tolist(), field
    assert one.similarity.tobytes() == two.similarity.tobytes()
    assert one.counts == two.counts
    assert (one.code != KEEP).sum() >= len(copies)


def test_a_copy_whose_line_breaks_moved_is_removed_whole(tmp_path):
    """Scraped copies break lines where a link was ("It is possible" / "to open ..."), or are
    upper-cased and wrapped elsewhere: no piece of the copy may stay in the output."""
    from conftest import write_files

    original = ("It is possible to open the bookmarks root group from the sidebar menu, but the manual does not say "
                "where the exported file is written or how to restore it afterwards.")
    other = "The second release fixed the crash on start-up that several readers had reported in the forum."
    words = original.split()
    moved = " ".join(words[:3]) + "\n" + " ".join(words[3:])
    upper = "\n".join([" ".join(words[:2]).upper(), " ".join(words[2:14]).upper(), " ".join(words[14:]).upper()])
    src = write_files(tmp_path / "src", {
        "a.txt": original + "\n\n" + other + "\n",
        "b.txt": "A new post about something else entirely, written by another reader.\n\n" + moved + "\n",
        "c.txt": "Yet another post, which quotes the first one in capitals below.\n\n" + upper + "\n",
    })
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q", "--jobs", "1").exit_code == 0
    for name in ("b.txt", "c.txt"):
        out = (dst / name).read_text(encoding="utf-8").split("\n")
        assert [line for line in out if line] == [out[0]], (name, out)  # only the post's own first paragraph
    assert run_cli("verify", src, dst).exit_code == 0


def test_a_truncated_copy_of_an_edited_copy_points_at_the_original(tmp_path):
    """The cut copy is nearer the edited copy it was cut from than the original: it is compared
    with removed paragraphs too, and its link names the kept original."""
    from conftest import write_files

    original = ("The harbour authority announced on Monday that the old ferry terminal will close for two years "
                "while engineers replace the pier, the waiting hall and the ticket office, and that a temporary "
                "landing stage will open on the north quay before the summer timetable begins.")
    edited = original.replace("announced on Monday", "said this week").replace("engineers replace", "contractors rebuild")
    cut = " ".join(edited.split()[:24])
    src = write_files(tmp_path / "src", {"a.txt": original + "\n", "b.txt": edited + "\n", "c.txt": cut + "\n"})
    dst = tmp_path / "dst"
    assert run_cli(src, dst, "-q", "--jobs", "1").exit_code == 0
    by = {r["source"]: r for r in provenance(dst)}
    assert by["b.txt"].get("reason") == "near_duplicate"
    assert by["c.txt"].get("reason") in ("contained", "near_duplicate")
    assert by["c.txt"]["duplicate_of"]["source"] == "a.txt"
    assert run_cli("verify", src, dst).exit_code == 0
