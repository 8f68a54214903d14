"""Model-written tasks: the prompt a model gets for one sample, and its reply turned into a candidate.

A `ModelTask` per generator family builds a `Request` from the ground truth (the media to
show, the ids the model may cite, the reply's JSON Schema, a versioned template from
`prompts/`), and `parse`s the model's JSON into the same `Candidate` the oracle writes, so
the same filters judge both. The ground truth never decides what the model says; it only
gives the model something to cite (word ids, event ids, a target element) that the filters
can check. `counterpart` writes, in the reply's own format, the oracle's verified answer to
the same prompt: when the model's candidate is rejected, the two make a preference pair.
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from omnisynth.model.clip_input import clip_members
from omnisynth.generators.content import LANGUAGE_NAMES
from omnisynth.tasks.documents import Candidate, Unsupported, box_text, first_qtype, grounding, quad_px, words_fact

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"


class ReplyError(Exception):
    """A model reply that cannot become a candidate; `reason` is a short countable code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


@dataclass
class Request:
    """One model call: chat messages whose media parts name sample members, and the reply's schema."""

    purpose: str  # annotate | judge
    template: str  # prompts/<template>.txt
    text: str
    media: list[tuple[str, str]]  # (member, modality) shown, in order (images before audio; or one video)
    schema: dict
    qtype: str = ""
    context: dict = field(default_factory=dict)  # what parse() needs: word ids, target element, aspect

    def parts(self) -> list[dict]:
        """The user turn's parts as in a sample's messages: media first, then the prompt text."""
        return [{"type": kind, kind: member} for member, kind in self.media] + [{"type": "text", "text": self.text}]


@cache
def template(name: str) -> tuple[str, str]:
    """(text, sha256[:16]) of prompt template `<name>.txt`: bundled (`model/prompts/`), else in a registered
    family's `prompts` folder (`omnisynth.families.Family.prompts`). FileNotFoundError names where it looked."""
    path, folders = PROMPTS_DIR / f"{name}.txt", [PROMPTS_DIR]
    if not path.is_file():  # the registry is asked only for templates the package does not bundle
        from omnisynth.families import families

        folders += [Path(f.prompts) for f in families().values() if f.prompts]
        path = next((p for p in (f / f"{name}.txt" for f in folders[1:]) if p.is_file()), None)
    if path:
        text = path.read_text()
        return text, hashlib.sha256(text.encode()).hexdigest()[:16]
    raise FileNotFoundError(f"prompt template {name}.txt is in none of {', '.join(str(f) for f in folders)}")


def templates_hash(names: list[str]) -> str:
    return hashlib.sha256("".join(template(n)[1] for n in sorted(names)).encode()).hexdigest()[:16]


def _obj(props: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": props, "required": required or list(props), "additionalProperties": False}


TEXT = {"type": "string", "minLength": 1, "maxLength": 600}


def scaled_image(data: bytes, max_side: int) -> bytes:
    """An image no larger than `max_side` on its long side (PNG), for the prompt only."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        if max(im.size) <= max_side:
            return data
        im = im.convert("RGB")
        im.thumbnail((max_side, max_side))
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        return buf.getvalue()


# documents ---------------------------------------------------------------------------------------
DOC_HINTS = {
    "region": "ask what a line or a title says", "key_value": "ask for the value of a labelled field",
    "table_cell": "ask for one table cell by its row and column", "chart_value": "ask for a number printed on the page",
    "page_locate": "ask about a heading", "page_fact": "ask for a value on a given page",
    "cross_page_compare": "ask for a value that must be found among several pages",
    "read_line": "ask what a line says", "locate_text": "ask what a line says",
    "heading": "a heading", "field_value": "a field's value", "phrase": "two to four words of one line",
}


def word_ids(truth, limit: int) -> tuple[dict[str, tuple[int, tuple]], str]:
    """Ids for the first `limit` words ('p{page}w{i}'), and the listing the prompt shows, line by line."""
    ids: dict[str, tuple[int, tuple]] = {}
    lines: list[str] = []
    for page in truth.pages:
        row: list[str] = []
        last = None
        for i, w in enumerate(page.words):
            if len(ids) >= limit:
                break
            if last is not None and w[1] > last[3] - 0.3 * (last[3] - last[1]):  # below the previous word: new line
                lines.append(" ".join(row))
                row = []
            wid = f"p{page.number}w{i}"
            ids[wid] = (page.number, w)
            row.append(f"[{wid}] {w[4]}")
            last = w
        if row:
            lines.append(" ".join(row))
    return ids, "\n".join(lines)


def _runs(ids: dict, cited: list[str]) -> list[list[tuple[int, tuple]]]:
    """Cited words grouped into runs of consecutive words on one page (each run one evidence box)."""
    order = {wid: n for n, wid in enumerate(ids)}
    unknown = [c for c in cited if c not in ids]
    if unknown:
        raise ReplyError("evidence_unknown_word", f"cited ids {unknown[:5]} are not words of the document")
    runs: list[list[tuple[int, tuple]]] = []
    prev = None
    for wid in sorted(set(cited), key=order.get):
        n = order[wid]
        if prev is not None and n == prev + 1 and ids[wid][0] == runs[-1][-1][0]:
            runs[-1].append(ids[wid])
        else:
            runs.append([ids[wid]])
        prev = n
    return runs


class DocModelTask:
    """Document QA (an answer copied from the page, with the ids of its words) and phrase grounding."""

    def __init__(self, recipe):
        self.recipe = recipe
        self.grounding = recipe.task.kind == "doc_grounding"
        self.name = "doc_grounding.v1" if self.grounding else "doc_qa.v1"

    def request(self, item, rng: random.Random) -> Request:
        truth, cfg = item.truth, self.recipe.model
        qtype = first_qtype(truth, self.recipe.task.weights(), rng)
        ids, listing = word_ids(truth, cfg.max_words)
        if not ids:
            raise Unsupported("the document has no words to cite")
        text = template(self.name)[0].format(pages=len(truth.pages), words=listing, kind=qtype.replace("_", " "),
                                             hint=DOC_HINTS.get(qtype, qtype), language=LANGUAGE_NAMES.get(truth.language, "English"))
        cite = {"type": "array", "items": {"type": "string", "pattern": r"^p\d+w\d+$"}, "minItems": 1, "maxItems": 40}
        schema = _obj({"question": TEXT, "target": cite}) if self.grounding else \
            _obj({"question": TEXT, "answer": {**TEXT, "maxLength": 300}, "evidence": cite})
        return Request("annotate", self.name, text, [(p.member, "image") for p in truth.pages], schema, qtype,
                       {"ids": ids})

    def parse(self, item, req: Request, reply: dict) -> Candidate:
        truth, ids = item.truth, req.context["ids"]
        runs = _runs(ids, reply["target" if self.grounding else "evidence"])
        sep = "" if truth.language in ("zh", "ja") else " "
        evidence = []
        for run in runs:
            page = truth.page(run[0][0])
            words = [w for _, w in run]
            fact = words_fact(page, words, sep.join(w[4] for w in words))
            evidence.append({"kind": "text", "page": page.number, "image": page.member,
                             "bbox_px": [float(round(v, 2)) for v in fact.bbox], "quad_px": quad_px(fact.corners),
                             "text": fact.text, "value": ""})
        if self.grounding:
            if len(runs) != 1:
                raise ReplyError("target_not_one_phrase", f"target words form {len(runs)} separate runs")
            ev = evidence[0]
            g = grounding(ev["text"], truth.page(ev["page"]), words_fact(truth.page(ev["page"]), [w for _, w in runs[0]],
                                                                         ev["text"]))
            ev["bbox_px"], ev["quad_px"] = g["bbox_px"], g["quad_px"]
            return Candidate(req.qtype, reply["question"], box_text(g), [ev], [g],
                             {"op": "locate", "target": ev["text"]}, [box_text(g)])
        first = evidence[0]
        g = grounding(reply["answer"], truth.page(first["page"]), first["bbox_px"])
        return Candidate(req.qtype, reply["question"], reply["answer"], evidence, [g], {"op": "extract"},
                         [reply["answer"]])

    def counterpart(self, item, req: Request, rng: random.Random) -> dict | None:
        """The oracle's verified QA for this page, cited by word ids: the chosen side of a pair."""
        from omnisynth.tasks.documents import DocTasks

        tasks = DocTasks(item.truth, rng)
        writers = (["phrase_box", "heading"] if self.grounding else ["region", "key_value", "table_cell"])
        for name in writers:
            try:
                cand = getattr(tasks, name)()
            except Unsupported:
                continue
            box = cand.evidence[0]["bbox_px"]
            page = cand.evidence[0]["page"]
            cited = [wid for wid, (p, w) in req.context["ids"].items()
                     if p == page and box[0] - 1 <= (w[0] + w[2]) / 2 <= box[2] + 1
                     and box[1] - 1 <= (w[1] + w[3]) / 2 <= box[3] + 1]
            if not cited:
                continue
            if self.grounding:
                return {"question": cand.question, "target": cited}
            return {"question": cand.question, "answer": cand.answer, "evidence": cited}
        return None


# GUI screens ------------------------------------------------------------------------------------
class GuiModelTask:
    """A referring expression for a target element; it must single the target out among the elements."""

    name = "gui_grounding.v1"

    def __init__(self, recipe):
        self.recipe = recipe

    def request(self, item, rng: random.Random) -> Request:
        from omnisynth.tasks.gui import ROLE_WORDS, element_grounding, resolve, visible

        truth = item.truth
        els = visible(truth)
        pool = [e for e in els if len(e.text) <= 60 and len(resolve(els, "label", e.text, e.attrs["role"], "")) == 1]
        if not pool:
            raise Unsupported("no element has a name of its own")
        el = rng.choice(pool)
        g = element_grounding(truth, el, el.text)
        role = el.attrs["role"]
        others = ", ".join(f'{ROLE_WORDS.get(e.attrs["role"], e.attrs["role"])} "{e.text}"'
                           for e in els[:40] if e is not el) or "none"
        page = truth.pages[-1]
        text = template(self.name)[0].format(family=truth.family, width=page.width, height=page.height,
                                             role=ROLE_WORDS.get(role, role), name=el.text, box=box_text(g), others=others)
        return Request("annotate", self.name, text, [(page.member, "image")], _obj({"expression": {**TEXT, "maxLength": 300}}),
                       "expression", {"oid": el.attrs["oid"]})

    def _target(self, item, req: Request):
        return next(f for f in item.truth.facts if f.kind == "element" and f.attrs["oid"] == req.context["oid"])

    def parse(self, item, req: Request, reply: dict) -> Candidate:
        from omnisynth.tasks.gui import BOX_FORMAT, element_grounding

        el = self._target(item, req)
        g = element_grounding(item.truth, el, el.text)
        answer = box_text(g)
        expression = reply["expression"].strip()
        ev = {"kind": "text", "page": g["page"], "image": g["image"], "bbox_px": g["bbox_px"], "quad_px": g["quad_px"],
              "text": el.text, "value": ""}
        return Candidate("expression", expression + BOX_FORMAT, answer, [ev], [g],
                         {"op": "element", "role": el.attrs["role"], "relation": "expression", "target": expression},
                         [answer])

    def counterpart(self, item, req: Request, rng: random.Random) -> dict | None:
        from omnisynth.tasks.gui import GUI_TEMPLATES, ROLE_WORDS

        el = self._target(item, req)
        role = el.attrs["role"]
        return {"expression": rng.choice(GUI_TEMPLATES["label"]).format(name=el.text, role=ROLE_WORDS.get(role, role))}


# audio-visual clips -------------------------------------------------------------------------------
AV_HINTS = {
    "scene_by_scene": "scene by scene, with times", "summary": "a few sentences for the whole clip",
    "seen_when_heard": "what is on screen while a sound plays", "heard_when_seen": "what sound plays when something happens",
    "order": "which of two events comes first", "count": "how many times a sound is heard",
    "duration": "how long a sound lasts, in seconds", "touch": "which object touched which, or when",
    "overtake": "which object overtook which, or when", "colour_change": "what colour an object turns, or when",
    "said_after": "what is said right after something is seen", "said_between": "what is said in a time window",
    "said_by": "by when a sentence has been said",
}


def event_listing(events) -> str:
    rows = []
    for e in events:
        what = e.text or " ".join(x for x in (e.subject, e.other) if x)
        rows.append(f"{e.id}: {e.modality} {e.kind} {e.start:.2f}-{e.end:.2f} s" + (f" ({what})" if what else ""))
    return "\n".join(rows)


class AvModelTask:
    """Temporal QA and captions over the clip's timeline; cited event ids are checked against it."""

    def __init__(self, recipe):
        self.recipe = recipe
        self.caption = recipe.task.kind == "av_caption"
        self.name = "av_caption.v2" if self.caption else "av_qa.v2"

    def request(self, item, rng: random.Random) -> Request:
        from omnisynth.tasks.clips import supports

        clip = item.truth.clip
        weights = self.recipe.task.weights()
        names = [n for n in sorted(weights) if supports(clip.plan, self.recipe.task.kind, n)]
        if not names:
            raise Unsupported("the clip supports none of the recipe's question types")
        qtype = first_qtype(item.truth, weights, rng, names)
        members, words, context = clip_members(item, self.recipe.model)
        text = template(self.name)[0].format(media=words, events=event_listing(clip.events), qtype=qtype,
                                             hint=AV_HINTS.get(qtype, qtype))
        ids = {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 1, "maxItems": 64}
        schema = _obj({"caption": {**TEXT, "maxLength": 4000}, "events": ids}) if self.caption else \
            _obj({"question": TEXT, "answer": {**TEXT, "maxLength": 400}, "events": ids,
                  "aspect": {"type": "string", "enum": ["", "which", "when"]}})
        return Request("annotate", self.name, text, members, schema, qtype, context)

    def parse(self, item, req: Request, reply: dict) -> Candidate:
        from omnisynth.tasks.clips import TEMPLATES

        labels = [str(i) for i in reply["events"]]
        if self.caption:
            question = TEMPLATES[req.qtype][0]
            return Candidate(req.qtype, question, reply["caption"], [], [],
                             {"op": "timeline", "relation": req.qtype, "labels": labels}, [reply["caption"]])
        return Candidate(req.qtype, reply["question"], reply["answer"], [], [],
                         {"op": "timeline", "relation": req.qtype, "target": reply["aspect"], "labels": labels},
                         [reply["answer"]])

    def counterpart(self, item, req: Request, rng: random.Random) -> dict | None:
        from omnisynth.tasks.clips import av_candidate

        try:
            cand = av_candidate(self.recipe.task.kind, {req.qtype: 1.0}, item.truth, rng)
        except Unsupported:
            return None
        ids = [int(x) for x in cand.derivation["labels"]]
        if self.caption:
            return {"caption": cand.answer, "events": ids}
        return {"question": cand.question, "answer": cand.answer, "events": ids,
                "aspect": cand.derivation.get("target", "")}


class VideoModelTask:
    """Your own videos: a timed description from frames and audio; no ground truth, so the judge decides."""

    name = "video_caption.v2"

    def __init__(self, recipe):
        self.recipe = recipe

    def request(self, item, rng: random.Random) -> Request:
        from omnisynth.tasks.clips import describe_measured

        clip = item.truth.clip
        members, words, context = clip_members(item, self.recipe.model)
        text = template(self.name)[0].format(media=words, measured=describe_measured(clip.info, clip.events))
        return Request("annotate", self.name, text, members, _obj({"caption": {**TEXT, "maxLength": 4000}}), "describe",
                       context)

    def parse(self, item, req: Request, reply: dict) -> Candidate:
        from omnisynth.tasks.clips import TEMPLATES

        return Candidate("describe", TEMPLATES["describe"][0], reply["caption"], [], [],
                         {"op": "timeline", "relation": "describe", "labels": []}, [reply["caption"]])

    def counterpart(self, item, req: Request, rng: random.Random) -> dict | None:
        return None  # no ground truth: nothing is verified to prefer


# the judge ---------------------------------------------------------------------------------------
JUDGE_SCHEMA = _obj({"score": {"type": "integer", "minimum": 1, "maximum": 5}, "reason": {**TEXT, "maxLength": 400}})


def judge_request(item, rubric: str, max_media: int) -> Request:
    images = [(m["member"], "image") for m in item.sample["media"] if m["modality"] == "image"][:max_media]
    audio = [(m["member"], "audio") for m in item.sample["media"] if m["modality"] == "audio" and m["duration_s"] > 0]
    text = template("judge.v1")[0].format(rubric=rubric, question=item.sample["question"], answer=item.sample["answer"])
    return Request("judge", "judge.v1", text, images + audio, JUDGE_SCHEMA, "judge")


def model_task(recipe):
    """The model task of the recipe's family (`omnisynth.families`: `Family.model_task`)."""
    return recipe.family().load("model_task")(recipe)


def prompt_hash(recipe) -> str:
    names = [model_task(recipe).name]
    if recipe.filters.judge.active(recipe):
        names.append("judge.v1")
    return templates_hash(names)
