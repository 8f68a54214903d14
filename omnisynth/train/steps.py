"""Training steps' pieces outside the loop: the learning-rate schedule, GRPO's group advantages,
and checkpoint writes that a crash cannot leave half done."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import torch

from omnisynth.train.curriculum import Stage


def lr_lambda(stage: Stage):
    """The stage's learning-rate multiplier per step: linear warm-up, then constant, cosine or linear decay to `min_ratio`."""
    lr = stage.lr

    def f(step: int) -> float:
        if step < lr.warmup:
            return (step + 1) / (lr.warmup + 1)
        if lr.schedule == "constant":
            return 1.0
        t = (step - lr.warmup) / max(1, stage.steps - lr.warmup)
        shape = 0.5 * (1 + math.cos(math.pi * t)) if lr.schedule == "cosine" else 1 - t
        return lr.min_ratio + (1 - lr.min_ratio) * shape
    return f


def save_atomic(obj, path: Path) -> None:
    """torch.save to `path` through a temporary file and an fsync: a crash leaves the old file or the new one."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_model(model, tok, path: Path, info: dict) -> None:
    """A Hugging Face checkpoint folder (model, tokenizer, `omnisynth_train.json`), replaced whole."""
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    (tmp / "omnisynth_train.json").write_text(json.dumps(info, indent=2, sort_keys=True))
    shutil.rmtree(path, ignore_errors=True)
    os.replace(tmp, path)


def group_advantages(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """GRPO's advantages: each reward (N,) against the others sampled for the same prompt.

    Consecutive runs of `group_size` rewards are one prompt's group; within it the rewards are
    centred and scaled by their spread, so a group whose answers all score alike teaches
    nothing (zeros). Example: rewards [1, 0, 0, 0] -> about [1.5, -0.5, -0.5, -0.5].
    """
    grouped = rewards.view(-1, group_size)  # (prompts, group_size)
    return ((grouped - grouped.mean(1, keepdim=True)) / (grouped.std(1, keepdim=True) + 1e-4)).view(-1)
