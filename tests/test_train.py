"""The staged trainer: real tiny runs on shards our recipes made (real Ray, Chromium, ffmpeg).

Nothing here asserts a loss value from a fixed seed; the tests assert learning (loss falls,
held-out answer likelihood and task metrics rise over the previous checkpoint and above
chance), exact resumption, and the refusal of bad stage files.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from omnisynth.geometry import iou
from omnisynth.train.evaluate import anls, evaluate, headline, score
from omnisynth.train.curriculum import StageError, load_curriculum
from omnisynth.train.trainer import Trainer
from omnisynth.train.data import BOX, Stream, heldout, open_source, perturb

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def data(ray_session, tmp_path_factory) -> Path:
    """Small outputs of the three stages' recipes, side by side as the curriculum expects them."""
    from omnisynth.pipelines.runner import run
    from omnisynth.schemas.recipe import load_recipe

    root = tmp_path_factory.mktemp("train_data")
    for name, n in (("doc_qa", 160), ("gui_grounding", 128), ("av_temporal_qa", 96)):
        run(load_recipe(name, [("num_samples", n)]), root / name)
    return root


def tiny(tmp: Path, stages: list[dict], **top) -> Path:
    """A stage file from the bundled curriculum's model, with these stages."""
    base = yaml.safe_load((ROOT / "omnisynth/train/curricula/omni_tiny.yaml").read_text())
    base.update(top)
    base["stages"] = stages
    path = tmp / f"stages-{len(list(tmp.glob('stages-*.yaml')))}.yaml"
    path.write_text(yaml.safe_dump(base))
    return path


def sft(name: str, data: dict[str, float], steps: int, lr: float = 3e-3, **kw) -> dict:
    return {"name": name, "objective": "sft", "data": [{"path": p, "weight": w} for p, w in data.items()],
            "steps": steps, "batch_size": 8, "seq_len": 192,
            "lr": {"peak": lr, "warmup": 5, "schedule": "cosine", "min_ratio": 0.1}, **kw}


def losses(out: Path, stage: str) -> list[float]:
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return [r["loss"] for r in rows if r.get("stage") == stage and "loss" in r]


# --- the curriculum: each stage learns its task; replay measured against no replay ---

