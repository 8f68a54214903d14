"""GUI recipes through the real Ray pipeline: warm browser actors, shards read back, determinism."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from omnisynth.datasets.shards import iter_tar_samples
from omnisynth.datasets.verify import verify

pytestmark = pytest.mark.slow
VIEWPORTS = [(1280, 720), (1366, 768), (1440, 900), (1920, 1080)]


def shard_bytes(out):
    return [p.read_bytes() for p in sorted((out / "shards").glob("*.tar"))]


def test_gui_recipe_end_to_end_is_byte_identical_on_any_parallelism(run_recipe, tmp_path):
    common = dict(num_samples=12, output__samples_per_shard=6, generator__scales=[1.0, 1.5])
    out, summary = run_recipe("gui_grounding", tmp_path / "a", runtime__rows_per_task=2, **common)
    assert summary.kept + summary.rejected == 12 and summary.kept >= 11
    assert verify(out).errors == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["filters"]["gui"]["kept"] == summary.kept
    for shard in sorted((out / "shards").glob("*.tar")):
        for _key, members in iter_tar_samples(shard):
            sample = json.loads(members["json"])
            image = Image.open(io.BytesIO(members["png"]))
            assert image.size == (sample["media"][0]["width"], sample["media"][0]["height"])
            assert image.size in {(round(w * s), round(h * s)) for w, h in VIEWPORTS for s in (1.0, 1.5)}
            g = sample["grounding"][0]
            assert g["role"] and 0 < g["area_fraction"] < 0.2
            assert sample["meta"]["theme"] in {"light", "dark"} and sample["meta"]["viewport"][0] >= 1280
            assert sample["provenance"]["generator"] == "gui"
    other, _ = run_recipe("gui_grounding", tmp_path / "b", runtime__rows_per_task=6, runtime__workers=1, **common)
    assert shard_bytes(out) == shard_bytes(other)


def test_gui_actions_and_qa_run_through_ray(run_recipe, tmp_path):
    for name in ("gui_actions", "gui_qa"):
        out, summary = run_recipe(name, tmp_path / name, num_samples=8, output__samples_per_shard=8,
                                  runtime__rows_per_task=4, generator__scales=[1.0])
        assert summary.kept >= 7, summary.rejected_by_reason
        assert verify(out).errors == []
    from omnisynth.datasets.report import write_report

    report = tmp_path / "report.html"
    assert write_report(tmp_path / "gui_actions", report, n=4) == 4
    text = report.read_text()
    assert text.count("action ") >= 4 and "% of the screen" in text  # what each step did, how big the target is


def test_exact_duplicate_screens_are_dropped_run_wide(run_recipe, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    page = "<h1>Orders</h1><button>Approve</button> <button>Reject</button> <a href='#h'>Help</a>"
    (site / "a.html").write_text(page)
    (site / "b.html").write_text(page)  # the same screen under another name
    (site / "c.html").write_text(page.replace("Orders", "Invoices"))
    args = dict(generator__path=str(site), num_samples=6, output__samples_per_shard=2, generator__settle_ms=0,
                generator__viewports=[[800, 600]], runtime__rows_per_task=1)
    out, summary = run_recipe("html_corpus_grounding", tmp_path / "out", **args)
    assert summary.kept == 2  # the first screen of each kind (Orders, Invoices); the other copy and the repeats go
    assert summary.rejected_by_reason == {"dedup/duplicate_screen": 4}
    rows = [json.loads(line) for p in sorted((out / "quarantine").glob("*.jsonl")) for line in p.read_text().splitlines()]
    assert verify(out).errors == []
    samples = [json.loads(m["json"]) for p in sorted((out / "shards").glob("*.tar")) for _, m in iter_tar_samples(p)]
    kept = sorted(s["provenance"]["index"] for s in samples)
    assert kept[0] == 0 and "c.html" in {s["meta"]["source"] for s in samples}  # the lowest index of each screen
    assert sorted(r["index"] for r in rows if r["reason"] == "duplicate_screen") == sorted(set(range(6)) - set(kept))
    again, summary2 = run_recipe("html_corpus_grounding", tmp_path / "out", **args)  # a rerun changes nothing
    assert (summary2.kept, summary2.rejected_by_reason) == (2, {"dedup/duplicate_screen": 4})
    assert verify(again).errors == []


def test_duplicate_screens_are_kept_with_screen_dedup_off(run_recipe, tmp_path):
    """`filters.dedup.screens: false`: byte-identical screenshots all stay (the test above drops them)."""
    site = tmp_path / "site"
    site.mkdir()
    page = "<h1>Orders</h1><button>Approve</button> <button>Reject</button>"
    (site / "a.html").write_text(page)
    (site / "b.html").write_text(page)
    out, summary = run_recipe("html_corpus_grounding", tmp_path / "out", generator__path=str(site), num_samples=4,
                              output__samples_per_shard=4, generator__settle_ms=0, generator__viewports=[[640, 480]],
                              runtime__rows_per_task=2, filters__dedup__screens=False)
    assert (summary.kept, summary.rejected_by_reason) == (4, {})
    assert verify(out).errors == []
    screens = [m["png"] for p in sorted((out / "shards").glob("*.tar")) for _, m in iter_tar_samples(p)]
    assert len(screens) == 4 and len(set(screens)) == 1  # four copies of one screenshot, all kept
    assert "dedup" not in json.loads((out / "manifest.json").read_text())["filters"]


def test_real_pages_of_the_shared_corpus(run_recipe, corpus, tmp_path):
    """The bring-your-own recipe on real pages: SPAs render (scripts run), remote assets are refused,
    pages without a visible control are quarantined as such, and every kept box is a live element."""
    site = corpus / "html"
    out, summary = run_recipe("html_corpus_grounding", tmp_path / "corpus", generator__path=str(site),
                              num_samples="all", output__samples_per_shard=1000, runtime__rows_per_task=5)
    inventory = [json.loads(line) for line in (out / "inventory.jsonl").read_text().splitlines()]
    pages = [r["file"] for r in inventory if r["units"]]  # by content: .html files and what sniffs as HTML
    assert summary.recipe.num_samples == len(pages) and not [r for r in inventory if r.get("reason")]
    assert "mdn/html/tables/advanced/items-sold.html" in pages and "MANIFEST.tsv" not in pages
    rows = [json.loads(line) for line in (out / "quarantine" / "shard-000000.jsonl").read_text().splitlines()]
    reasons = {r["source"].get("file", r["key"]): r["reason"] for r in rows}
    assert set(reasons.values()) <= {"no_targets", "empty_page", "duplicate_screen"}, reasons
    assert reasons.get("mdn/html/tables/advanced/items-sold.html") == "no_targets"  # a table has no control
    samples = {json.loads(m["json"])["meta"]["source"]: json.loads(m["json"])
               for p in sorted((out / "shards").glob("*.tar")) for _, m in iter_tar_samples(p)}
    assert "todomvc_react/index.html" in samples  # #root is empty until the bundle runs: scripts ran
    assert "sb_admin2/index.html" in samples and "mdn/html/forms/form-validation/full-example.html" in samples
    assert summary.kept == len(samples) >= 12
    for s in samples.values():
        assert s["provenance"]["generator"] == "html_corpus" and s["grounding"][0]["role"]


def test_a_browser_actor_killed_mid_run_is_replaced_and_no_key_is_lost(run_recipe, tmp_path):
    import threading
    import time

    import psutil

    out = tmp_path / "killed"
    killed = []

    def kill_one_actor():
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not list(out.glob("staging/*/part-*.tar")):
            time.sleep(0.1)
        for proc in psutil.Process().children(recursive=True):
            try:
                if "MapBatches(ActorChain)" in " ".join(proc.cmdline()):
                    proc.kill()  # the actor's process, with its browser's driver pipe
                    killed.append(proc.pid)
                    return
            except psutil.Error:
                continue

    threading.Thread(target=kill_one_actor, daemon=True).start()
    out, summary = run_recipe("gui_grounding", out, num_samples=24, output__samples_per_shard=8,
                              runtime__rows_per_task=2, generator__viewports=[[1280, 720]], generator__scales=[1.0])
    assert killed, "no browser actor was found to kill"
    assert summary.kept + summary.rejected == 24 and summary.rejected_by_reason.get("filter/filter_error", 0) == 0
    keys = sorted(k for p in sorted((out / "shards").glob("*.tar")) for k, _ in iter_tar_samples(p))
    assert keys == [f"gui_grounding-s0-{i:09d}" for i in range(24)]  # every key once, none lost or doubled
    assert verify(out).errors == []
