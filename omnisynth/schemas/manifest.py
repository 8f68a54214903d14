"""The output folder's manifest: what a run wrote, how it was configured, what was dropped."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShardRecord(_Strict):
    """A finished shard; also written alone to `DIR/state/` as the shard's completion record."""

    name: str = Field(description="file name under shards/")
    shard: int = Field(ge=0)
    samples: int = Field(ge=0)
    rejected: int = Field(ge=0)
    bytes: int = Field(ge=0)
    sha256: str
    first_index: int
    last_index: int
    node_id: str = Field(description="Ray node that assembled the shard (the driver's)")
    nodes: list[str] = Field(default_factory=list, description="Ray nodes whose workers rendered its samples")
    stage_seconds: dict[str, float] = Field(
        default_factory=dict, description="worker wall time per stage summed over the shard's samples"
    )
    filters: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="per stage/filter: seen, kept, and dropped counts per reason"
    )
    tokens: dict[str, dict[str, int]] = Field(default_factory=dict, description=(
        "model engines: per purpose (annotate, judge) the prompt and completion tokens and calls the endpoint "
        "or vLLM reported for the shard's samples"))
    pairs: int = Field(default=0, ge=0, description="preference pairs written to pairs/ for this shard")


class FilterStats(_Strict):
    seen: int = 0
    kept: int = 0
    dropped: dict[str, int] = Field(default_factory=dict)


class Manifest(_Strict):
    format: str = "omnisynth/1"
    recipe: dict = Field(description="the resolved recipe, every default filled in")
    config_hash: str
    omnisynth_version: str
    packages: dict[str, str]
    sample_schema: str = Field(description="path of the sample JSON Schema inside the package")
    num_samples: int
    kept: int
    rejected: int
    shards: list[ShardRecord]
    filters: dict[str, FilterStats]
    rejected_by_reason: dict[str, int]
    stage_seconds: dict[str, float] = Field(default_factory=dict, description="per stage, summed over all shards")
    tokens: dict[str, dict[str, int]] = Field(default_factory=dict, description="per purpose, summed over all shards")
    quarantine: str = "quarantine"
    model: dict = Field(default_factory=dict, description=(
        "who wrote the annotations: engine, model name, sampling parameters, prompt-template hash (never a key)"))
    pairs: int = Field(default=0, ge=0, description="preference pairs (DPO) under pairs/")
    run: dict = Field(default_factory=dict, description="timings of the last invocation (not part of the data)")
