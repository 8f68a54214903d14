"""Stage files: the curriculum `omnisynth train` runs, as pydantic models loaded from YAML.

Bundled curricula live beside this file (`omnisynth/train/curricula/*.yaml`); a path to any
YAML works too. Unknown keys and wrong types are refused before any work, naming the field.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from omnisynth.schemas.loading import RecipeError, describe, load_tree

CURRICULA_DIR = Path(__file__).resolve().parent / "curricula"
GROUPS = ("language", "vision", "audio", "projectors")


class StageError(ValueError):
    """A stage file that cannot run; the message names the field."""


class _Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VisionSize(_Cfg):
    image_size: int = Field(default=64, ge=16, description="images are resized to this square")
    patch_size: int = Field(default=8, ge=2)
    hidden_size: int = Field(default=64, ge=8)
    layers: int = Field(default=2, ge=1)
    heads: int = Field(default=2, ge=1)
    frame_grid: int = Field(default=2, ge=1, description="multi-image samples (clip frames, pages): tokens per image = grid^2")

    @model_validator(mode="after")
    def _fit(self) -> VisionSize:
        if self.image_size % self.patch_size:
            raise ValueError(f"image_size {self.image_size} is not a multiple of patch_size {self.patch_size}")
        if self.frame_grid > self.image_size // self.patch_size:
            raise ValueError(f"frame_grid {self.frame_grid} exceeds the patch grid {self.image_size // self.patch_size}")
        return self


class AudioSize(_Cfg):
    n_mels: int = Field(default=64, ge=8)
    hidden_size: int = Field(default=64, ge=8)
    latents: int = Field(default=16, ge=1, description="audio tokens per clip (the resampler's queries)")
    layers: int = Field(default=2, ge=1)
    heads: int = Field(default=4, ge=1)
    max_seconds: float = Field(default=30.0, gt=0)


class ModelSize(_Cfg):
    hidden_size: int = Field(default=128, ge=16)
    pattern: str = Field(default="M*M-", description="NemotronH hybrid_override_pattern: M mamba2, * attention, - mlp")
    heads: int = Field(default=4, ge=1)
    kv_heads: int = Field(default=2, ge=1)
    ssm_state: int = Field(default=16, ge=1)
    mamba_heads: int = Field(default=8, ge=1)
    vision: VisionSize = Field(default_factory=VisionSize)
    audio: AudioSize = Field(default_factory=AudioSize)

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, v: str) -> str:
        if not v or set(v) - set("M*-"):
            raise ValueError(f"pattern {v!r}: use M (mamba2), * (attention) and - (mlp)")
        return v

    @model_validator(mode="after")
    def _heads(self) -> ModelSize:
        if self.hidden_size % self.heads or self.heads % self.kv_heads:
            raise ValueError("hidden_size must divide by heads, and heads by kv_heads")
        if (2 * self.hidden_size) % self.mamba_heads:
            raise ValueError("2 * hidden_size must divide by mamba_heads")
        return self


class TokenizerSpec(_Cfg):
    vocab_size: int = Field(default=1024, ge=300, le=262144)
    samples: int = Field(default=4000, ge=10, description="samples per source whose text trains the BPE")


class SourceSpec(_Cfg):
    path: str = Field(description="an output folder or a glob of shard tars (relative: to --data-root)")
    weight: float = Field(default=1.0, gt=0)
    pairs: bool = Field(default=False, description="dpo: read the folder's preference pairs (pairs/*.tar: a model "
                        "candidate the filters rejected against the verified answer) instead of its samples")


class LRSpec(_Cfg):
    peak: float = Field(default=1e-3, gt=0)
    warmup: int = Field(default=10, ge=0)
    schedule: Literal["cosine", "linear", "constant"] = "cosine"
    min_ratio: float = Field(default=0.1, ge=0, le=1)


class Stage(_Cfg):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    objective: Literal["sft", "dpo", "grpo"] = "sft"
    data: list[SourceSpec] = Field(min_length=1)
    train: list[Literal["language", "vision", "audio", "projectors"]] | Literal["all"] = "all"
    steps: int = Field(ge=1)
    batch_size: int = Field(default=8, ge=1)
    seq_len: int = Field(default=256, ge=16, description="longer samples are skipped and counted")
    lr: LRSpec = Field(default_factory=LRSpec)
    weight_decay: float = Field(default=0.0, ge=0)
    grad_clip: float = Field(default=1.0, gt=0)
    beta: float = Field(default=0.1, ge=0, description="dpo: preference temperature; grpo: KL weight to the reference")
    nll_weight: float = Field(default=0.0, ge=0, description="dpo: weight of the chosen answer's NLL added to the "
                              "DPO loss (keeps its likelihood from falling with the rejected one's)")
    group_size: int = Field(default=4, ge=2, description="grpo: completions sampled per prompt")
    temperature: float = Field(default=1.0, gt=0, description="grpo: sampling temperature")
    max_new_tokens: int = Field(default=32, ge=1, description="grpo: completion length cap")

    @model_validator(mode="after")
    def _pairs_for_dpo(self) -> Stage:
        if self.objective != "dpo" and any(s.pairs for s in self.data):
            raise ValueError(f"data.pairs: preference pairs train a dpo stage, this one is {self.objective}")
        return self

    def trainable(self) -> tuple[str, ...]:
        return GROUPS if self.train == "all" else tuple(self.train)


class Curriculum(_Cfg):
    name: str = "curriculum"
    seed: int = 0
    model: ModelSize = Field(default_factory=ModelSize)
    tokenizer: TokenizerSpec = Field(default_factory=TokenizerSpec)
    init: str = Field(default="", description="start from this saved model folder instead of random weights")
    heldout: float = Field(default=0.1, ge=0, lt=1, description="fraction of every source's keys kept for eval")
    save_every: int = Field(default=50, ge=1, description="steps between resumable checkpoints")
    log_every: int = Field(default=10, ge=1)
    threads: int = Field(default=0, ge=0, description="torch CPU threads (0: all cores)")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    precision: Literal["fp32", "bf16"] = Field(default="fp32", description="bf16: autocast (CPU or GPU)")
    loader_depth: int = Field(default=4, ge=1, description="batches the loader thread prepares ahead")
    media_cache_mb: float = Field(default=512, ge=0, description="decoded images/audio kept for later epochs (0: off)")
    stages: list[Stage] = Field(min_length=1)

    @model_validator(mode="after")
    def _names(self) -> Curriculum:
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names repeat: {names}")
        return self

    def config_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:16]


def bundled_curricula() -> dict[str, Path]:
    return {p.stem: p for p in sorted(CURRICULA_DIR.glob("*.yaml"))}


def load_curriculum(name_or_path: str, overrides: list[tuple[str, object]] = ()) -> Curriculum:
    try:
        path, tree = load_tree(name_or_path, bundled_curricula(), "stage file", overrides)
    except RecipeError as exc:
        raise StageError(str(exc)) from None
    try:
        return Curriculum.model_validate(tree)
    except ValidationError as exc:
        raise StageError(f"stage file {path}: " + "; ".join(describe(e, Curriculum) for e in exc.errors())) from None
