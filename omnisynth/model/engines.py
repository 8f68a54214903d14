"""Engines write the annotations: a batch of work items in, candidate samples out.

`oracle` answers from the ground truth with varied phrasings (no model), in one
`annotate(items)` call: the embedded default and the reference the filters check against.
Model engines split annotation in three so the pipeline can put the model call where it
belongs: `prompt` (ground truth -> `Request`, on the render worker), the call (`send` over
HTTP for `openai`; for `vllm`, a `ray.data.llm` stage that `dag.py` puts in the pipeline),
and `parse` (reply -> the same `Candidate` the oracle writes, or a rejection with its reason).
"""

from __future__ import annotations

from omnisynth import __version__
from omnisynth.tasks.documents import NO_ACTION, Candidate, Unsupported
from omnisynth.schemas.recipe import Recipe
from omnisynth.schemas.truth import WorkItem


NO_SAMPLING = {"temperature": 0.0, "top_p": 1.0, "max_tokens": 0, "seed": -1}


class Engine:
    name = "engine"
    model: str = ""
    prompt_hash: str = ""

    def __init__(self, recipe: Recipe):
        self.recipe = recipe
        self.config_hash = recipe.config_hash()

    def sampling(self, item: WorkItem) -> dict:
        return NO_SAMPLING

    def setup(self) -> None:  # noqa: B027 - optional hook: engines without heavy state need nothing
        """Load heavy state on the worker (never on the driver)."""

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
                "source": "", "source_page": 0, "theme": "", "viewport": [0, 0], "scale": 1.0, "duration_s": 0.0,
                "group": "", "archetype": "", "look": "",
                "density": {"words_per_page": 0.0, "coverage": 0.0, "boxes_per_page": 0.0, "fonts": []},
                "degradations": []}
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
            "derivation": {"labels": [], "target": "", "role": "", "relation": "", "anchor": "", "ui_type": "",
                           "answer_format": "",
                           "evidence_sources": [], **cand.derivation},
            "action": cand.action or NO_ACTION,
            "events": events,
            "meta": meta,
            "provenance": {
                "recipe": spec.recipe, "seed": spec.seed, "index": spec.index, "engine": self.name,
                "model": self.model, "sampling": self.sampling(item), "generator": truth.generator,
                "generator_version": " ".join(filter(None, (f"omnisynth {__version__}", truth.meta["generator_version"],
                                                            truth.meta.get("degrade_version")))),
                "prompt_hash": self.prompt_hash, "config_hash": self.config_hash, "filter_scores": {},
                "text_sources": list(truth.meta.get("text_sources", [])),
                "text_licence": truth.meta.get("text_licence", ""),
            },
        }


class OracleEngine(Engine):
    name = "oracle"

    def __init__(self, recipe: Recipe):
        super().__init__(recipe)
        self.prompt_hash, self.write = recipe.family().load("writer")(recipe)  # the family's question writer

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


