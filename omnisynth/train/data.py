"""The trainer's data: a stage's mixture streamed from our shards, deterministically, resumable.

Each source is an output folder (its manifest's shards) or a glob of WebDataset tars. Sample
members are read by offset from an index of the tar headers (no extraction). Every source
holds out a fixed fraction of its keys by hash (`heldout`) for `omnisynth eval`; training never
sees them. The stream is a pure function of (seed, stage, position): draw k picks a source by
weight from its own generator, each source walks a fresh permutation of its keys per epoch.
The position (draws made, samples taken per source) goes into every checkpoint, so a resumed
run reads exactly what the uninterrupted one would have.

A thread decodes and batches ahead of the training step (`Prefetcher`); the time the step
waits on it is the loader wait the trainer logs.
"""

from __future__ import annotations

import glob
import hashlib
import json
import queue
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from omnisynth.datasets.manifest import read_manifest
from omnisynth.datasets.shards import index_tar
from omnisynth.gap.results import normalise
from omnisynth.train.omni import image_tensor, log_mel


class DataError(ValueError):
    """A stage's data that cannot be read; the message names the source."""


@dataclass
class Source:
    name: str
    weight: float
    keys: list[str]                                   # training keys (held-out ones removed), sorted
    members: dict[str, tuple[str, dict[str, tuple[int, int]]]] = field(repr=False)  # key -> (tar, ext -> (offset, size))

    def read(self, key: str) -> tuple[dict, dict[str, bytes]]:
        tar, exts = self.members[key]
        out = {}
        with open(tar, "rb") as f:
            for ext, (offset, size) in exts.items():
                f.seek(offset)
                out[ext] = f.read(size)
        return json.loads(out.pop("json") if "json" in out else out.pop("pair.json")), out


def heldout(key: str, fraction: float) -> bool:
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % 10000 < fraction * 10000


def shard_paths(spec: str, base: Path, pairs: bool = False) -> list[str]:
    """An output folder (its manifest's shards, in order; or its pairs/) or a glob of tars, relative to `base`."""
    path = Path(spec).expanduser()
    path = path if path.is_absolute() else base / path
    if pairs:
        found = sorted(str(p) for p in (path / "pairs").glob("*.tar")) if path.is_dir() else sorted(glob.glob(str(path)))
        if not found:
            raise DataError(f"{spec}: no preference pairs (pairs/*.tar; a model-engine run writes them)")
        return found
    if path.is_dir():
        if not (path / "manifest.json").is_file():
            raise DataError(f"{spec}: no manifest.json (not a finished omnisynth output folder; run it first)")
        return [str(path / "shards" / r.name) for r in read_manifest(path).shards]
    if "://" in spec:
        raise DataError(f"{spec}: the trainer reads local shards; sync the output folder here first")
    found = sorted(glob.glob(str(path)))
    if not found:
        raise DataError(f"{spec}: neither an output folder nor a glob matching any tar")
    return found


def index_tars(paths: list[str]) -> dict[str, tuple[str, dict[str, tuple[int, int]]]]:
    """key -> (tar, {extension: (data offset, size)}) from the tar headers alone."""
    index: dict[str, tuple[str, dict[str, tuple[int, int]]]] = {}
    for tar_path in paths:
        try:
            members = index_tar(tar_path)
        except ValueError as exc:  # an unsafe member
            raise DataError(str(exc)) from None
        for key, exts in members.items():
            index.setdefault(key, (tar_path, {}))[1].update(exts)
    return {k: v for k, v in index.items() if "json" in v[1] or "pair.json" in v[1]}


def open_source(spec: str, weight: float, base: Path, heldout_fraction: float, split: str = "train",
                pairs: bool = False) -> Source:
    index = index_tars(shard_paths(spec, base, pairs))
    keys = sorted(k for k in index if split == "all" or heldout(k, heldout_fraction) == (split == "heldout"))
    if not keys:
        raise DataError(f"{spec}: no {split} samples ({len(index)} in its shards, {heldout_fraction:.0%} held out)")
    return Source(spec, weight, keys, index)


class Stream:
    """Samples of a weighted mixture, in an order fixed by (seed, stage); `position` resumes it."""

    def __init__(self, sources: list[Source], seed: int, stage: int, position: dict | None = None):
        self.sources, self.seed, self.stage = sources, seed, stage
        w = np.array([s.weight for s in sources], dtype=np.float64)
        self.cum = np.cumsum(w / w.sum())
        position = position or {"draws": 0, "taken": [0] * len(sources)}
        self.draws, self.taken = position["draws"], list(position["taken"])
        self._perm: dict[tuple[int, int], np.ndarray] = {}

    @property
    def position(self) -> dict:
        return {"draws": self.draws, "taken": list(self.taken)}

    def _key(self, i: int, n: int) -> str:
        keys = self.sources[i].keys
        epoch, at = divmod(n, len(keys))
        if (i, epoch) not in self._perm:
            self._perm = {k: v for k, v in self._perm.items() if k[0] != i}
            self._perm[(i, epoch)] = np.random.default_rng([self.seed, self.stage, i, epoch]).permutation(len(keys))
        return keys[int(self._perm[(i, epoch)][at])]

    def next(self) -> tuple[Source, str]:
        u = np.random.default_rng([self.seed, self.stage, 1 << 20, self.draws]).random()
        i = min(int(np.searchsorted(self.cum, u, side="right")), len(self.sources) - 1)
        key = self._key(i, self.taken[i])
        self.draws += 1
        self.taken[i] += 1
        return self.sources[i], key


