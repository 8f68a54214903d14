"""A run killed mid-way and rerun with the same command: exact key set, no duplicates, same bytes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from omnisynth.datasets.verify import verify

pytestmark = pytest.mark.slow

ARGS = ["--num-samples", "60", "--set", "output.samples_per_shard=10", "--set", "runtime.rows_per_task=2",
        "--set", "runtime.num_cpus=2"]


def omnisynth_run(out, **popen):
    cmd = [sys.executable, "-m", "omnisynth", "run", "doc_qa", "--out", str(out), *ARGS]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, **popen)


def wait_for(predicate, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_killed_run_resumes_to_the_exact_output(run_recipe, tmp_path):
    out = tmp_path / "crashed"
    proc = omnisynth_run(out)
    try:
        assert wait_for(lambda: len(list((out / "state").glob("shard-*.json"))) >= 1), "no shard finished in time"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # a crash: no clean-up code runs
        proc.wait(timeout=30)
    finished_before = len(list((out / "state").glob("shard-*.json")))
    assert finished_before < 6, "the run finished before it could be killed; the test proves nothing"
    assert not (out / "manifest.json").exists()
    (out / ".manifest.json.dead0001.tmp").write_text("{")  # as a run killed while writing its manifest leaves

    rerun = omnisynth_run(out)
    output, _ = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, output
    resumed = re.search(r"(\d+) shards resumed", output)
    assert resumed and int(resumed.group(1)) == finished_before, output

    reference, _ = run_recipe("doc_qa", tmp_path / "clean", num_samples=60, output__samples_per_shard=10)
    names = sorted(p.name for p in (out / "shards").glob("*.tar"))
    assert names == sorted(p.name for p in (reference / "shards").glob("*.tar"))
    for name in names:
        assert (out / "shards" / name).read_bytes() == (reference / "shards" / name).read_bytes(), name
    report = verify(out)
    assert report.errors == [] and report.samples == 60
    assert not list((out / "staging").iterdir())
    assert not list(out.rglob(".*.tmp"))


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path):
    out = tmp_path / "interrupted"
    proc = omnisynth_run(out)
    try:
        # the first finished part (2 samples of 60): the run is generating, far from its end
        assert wait_for(lambda: (out / "staging").exists() and any((out / "staging").rglob("part-*.tar"))), \
            "no part finished in time"
        os.killpg(proc.pid, signal.SIGINT)
        output, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    # an interrupt that is lost lets the run finish (0): that is a failure here, never a skip
    assert proc.returncode == 130, output
    assert "rerun the same command to resume" in output
    assert not (out / "manifest.json").exists(), "the run finished despite the interrupt"


def test_killed_gui_run_resumes_with_the_same_duplicates_dropped(run_recipe, tmp_path):
    """Browser actors and the run-wide duplicate pass survive a crash: the rerun equals a clean run."""
    import json

    site = tmp_path / "site"
    site.mkdir()
    page = "<h1>{}</h1><button>Approve</button> <button>Reject</button> <a href='#h'>Help</a>"
    (site / "a.html").write_text(page.format("Orders"))
    (site / "b.html").write_text(page.format("Orders"))  # a duplicate screen of a.html
    (site / "c.html").write_text(page.format("Invoices"))
    sets = {"generator.path": str(site), "num_samples": 20, "output.samples_per_shard": 2, "generator.settle_ms": 0,
            "generator.viewports": [[800, 600]], "runtime.rows_per_task": 1, "runtime.num_cpus": 2}
    cmd = [sys.executable, "-m", "omnisynth", "run", "html_corpus_grounding", "--out", str(tmp_path / "crashed")]
    for key, value in sets.items():
        cmd += ["--set", f"{key}={json.dumps(value)}"]
    out = tmp_path / "crashed"
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        assert wait_for(lambda: len(list((out / "state").glob("shard-*.json"))) >= 1), "no shard finished in time"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert len(list((out / "state").glob("shard-*.json"))) < 10, "finished before the kill; proves nothing"
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr

    clean, _ = run_recipe("html_corpus_grounding", tmp_path / "clean",
                          **{k.replace(".", "__"): v for k, v in sets.items() if k != "runtime.num_cpus"})
    names = sorted(p.name for p in (out / "shards").glob("*.tar"))
    assert names == sorted(p.name for p in (clean / "shards").glob("*.tar"))
    for name in names:
        assert (out / "shards" / name).read_bytes() == (clean / "shards" / name).read_bytes(), name
    got, want = (json.loads((d / "manifest.json").read_text()) for d in (out, clean))
    assert got["rejected_by_reason"] == want["rejected_by_reason"] == {"dedup/duplicate_screen": 18}
    assert got["kept"] == want["kept"] == 2 and verify(out).errors == []  # index 0 (a = b) and 2 (c)
