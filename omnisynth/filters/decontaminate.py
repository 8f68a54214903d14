"""Decontamination: drop samples that overlap a benchmark's own test items (text or images).

`filters.decontaminate.sources` names benchmark files as they ship:
- `ocrbench_v2`: its records (JSON list or JSON Lines): `question`, `answers`, `image_path`
  (relative to `images`, default the file's folder).
- `mmlongbench_doc`: `samples.json`: `question`, `answer`, `doc_id` (a PDF in `images`, whose
  pages are rendered at 36 dpi and hashed).
- `screenspot_pro`: annotation records or the evaluator's log (a file, or a folder of `*.json`):
  `instruction`, `img_filename` or `img_path` (in `images`).

Text: the question and answer of every item, case-folded and NFKC-normalised, cut into word
tokens (each CJK character a token); a sample overlaps the benchmark when at least `min_share`
of its question + answer's `ngram`-token runs are the benchmark's (a sample shorter than that:
when it equals an item whole). A share, not one run: our questions are templates, and a
benchmark item worded like one ("Extract these fields from the document ...") shares a run with
every sample of that template without holding any of their content. Images: 64-bit
perceptual hashes (`imagehash.phash`, as run-wide dedup uses); a sample image within
`image_max_distance` bits of an item's overlaps it. Dropped samples are quarantined with reason
`text_overlap_<benchmark>` or `image_overlap_<benchmark>`, so the manifest counts them by benchmark.

The index is built once per machine and cached under `$XDG_CACHE_HOME/omnisynth/decontam/`
(keyed by the files' paths, sizes and modification times): the run's driver builds it before
any sample (`prepare`), the workers load it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import unicodedata
from pathlib import Path

from omnisynth.datasets.dedup import phash
from omnisynth.datasets.records import json_records
from omnisynth.filters.base import KEEP, Filter, Verdict
from omnisynth.schemas.truth import WorkItem

_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\W_]+")


def tokens(text: str) -> tuple[str, ...]:
    """Word tokens of `text` (a CJK character is a token), NFKC-normalised and case-folded."""
    return tuple(_TOKEN.findall(unicodedata.normalize("NFKC", text).casefold()))


def _stable(parts: tuple[str, ...]) -> int:
    # not hash(): Python salts it per process, and the index is built by one process, read by others
    return int.from_bytes(hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest(), "big")


def grams(toks: tuple[str, ...], n: int) -> set[int]:
    """Hashes of the n-token runs; a text shorter than n is one gram, itself (empty: none)."""
    if not toks:
        return set()
    if len(toks) < n:
        return {_stable(("whole", *toks))}
    return {_stable(toks[i:i + n]) for i in range(len(toks) - n + 1)}


def _phash_int(data: bytes) -> int:
    """The 64-bit pHash of an encoded image, as run-wide dedup computes it (`datasets.dedup.phash`)."""
    return int(phash(data), 16)


def _image_hashes(paths: list[Path]) -> list[int]:
    out = []
    for p in paths:
        if p.suffix.lower() == ".pdf":
            import pymupdf

            with pymupdf.open(p) as doc:
                out += [_phash_int(page.get_pixmap(dpi=36).tobytes("png")) for page in doc]
        elif p.is_file():
            out.append(_phash_int(p.read_bytes()))
    return out


class SourceError(ValueError):
    """A benchmark file that holds none of the records its benchmark ships (the message names it)."""


def _items(source) -> tuple[list[str], list[Path]]:
    """(texts, image files) of one benchmark source. Raises SourceError for a record without its
    question (`question`, or `instruction` for ScreenSpot-Pro) or a file with no records."""
    path = Path(source.path)
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    root = Path(source.images) if source.images else (path if path.is_dir() else path.parent)
    texts, images = [], []
    for f in files:
        for where, rec in json_records(f):
            if not isinstance(rec, dict) or not (rec.get("question") or rec.get("instruction")):
                raise SourceError(f"{where}: a {source.benchmark} record needs 'question' (ScreenSpot-Pro: "
                                  f"'instruction'); got {str(rec)[:80]}")
            answers = rec.get("answers", rec.get("answer", ""))
            answers = answers if isinstance(answers, list) else [answers]
            question = str(rec.get("question") or rec.get("instruction") or "")
            for a in answers or [""]:
                texts.append(f"{question} {a if isinstance(a, str) else ''}".strip())
            name = rec.get("image_path") or rec.get("img_filename") or rec.get("img_path")
            if source.benchmark == "mmlongbench_doc" and rec.get("doc_id"):
                name = rec["doc_id"]
            if name:
                images.append(root / str(name))
    if not texts:
        raise SourceError(f"{path}: no {source.benchmark} records")
    return texts, sorted(set(images))


class Index:
    """The n-gram hashes and image hashes of every configured benchmark, by benchmark."""

    def __init__(self, sources, ngram: int):
        self.ngram = ngram
        self.text: dict[int, str] = {}
        self.images: list[tuple[int, str]] = []
        self.counts: dict[str, dict[str, int]] = {}
        for source in sources:
            texts, images = _items(source)
            for t in texts:
                for g in grams(tokens(t), ngram):
                    self.text.setdefault(g, source.benchmark)
            hashes = _image_hashes(images)
            self.images += [(h, source.benchmark) for h in hashes]
            self.counts[source.benchmark] = {"texts": len(texts), "images": len(hashes)}


def _key(sources, ngram: int) -> str:
    parts = [str(ngram)]
    for s in sources:
        for p in (Path(s.path), Path(s.images) if s.images else None):
            if p is None or not p.exists():
                continue
            files = sorted(p.rglob("*")) if p.is_dir() else [p]
            parts += [f"{f}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files if f.is_file()]
        parts.append(s.benchmark)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "omnisynth" / "decontam"


_LOADED: dict[str, Index] = {}


def _load(key: str, sources: tuple, ngram: int) -> Index:
    if key in _LOADED:
        return _LOADED[key]
    path = cache_dir() / f"{key}.pkl"
    try:
        with path.open("rb") as f:
            _LOADED[key] = pickle.load(f)
            return _LOADED[key]
    except (OSError, pickle.UnpicklingError, EOFError):
        pass
    index = _LOADED[key] = Index(sources, ngram)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        pickle.dump(index, f)
    os.replace(tmp, path)  # atomic: a worker reading it sees a whole index or none
    return index


def load_index(cfg, key: str | None = None) -> Index:
    """The index of `cfg.sources` (a recipe's `filters.decontaminate`): this process's copy, the
    machine's cached one, or built. `key`: `index_key(cfg)`, when the caller has it."""
    sources = tuple(cfg.sources)
    return _load(key or index_key(cfg), sources, cfg.ngram)


def index_key(cfg) -> str:
    return _key(tuple(cfg.sources), cfg.ngram)


def prepare(recipe) -> dict[str, dict[str, int]] | None:
    """Build (or load) the run's index on the driver; the items and images indexed per benchmark."""
    cfg = recipe.filters.decontaminate
    return load_index(cfg).counts if cfg.sources else None


class DecontaminationFilter(Filter):
    """A sample whose question + answer or image overlaps a benchmark item is dropped, naming it."""

    name = "decontaminate"

    def __init__(self, cfg):
        self.cfg = cfg
        self.key = index_key(cfg)  # once: it stats every benchmark file

    def check(self, item: WorkItem) -> Verdict:
        index = load_index(self.cfg, self.key)
        s = item.sample
        mine = grams(tokens(f"{s['question']} {s['answer']}"), index.ngram)
        shared = [index.text[g] for g in mine if g in index.text]
        if mine and len(shared) >= self.cfg.min_share * len(mine):
            bench = max(set(shared), key=shared.count)
            return False, f"text_overlap_{bench}", (f"{len(shared)} of {len(mine)} {index.ngram}-token runs of "
                                                    f"{s['question'][:80]!r} are {bench}'s")
        if index.images:
            for m in s["media"]:
                if m["modality"] != "image" or m["member"] not in item.media:
                    continue
                h = _phash_int(item.media[m["member"]])
                for other, bench in index.images:
                    if (h ^ other).bit_count() <= self.cfg.image_max_distance:
                        return False, f"image_overlap_{bench}", f"{m['member']} within {self.cfg.image_max_distance} " \
                                                                f"bits of an image of {bench}"
        return KEEP
