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
