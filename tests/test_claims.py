"""README claims held by tests (issue 25): what the model is shown, how bad replies are counted,
what the CLI does when the endpoint dies, what a run without Energon writes, where the API key
never goes, the service-worker block, and `scripts/run.sh`.

Real components throughout: Ray (the session's, or a subprocess's own), PyMuPDF, ffmpeg,
Chromium. The only stand-in is the model endpoint, tests/fault_server.py on 127.0.0.1; every
server here listens on loopback and no address outside 127.0.0.0/8 is contacted.
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import os
import random
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from omnisynth.datasets.verify import verify
from tests.fault_server import FaultServer

ROOT = Path(__file__).resolve().parent.parent
DOC_REPLY = json.dumps({"question": "What is the first word?", "answer": "zzqx", "evidence": ["p0w0"]})


def model_sets(server: FaultServer) -> dict:
    """The openai engine against the scripted server, as run_recipe keyword overrides."""
    return {"model__engine": "openai", "model__base_url": server.url, "model__name": server.model,
            "model__backoff_s": 0.01, "model__retries": 1, "model__circuit_failures": 4, "model__timeout_s": 30}


def cli_env(**extra: str) -> dict:
    """The environment of a CLI subprocess that starts its own local Ray: no telemetry, no cluster address."""
    env = os.environ.copy()
    env.pop("RAY_ADDRESS", None)
    env.update(RAY_USAGE_STATS_ENABLED="0", DO_NOT_TRACK="1", VLLM_NO_USAGE_STATS="1", **extra)
    return env


@pytest.fixture
def ray_tmp():
    """A Ray temp dir of the subprocess's own (RAY_TMPDIR), short enough for Ray's socket paths."""
    path = tempfile.mkdtemp(prefix="rk", dir="/tmp")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def run_cli(args: list[str], env: dict, timeout: float = 400, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run a command in a session of its own; whatever is left of that session (Ray's processes after a
    timeout or a crash) is killed before returning, so nothing outlives the test."""
    proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if proc.returncode is None:
            proc.wait()
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def omnisynth_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "omnisynth.cli", *args]


def quarantined(out: Path) -> list[dict]:
    return [json.loads(x) for p in sorted((out / "quarantine").glob("*.jsonl")) for x in p.read_text().splitlines()]


def prompt_images(request: dict) -> list[Image.Image]:
    """The images of one recorded chat request, decoded from their data URLs."""
    images = []
    for part in request["payload"]["messages"][0]["content"]:
        if part["type"] == "image_url":
            header, data = part["image_url"]["url"].split(",", 1)
            assert header.startswith("data:image/") and header.endswith(";base64")
            images.append(Image.open(io.BytesIO(base64.b64decode(data))))
    return images


