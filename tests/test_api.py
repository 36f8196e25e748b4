"""The Python API: the same decisions as the command, data back instead of print."""

from __future__ import annotations

import json

import pytest

from conftest import SEEDS, provenance, run_cli
from corpus_dedupe import dedupe, dedupe_records
from corpus_dedupe.settings import SettingsError


def seed_records() -> list[dict]:
    return [{"id": p.name, "source": "seeds", "text": p.read_text(encoding="utf-8")} for p in sorted(SEEDS.glob("*.txt"))]


def test_dedupe_writes_what_the_command_writes(tmp_path):
    summary = dedupe(SEEDS, tmp_path / "api", jobs=1)
    assert run_cli(SEEDS, tmp_path / "cli", "-q", "--jobs", "1").exit_code == 0
    for p in sorted((tmp_path / "cli").glob("*.txt")):
        assert (tmp_path / "api" / p.name).read_bytes() == p.read_bytes()
    assert provenance(tmp_path / "api") == provenance(tmp_path / "cli")
    totals = json.loads((tmp_path / "cli" / ".dedupe" / "manifest.json").read_text())["totals"]
    assert (summary.files, summary.paragraphs, summary.kept, summary.removed) == (
        totals["files"], totals["paragraphs"], totals["kept"], totals["removed"])
    assert summary.skipped == [] and summary.dst == tmp_path / "api"


def test_dedupe_records_on_the_seeds_equals_the_folder_run(seeds_run):
    records = seed_records()
    cleaned = dedupe_records(records, jobs=2)
    by_name = {c.record["id"]: c for c in cleaned}
    for record in records:
        out = seeds_run / record["id"]
        expected = out.read_text(encoding="utf-8").rstrip("\n") if out.exists() else None
        got = by_name.get(record["id"])
        assert (got.record["text"] if got else None) == expected
        if got:
            assert got.record["source"] == "seeds"  # the other fields untouched
    drops = {}
    for r in provenance(seeds_run):
        if r["decision"] == "drop":
            drops.setdefault(r["source"], []).append((r["paragraph"], r["reason"], r.get("rule")))
    for c in cleaned:
        assert [(p.paragraph, p.reason, p.rule) for p in c.removed] == drops.get(c.record["id"], [])
    assert [c.index for c in cleaned] == sorted(c.index for c in cleaned)


def test_a_record_whose_text_is_all_removed_is_left_out_unless_kept():
    text = "Officials said the bridge would stay closed for at least a month while engineers checked it."
    records = [{"id": 1, "text": text}, {"id": 2, "text": text}]
    assert [c.record["id"] for c in dedupe_records(records, jobs=1)] == [1]
    kept = dedupe_records(records, keep_empty=True, jobs=1)
    assert [(c.record["id"], c.record["text"]) for c in kept] == [(1, text), (2, "")]
    assert kept[1].removed[0].duplicate_of == (0, 0)


def test_bad_records_and_options_are_refused_before_anything_runs():
    with pytest.raises(ValueError, match="record 1: field 'text' is missing or not a string"):
        dedupe_records([{"text": "fine"}, {"body": "no text"}])
    with pytest.raises(ValueError, match="record 0: field 'body'"):
        dedupe_records([{"body": 3}], text_field="body")
    with pytest.raises(TypeError, match="unknown option 'near_treshold'"):
        dedupe_records([{"text": "x"}], near_treshold=0.8)
    with pytest.raises(SettingsError, match="near_threshold must be between"):
        dedupe_records([{"text": "x"}], near_threshold=2)
