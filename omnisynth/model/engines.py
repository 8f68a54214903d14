"""Engines write the annotations: a batch of work items in, candidate samples out.

All engines share `annotate(items)`. `oracle` answers from the ground truth with varied
phrasings (no model): the embedded default and the reference the filters check against.
Model engines (vLLM in-cluster, OpenAI-compatible HTTP) plug in here with the same
interface and produce the same `Candidate` fields.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from omnisynth import __version__
from omnisynth.model.gui_tasks import GUI_PROMPT_HASH, gui_candidate
from omnisynth.model.tasks import NO_ACTION, PROMPT_HASH, Candidate, Unsupported, oracle_candidate
from omnisynth.schemas.recipe import Recipe
from omnisynth.schemas.truth import WorkItem


class Engine(ABC):
    name = "engine"
    model: str = ""
    prompt_hash: str = ""

    def __init__(self, recipe: Recipe):
        self.recipe = recipe
        self.config_hash = recipe.config_hash()

    def setup(self) -> None:  # noqa: B027 - optional hook: engines without heavy state need nothing
        """Load heavy state on the worker (never on the driver)."""

    @abstractmethod
    def annotate(self, items: list[WorkItem]) -> None:
        """Fill `item.sample` for each item not yet rejected, or reject it with a reason."""

    def to_sample(self, item: WorkItem, cand: Candidate) -> dict:
        """The JSON-ready Sample for a candidate; filters validate it against the schema."""
        spec, truth = item.spec, item.truth
        images = [{"type": "image", "image": p.member} for p in truth.pages]
        media = [{"member": p.member, "modality": "image", "width": p.width, "height": p.height, "page": p.number}
                 for p in truth.pages]
        meta = {"family": truth.family, "language": truth.language, "font": "", "pages": len(truth.pages),
                "source": "", "source_page": 0, "theme": "", "viewport": [0, 0], "scale": 1.0}
        meta.update((k, v) for k, v in truth.meta.items() if k in meta)
        return {
            "key": spec.key,
            "recipe": spec.recipe,
            "task": f"{self.recipe.task.kind}/{cand.qtype}",
            "modalities": ["image", "text"],
            "media": media,
            "messages": [
                {"role": "user", "content": [*images, {"type": "text", "text": cand.question}]},
                {"role": "assistant", "content": [{"type": "text", "text": cand.answer}]},
            ],
            "question": cand.question,
            "answer": cand.answer,
            "answers": cand.answers or [cand.answer],
            "grounding": cand.grounding,
            "evidence": cand.evidence,
            "derivation": {"labels": [], "target": "", "role": "", "relation": "", "anchor": "", **cand.derivation},
            "action": cand.action or NO_ACTION,
            "meta": meta,
            "provenance": {
                "recipe": spec.recipe, "seed": spec.seed, "index": spec.index, "engine": self.name,
                "model": self.model, "generator": truth.generator,
                "generator_version": f"omnisynth {__version__} {truth.meta['generator_version']}",
                "prompt_hash": self.prompt_hash, "config_hash": self.config_hash, "filter_scores": {},
            },
        }


class OracleEngine(Engine):
    name = "oracle"

    def __init__(self, recipe: Recipe):
        super().__init__(recipe)
        self.gui = recipe.generator.kind in ("gui", "html_corpus")
        self.prompt_hash = GUI_PROMPT_HASH if self.gui else PROMPT_HASH

    def annotate(self, items: list[WorkItem]) -> None:
        weights = self.recipe.task.weights()
        write = gui_candidate if self.gui else oracle_candidate
        for item in items:
            if item.rejection:
                continue
            try:
                cand = write(self.recipe.task.kind, weights, item.truth, item.spec.rng("question"))
            except Unsupported as exc:
                item.reject("annotate", "no_question_possible", str(exc))
                continue
            item.sample = self.to_sample(item, cand)


ENGINES = {"oracle": OracleEngine}


def make_engine(recipe: Recipe) -> Engine:
    return ENGINES[recipe.model.engine](recipe)