# model.image_max_side, model_reply_invalid, model_reply_truncated ------------------------------
@pytest.mark.slow
def test_bad_replies_are_quarantined_by_reason_and_prompt_images_are_scaled(run_recipe):
    """A reply that is not JSON, one that breaks the schema and one cut off at max_tokens
    (finish_reason "length") each cost their sample with that reason; the page image the
    model was sent is scaled to `model.image_max_side` on its long side."""
    with FaultServer(content=DOC_REPLY) as s:
        s.set('text:{"question": "Which', 'text:{"question": 1, "answer": "a", "evidence": ["p0w0"]}', "length")
        out, summary = run_recipe("doc_qa", num_samples=4, generator__dpi=72, model__image_max_side=256,
                                  output__samples_per_shard=4, runtime__rows_per_task=2, **model_sets(s))
        requests = list(s.requests)
    # the script's last step repeats: two invalid replies, then two cut off; one request per sample
    assert len(requests) == 4
    assert summary.kept == 0
    assert summary.rejected_by_reason == {"parse/model_reply_invalid": 2, "parse/model_reply_truncated": 2}
    rows = {r["index"]: r for r in quarantined(out)}
    assert sorted(rows) == [0, 1, 2, 3]
    by_reason: dict[str, list[str]] = {}
    for row in rows.values():
        assert row["stage"] == "annotate"
        by_reason.setdefault(row["reason"], []).append(row["detail"])
    assert sorted(by_reason) == ["model_reply_invalid", "model_reply_truncated"]
    invalid = " | ".join(by_reason["model_reply_invalid"])
    assert "not JSON" in invalid and "question: 1 is not of type 'string'" in invalid, invalid
    assert all(DOC_REPLY[: len(DOC_REPLY) // 2][:40] in d for d in by_reason["model_reply_truncated"])
    # every page at 72 dpi is over 256 px on its long side (A4 842, letter 792, a slide 960): each is sent at 256
    for req in requests:
        [image] = prompt_images(req)
        assert max(image.size) == 256, image.size


# model.frames ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_model_is_shown_model_frames_of_a_clip(run_recipe):
    """A clip sampled at 6 frames is shown to the model as `model.frames` = 3 frames plus its audio."""
    with FaultServer() as s:
        out, summary = run_recipe("av_temporal_qa", num_samples=2, generator__size=[320, 180],
                                  generator__duration_s=[6, 7], generator__frames=6, model__frames=3,
                                  output__samples_per_shard=2, runtime__rows_per_task=1, **model_sets(s))
        requests = list(s.requests)
    assert summary.kept + summary.rejected == 2
    assert len(requests) == 2, summary.rejected_by_reason
    for req in requests:
        content = req["payload"]["messages"][0]["content"]
        assert [p["type"] for p in content] == ["image_url"] * 3 + ["input_audio", "text"]
        assert [im.size for im in prompt_images(req)] == [(320, 180)] * 3
        assert "You get 3 frames" in content[-1]["text"]


@pytest.mark.slow
def test_a_clip_goes_to_the_model_as_video_with_its_sound_when_asked(run_recipe, tmp_path):
    """`model.clip_input=video`: the request carries the clip's mp4 (video_url) and asks the server to feed its own
    sound track with the pictures (use_audio_in_video); vLLM's in-pipeline engine gets the same as decoded frames
    with vLLM's video metadata plus the track, paired by the processor."""
    import pickle

    from omnisynth.pipelines.vllm import Preprocess
    from omnisynth.schemas.recipe import RecipeError, load_recipe

    with pytest.raises(RecipeError, match="model.clip_input 'video'.*generator.media"):
        load_recipe("av_temporal_qa", [("model.engine", "openai"), ("model.base_url", "http://127.0.0.1:9/v1"),
                                       ("model.name", "m"), ("model.clip_input", "video")])
    with FaultServer() as s:
        out, summary = run_recipe("av_temporal_qa", num_samples=2, generator__size=[320, 180],
                                  generator__duration_s=[6, 7], generator__media=["frames", "wav", "mp4"],
                                  model__clip_input="video", output__samples_per_shard=2, runtime__rows_per_task=1,
                                  **model_sets(s))
        requests = list(s.requests)
    assert len(requests) == 2, summary.rejected_by_reason
    for req in requests:
        payload = req["payload"]
        content = payload["messages"][0]["content"]
        assert [p["type"] for p in content] == ["video_url", "text"]
        assert payload["mm_processor_kwargs"] == {"use_audio_in_video": True}
        assert "second clip as a video with its sound, time-aligned" in content[-1]["text"]
        url = content[0]["video_url"]["url"]
        assert url.startswith("data:video/mp4;base64,")
        mp4 = tmp_path / "sent.mp4"
        mp4.write_bytes(base64.b64decode(url.split(",", 1)[1]))
        streams = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,width,height",
                                  "-of", "csv=p=0", str(mp4)], capture_output=True, text=True, check=True).stdout
        assert sorted(streams.split()) == ["audio", "video,320,180"]
    # the vllm engine's rows: frames at model.video_fps with vLLM's metadata, and the track beside them
    recipe = load_recipe("av_temporal_qa", [("generator.size", [320, 180]), ("generator.duration_s", [6, 6]),
                                            ("generator.media", ["frames", "wav", "mp4"]),
                                            ("model.clip_input", "video")])
    from omnisynth.generators.clips.generator import AvGenerator
    from omnisynth.model.model_tasks import model_task
    from omnisynth.schemas.truth import SampleSpec, WorkItem

    spec = SampleSpec("av_temporal_qa", 0, 0, 0)
    members, truth = AvGenerator(recipe.generator, recipe.task).render(spec)
    item = WorkItem(spec, truth=truth, media=members)
    item.request = model_task(recipe).request(item, random.Random(0))
    row = Preprocess(recipe)({"item": pickle.dumps(item)})
    assert [p["type"] for p in row["messages"][0]["content"]] == ["video", "text"]
    assert row["mm_processor_kwargs"] == {"use_audio_in_video": True}
    [(frames, meta)] = row["multimodal_data"]["video"]
    [(track, rate)] = row["multimodal_data"]["audio"]
    assert frames.shape == (12, 180, 320, 3) and meta["fps"] == 25 and meta["frames_indices"][:3] == [0, 12, 25]
    assert rate == 16000 and abs(len(track) / rate - 6.0) < 0.1 and float(np.abs(track).max()) > 0.05