class ModelEngine(Engine):
    """A model writes the annotations; subclasses only differ in how a request reaches it."""

    def __init__(self, recipe: Recipe):
        from omnisynth.model.model_tasks import model_task, prompt_hash

        super().__init__(recipe)
        self.task = model_task(recipe)
        self.model = recipe.model.name or recipe.model.path
        self.prompt_hash = prompt_hash(recipe)
        self.judge = recipe.filters.judge if recipe.filters.judge.active(recipe) else None

    def sampling(self, item: WorkItem) -> dict:
        s = self.recipe.model.sampling
        seed = -1 if s.seed is None else s.seed + item.spec.index
        return {"temperature": s.temperature, "top_p": s.top_p, "max_tokens": s.max_tokens, "seed": seed}

    def prompt(self, items: list[WorkItem], purpose: str = "annotate") -> None:
        """Set `item.request` for each live item (judge: only items with a sample the judge reviews)."""
        from omnisynth.model.model_tasks import judge_request

        for item in items:
            item.request = item.reply = None
            if item.rejection:
                continue
            if purpose == "judge":
                if item.sample is not None:
                    item.request = judge_request(item, self.judge.rubric, self.recipe.model.frames)
                continue
            try:
                item.request = self.task.request(item, item.spec.rng("model"))
            except Unsupported as exc:
                item.reject("annotate", "no_question_possible", str(exc))

    def parse(self, items: list[WorkItem]) -> None:
        """Replies -> candidate samples (annotate) or judge scores; failures reject with their reason."""
        from omnisynth.model.model_tasks import ReplyError
        from omnisynth.model.openai_client import parse_json_reply

        for item in items:
            req, reply = item.request, item.reply
            if item.rejection or req is None:
                continue
            stage = "judge" if req.purpose == "judge" else "annotate"
            if reply is not None and (reply.prompt_tokens or reply.completion_tokens):  # for `omnisynth estimate`
                spent = item.tokens.setdefault(stage, [0, 0, 0])
                for k, n in enumerate((reply.prompt_tokens, reply.completion_tokens, 1)):
                    spent[k] += n
            if reply is None or reply.text is None:
                item.reject(stage, reply.reason if reply else "model_no_reply", reply.detail if reply else "")
                continue
            try:
                obj = parse_json_reply(reply.text, req.schema)
            except ValueError as exc:
                reason = "model_reply_truncated" if reply.truncated else "model_reply_invalid"
                item.reject(stage, reason, f"{exc}; reply: {reply.text[:300]!r}")
                continue
            if req.purpose == "judge":
                self._judged(item, obj)
                continue
            item.model_reply = obj
            try:
                cand = self.task.parse(item, req, obj)
            except ReplyError as exc:
                item.reject(stage, exc.reason, str(exc))
                continue
            item.sample = self.to_sample(item, cand)

    def _judged(self, item: WorkItem, obj: dict) -> None:
        item.sample["provenance"]["filter_scores"]["judge"] = float(obj["score"])
        keep = obj["score"] >= self.judge.threshold
        item.log("judge", keep, "" if keep else "judge_below_threshold")
        if not keep:
            item.reject("judge", "judge_below_threshold",
                        f"score {obj['score']} < {self.judge.threshold}: {obj['reason'][:300]}")

    def pair(self, item: WorkItem, check) -> None:
        """A rejected model candidate and the oracle's verified answer to the same prompt -> `item.pair`.

        `check(probe)` runs the recipe's filters on the counterpart (the pipeline's filter
        chain); a counterpart they reject makes no pair.
        """
        import json

        from omnisynth.model.model_tasks import ReplyError
        from omnisynth.schemas.truth import WorkItem as Item

        req = item.request
        if item.model_reply is None or req is None or item.rejection is None or req.purpose != "annotate":
            return
        chosen = self.task.counterpart(item, req, item.spec.rng("counterpart"))
        if chosen is None:
            return
        probe = Item(item.spec, media=item.media, truth=item.truth)
        try:
            probe.sample = self.to_sample(probe, self.task.parse(probe, req, chosen))
        except (ReplyError, Unsupported, KeyError, ValueError):
            return
        check(probe)
        if probe.rejection is None:
            item.pair = {"key": item.spec.key, "task": f"{self.recipe.task.kind}/{req.qtype}",
                         "media": [{"member": m, "modality": k} for m, k in req.media],
                         "prompt": [{"role": "user", "content": req.parts()}],
                         "chosen": json.dumps(chosen, ensure_ascii=False, sort_keys=True),
                         "rejected": json.dumps(item.model_reply, ensure_ascii=False, sort_keys=True),
                         "reason": item.rejection.reason, "detail": item.rejection.detail[:500],
                         "provenance": {"engine": self.name, "model": self.model, "prompt_hash": self.prompt_hash,
                                        "template": req.template, "sampling": self.sampling(item)}}


class OpenAIEngine(ModelEngine):
    """Any OpenAI-compatible endpoint, `model.concurrency` requests in flight per worker."""

    name = "openai"

    def __init__(self, recipe: Recipe):
        from omnisynth.model.openai_client import OpenAIClient

        super().__init__(recipe)
        m = recipe.model
        self.client = OpenAIClient(m.base_url, m.api_key_env, m.timeout_s, m.retries, m.backoff_s, m.concurrency,
                                   m.circuit_failures)

    def check(self) -> None:
        """On the driver, before any work: the endpoint answers and serves `model.name`."""
        from omnisynth.model.openai_client import EndpointDown

        served = self.client.models()
        if self.model not in served:
            raise EndpointDown(f"model.name {self.model!r} is not served at {self.client.url}; it serves {served}")

    def send(self, items: list[WorkItem]) -> None:
        from omnisynth.model.openai_client import chat_payload, openai_content

        live = [it for it in items if it.request is not None and not it.rejection]
        payloads = [chat_payload(self.model, openai_content(it.request.parts(), prompt_blobs(it, self.recipe)),
                                 it.request.schema, self.recipe.model.sampling.model_dump(),
                                 None if self.recipe.model.sampling.seed is None else self.sampling(it)["seed"],
                                 it.request.context.get("audio_in_video", False))
                    for it in live]
        for item, reply in zip(live, self.client.chat_many(payloads), strict=False):
            item.reply = reply


class VllmEngine(ModelEngine):
    """vLLM engines inside the Ray Data pipeline (`ray.data.llm`); see `omnisynth.pipelines.vllm`."""

    name = "vllm"


def prompt_blobs(item: WorkItem, recipe: Recipe) -> dict[str, bytes]:
    """The bytes of each member a request shows; images scaled to `model.image_max_side`, videos with 16 kHz sound."""
    from omnisynth.model.model_tasks import scaled_image

    out = {}
    from omnisynth.model.clip_input import prompt_video

    for member, kind in item.request.media:
        data = item.media[member]
        out[member] = (scaled_image(data, recipe.model.image_max_side) if kind == "image" else
                       prompt_video(data) if kind == "video" else data)
    return out


ENGINES = {"oracle": OracleEngine, "openai": OpenAIEngine, "vllm": VllmEngine}


def make_engine(recipe: Recipe) -> Engine:
    return ENGINES[recipe.model.engine](recipe)


def prompt_hash(recipe: Recipe) -> str:
    """The hash of the prompt templates the recipe's engine uses (provenance, manifest), without building a client."""
    if recipe.model.engine == "oracle":
        return recipe.family().load("writer")(recipe)[0]
    from omnisynth.model.model_tasks import prompt_hash as model_prompt_hash

    return model_prompt_hash(recipe)
