"""The openai engine's protocol and fault handling, against a scripted server on loopback.

Real model replies come from a real vLLM (tests/test_vllm.py); this server only plays the
faults: 5xx, 429, timeouts, resets, truncated and malformed bodies, a refused request and an
endpoint that goes down mid-run.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tarfile

import pytest

from omnisynth.model.openai_client import EndpointDown, OpenAIClient, parse_json_reply
from tests.fault_server import FaultServer

PAYLOAD = {"model": "fault-model", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def server():
    with FaultServer() as s:
        yield s


def client(server, **kw) -> OpenAIClient:
    args = {"timeout_s": 2.0, "retries": 3, "backoff_s": 0.01, "concurrency": 4, "circuit_failures": 3} | kw
    return OpenAIClient(server.url, **args)


@pytest.mark.parametrize("fault", ["500", "429", "reset", "truncated", "malformed", "sleep:3"])
def test_a_transient_fault_is_retried_until_the_reply_comes(server, fault):
    server.set(fault, "ok")
    reply = client(server).chat(PAYLOAD)
    assert reply.text == server.content and reply.attempts == 2
    assert len(server.requests) == 2


class CeilingJitter(random.Random):
    """Full jitter drawn at its ceiling, with the ceilings recorded: the waits become known."""

    def __init__(self):
        super().__init__(0)
        self.ceilings: list[float] = []

    def uniform(self, a, b):
        self.ceilings.append(b)
        return b


def test_retries_back_off_exponentially(server):
    server.set("500", "500", "500", "ok")
    jitter = CeilingJitter()
    reply = client(server, backoff_s=0.2, rng=jitter).chat(PAYLOAD)
    assert reply.text is not None and reply.attempts == 4
    # each retry's jitter range doubles from backoff_s ...
    assert jitter.ceilings == pytest.approx([0.2, 0.4, 0.8])
    # ... and the client really waits what it drew before the next request reaches the server
    gaps = [b["time"] - a["time"] for a, b in zip(server.requests, server.requests[1:], strict=False)]
    assert len(gaps) == 3
    for gap, wait in zip(gaps, jitter.ceilings, strict=False):
        assert gap >= wait, (gaps, jitter.ceilings)


def test_a_refused_request_fails_that_sample_only_without_retries(server):
    server.set("400")
    reply = client(server).chat(PAYLOAD)
    assert reply.text is None and reply.reason == "model_request_refused" and "HTTP 400" in reply.detail
    assert len(server.requests) == 1


def test_persistent_malformed_bodies_fail_the_sample_not_the_run(server):
    server.set("malformed")
    reply = client(server, circuit_failures=1).chat(PAYLOAD)  # a server that answers is not down
    assert reply.reason == "model_response_malformed" and reply.attempts == 4


def test_the_circuit_opens_when_the_endpoint_is_down(server):
    server.set("down")
    c = client(server)
    with pytest.raises(EndpointDown, match=r"failed (\d+) requests in a row.*rerun the same command") as caught:
        c.chat_many([PAYLOAD] * 6)
    # the circuit opens at the third failure in a row; with four in flight, the error that surfaces first
    # (in payload order) may carry a later count, up to the six requests there were
    streak = int(caught.value.args[0].split(" failed ")[1].split()[0])
    assert 3 <= streak <= 6, caught.value


def test_a_success_closes_the_circuit_again(server):
    server.set("reset", "reset", "reset", "reset", "ok")
    c = client(server, circuit_failures=2)
    assert c.chat(PAYLOAD).reason == "model_unavailable"  # one request that failed every retry
    assert c.chat(PAYLOAD).text is not None  # and the next succeeds: the streak starts over
    assert c._down_streak == 0


def test_replies_are_checked_against_the_schema():
    schema = {"type": "object", "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5}},
              "required": ["score"], "additionalProperties": False}
    assert parse_json_reply('{"score": 4}', schema) == {"score": 4}
    for bad, why in [('{"score": 9}', "score: 9 is greater than the maximum"), ("{score", "not JSON"),
                     ('{"score": 2, "x": 1}', "Additional properties"), ('"\\ud800"', "not valid Unicode")]:
        with pytest.raises(ValueError, match=why):
            parse_json_reply(bad, schema)


def _doc_recipe(server, tmp_path, **extra):
    from omnisynth.schemas.recipe import load_recipe

    sets = {"num_samples": 6, "model.engine": "openai", "model.base_url": server.url, "model.name": "fault-model",
            "model.backoff_s": 0.01, "model.retries": 2, "model.circuit_failures": 2, "model.timeout_s": 30,
            "model.sampling.seed": 7, "output.samples_per_shard": 3, "runtime.rows_per_task": 3} | extra
    return load_recipe("doc_qa", list(sets.items()))


@pytest.mark.slow
def test_openai_engine_run_provenance_key_pairs_and_dead_endpoint(ray_session, tmp_path, monkeypatch):
    from omnisynth.pipelines.runner import run

    secret = "sk-test-0123456789abcdef"
    monkeypatch.setenv("OMNISYNTH_TEST_KEY", secret)
    with FaultServer(content='{"question": "What is the first word?", "answer": "zzqx", "evidence": ["p0w0"]}') as s:
        # a model that answers off the page: every candidate is rejected by the ground truth, with a pair
        recipe = _doc_recipe(s, tmp_path, **{"model.api_key_env": "OMNISYNTH_TEST_KEY"})
        out = tmp_path / "run"
        summary = run(recipe, out)
        assert summary.kept == 0 and summary.rejected == 6
        assert summary.rejected_by_reason == {"ground_truth/answer_not_under_evidence": 6}
        assert all(r["headers"]["Authorization"] == f"Bearer {secret}" for r in s.requests)
        sent = s.requests[0]["payload"]
        assert sent["response_format"]["type"] == "json_schema"
        assert sent["response_format"]["json_schema"]["schema"]["required"] == ["question", "answer", "evidence"]
        assert sent["temperature"] == 0.7 and sent["max_tokens"] == 384
        assert sorted(r["payload"]["seed"] for r in s.requests) == [7 + i for i in range(6)]
        content = sent["messages"][0]["content"]
        assert content[0]["type"] == "image_url" and content[0]["image_url"]["url"].startswith("data:image/png;base64,")
        assert "[p0w0]" in content[-1]["text"]
        for path in out.rglob("*"):  # the key is read from the environment, never written anywhere
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["model"]["engine"] == "openai" and manifest["model"]["name"] == "fault-model"
        assert manifest["tokens"] == {"annotate": {"prompt": 60, "completion": 30, "calls": 6}}  # the server's usage
        assert manifest["model"]["sampling"]["seed"] == 7 and len(manifest["model"]["prompt_hash"]) == 16
        assert manifest["recipe"]["model"]["api_key_env"] == "OMNISYNTH_TEST_KEY"
        rows = [json.loads(x) for p in sorted((out / "quarantine").glob("*.jsonl")) for x in p.read_text().splitlines()]
        prov = rows[0]["sample"]["provenance"]
        assert prov["engine"] == "openai" and prov["model"] == "fault-model"
        assert prov["sampling"] == {"temperature": 0.7, "top_p": 0.95, "max_tokens": 384, "seed": 7 + rows[0]["index"]}
        assert prov["prompt_hash"] == manifest["model"]["prompt_hash"]
        # each rejected candidate has the oracle's verified answer to the same prompt as its pair
        assert manifest["pairs"] == 6
        pairs = {}
        for tar_path in sorted((out / "pairs").glob("*.tar")):
            with tarfile.open(tar_path) as tar:
                for m in tar:
                    if m.name.endswith(".pair.json"):
                        pairs[m.name] = json.loads(tar.extractfile(m).read())
                    else:
                        assert m.name.endswith(".png")
        assert len(pairs) == 6
        for pair in pairs.values():
            assert json.loads(pair["rejected"])["answer"] == "zzqx"
            chosen = json.loads(pair["chosen"])
            assert chosen["answer"] != "zzqx" and chosen["evidence"]
            assert pair["reason"] == "answer_not_under_evidence" and pair["prompt"][0]["content"][-1]["type"] == "text"
        # ... which the trainer's dpo stage reads as they are: chosen = verified, rejected = the model's
        _dpo_on_pairs(out, tmp_path)

        # the endpoint dies mid-run: the run stops with a clear error rather than quarantining every sample
        s.set("ok", "ok", "down")
        out2 = tmp_path / "down"
        with pytest.raises(EndpointDown, match=rf"{s.url}.*failed \d+ requests in a row"):
            run(_doc_recipe(s, tmp_path, **{"num_samples": 12}), out2)
        assert not list((out2 / "quarantine").glob("*.jsonl")) or all(
            "model_unavailable" not in p.read_text() for p in (out2 / "quarantine").glob("*.jsonl"))
        # back up: the same command resumes and finishes
        s.set("ok")
        assert run(_doc_recipe(s, tmp_path, **{"num_samples": 12}), out2).rejected == 12


def test_dead_endpoint_and_missing_key_are_refused_before_any_work(tmp_path):
    with FaultServer() as s:
        url = s.url
    cmd = [sys.executable, "-m", "omnisynth.cli", "run", "doc_qa", "--out", str(tmp_path / "x"), "--engine", "openai",
           "--set", f"model.base_url={url}", "--set", "model.name=m"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3 and f"model endpoint {url} is not reachable" in done.stderr
    assert not (tmp_path / "x").exists()
    with FaultServer() as s:
        cmd = [sys.executable, "-m", "omnisynth.cli", "run", "doc_qa", "--out", str(tmp_path / "y"), "--engine", "openai",
               "--set", f"model.base_url={s.url}", "--set", "model.name=other", "--set", "model.api_key_env=NOPE_KEY_X"]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert done.returncode == 3 and "NOPE_KEY_X, which is not set" in done.stderr
        cmd[-1] = "model.api_key_env=HOME"
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert done.returncode == 3 and "model.name 'other' is not served" in done.stderr and "fault-model" in done.stderr


def test_model_recipes_are_checked_up_front():
    from omnisynth.schemas.recipe import RecipeError, load_recipe

    with pytest.raises(RecipeError, match="engine 'openai' needs model.base_url"):
        load_recipe("doc_qa", [("model.engine", "openai"), ("model.name", "m")])
    with pytest.raises(RecipeError, match="engine 'vllm' needs model.path"):
        load_recipe("doc_qa", [("model.engine", "vllm")])
    with pytest.raises(RecipeError, match="a model cannot write task.kind 'gui_actions'"):
        load_recipe("gui_actions", [("model.engine", "vllm"), ("model.path", "org/model")])
    with pytest.raises(RecipeError, match="GUI recipes call the model over HTTP"):
        load_recipe("gui_grounding", [("model.engine", "vllm"), ("model.path", "org/model")])
    with pytest.raises(RecipeError, match="model.path '/nonexistent/m' is not a model folder"):
        load_recipe("doc_qa", [("model.engine", "vllm"), ("model.path", "/nonexistent/m")])
    with pytest.raises(RecipeError, match="model.api_key_env must name an environment variable"):
        load_recipe("doc_qa", [("model.engine", "openai"), ("model.name", "m"), ("model.base_url", "http://127.0.0.1:1/v1"),
                               ("model.api_key_env", "sk-abc")])
    with pytest.raises(RecipeError, match="judge.mode 'on' needs a model engine"):
        load_recipe("doc_qa", [("filters.judge.mode", "on")])


def _dpo_on_pairs(out, tmp_path) -> None:
    import yaml

    from omnisynth.train.curriculum import load_curriculum
    from omnisynth.train.trainer import Trainer

    stage = {"name": "pairs", "objective": "dpo", "data": [{"path": str(out), "pairs": True}], "steps": 4,
             "batch_size": 2, "seq_len": 8192, "lr": {"peak": 1e-3, "warmup": 0, "schedule": "constant"}}
    path = tmp_path / "dpo.yaml"
    path.write_text(yaml.safe_dump({"heldout": 0.0, "tokenizer": {"vocab_size": 400}, "stages": [stage]}))
    summary = Trainer(load_curriculum(str(path)), tmp_path / "ckpt", tmp_path, quiet=True).run()
    assert summary["stages"][0]["no_rejected"] == 0 and summary["stages"][0]["skipped_long"] == 0
    rows = [json.loads(x) for x in (tmp_path / "ckpt" / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 4 and rows[-1]["loss"] < 0.6931, rows   # the model's reply now loses to the verified one