# exit code 3 on a mid-run circuit break; the API key never in output or Ray's logs -------------
@pytest.mark.slow
def test_cli_exits_3_when_the_endpoint_dies_midway_and_never_shows_the_key(tmp_path, ray_tmp):
    """`omnisynth run --engine openai` as a subprocess: the endpoint goes down after two replies, the
    run ends with exit code 3 and tells to rerun; the API key reached the server in the Authorization
    header and appears nowhere in stdout, stderr, the output folder or the run's Ray session files."""
    secret = f"sk-claim-{uuid.uuid4().hex}"
    out = tmp_path / "out"
    with FaultServer(content=DOC_REPLY) as s:
        s.set("ok", "ok", "down")
        done = run_cli(omnisynth_cli(
            "run", "doc_qa", "--out", str(out), "--engine", "openai", "--num-samples", "12",
            "--set", f"model.base_url={s.url}", "--set", f"model.name={s.model}",
            "--set", "model.api_key_env=OMNISYNTH_CLAIMS_KEY", "--set", "model.retries=1",
            "--set", "model.backoff_s=0.01", "--set", "model.circuit_failures=2", "--set", "generator.dpi=72",
            "--set", "output.samples_per_shard=3", "--set", "runtime.rows_per_task=3",
            "--set", "runtime.num_cpus=2"), cli_env(OMNISYNTH_CLAIMS_KEY=secret, RAY_TMPDIR=ray_tmp))
        requests = list(s.requests)
    assert done.returncode == 3, done.stderr[-3000:]
    assert f"error: model endpoint {s.url} failed" in done.stderr, done.stderr[-3000:]
    assert "requests in a row" in done.stderr and "rerun the same command" in done.stderr
    assert len(requests) >= 3 and all(r["headers"].get("Authorization") == f"Bearer {secret}" for r in requests)
    logs = list(Path(ray_tmp).glob("ray/session_*/logs/*"))
    assert any(p.name.startswith("worker-") for p in logs), f"no Ray worker logs under RAY_TMPDIR: {logs}"
    files = [p for p in [*Path(ray_tmp).rglob("*"), *out.rglob("*")] if p.is_file() and not p.is_symlink()]
    leaked = [str(p) for p in files if secret.encode() in p.read_bytes()]
    assert leaked == []
    assert secret not in done.stdout and secret not in done.stderr


# "energon: skipped" without Megatron-Energon -----------------------------------------------------
BLOCK_ENERGON = '''"""Test helper: make `megatron.energon` unimportable, as on a machine without the extra."""
import sys


class _NoEnergon:
    def find_spec(self, name, path=None, target=None):
        if name == "megatron.energon" or name.startswith("megatron.energon."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NoEnergon())
'''


