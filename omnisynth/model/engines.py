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
        if truth.clip is not None:
            media, events = truth.clip.media, [e.json() for e in truth.clip.events]
        else:
            media = [{"member": p.member, "modality": "image", "width": p.width, "height": p.height, "page": p.number,
                      "time_s": 0.0, "duration_s": 0.0} for p in truth.pages]
            events = []
        parts = [{"type": m["modality"], m["modality"]: m["member"]} for m in media]
        modalities = [m for m in ("image", "video", "audio") if any(x["modality"] == m for x in media)] + ["text"]
        meta = {"family": truth.family, "language": truth.language, "font": "", "pages": max(1, len(truth.pages)),
                "source": "", "source_page": 0, "theme": "", "viewport": [0, 0], "scale": 1.0, "duration_s": 0.0}
        meta.update((k, v) for k, v in truth.meta.items() if k in meta)
        return {
            "key": spec.key,
            "recipe": spec.recipe,
            "task": f"{self.recipe.task.kind}/{cand.qtype}",
            "modalities": modalities,
            "media": media,
            "messages": [
                {"role": "user", "content": [*parts, {"type": "text", "text": cand.question}]},
                {"role": "assistant", "content": [{"type": "text", "text": cand.answer}]},
            ],
            "question": cand.question,
            "answer": cand.answer,
            "answers": cand.answers or [cand.answer],
            "grounding": cand.grounding,
            "evidence": cand.evidence,
            "derivation": {"labels": [], "target": "", "role": "", "relation": "", "anchor": "", **cand.derivation},
            "action": cand.action or NO_ACTION,
            "events": events,
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
        kind = recipe.generator.kind
        if kind in ("av", "video_corpus"):
            from omnisynth.model.av_tasks import AV_PROMPT_HASH, av_candidate

            self.prompt_hash, self.write = AV_PROMPT_HASH, av_candidate
        elif kind in ("gui", "html_corpus"):
            self.prompt_hash, self.write = GUI_PROMPT_HASH, gui_candidate
        else:
            self.prompt_hash, self.write = PROMPT_HASH, oracle_candidate

    def annotate(self, items: list[WorkItem]) -> None:
        weights = self.recipe.task.weights()
        write = self.write
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