# --- samples -> token sequences ---

@dataclass
class Encoded:
    ids: list[int]
    labels: list[int]
    images: list[tuple[torch.Tensor, int]]          # (pixels, grid) in placeholder order
    mel: torch.Tensor | None
    key: str = ""
    sample: dict | None = None


class Encoder:
    """Chat messages with media members -> token ids, assistant-only labels and media tensors."""

    def __init__(self, tokenizer, config, cache_mb: float = 0):
        self.tok, self.cfg = tokenizer, config
        # decoded, resized media by (source, key, member): later epochs skip the PNG/JPEG/WAV decode
        self.cache: OrderedDict[tuple, torch.Tensor] = OrderedDict()
        self.cache_bytes, self.cache_limit = 0, int(cache_mb * 2**20)
        self.sp = {t: tokenizer.convert_tokens_to_ids(t) for t in
                   ("<|im_start|>", "<|im_end|>", "<|IMAGE|>", "<|vision_bos|>", "<|vision_eos|>",
                    "<|AUDIO|>", "<|audio_bos|>", "<|audio_eos|>")}
        self.nl = self.text("\n")
        self.assistant_header = [self.sp["<|im_start|>"]] + self.text("assistant\n")

    def text(self, s: str) -> list[int]:
        return self.tok.encode(s, add_special_tokens=False)

    def _media(self, ref: tuple | None, member: str, make) -> torch.Tensor:
        if ref is None or not self.cache_limit:
            return make()
        k = (*ref, member)
        if k in self.cache:
            self.cache.move_to_end(k)
            return self.cache[k]
        t = make()
        self.cache[k] = t
        self.cache_bytes += t.numel() * t.element_size()
        while self.cache_bytes > self.cache_limit and self.cache:
            _, old = self.cache.popitem(last=False)
            self.cache_bytes -= old.numel() * old.element_size()
        return t

    def prompt(self, messages: list[dict], members: dict[str, bytes], ref: tuple | None = None) -> Encoded:
        """Every non-assistant message, then the assistant header (what generation continues from).

        `ref` (source, key) names the sample for the decoded-media cache."""
        turns = [m for m in messages if m["role"] != "assistant"]
        n_images = sum(1 for m in turns for p in m["content"] if p["type"] == "image")
        grid = self.cfg.image_grid if n_images <= 1 else self.cfg.frame_grid
        ids: list[int] = []
        images, mel = [], None
        v, a = self.cfg.vision_config, self.cfg.audio_config
        for m in turns:
            ids += [self.sp["<|im_start|>"]] + self.text(m["role"] + "\n")
            for part in m["content"]:
                if part["type"] == "text":
                    ids += self.text(part["text"])
                elif part["type"] == "image":
                    m = part["image"]
                    images.append((self._media(ref, m, lambda m=m: image_tensor(members[m], v["image_size"])), grid))
                    ids += [self.sp["<|vision_bos|>"]] + [self.sp["<|IMAGE|>"]] * grid * grid + [self.sp["<|vision_eos|>"]]
                elif part["type"] == "audio":
                    if mel is not None:
                        raise ValueError("more than one audio part in a sample")
                    m = part["audio"]
                    mel = self._media(ref, m, lambda m=m: log_mel(members[m], a["n_mels"], a["max_seconds"]))
                    ids += [self.sp["<|audio_bos|>"]] + [self.sp["<|AUDIO|>"]] * a["latents"] + [self.sp["<|audio_eos|>"]]
                else:
                    raise ValueError(f"unsupported content part {part['type']!r}")
            ids += [self.sp["<|im_end|>"]] + self.nl
        ids += self.assistant_header
        return Encoded(ids, [-100] * len(ids), images, mel)

    def answer(self, text: str) -> list[int]:
        return self.text(text) + [self.sp["<|im_end|>"]]

    def full(self, prompt: Encoded, answer: str) -> Encoded:
        ans = self.answer(answer)
        return Encoded(prompt.ids + ans, prompt.labels + ans, prompt.images, prompt.mel)


def prompt_messages(sample: dict) -> list[dict]:
    """The turns before the answer: a sample's messages, or a preference pair's prompt."""
    return sample["messages"] if "messages" in sample else sample["prompt"]


def assistant_text(sample: dict) -> str:
    """The verified answer: a sample's assistant turn, or a preference pair's chosen reply."""
    if "messages" not in sample and "chosen" in sample:
        return sample["chosen"]
    turns = [m for m in sample["messages"] if m["role"] == "assistant"]
    if not turns:
        raise ValueError("no assistant message")
    return "".join(p["text"] for p in turns[-1]["content"] if p["type"] == "text")


