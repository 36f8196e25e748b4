"""The HTML audit report: what it embeds, and what a person sees and clicks in a real headless
Chromium (Debian's /usr/bin/chromium driven by playwright; never a downloaded browser)."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from conftest import ROOT, manifest, run_cli, write_files
from corpus_dedupe.html_report import write_html_report

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = ROOT / "artifacts" / "html-report.png"
S003 = "003_13375e4d1e9e6f31.txt"


def embedded(page: str, element_id: str):
    m = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S)
    assert m, element_id
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def seeds_report(seeds_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report.html"
    result = run_cli("report", seeds_run, "--html", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote {out}"
    return out


# ------------------------------------------------------------------------------ without a browser


def test_report_embeds_every_file_and_the_manifest_totals(seeds_run, seeds_report):
    page = seeds_report.read_text(encoding="utf-8")
    m = manifest(seeds_run)
    summary = embedded(page, "summary-data")
    assert {k: summary["totals"][k] for k in m["totals"]} == m["totals"]
    files = embedded(page, "files-data")
    assert [f["path"] for f in files] == [f["path"] for f in m["files"]]
    for i, entry in enumerate(m["files"]):
        payload = embedded(page, f"file-data-{i}")
        assert payload["path"] == entry["path"] and len(payload["paragraphs"]) == entry["paragraphs"]
    # One-line paragraphs are written as a number (html_report._compact), longer ones as [first, last].
    p72 = next(p for p in embedded(page, "file-data-3")["paragraphs"] if (p["lines"] if isinstance(p["lines"], int) else p["lines"][0]) == 72)
    assert p72["twin"] == {"relation": "duplicate_of", "source": S003, "line": 17, "file": 3}
    assert p72["diff"][-1] == ["-", "Geo News.", ""]


def test_report_is_self_contained(seeds_report):
    page = seeds_report.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    markup = re.sub(r'<script type="application/json".*?</script>', "", page, flags=re.S)  # corpus text aside
    for external in ("http:", "https:", "src=", "href=", "@import", "url(", "<link", "<img", "<iframe"):
        assert external not in markup, external


def test_report_depends_only_on_dst(seeds_run, tmp_path):
    """Same bytes for the same DST, wherever it lies: no clock, no absolute path."""
    moved = shutil.copytree(seeds_run, tmp_path / "elsewhere" / seeds_run.name)
    a = write_html_report(seeds_run, tmp_path / "a.html").read_bytes()
    b = write_html_report(moved, tmp_path / "b.html").read_bytes()
    assert a == b
    assert str(seeds_run).encode() not in a


def test_report_html_errors(seeds_run, tmp_path):
    result = run_cli("report", seeds_run, "--html", tmp_path / "no" / "such" / "r.html")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip() == f"dedupe: {tmp_path / 'no' / 'such'}: cannot write: no such folder"
    result = run_cli("report", tmp_path, "--html", tmp_path / "r.html")
    assert result.exit_code == 2 and "not a dedupe output" in result.stderr
    assert not (tmp_path / "r.html").exists()


# ---------------------------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: the HTML report test needs Debian's chromium (apt-get install -y chromium; .ci/run installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the python package playwright is missing: pip install -e '.[test]'")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_report(browser):
    """Open a report file in a new page; the page records requests, script errors and dialogs."""
    pages = []

    def opener(path: Path, fragment: str = ""):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.trouble = []  # type: ignore[attr-defined]
        page.requests = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.trouble.append(f"script error: {e}"))
        page.on("console", lambda msg: page.trouble.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.on("dialog", lambda d: (page.trouble.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("request", lambda r: page.requests.append(r.url))
        page.goto(path.as_uri() + fragment)
        pages.append(page)
        return page

    yield opener
    for page in pages:
        assert page.trouble == []
        page.close()


def test_seeds_report_in_chromium_totals_twin_and_diff(seeds_run, seeds_report, open_report):
    from playwright.sync_api import expect

    page = open_report(seeds_report)
    totals = manifest(seeds_run)["totals"]
    shown = {key: int(page.inner_text(f"#total-{key}").replace(",", "")) for key in ("files", "paragraphs", "kept", "removed", "input-bytes", "output-bytes", "skipped")}
    assert shown == {
        "files": totals["files"], "paragraphs": totals["paragraphs"], "kept": totals["kept"],
        "removed": sum(totals["removed"].values()), "input-bytes": totals["input_bytes"],
        "output-bytes": totals["output_bytes"], "skipped": totals["skipped"],
    }
    assert page.inner_text("#total-input-bytes") == "40,609"
    reasons = {row.get_attribute("data-reason"): int(row.locator("td").nth(1).inner_text()) for row in page.locator("#reasons tr[data-reason]").all()}
    assert reasons == totals["removed"]

    page.click(f'tr.file-row[data-path="{S003}"]')
    expect(page.locator("#file-title")).to_have_text(S003)
    assert page.locator("#file-view .para").count() == 111
    removed = page.locator('#file-view .para[data-first="72"]')
    expect(removed).to_have_class(re.compile(r"\bdrop\b.*\br-contained\b"))
    removed.click()
    details = page.locator("#file-view .details")
    expect(details).to_have_count(1)
    expect(details.locator(".twin-ref")).to_have_text(f"{S003}:17")
    expect(details).to_contain_text("similarity1.0")
    # the kept twin's text, with the words the removed copy lacks struck out
    expect(details.locator(".twin-text")).to_contain_text("reported Karachi-based Geo News.")
    expect(details.locator(".twin-text del")).to_have_text("Geo News.")
    expect(details.locator(".this-text ins")).to_have_count(0)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000

    # following the twin link brings the kept paragraph (line 17, in the first copy) into view
    details.locator(".twin-ref").click()
    twin = page.locator('#file-view .para[data-first="17"]')
    expect(twin).to_be_in_viewport()
    expect(twin).to_have_class(re.compile(r"\bkeep\b.*\bflash\b"))
    twin.click()
    expect(page.locator('#file-view .details[data-paragraph="16"]')).to_contain_text(f"1 copy or variant of this paragraph{S003}:72 (contained)")
    assert page.requests == [seeds_report.as_uri()]  # nothing fetched beyond the file itself


def test_filter_by_reason(seeds_report, open_report):
    from playwright.sync_api import expect

    page = open_report(seeds_report)
    page.select_option("#reason-filter", "contained")
    expect(page.locator("tr.file-row")).to_have_count(1)
    page.click(f'tr.file-row[data-path="{S003}"]')
    paragraphs = page.locator("#file-view .para")
    expect(paragraphs).to_have_count(2)
    assert [p.get_attribute("data-first") for p in paragraphs.all()] == ["72", "96"]
    expect(page.locator("#file-view .gap").first).to_have_text("… 69 paragraphs not shown by the filter")
    page.select_option("#reason-filter", "metadata")
    expect(page.locator("tr.file-row")).to_have_count(4)  # 000, 001, 002 and 004 lost a dateline or byline
    page.select_option("#reason-filter", "")
    expect(page.locator("tr.file-row")).to_have_count(5)
    expect(page.locator("#file-view .para")).to_have_count(111)


def test_deep_link_opens_file_at_line(seeds_report, open_report):
    from playwright.sync_api import expect

    page = open_report(seeds_report, f"#file={S003}&line=96")
    expect(page.locator("#file-title")).to_have_text(S003)
    expect(page.locator('#file-view .para[data-first="96"]')).to_be_in_viewport()


def test_cross_file_twin_and_word_diff(tmp_path, open_report):
    from playwright.sync_api import expect

    ferry = "The harbour master said ferries would resume their normal timetable on Thursday morning if the winds keep falling."
    src = write_files(tmp_path / "src", {
        "a.txt": f"Storm Update\n\n{ferry}\n",
        "b.txt": ferry.replace("said", "stated") + "\n\nA paragraph of its own about the <b>bold</b> claim </script><script>alert(1)</script> in the text.\n",
    })
    dst = tmp_path / "out"
    assert run_cli(src, dst, "--jobs", "1", "--quiet").exit_code == 0
    report = write_html_report(dst, tmp_path / "r.html")
    page = open_report(report)
    page.click('tr.file-row[data-path="b.txt"]')
    # corpus text is shown as text, never run as markup
    expect(page.locator('#file-view .para[data-first="3"] .tx')).to_contain_text("<b>bold</b> claim </script><script>alert(1)</script>")
    page.click('#file-view .para[data-first="1"]')
    details = page.locator("#file-view .details")
    expect(details).to_contain_text("near_duplicate")
    expect(details.locator(".twin-text del")).to_have_text("said")
    expect(details.locator(".this-text ins")).to_have_text("stated")
    details.locator(".twin-ref").click()
    expect(page.locator("#file-title")).to_have_text("a.txt")
    expect(page.locator('#file-view .para[data-first="3"]')).to_be_in_viewport()


def test_thousands_of_files_stay_light(tmp_path, open_report):
    """2,000 files: the page opens fast and builds rows for one page of the file list and
    paragraphs for the open file only."""
    from playwright.sync_api import expect

    shared = "The wire service reported that the storm had moved north overnight and that power was restored."
    files = {}
    for i in range(2000):
        own = [f"Document {i} reports its own local news about the harbour, item {k}, in plain words." for k in range(3)]
        files[f"site{i % 10}/doc{i:05d}.txt"] = "\n\n".join(own[:1] + [shared] + own[1:]) + "\n"
    src = write_files(tmp_path / "src", files)
    dst = tmp_path / "out"
    assert run_cli(src, dst, "--jobs", "1", "--quiet").exit_code == 0
    report = write_html_report(dst, tmp_path / "r.html")

    started = time.monotonic()
    page = open_report(report)
    expect(page.locator("tr.file-row")).to_have_count(200)
    assert time.monotonic() - started < 10
    assert page.locator("#file-view .para").count() == 0
    built = page.evaluate("[...document.body.getElementsByTagName('*')].filter(e => e.tagName !== 'SCRIPT').length")
    assert built < 2000, built
    expect(page.locator("#more")).to_contain_text("showing 200 of 2,000 files")
    page.click("#show-more")
    expect(page.locator("tr.file-row")).to_have_count(400)

    page.fill("#file-search", "doc01999")
    expect(page.locator("tr.file-row")).to_have_count(1)
    page.click('tr.file-row[data-path="site9/doc01999.txt"]')
    expect(page.locator("#file-view .para")).to_have_count(4)
    page.click('#file-view .para[data-first="3"]')
    expect(page.locator("#file-view .details .twin-ref")).to_have_text("site0/doc00000.txt:3")
    page.locator("#file-view .details .twin-ref").click()
    kept = page.locator('#file-view .para[data-first="3"]')
    kept.click()
    # 1,999 removed copies: the count is given, the list stops at 50
    expect(page.locator("#file-view .details")).to_contain_text("1999 copies or variants of this paragraph")
    expect(page.locator("#file-view .details .twin-ref")).to_have_count(50)


def test_run_with_report_writes_the_html_next_to_the_provenance(tmp_path):
    from conftest import SEEDS, run_cli

    dst = tmp_path / "out"
    result = run_cli(SEEDS, dst, "--report")
    assert result.exit_code == 0, result.stderr
    page = (dst / ".dedupe" / "report.html").read_text(encoding="utf-8")
    assert "003_13375e4d1e9e6f31.txt" in page and "<script" in page
    assert "audit report:" in result.stdout


def test_a_page_line_shows_why_it_went(tmp_path, open_report):
    from playwright.sync_api import expect

    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(ROOT / "tests" / "pages" / "en_local.txt", src / "en_local.txt")
    dst = tmp_path / "out"
    assert run_cli(src, dst, "--jobs", "1", "--quiet").exit_code == 0
    page = open_report(write_html_report(dst, tmp_path / "r.html"))
    page.click('tr.file-row[data-path="en_local.txt"]')
    page.click('#file-view .para[data-first="2"]')  # "The Millbrook Courier", the top of the menu
    details = page.locator("#file-view .details")
    expect(details).to_contain_text("page.menu")
    expect(details).to_contain_text("article probability 0.")
    expect(details).to_contain_text("short lines")


def test_the_report_grows_about_twice_as_fast_as_its_input(tmp_path):
    # The page's own script and style are a fixed cost: measured against a one-file corpus.
    tiny = write_files(tmp_path / "tiny", {"a.txt": "One short line of text.\n"})
    src = tmp_path / "pages"
    shutil.copytree(ROOT / "tests" / "pages", src, ignore=shutil.ignore_patterns("*.json"))
    shutil.copytree(ROOT / "seeds", src / "seeds")
    sizes = {}
    for name, corpus in (("tiny", tiny), ("pages", src)):
        assert run_cli(corpus, tmp_path / f"{name}-out", "--jobs", "1", "--quiet").exit_code == 0
        sizes[name] = write_html_report(tmp_path / f"{name}-out", tmp_path / f"{name}.html").stat().st_size
    input_bytes = sum(p.stat().st_size for p in src.rglob("*.txt"))
    assert sizes["pages"] - sizes["tiny"] <= 2.5 * input_bytes, (sizes, input_bytes)


# ------------------------------------------------------------------------- rows of a JSONL file

FERRY = "The harbour master said ferries would resume their normal timetable on Thursday morning if the winds keep falling."


def _jsonl_corpus(root: Path) -> Path:
    """data.jsonl: three rows with ids, the third repeating a paragraph of the first; notes.txt
    repeats it too (a text file whose twin is a row)."""
    rows = [
        {"id": "a-1", "text": f"Storm Update\n\n{FERRY}\n\nThe council met on Monday evening and approved the budget for the new harbour wall."},
        {"id": "b-2", "text": "Gardening in spring: the allotment society opened its plots to new members after a long winter."},
        {"id": "c-3", "text": f"The fishing fleet came home late on Sunday, two days after the storm had passed the islands.\n\n{FERRY}"},
    ]
    return write_files(root, {
        "data.jsonl": "".join(json.dumps(r) + "\n" for r in rows),
        "notes.txt": f"A note about the weather.\n\n{FERRY}\n",
    })


@pytest.fixture(scope="module")
def jsonl_report(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("jsonl")
    src = _jsonl_corpus(root / "src")
    dst = root / "out"
    result = run_cli(src, dst, "--jobs", "1", "--report")
    assert result.exit_code == 0, result.output
    return dst, dst / ".dedupe" / "report.html"


def test_report_lists_the_rows_of_a_jsonl_file_and_links_twin_rows(jsonl_report):
    dst, report = jsonl_report
    page = report.read_text(encoding="utf-8")
    files = embedded(page, "files-data")
    # One entry per row (by its label, in row order), the text file as before; in corpus order.
    expected = []
    for entry in manifest(dst)["files"]:
        expected += ["data.jsonl:a-1", "data.jsonl:b-2", "data.jsonl:c-3"] if entry.get("format") == "jsonl" else [entry["path"]]
    assert [f.get("label", f["path"]) for f in files] == expected
    at = {f.get("label", f["path"]): i for i, f in enumerate(files)}
    a1, c3 = files[at["data.jsonl:a-1"]], files[at["data.jsonl:c-3"]]
    assert (a1["path"], a1["row"], a1["paragraphs"], a1["kept"], a1.get("removed", {})) == ("data.jsonl", 0, 3, 3, {})
    assert (c3["path"], c3["row"], c3["paragraphs"], c3["kept"], c3["removed"]) == ("data.jsonl", 2, 2, 1, {"exact_duplicate": 1})
    c3_text = json.loads((dst.parent / "src" / "data.jsonl").read_text(encoding="utf-8").splitlines()[2])["text"]
    assert c3["input_bytes"] == len(c3_text.encode("utf-8"))
    assert c3["removed_bytes"] == len(FERRY.encode("utf-8"))
    assert c3["output_row"] == 2 and c3["output_bytes"] == len(c3_text.split("\n\n")[0].encode("utf-8"))
    assert files[at["notes.txt"]]["removed"] == {"exact_duplicate": 1}

    # The removed copy in row c-3 (line 3 of its text) points at row a-1, line 3 ...
    removed = [p for p in embedded(page, f"file-data-{at['data.jsonl:c-3']}")["paragraphs"] if "r" in p]
    assert len(removed) == 1 and removed[0]["text"] == FERRY
    assert removed[0]["twin"] == {"relation": "duplicate_of", "source": "data.jsonl:a-1", "line": 3, "file": at["data.jsonl:a-1"], "identical": True}
    # ... and so does the one in the text file.
    note = next(p for p in embedded(page, f"file-data-{at['notes.txt']}")["paragraphs"] if "r" in p)
    assert note["twin"]["file"] == at["data.jsonl:a-1"] and note["twin"]["source"] == "data.jsonl:a-1"
    # The kept paragraph lists both copies, each by the entry and line it is at.
    kept = embedded(page, f"file-data-{at['data.jsonl:a-1']}")["paragraphs"][1]
    assert kept["text"] == FERRY and kept["copy_count"] == 2
    assert kept["copies"] == [{"file": at["data.jsonl:c-3"], "source": "data.jsonl:c-3", "line": 3, "reason": "exact_duplicate"},
                              {"file": at["notes.txt"], "source": "notes.txt", "line": 3, "reason": "exact_duplicate"}]
    group = embedded(page, "summary-data")["largest_duplicate_groups"][0]
    assert [(m["label"] if "row" in m else m["source"], m["file"]) for m in group["members"]] == [
        ("data.jsonl:a-1", at["data.jsonl:a-1"]), ("data.jsonl:c-3", at["data.jsonl:c-3"]), ("notes.txt", at["notes.txt"])]


def test_jsonl_report_in_chromium_follows_a_twin_to_its_row(jsonl_report, open_report):
    from playwright.sync_api import expect

    _dst, report = jsonl_report
    page = open_report(report)
    expect(page.locator("tr.file-row")).to_have_count(4)
    expect(page.locator("#more")).to_contain_text("showing 4 of 4 documents")
    page.fill("#file-search", "c-3")
    expect(page.locator("tr.file-row")).to_have_count(1)
    page.click('tr.file-row[data-label="data.jsonl:c-3"]')
    expect(page.locator("#file-title")).to_have_text("data.jsonl:c-3")
    expect(page.locator("#file-head")).to_contain_text("row 2 of data.jsonl")
    expect(page.locator("#file-head")).to_contain_text("output data.jsonl row 2")
    assert "#file=" + "data.jsonl%3Ac-3" in page.url
    page.click('#file-view .para[data-first="3"]')
    details = page.locator("#file-view .details")
    expect(details).to_contain_text("exact_duplicate")
    expect(details).to_contain_text("identical text")
    expect(details.locator(".twin-ref")).to_have_text("data.jsonl:a-1:3")
    details.locator(".twin-ref").click()
    expect(page.locator("#file-title")).to_have_text("data.jsonl:a-1")
    twin = page.locator('#file-view .para[data-first="3"]')
    expect(twin).to_have_class(re.compile(r"\bkeep\b.*\bflash\b"))
    twin.click()
    kept = page.locator('#file-view .details[data-paragraph="1"]')
    expect(kept).to_contain_text("output data.jsonl row 0, lines 3")
    expect(kept).to_contain_text("2 copies or variants of this paragraphdata.jsonl:c-3:3 (exact_duplicate), notes.txt:3 (exact_duplicate)")
    kept.locator(".twin-ref", has_text="notes.txt:3").click()
    expect(page.locator("#file-title")).to_have_text("notes.txt")

    # a deep link names a row by its label
    page = open_report(report, "#file=data.jsonl:b-2")
    expect(page.locator("#file-title")).to_have_text("data.jsonl:b-2")
    expect(page.locator("#file-view .para")).to_have_count(1)


def test_a_jsonl_report_grows_about_twice_as_fast_as_its_input(tmp_path):
    """The pages and seeds as the rows of one JSONL file: their report stays near twice its input,
    as for text files (a row's entry and payload are written short)."""
    tiny = write_files(tmp_path / "tiny", {"a.jsonl": json.dumps({"id": "x", "text": "One short line of text."}) + "\n"})
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests" / "pages").glob("*.txt")) + sorted((ROOT / "seeds").rglob("*.txt"))]
    rows = write_files(tmp_path / "rows", {"docs.jsonl": "".join(json.dumps({"id": f"doc-{i}", "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts))})
    sizes = {}
    for name, corpus in (("tiny", tiny), ("rows", rows)):
        assert run_cli(corpus, tmp_path / f"{name}-out", "--jobs", "1", "--quiet").exit_code == 0
        sizes[name] = write_html_report(tmp_path / f"{name}-out", tmp_path / f"{name}.html").stat().st_size
    input_bytes = (rows / "docs.jsonl").stat().st_size
    assert sizes["rows"] - sizes["tiny"] <= 2.5 * input_bytes, (sizes, input_bytes)
    files = embedded((tmp_path / "rows.html").read_text(encoding="utf-8"), "files-data")
    assert [f["label"] for f in files] == [f"docs.jsonl:doc-{i}" for i in range(len(texts))]