@pytest.mark.slow
def test_a_run_without_energon_finishes_and_its_manifest_says_skipped(tmp_path, ray_tmp):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCK_ENERGON)
    env = cli_env(PYTHONPATH=os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
                  RAY_TMPDIR=ray_tmp)
    probe = [sys.executable, "-c", "import megatron.energon"]
    installed = subprocess.run(probe, env=cli_env(), capture_output=True, timeout=120)
    assert installed.returncode == 0, "Energon must be installed here, or this test proves nothing"
    blocked = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=120)
    assert blocked.returncode == 1 and "No module named 'megatron.energon'" in blocked.stderr
    out = tmp_path / "out"
    done = run_cli(omnisynth_cli("run", "doc_qa", "--out", str(out), "--num-samples", "4", "--set", "generator.dpi=72",
                                 "--set", "runtime.num_cpus=2"), env)
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kept"] + manifest["rejected"] == 4 and manifest["kept"] > 0
    assert manifest["run"]["energon"].startswith("skipped: megatron-energon not installed"), manifest["run"]
    assert "omnisynth energon DIR" in manifest["run"]["energon"]
    assert not (out / ".nv-meta").exists()
    assert verify(out).errors == []


# service workers ---------------------------------------------------------------------------------
SW_PAGE = b"""<!doctype html><title>sw</title><button>Go</button><script>
window.swResult = ('serviceWorker' in navigator)
  ? navigator.serviceWorker.register('/sw.js').then(r => r ? 'registered' : 'nothing', e => 'error: ' + e.message)
  : Promise.resolve('no serviceWorker');
</script>"""
SW_SCRIPT = b"self.addEventListener('fetch', e => e.respondWith(new Response('from the worker')));"


class SwSite:
    """A loopback HTTP site whose page registers a service worker; records each request path."""

    def __init__(self):
        self.hits: list[str] = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                site.hits.append(self.path)
                body, kind = (SW_SCRIPT, "text/javascript") if self.path == "/sw.js" else (SW_PAGE, "text/html")
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_page_cannot_register_a_service_worker(tmp_path):
    """The browser context our pages get blocks service-worker registration.

    Pages in it never reach an http origin (the route refuses it, the context is offline), and
    file:// and about:blank cannot register workers at all, so to see this layer on its own the
    probe lifts the route and the offline switch of one such context and shows it a page on
    127.0.0.1 that registers a worker. A context without our options, in the same browser,
    registers it: the probe can fail."""
    from omnisynth.generators.gui.browser import Browser

    site = SwSite()
    browser = Browser(timeout_s=20)

    async def probe(context) -> tuple[str, int]:
        page = await context.new_page()
        await page.goto(site.url, wait_until="load")
        result = await page.evaluate("window.swResult")
        count = await page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)")
        await context.close()
        return result, count

    async def ours():
        context = await browser._new_context((800, 600), 1.0, None)
        await context.unroute_all()
        await context.set_offline(False)
        return await probe(context)

    async def unguarded():
        return await probe(await browser._browser.new_context())

    try:
        browser._ensure()
        result, count = browser._call(ours(), "service worker probe")
        assert (result, count) == ("nothing", 0)
        assert "/" in site.hits and "/sw.js" not in site.hits  # the worker's script was never even fetched
        result, count = browser._call(unguarded(), "unguarded probe")
        assert (result, count) == ("registered", 1)
        assert site.hits.count("/sw.js") == 1
    finally:
        browser.close()
        site.close()


# scripts/run.sh ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_run_sh_sets_up_runs_and_verifies(tmp_path, ray_tmp):
    """`bash scripts/run.sh --num-samples 8`: set-up (idempotent), a doc_qa run, verify; OMNISYNTH_OUT
    moves the output folder (out/doc_qa by default) into the test's own."""
    out = tmp_path / "doc_qa"
    default = ROOT / "out" / "doc_qa"
    had_default = default.exists()
    done = run_cli(["bash", "scripts/run.sh", "--num-samples", "8"],
                   cli_env(OMNISYNTH_OUT=str(out), RAY_TMPDIR=ray_tmp), timeout=590, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kept"] + manifest["rejected"] == 8 and manifest["kept"] > 0
    assert "omnisynth run doc_qa: 8 samples" in done.stdout
    assert f"verify: 1 shards, {manifest['kept']} samples: OK" in done.stdout, done.stdout[-2000:]
    assert verify(out).errors == []
    assert default.exists() == had_default