def collate(items: list[Encoded], pad_id: int, left: bool = False) -> dict:
    """Pad to the longest (right for training, left for generation); media in placeholder order."""
    n = max(len(e.ids) for e in items)
    ids = torch.full((len(items), n), pad_id, dtype=torch.long)
    labels = torch.full((len(items), n), -100, dtype=torch.long)
    mask = torch.zeros((len(items), n), dtype=torch.long)
    for i, e in enumerate(items):
        sl = slice(n - len(e.ids), n) if left else slice(0, len(e.ids))
        ids[i, sl] = torch.tensor(e.ids)
        labels[i, sl] = torch.tensor(e.labels)
        mask[i, sl] = 1
    batch = {"input_ids": ids, "labels": labels, "attention_mask": mask}
    imgs = [t for e in items for t, _ in e.images]
    if imgs:
        batch["images"] = torch.stack(imgs)
        batch["image_grids"] = [g for e in items for _, g in e.images]
    mels = [e.mel for e in items if e.mel is not None]
    if mels:
        t = max(m.shape[0] for m in mels)
        batch["mels"] = torch.stack([torch.nn.functional.pad(m, (0, 0, 0, t - m.shape[0])) for m in mels])
        batch["mel_lengths"] = torch.tensor([m.shape[0] for m in mels])
    return batch


def label_logprobs(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Next-token log-probabilities (B, L-1, V), each label's log-probability (0 where unlabelled)
    and the label mask: what the trainer's objectives and eval's answer likelihood share."""
    labels = labels[:, 1:]
    mask = labels != -100
    lp = torch.log_softmax(logits[:, :-1].float(), dim=-1)
    return lp, lp.gather(-1, labels.clamp(min=0)[..., None])[..., 0] * mask, mask


def media_kwargs(batch: dict) -> dict:
    return {k: batch[k] for k in ("images", "image_grids", "mels", "mel_lengths") if k in batch}


# --- preference pairs: the verified answer against a ground-truth-aware wrong one ---

BOX = re.compile(r"^\[(\d+), (\d+), (\d+), (\d+)\]$")
POINT = re.compile(r"^\((\d+), (\d+)\)$")


def perturb(sample: dict, answer: str, rng: np.random.Generator, other_answers: list[str]) -> tuple[str, str] | None:
    """A wrong answer of the right form: (text, how), or None when none is certain to be wrong.

    Boxes move off the target (no overlap), points leave the box, numbers change a digit (a
    wrong cell or a wrong time), anything else takes another sample's answer to the same task.
    """
    truth = {normalise(a) for a in sample.get("answers") or [answer]}
    if (m := BOX.match(answer)) or POINT.match(answer):
        gt = sample["grounding"][0]["bbox_1000"] if sample.get("grounding") else None
        if gt is None:
            return None
        x0, y0, x1, y1 = gt
        w, h = max(x1 - x0, 20), max(y1 - y0, 20)
        for _ in range(20):
            dx, dy = int(rng.integers(-3, 4)) * w, int(rng.integers(-3, 4)) * h
            nb = [x0 + dx, y0 + dy, x1 + dx, y1 + dy]
            if (dx or dy) and min(nb) >= 0 and max(nb) <= 1000 and (nb[2] <= x0 or nb[0] >= x1 or nb[3] <= y0 or nb[1] >= y1):
                if m:
                    return f"[{nb[0]}, {nb[1]}, {nb[2]}, {nb[3]}]", "box_shifted"
                return f"({(nb[0] + nb[2]) // 2}, {(nb[1] + nb[3]) // 2})", "point_shifted"
        return None
    digits = [i for i, c in enumerate(answer) if c.isdigit()]
    if digits:
        i = digits[int(rng.integers(len(digits)))]
        d = str((int(answer[i]) + int(rng.integers(1, 10))) % 10)
        if i == digits[0] and d == "0" and len(digits) > 1:
            d = "9"
        wrong = answer[:i] + d + answer[i + 1:]
        if normalise(wrong) not in truth:
            return wrong, "digit_changed"
    for other in other_answers:
        if other and normalise(other) not in truth:
            return other, "other_answer"
    return None


# --- the prefetching thread ---

class Prefetcher:
    """Builds batches ahead of the step in one thread (so order stays deterministic).

    `make(stream)` returns one batch or raises StopIteration; each queued batch carries the
    stream position after it, which is what a checkpoint taken after that step records.
    """

    def __init__(self, stream: Stream, make, depth: int = 4):
        self.stream, self.make = stream, make
        self.q: queue.Queue = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="omnisynth-loader")
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                batch = self.make(self.stream)
                item = (batch, self.stream.position)
                while not self.stop.is_set():
                    try:
                        self.q.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
        except BaseException as e:  # noqa: BLE001 - handed to the consumer, which raises it
            self.q.put(("error", e))

    def get(self):
        item = self.q.get()
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) and item[0] == "error":
            raise item[1]
        return item

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