@pytest.mark.slow
def test_curriculum_learns_each_stage_and_replay_limits_forgetting(data, tmp_path, capsys):
    stages = [sft("v1_documents", {"doc_qa": 1.0}, 80),
              sft("v2_grounding", {"gui_grounding": 0.7, "doc_qa": 0.3}, 80),
              sft("omni_av", {"av_temporal_qa": 0.6, "gui_grounding": 0.2, "doc_qa": 0.2}, 80),
              {"name": "dpo", "objective": "dpo", "data": [{"path": "gui_grounding"}, {"path": "doc_qa"}],
               "train": ["language", "projectors"], "steps": 12, "batch_size": 8, "seq_len": 192, "beta": 0.1,
               "lr": {"peak": 5e-4, "warmup": 0, "schedule": "constant"}},
              # clips and grounding, as in the bundled curriculum. A reward is earned by a well-formed right answer,
              # which this tiny model samples about once in 16: 2 prompts x 4 answers x 3 steps all earned 0 (no
              # advantage, no update) once its SFT data changed, and 6 steps of 4 x 4 answers all earned 0 once the clips
              # gained photographs, people and new question types; 12 steps of 4 x 4 give a group its spread
              {"name": "grpo", "objective": "grpo", "data": [{"path": "av_temporal_qa"}, {"path": "gui_grounding"}],
               "train": ["language", "projectors"], "steps": 12, "batch_size": 4, "group_size": 4,
               "max_new_tokens": 12, "seq_len": 192, "beta": 0.04,
               "lr": {"peak": 1e-4, "warmup": 0, "schedule": "constant"}}]
    out = tmp_path / "ckpt"
    cur = load_curriculum(str(tiny(tmp_path, stages, heldout=0.2, save_every=1000)))
    summary = Trainer(cur, out, data, quiet=True).run()
    assert [s["stage"] for s in summary["stages"]] == ["v1_documents", "v2_grounding", "omni_av", "dpo", "grpo"]
    for name in ("v1_documents", "v2_grounding", "omni_av"):
        curve = losses(out, name)
        assert np.mean(curve[-2:]) < 0.8 * curve[0], (name, curve)
    dpo = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()
           if '"stage": "dpo"' in line]
    # preference learned: the stage's loss, averaged over its steps, is below chance (log 2, where every DPO
    # stage starts: the policy is its reference), and the logged steps rank the chosen answer first more often
    # than not. One window alone is too noisy a measure (2 steps of 8 pairs: 0.74 happens on a learning run)
    steps = [r["step"] - p for r, p in zip(dpo, [0] + [r["step"] for r in dpo[:-1]], strict=True)]
    mean_loss = sum(r["loss"] * n for r, n in zip(dpo, steps, strict=True)) / sum(steps)
    with capsys.disabled():
        print(f"\ndpo: mean loss {mean_loss:.3f} over {sum(steps)} steps; rows {[(r['step'], round(r['loss'], 3), r['reward_acc']) for r in dpo]}")
    assert mean_loss < 0.69 and np.mean([r["reward_acc"] for r in dpo]) > 0.5, dpo
    grpo = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if '"stage": "grpo"' in line]
    assert grpo and 0 <= grpo[-1]["reward"] <= 1
    # the GRPO update did something: the policy drifted from its stage-start reference (or the last step
    # was the first with a reward spread: it had a gradient), the trained weights moved and the frozen
    # encoders did not (with no reward signal, or no update, they all stay)
    assert grpo[-1]["kl"] > 0 or grpo[-1]["grad_norm"] > 0, grpo
    from safetensors.torch import load_file

    before, after = (load_file(out / name / "model.safetensors") for name in ("04-dpo", "05-grpo"))
    moved = [k for k in before if not torch.equal(before[k], after[k])]
    assert moved, "GRPO left every weight where DPO put it"
    assert all(k.startswith(("language_model.", "vision_projector.", "audio_projector.")) for k in moved), moved

    # the same stages 2-3 without replay, from stage 1's checkpoint: the forgetting baseline
    plain = tmp_path / "no_replay"
    cur2 = load_curriculum(str(tiny(tmp_path, [sft("v2_grounding", {"gui_grounding": 1.0}, 80),
                                               sft("omni_av", {"av_temporal_qa": 1.0}, 80)],
                                    heldout=0.2, save_every=1000, init=str(out / "01-v1_documents"))))
    Trainer(cur2, plain, data, quiet=True).run()

    sources = ["doc_qa", "gui_grounding", "av_temporal_qa"]
    # the SFT stages' checkpoints are the ones compared (DPO and GRPO are checked above by their own metrics);
    # a training output lists every stage in order, a saved model folder is evaluated alone
    from omnisynth.train.evaluate import _checkpoints

    order = ["init", "01-v1_documents", "02-v2_grounding", "03-omni_av", "04-dpo", "05-grpo"]
    assert [p.name for p in _checkpoints(out)] == order
    table = {}
    for name in order[:4]:
        table |= evaluate(out / name, sources, heldout_fraction=0.2, base=data, max_new_tokens=24)
    # the baseline is compared at its last checkpoint only (teacher-forced metrics): one checkpoint to evaluate
    base_table = evaluate(plain / "02-omni_av", sources, heldout_fraction=0.2, base=data, max_new_tokens=24)
    assert list(table) == order[:4]
    with capsys.disabled():
        print("\nheld-out task metric / teacher-forced token accuracy / answer NLL, per checkpoint:")
        for name, t in (("replay", table), ("no replay", base_table)):
            for ck in t:
                print(f"  {name:<10}{ck:<18}" + "".join(
                    f"{s}: {headline(t[ck][s]):.3f} / {t[ck][s]['all']['token_acc']:.3f} / {t[ck][s]['all']['nll']:.2f}   "
                    for s in sources))
    # each stage improves its own task over the checkpoint before it, on held-out samples: the
    # reference answers become likelier and more of their tokens are the model's first choice
    for before, after, src in (("init", "01-v1_documents", "doc_qa"), ("01-v1_documents", "02-v2_grounding", "gui_grounding"),
                               ("02-v2_grounding", "03-omni_av", "av_temporal_qa")):
        b, a = table[before][src]["all"], table[after][src]["all"]
        assert a["nll"] < 0.8 * b["nll"], (src, before, after, b, a)
        assert a["token_acc"] > b["token_acc"] + 0.1 and a["token_acc"] > 10 * a["token_chance"], (src, b, a)
    # clip answers are short enough to get right at this size: accuracy rises from nothing
    assert headline(table["03-omni_av"]["av_temporal_qa"]) > headline(table["02-v2_grounding"]["av_temporal_qa"]) + 0.1
    # retention after stage 3: with replay the earlier tasks keep more of what they learned
    for src in ("doc_qa", "gui_grounding"):
        kept, forgot = table["03-omni_av"][src]["all"], base_table["02-omni_av"][src]["all"]
        assert kept["nll"] < forgot["nll"] and kept["token_acc"] > forgot["token_acc"], (src, kept, forgot)


