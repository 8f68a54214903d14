"""The generator family registry: one record per family names everything the pipeline needs of it.

A family is what a recipe's `generator.kind` names: rendered documents, your PDFs, procedural
screens, your HTML pages, planned clips, your videos, and every later one. Its record
(`Family`) names its recipe config model, its generator, its ground-truth question writer,
its task kinds and their question types, its model task (prompt files), its ground-truth filters,
its corpus catalog (when it reads your files) and how Energon reads its samples. Every
place that used to compare the kind as a string asks the registry instead, and an
unknown kind is refused naming the registered ones; nothing falls through to a default.

Code is named by reference, ``"package.module:attribute"`` (or given as the object itself):
validating a recipe imports its config model only, never a browser or PyMuPDF. The pattern
follows Ray Data LLM's processor-builder registry (keyed by config type) and NeMo
Curator's stages (declared resources, `setup` on the worker).

Where families come from, in order: the bundled ones (`BUILTIN`: each module registers its
records when imported), modules installed under the entry-point group `omnisynth.families`
(`[project.entry-points."omnisynth.families"] chart = "mypkg.chart"`), and any module that
calls `register()` before the recipe is loaded. A family module a run uses is imported on
every Ray worker that unpickles its config, so its records exist there too.

This module imports nothing of omnisynth: the contracts (`omnisynth.schemas`) ask it for a
kind's config model and task kinds, and the pipeline asks it for the code.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Family", "TaskKind", "UnknownFamily", "register", "family", "families", "task_kind", "task_kinds",
           "resolve", "listing", "NEGATIVE_TYPES"]

BUILTIN = ("omnisynth.generators.documents.family", "omnisynth.generators.gui.family",
           "omnisynth.generators.clips.family")
ENTRY_POINT_GROUP = "omnisynth.families"
# negative samples (the answer is a refusal): only when a recipe names them, and only the oracle writes them
NEGATIVE_TYPES = ("unanswerable", "absent")

Ref = str | Callable[..., Any] | type | None


class UnknownFamily(ValueError):
    """A generator or task kind no registered family provides (the message names the registered ones)."""


@dataclass(frozen=True)
class TaskKind:
    """One `task.kind` a family answers: its question types and what it accepts.

    `question_types` are the names `task.question_types` may weight (the ones in
    `NEGATIVE_TYPES` are opt-in); `model`: a model engine can write it (False where the answer
    needs an action trace or a state readout only the oracle has); `targets`: takes
    `task.targets` (GUI grounding: icon-only or text targets); `degrade`: its images may go
    through the degrade stage; `check(generator_config) -> error or None`: a rule joining the
    task and the generator section (e.g. multi-page questions need multi-page documents).
    """

    name: str
    question_types: tuple[str, ...]
    model: bool = True
    targets: bool = False
    degrade: bool = True
    check: Callable[[Any], str | None] | None = None

    def default_weights(self) -> dict[str, float]:
        """Every question type but the opt-in negatives, weight 1."""
        return {name: 1.0 for name in self.question_types if name not in NEGATIVE_TYPES}


@dataclass(frozen=True)
class Family:
    """A generator family: the recipe's `generator.kind` and the code and rules that serve it.

    References (`Ref`) are ``"module:attribute"`` strings or the objects themselves:
    - `config`: the pydantic model of the recipe's `generator` section; its `kind` field is a
      `Literal` of this family's kind (a subclass of `omnisynth.schemas.base.GeneratorConfig`).
    - `generator`: a `omnisynth.generators.Generator` subclass (built with `from_recipe(recipe,
      inventory)`, by default `cls(recipe.generator, recipe.task)`), or a factory
      `(recipe, inventory) -> generator`.
    - `writer(recipe) -> (prompt_hash, write)`: the oracle's ground-truth question writer;
      `write(task_kind, weights, truth, rng) -> Candidate` raises `Unsupported` when the truth
      allows no question of the drawn type.
    - `model_task(recipe) -> ModelTask`: prompts a model and parses its reply (None: oracle only).
    - `filters(recipe, generator) -> list[Filter]`: the family's ground-truth checks, run after
      the schema and box checks.
    - `probe(config, path) -> omnisynth.generators.corpus.Probe`: reads one file of the user's
      corpus (`config.path`, a `CorpusSource`) by content and says which units it offers (pages,
      clips) or why none; the driver probes every file once before any sample and hands the
      generator the `Inventory` (None: the family renders from the seed alone). `unit`: what a
      unit is called in the printed inventory ("pages", "clips"), or a function of the generator
      config that says it.
    `images`: samples are page or screen images (the degrade stage applies); `multi_image`:
    samples hold several media (Energon `CrudeWebdataset` with the `multi_image` subflavor,
    instead of `VQASample`), or a function of the generator section (JSON) that says so; `check_blank`: the quality filter's `images: auto` decodes its
    images to check they are not blank (False where the renderer already proved every target
    painted); `live_page`: its filters hit-test a live page in the browser workers (model
    calls go over HTTP, not an in-pipeline vLLM); `judge_by_default`: no ground truth to check
    the answer against, so `filters.judge.mode: auto` judges it with a model engine; `prompts`:
    a folder holding the model task's prompt templates (`<template>.txt`), for a family whose
    templates are not bundled in `omnisynth/model/prompts/`.
    """

    kind: str
    config: Ref
    generator: Ref
    tasks: tuple[TaskKind, ...]
    writer: Ref
    filters: Ref
    model_task: Ref = None
    probe: Ref = None
    unit: str | Callable[[Any], str] = "units"
    images: bool = True
    multi_image: bool | Callable[[dict], bool] = False
    check_blank: bool = True
    live_page: bool = False
    judge_by_default: bool = False
    prompts: str | None = None
    module: str = field(default="", compare=False)

    def is_multi_image(self, generator: dict) -> bool:
        """Whether samples of this generator section (its JSON form) hold several media."""
        return self.multi_image(generator) if callable(self.multi_image) else self.multi_image

    def unit_name(self, config) -> str:
        """What a unit of this generator config is called in the printed inventory."""
        return self.unit(config) if callable(self.unit) else self.unit

    def load(self, name: str) -> Any:
        """The object behind one of the references (`config`, `generator`, ...)."""
        return resolve(getattr(self, name))


_FAMILIES: dict[str, Family] = {}
_TASKS: dict[str, tuple[Family, TaskKind]] = {}
_lock = threading.RLock()
_loaded = False


def register(fam: Family) -> Family:
    """Add a family (and its task kinds). Registering an equal record again is a no-op.

    Raises ValueError when the kind, or one of its task kinds, belongs to another family.
    """
    with _lock:
        old = _FAMILIES.get(fam.kind)
        if old is not None and old != fam:
            raise ValueError(f"generator kind {fam.kind!r} is already registered by {old.module or 'another family'}")
        for task in fam.tasks:
            owner = _TASKS.get(task.name)
            if owner is not None and owner[0].kind != fam.kind:
                raise ValueError(f"task kind {task.name!r} is already registered by generator kind {owner[0].kind!r}")
        _FAMILIES[fam.kind] = fam
        for task in fam.tasks:
            _TASKS[task.name] = (fam, task)
    return fam


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        for name in BUILTIN:
            importlib.import_module(name)
        from importlib.metadata import entry_points

        for ep in entry_points(group=ENTRY_POINT_GROUP):
            ep.load()  # the module registers its families when imported
        _loaded = True


def families() -> dict[str, Family]:
    """Every registered family by kind (bundled and installed ones loaded first)."""
    _load_builtin()
    return dict(sorted(_FAMILIES.items()))


def family(kind: str) -> Family:
    """The family of a `generator.kind`; raises UnknownFamily naming the registered kinds."""
    _load_builtin()
    try:
        return _FAMILIES[kind]
    except (KeyError, TypeError):
        raise UnknownFamily(f"unknown generator kind {kind!r}; registered: {', '.join(sorted(_FAMILIES))}") from None


def task_kinds() -> dict[str, TaskKind]:
    """Every registered task kind by name."""
    _load_builtin()
    return {name: task for name, (_, task) in sorted(_TASKS.items())}


def task_kind(name: str) -> tuple[Family, TaskKind]:
    """The family that answers a `task.kind`, and the task; raises UnknownFamily naming the registered ones."""
    _load_builtin()
    try:
        return _TASKS[name]
    except (KeyError, TypeError):
        raise UnknownFamily(f"unknown task kind {name!r}; registered: {', '.join(sorted(_TASKS))}") from None


def listing() -> list[str]:
    """`omnisynth list --families`: each family with where it comes from, its task kinds and question types."""
    lines = []
    for kind, fam in families().items():
        lines.append(f"{kind}  ({fam.module or 'registered at run time'})")
        lines += [f"  {t.name}: {', '.join(t.question_types)}" + ("" if t.model else "  [oracle only]") for t in fam.tasks]
    return lines


def resolve(ref: Ref) -> Any:
    """``"module:attribute"`` -> the attribute (imported on first use); anything else as it is."""
    if not isinstance(ref, str):
        return ref
    module, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj
