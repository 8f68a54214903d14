"""Task metrics and verifiable rewards from the ground truth a sample carries, and `omnisynth eval`.

One scorer serves both: `score(sample, prediction)` gives the eval metrics (exact match and
ANLS for text answers, point-in-box for grounding, accuracy for clip QA with a time tolerance
for durations) and the GRPO reward.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import torch

from omnisynth.gap.results import anls as pair_anls
from omnisynth.gap.results import normalise
from omnisynth.geometry import iou

BOX = re.compile(r"\[\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\]")
POINT = re.compile(r"\(\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\)")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
         "nine": 9, "ten": 10}


def anls(pred: str, answers: list[str]) -> float:
    """ANLS (the DocVQA metric, 0 below 0.5) against the best of the reference answers."""
    return max((pair_anls(normalise(a), normalise(pred)) for a in answers), default=0.0)


def kind(sample: dict) -> str:
    """grounding | clip | parse | text: which metric a sample's answer takes (parse: doc_parse's
    OCRBench v2 formats, scored by `omnisynth.metrics.parse_score`: TEDS, NED, F1, numeric, exact)."""
    from omnisynth.metrics import PARSE_METRIC_OPS

    answer = sample.get("answer", "")
    if (sample.get("derivation") or {}).get("op") in PARSE_METRIC_OPS:
        return "parse"
    if sample.get("grounding") and (BOX.fullmatch(answer.strip()) or POINT.fullmatch(answer.strip())):
        return "grounding"
    if "events" in sample and sample.get("events"):
        return "clip"
    return "text"


def predicted_point(text: str) -> tuple[tuple[float, float] | None, list[float] | None]:
    if m := BOX.search(text):
        b = [float(x) for x in m.groups()]
        return ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2), b
    if m := POINT.search(text):
        return (float(m.group(1)), float(m.group(2))), None
    return None, None


def _number(s: str) -> float | None:
    if m := NUMBER.search(s.replace(",", "")):
        return float(m.group())
    w = normalise(s)
    return float(WORDS[w]) if w in WORDS else None


def score(sample: dict, prediction: str) -> dict:
    """Metrics of one prediction against the sample's ground truth; `reward` in [0, 1] for GRPO."""
    answers = sample.get("answers") or [sample.get("answer", "")]
    k = kind(sample)
    if k == "parse":
        from omnisynth.metrics import parse_score

        metric, value = parse_score(sample, prediction)
        return {"kind": k, "metric": metric, "correct": float(value >= 1.0), "score": value, "reward": value}
    if k == "grounding":
        gt = sample["grounding"][0]["bbox_1000"]
        point, box = predicted_point(prediction)
        hit = point is not None and gt[0] <= point[0] <= gt[2] and gt[1] <= point[1] <= gt[3]
        overlap = iou(box, gt) if box is not None else 0.0
        return {"kind": k, "correct": float(hit), "hit": float(hit), "iou": overlap,
                "reward": 0.5 * float(hit) + 0.5 * overlap if box is not None else float(hit)}
    if k == "clip":
        if sample.get("task", "").endswith("/duration"):
            gt, got = _number(answers[0]), _number(prediction)
            ok = gt is not None and got is not None and abs(gt - got) <= max(0.25, 0.1 * gt)
        elif sample.get("task", "").endswith("/count"):
            ok = _number(prediction) is not None and _number(prediction) == _number(answers[0])
        else:
            ok = normalise(prediction) in {normalise(a) for a in answers}
        return {"kind": k, "correct": float(ok), "reward": float(ok)}
    em = float(normalise(prediction) in {normalise(a) for a in answers})
    a = anls(prediction, answers)
    return {"kind": k, "correct": em, "em": em, "anls": a, "reward": a}


@torch.no_grad()
def generate(model, batch: dict, eos_id: int, max_new_tokens: int, temperature: float = 0.0,
             generator: torch.Generator | None = None) -> list[list[int]]:
    """Greedy (temperature 0) or sampled continuations of left-padded prompts; media embedded once."""
    from omnisynth.train.data import media_kwargs

    lm = model.language_model
    embeds = model.embed(batch["input_ids"], **media_kwargs(batch))
    mask = batch["attention_mask"]
    table = lm.get_input_embeddings()
    out = torch.zeros((embeds.shape[0], 0), dtype=torch.long, device=embeds.device)
    done = torch.zeros(embeds.shape[0], dtype=torch.bool, device=embeds.device)
    # an answer is text: never a media placeholder, a turn header or padding
    banned = [i for name, i in model.config.special_ids.items() if name != "im_end"]
    for _ in range(max_new_tokens):
        logits = lm(inputs_embeds=embeds, attention_mask=mask, use_cache=False).logits[:, -1].float()
        logits[:, banned] = float("-inf")
        if temperature > 0:
            probs = torch.softmax(logits / temperature, dim=-1)
            nxt = torch.multinomial(probs, 1, generator=generator)[:, 0]
        else:
            nxt = logits.argmax(-1)
        nxt = torch.where(done, torch.full_like(nxt, eos_id), nxt)
        out = torch.cat([out, nxt[:, None]], dim=1)
        done |= nxt == eos_id
        if bool(done.all()):
            break
        embeds = torch.cat([embeds, table(nxt)[:, None].to(embeds.dtype)], dim=1)
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
    result = []
    for row in out.tolist():
        result.append(row[: row.index(eos_id) + 1] if eos_id in row else row)
    return result


@torch.no_grad()
def answer_likelihood(model, batch: dict) -> list[tuple[float, float]]:
    """Per sample, teacher-forced on the reference answer: mean NLL of its tokens and the share of
    them the model ranks first (token accuracy; chance is 1 / vocabulary)."""
    from omnisynth.train.data import label_logprobs, media_kwargs

    logits = model(batch["input_ids"], attention_mask=batch["attention_mask"], **media_kwargs(batch))
    lp, picked, mask = label_logprobs(logits, batch["labels"])
    nll = -picked.sum(-1) / mask.sum(-1).clamp(min=1)
    acc = ((lp.argmax(-1) == batch["labels"][:, 1:]) & mask).sum(-1) / mask.sum(-1).clamp(min=1)
    return list(zip(nll.tolist(), acc.tolist(), strict=False))


def _checkpoints(path: Path) -> list[Path]:
    """A saved model folder, or a training output: its init and every finished stage, in order."""
    if (path / "config.json").is_file():
        return [path]
    found = [p for p in sorted(path.iterdir()) if p.is_dir() and (p / "config.json").is_file()
             and (p.name == "init" or re.match(r"^\d\d-", p.name))] if path.is_dir() else []
    if not found:
        raise FileNotFoundError(f"{path}: neither a saved model folder (config.json) nor a training output with stages")
    return sorted(found, key=lambda p: (p.name != "init", p.name))


def evaluate(ckpt: Path, data: list[str], split: str = "heldout", heldout_fraction: float = 0.1,
             limit: int = 0, batch_size: int = 16, max_new_tokens: int = 48, results: Path | None = None,
             base: Path = Path(".")) -> dict:
    """Metrics per checkpoint per data source (and per task type); per-sample rows to `results` (JSONL)."""
    from transformers import AutoTokenizer

    from omnisynth.train.omni import OmniModel
    from omnisynth.train.data import Encoder, assistant_text, collate, open_source

    sources = [open_source(d, 1.0, base, heldout_fraction, split="heldout" if split == "heldout" else "all")
               for d in data]
    table: dict[str, dict[str, dict]] = {}
    rows_out = results.open("w") if results else None
    try:
        for path in _checkpoints(ckpt):
            model = OmniModel.from_pretrained(path).eval()
            tok = AutoTokenizer.from_pretrained(path)
            enc = Encoder(tok, model.config)
            eos = model.config.special_ids["im_end"]
            per: dict[str, dict] = {}
            t0 = time.time()
            for src in sources:
                keys = src.keys[:limit] if limit else src.keys
                agg: dict[str, list[dict]] = defaultdict(list)
                for i in range(0, len(keys), batch_size):
                    chunk = [(k, *src.read(k)) for k in keys[i:i + batch_size]]
                    prompts = [enc.prompt(s["messages"], m) for _, s, m in chunk]
                    outs = generate(model, collate(prompts, tok.pad_token_id, left=True), eos, max_new_tokens)
                    likely = answer_likelihood(model, collate([enc.full(p, assistant_text(s)) for p, (_, s, _) in
                                                               zip(prompts, chunk, strict=False)], tok.pad_token_id))
                    for (key, sample, _), ids, (nll, tok_acc) in zip(chunk, outs, likely, strict=False):
                        pred = tok.decode(ids, skip_special_tokens=True).strip()
                        s = {**score(sample, pred), "nll": nll, "token_acc": tok_acc}
                        for name in ("all", sample.get("task", "?")):
                            agg[name].append(s)
                        if rows_out:
                            rows_out.write(json.dumps({"checkpoint": path.name, "source": src.name, "key": key,
                                                       "task": sample.get("task", ""), "prediction": pred,
                                                       "answer": sample.get("answer", ""), **s}) + "\n")
                per[src.name] = {name: _summary(v) for name, v in sorted(agg.items())}
                per[src.name]["all"]["chance"] = _chance(src, keys)
                per[src.name]["all"]["token_chance"] = 1.0 / len(tok)
            table[path.name] = per
            print(f"eval {path.name}: {sum(len(s.keys[:limit] if limit else s.keys) for s in sources)} samples "
                  f"in {time.time() - t0:.1f}s", file=sys.stderr)
    finally:
        if rows_out:
            rows_out.close()
    return table


def _summary(scores: list[dict]) -> dict:
    out = {"n": len(scores), "kind": scores[0]["kind"]}
    for m in ("correct", "anls", "hit", "iou", "em", "score", "nll", "token_acc"):
        vals = [s[m] for s in scores if m in s]
        if vals:
            out[m] = sum(vals) / len(vals)
    return out


def _chance(src, keys: list[str]) -> float:
    """What guessing scores: a uniform random point for grounding (the mean target area), else 0."""
    areas = []
    for k in keys:
        sample, _ = src.read(k)
        if kind(sample) != "grounding":
            return 0.0
        g = sample["grounding"][0]
        areas.append(g.get("area_fraction", 0.0))
    return sum(areas) / len(areas) if areas else 0.0


def headline(cell: dict) -> float:
    """The one number per source: ANLS for text, point-in-box for grounding, accuracy for clips, the
    task's own metric for doc_parse (TEDS, NED, F1, ...)."""
    c = cell["all"]
    return {"text": c.get("anls", c["correct"]), "parse": c.get("score", c["correct"])}.get(c["kind"], c["correct"])


def format_table(table: dict) -> str:
    sources = list(next(iter(table.values())))
    lines = ["checkpoint".ljust(24) + "".join(Path(s).name[:32].rjust(34) for s in sources)]
    for ck, per in table.items():
        cells = []
        for s in sources:
            c = per[s]["all"]
            metric = {"text": "anls", "grounding": "in-box", "clip": "acc", "parse": "score"}[c["kind"]]
            cells.append(f"{metric} {headline(per[s]):.3f} tok {c['token_acc']:.2f} nll {c['nll']:.2f}".rjust(34))
        lines.append(ck[:24].ljust(24) + "".join(cells))
    return "\n".join(lines)