# --- resume: a killed run, rerun, ends with exactly the weights of an uninterrupted one ---

@pytest.mark.slow
def test_killed_run_resumes_exactly(data, tmp_path):
    stages = [sft("a", {"doc_qa": 1.0, "gui_grounding": 1.0}, 16),
              {"name": "b", "objective": "dpo", "data": [{"path": "gui_grounding"}], "steps": 6, "batch_size": 4,
               "seq_len": 192, "lr": {"peak": 5e-4, "warmup": 0, "schedule": "constant"}}]
    path = tiny(tmp_path, stages, save_every=3)
    Trainer(load_curriculum(str(path)), tmp_path / "straight", data, quiet=True).run()

    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "omnisynth", "train", str(path), "--out", str(out), "--data-root", str(data), "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline:
        if (out / "state.pt").is_file() and torch.load(out / "state.pt", weights_only=False)["step"] >= 6:
            break
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "02-b").exists()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "resuming at stage 1 (a), step" in done.stderr
    from safetensors.torch import load_file

    a = load_file(tmp_path / "straight" / "02-b" / "model.safetensors")
    b = load_file(out / "02-b" / "model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not (out / "state.pt").exists()
    # a finished run rerun is a no-op; another stage file into the same folder is refused
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "every stage is finished" in again.stderr
    other = tiny(tmp_path, [sft("a", {"doc_qa": 1.0}, 5)])
    refused = subprocess.run([*cmd[:4], str(other), *cmd[5:]], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "another stage file" in refused.stderr


# --- pieces ---

def test_saved_stage_is_a_hugging_face_folder(data, tmp_path):
    from transformers import AutoModel, AutoTokenizer

    from omnisynth.train.omni import OmniModel
    from omnisynth.train.data import Encoder, collate, media_kwargs

    out = tmp_path / "ck"
    Trainer(load_curriculum(str(tiny(tmp_path, [sft("s", {"av_temporal_qa": 1.0}, 2)]))), out, data, quiet=True).run()
    folder = out / "01-s"
    model = AutoModel.from_pretrained(folder).eval()
    assert isinstance(model, OmniModel)
    tok = AutoTokenizer.from_pretrained(folder)
    text = tok.apply_chat_template([{"role": "user", "content": [{"type": "image"}, {"type": "audio"},
                                                                   {"type": "text", "text": "When?"}]}],
                                   tokenize=False, add_generation_prompt=True)
    assert "<|vision_bos|><|IMAGE|><|vision_eos|><|audio_bos|><|AUDIO|><|audio_eos|>When?" in text
    src = open_source("av_temporal_qa", 1.0, data, 0.1)
    sample, members = src.read(src.keys[0])
    enc = Encoder(tok, model.config)
    batch = collate([enc.full(enc.prompt(sample["messages"], members), sample["answer"])], tok.pad_token_id)
    n_frames = sum(1 for p in sample["messages"][0]["content"] if p["type"] == "image")
    assert int((batch["input_ids"] == model.config.special_ids["image"]).sum()) == n_frames * model.config.frame_grid ** 2
    assert batch["mels"].shape[-1] == model.config.audio_config["n_mels"]
    with torch.no_grad():
        a = model(batch["input_ids"], attention_mask=batch["attention_mask"], **media_kwargs(batch))
        b = OmniModel.from_pretrained(folder).eval()(batch["input_ids"], attention_mask=batch["attention_mask"],
                                                      **media_kwargs(batch))
    assert torch.equal(a, b)
    # omnisynth eval on the training folder: init and the stage, per-sample rows, the held-out split it used
    from omnisynth.cli import main

    rows, table = tmp_path / "rows.jsonl", tmp_path / "table.json"
    assert main(["eval", str(out), "--data", "av_temporal_qa", "--data-root", str(data), "--limit", "3",
                 "--results", str(rows), "--json", str(table)]) == 0
    got = [json.loads(line) for line in rows.read_text().splitlines()]
    held = open_source("av_temporal_qa", 1.0, data, 0.1, split="heldout").keys[:3]
    assert [(r["checkpoint"], r["key"]) for r in got] == [(c, k) for c in ("init", "01-s") for k in held]
    assert all(r["task"].startswith("av_temporal_qa/") and r["correct"] in (0.0, 1.0) for r in got)
    assert set(json.loads(table.read_text())) == {"init", "01-s"}
    # the audio changes what the model computes: the embeddings really reach the language model
    batch["mels"] = torch.zeros_like(batch["mels"])
    with torch.no_grad():
        c = model(batch["input_ids"], attention_mask=batch["attention_mask"], **media_kwargs(batch))
    assert not torch.allclose(a, c)


def test_stream_is_deterministic_resumable_and_never_draws_heldout(data):
    sources = [open_source(p, w, data, 0.2) for p, w in (("doc_qa", 0.75), ("gui_grounding", 0.25))]
    whole = Stream(sources, seed=3, stage=1)
    seq = [whole.next()[1] for _ in range(300)]
    part = Stream(sources, seed=3, stage=1)
    first = [part.next()[1] for _ in range(120)]
    resumed = Stream(sources, seed=3, stage=1, position=part.position)
    assert first + [resumed.next()[1] for _ in range(180)] == seq
    assert not any(heldout(k, 0.2) for k in seq)
    assert seq != [Stream(sources, seed=4, stage=1).next()[1] for _ in range(300)]
    share = sum(k.startswith("doc_qa") for k in seq) / len(seq)
    assert 0.65 < share < 0.85, share
    held = open_source("doc_qa", 1.0, data, 0.2, split="heldout")
    every = open_source("doc_qa", 1.0, data, 0.2, split="all")
    assert set(held.keys).isdisjoint(sources[0].keys) and sorted(held.keys + sources[0].keys) == every.keys
    assert 0.1 < len(held.keys) / len(every.keys) < 0.3


def test_perturbations_are_wrong_and_well_formed():
    rng = np.random.default_rng(0)
    box = {"answers": ["[100, 200, 150, 240]", "(125, 220)"], "grounding": [{"bbox_1000": [100, 200, 150, 240]}]}
    for _ in range(50):
        wrong, how = perturb(box, "[100, 200, 150, 240]", rng, [])
        assert how == "box_shifted" and BOX.match(wrong)
        assert iou([int(v) for v in BOX.match(wrong).groups()], [100, 200, 150, 240]) == 0.0
        assert score(box | {"answer": "[100, 200, 150, 240]"}, wrong)["hit"] == 0.0
    cell = {"answers": ["3,409.31", "3409.31"]}
    for _ in range(50):
        wrong, how = perturb(cell, "3,409.31", rng, [])
        assert how == "digit_changed" and wrong != "3,409.31" and len(wrong) == len("3,409.31")
    words = {"answers": ["the bell"]}
    assert perturb(words, "the bell", rng, ["the bell", "the first beep"]) == ("the first beep", "other_answer")
    assert perturb(words, "the bell", rng, ["The bell."]) is None


def test_scores_follow_the_ground_truth():
    g = {"answer": "[100, 200, 150, 240]", "answers": ["[100, 200, 150, 240]"],
         "grounding": [{"bbox_1000": [100, 200, 150, 240]}]}
    assert score(g, "[100, 200, 150, 240]") == {"kind": "grounding", "correct": 1.0, "hit": 1.0, "iou": 1.0, "reward": 1.0}
    assert score(g, "(120, 210)")["hit"] == 1.0 and score(g, "(99, 210)")["hit"] == 0.0
    assert score(g, "no box")["reward"] == 0.0
    clip = {"answer": "0.5 seconds", "answers": ["0.5 seconds", "0.5"], "events": [{}], "task": "av_temporal_qa/duration"}
    assert score(clip, "0.7 seconds")["correct"] == 1.0 and score(clip, "0.8")["correct"] == 0.0
    count = {"answer": "2", "answers": ["2", "two"], "events": [{}], "task": "av_temporal_qa/count"}
    assert score(count, "two")["correct"] == 1.0 and score(count, "3")["correct"] == 0.0
    text = {"answer": "3,409.31", "answers": ["3,409.31", "3409.31"]}
    assert score(text, "3409.31")["em"] == 1.0
    assert 0.8 < anls("3,409.81", ["3,409.31"]) < 1.0 and anls("hello", ["3,409.31"]) == 0.0


def test_a_corrupt_sample_is_skipped_with_its_reason_and_the_stage_goes_on(data, tmp_path):
    """A shard with one undecodable image and one truncated WAV among good clips."""
    import tarfile

    from omnisynth.datasets.shards import iter_tar_samples

    src = sorted((data / "av_temporal_qa" / "shards").glob("*.tar"))[0]
    samples = list(iter_tar_samples(src))[:6]
    broken = {samples[1][0]: "f00.jpg", samples[3][0]: "wav"}
    shard = tmp_path / "mixed" / "shard-000000.tar"
    shard.parent.mkdir()
    with tarfile.open(shard, "w") as tar:
        for key, members in samples:
            for ext, payload in sorted(members.items()):
                if broken.get(key) == ext:
                    payload = b"not an image" if ext.endswith("jpg") else payload[:30]
                info = tarfile.TarInfo(f"{key}.{ext}")
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    out = tmp_path / "ck"
    path = tiny(tmp_path, [sft("s", {str(tmp_path / "mixed" / "*.tar"): 1.0}, 3)], heldout=0.0)
    summary = Trainer(load_curriculum(str(path)), out, data, quiet=True).run()
    events = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    skips = [e for e in events if e.get("event") == "skipped"]
    # every draw of a broken sample is skipped and logged (the loader reads ahead, so how many
    # draws fall in the run varies; the count and the log agree exactly)
    assert summary["stages"][0]["skipped_bad"] == len(skips) >= 2
    skipped = {e["key"]: e["reason"] for e in skips}
    assert set(skipped) == set(broken), skipped
    assert "UnidentifiedImageError" in skipped[samples[1][0]], skipped
    assert "truncated" in skipped[samples[3][0]] or "wave.Error" in skipped[samples[3][0]], skipped
    assert (out / "01-s" / "config.json").is_file()


def test_grpo_advantages_are_relative_to_each_prompts_group():
    from omnisynth.train.steps import group_advantages

    rewards = torch.tensor([1.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 0.5, 0.2, 0.8, 0.2, 0.8])
    adv = group_advantages(rewards, 4).view(3, 4)
    assert torch.allclose(adv.mean(1), torch.zeros(3), atol=1e-6)  # centred within each group
    assert torch.allclose(adv[0], torch.tensor([1.5, -0.5, -0.5, -0.5]), atol=1e-3)  # the rewarded answer goes up
    assert torch.equal(adv[1], torch.zeros(4))  # answers that all score alike teach nothing
    assert torch.allclose(adv[2], torch.tensor([-0.866, 0.866, -0.866, 0.866]), atol=1e-3)  # scaled by the group's spread


def test_a_stage_whose_samples_never_fit_is_refused(data, tmp_path):
    from omnisynth.train.trainer import DataError

    path = tiny(tmp_path, [sft("s", {"av_temporal_qa": 1.0}, 2, seq_len=16)])
    with pytest.raises(DataError, match="longer than seq_len 16"):
        Trainer(load_curriculum(str(path)), tmp_path / "ck", data, quiet=True).run()


def test_bad_stage_files_are_refused_naming_the_field(tmp_path):
    good = yaml.safe_load((ROOT / "omnisynth/train/curricula/omni_tiny.yaml").read_text())
    for patch, expect in (({"stages": [{**good["stages"][0], "stpes": 3}]}, "stages.0.stpes: unknown key (did you mean 'steps'?)"),
                          ({"model": {**good["model"], "pattern": "MX"}}, "model.pattern"),
                          ({"stages": [{**good["stages"][0], "objective": "ppo"}]}, "stages.0.objective"),
                          ({"stages": [{**good["stages"][0], "train": ["decoder"]}]}, "stages.0.train"),
                          ({"stages": [{**good["stages"][0], "data": [{"path": "doc_qa", "pairs": True}]}]},
                           "preference pairs train a dpo stage"),
                          ({"stages": []}, "stages")):
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump({**good, **patch}))
        with pytest.raises(StageError) as err:
            load_curriculum(str(path))
        assert expect in str(err.value), str(err.value)
    with pytest.raises(StageError, match="stages.9"):
        load_curriculum("omni_tiny", [("stages.9.steps", 3)])
    assert load_curriculum("omni_tiny", [("stages.1.steps", 3)]).stages[1].steps == 3


@pytest.mark.slow
def test_torchrun_two_ranks_in_bf16(data, tmp_path):
    """DistributedDataParallel over two CPU processes (gloo), bf16 autocast: both ranks step together."""
    path = tiny(tmp_path, [sft("a", {"doc_qa": 1.0}, 8, lr=3e-3)], precision="bf16", threads=1, log_every=1)
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "omnisynth", "train", str(path), "--out", str(out), "--data-root", str(data), "--quiet"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "MASTER_ADDR": "127.0.0.1", "GLOO_SOCKET_IFNAME": "lo"})
    assert done.returncode == 0, done.stderr[-3000:]
    from safetensors.torch import load_file

    a, b = load_file(out / "init" / "model.safetensors"), load_file(out / "01-a" / "model.safetensors")
    assert any(not torch.equal(a[k], b[k]) for k in a)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(1, 9))          # rank 0 alone logs
    assert np.mean([r["loss"] for r in rows[-2:]]) < rows[0]["loss"]
