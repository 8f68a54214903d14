"""`omnisynth mix OUT --from A:0.7 --from B:0.3 --num-samples N`: a dataset mixed by weight.

Samples are copied (never re-rendered) from finished output folders into a new folder
with its own shards, manifest and Energon metadata, so a stage mixture for training is
one more dataset every consumer reads. Counts per source follow the weights (largest
remainder), the choice and the order are a pure function of the seed, and the mix is
refused up front when it could not be read as one dataset: sources with different tar
member sets, duplicate keys, or fewer samples than asked for.
"""

from __future__ import annotations

import hashlib
import json
import random
import tarfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from omnisynth import __version__
from omnisynth.datasets.energon import prepare_if_available
from omnisynth.datasets.manifest import package_versions, read_manifest, write_manifest
from omnisynth.datasets.shards import shard_name, write_tar
from omnisynth.datasets.store import Store
from omnisynth.schemas.manifest import Manifest, ShardRecord


class MixError(ValueError):
    """A mix that cannot be made; the message names the source and the reason."""


@dataclass
class Source:
    path: Path
    weight: float
    index: dict[str, tuple[Path, list[tarfile.TarInfo]]]  # key -> (tar, member headers)
    recipe: dict
    config_hash: str


def parse_sources(specs: list[str]) -> list[tuple[Path, float]]:
    out = []
    for spec in specs:
        path, sep, weight = spec.rpartition(":")
        try:
            w = float(weight)
        except ValueError:
            w = -1.0
        if not sep or not path or w <= 0:
            raise MixError(f"--from {spec!r}: expected DIR:WEIGHT with a positive weight")
        out.append((Path(path), w))
    return out


def index_source(path: Path, weight: float) -> Source:
    """Every sample's member headers (no data read), from the folder's listed shards."""
    try:
        manifest = read_manifest(path)
    except FileNotFoundError:
        raise MixError(f"{path}: no manifest.json (not a finished omnisynth output folder)") from None
    index: dict[str, tuple[Path, list[tarfile.TarInfo]]] = {}
    for rec in manifest.shards:
        if not rec.name:
            continue
        tar_path = path / "shards" / rec.name
        with tarfile.open(tar_path) as tar:
            for info in tar.getmembers():
                key = info.name.split(".", 1)[0]
                index.setdefault(key, (tar_path, []))[1].append(info)
    return Source(path, weight, index, manifest.recipe, manifest.config_hash)


def allocate(total: int, weights: list[float]) -> list[int]:
    """Integer counts proportional to weights, summing to total (largest remainder)."""
    exact = [total * w / sum(weights) for w in weights]
    counts = [int(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: (counts[i] - exact[i], i))[: total - sum(counts)]:
        counts[i] += 1
    return counts


def mix(out: Path, specs: list[str], num_samples: int, seed: int = 0, samples_per_shard: int = 256,
        split: tuple[float, float, float] = (1.0, 0.0, 0.0)) -> Manifest:
    if out.exists() and any(out.iterdir()):
        raise MixError(f"{out} is not empty; mix writes a new folder")
    sources = [index_source(p, w) for p, w in parse_sources(specs)]
    layouts = {s.path: sorted({i.name.split(".", 1)[1] for _, infos in list(s.index.values())[:1] for i in infos})
               for s in sources}
    if len({tuple(v) for v in layouts.values()}) > 1:
        raise MixError("sources have different member sets, which no single dataset can hold: "
                       + "; ".join(f"{p}: {v}" for p, v in layouts.items()))
    counts = allocate(num_samples, [s.weight for s in sources])
    rng = random.Random(seed)
    chosen: list[tuple[Source, str]] = []
    seen: dict[str, Path] = {}
    for source, n in zip(sources, counts, strict=False):
        if n > len(source.index):
            raise MixError(f"{source.path}: {len(source.index)} samples, the mix asks for {n}")
        for key in rng.sample(sorted(source.index), n):
            if key in seen:
                raise MixError(f"key {key} is in both {seen[key]} and {source.path}; mix outputs of different runs")
            seen[key] = source.path
            chosen.append((source, key))
    rng.shuffle(chosen)
    for sub in ("shards", "quarantine"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    records = []
    with ExitStack() as stack:
        tars: dict[Path, tarfile.TarFile] = {}

        def members(batch):
            for source, key in batch:
                tar_path, infos = source.index[key]
                if tar_path not in tars:
                    tars[tar_path] = stack.enter_context(tarfile.open(tar_path))
                for info in sorted(infos, key=lambda i: i.name):
                    yield info.name, tars[tar_path].extractfile(info).read()

        for shard, start in enumerate(range(0, len(chosen), samples_per_shard)):
            batch = chosen[start:start + samples_per_shard]
            name = f"{shard_name(shard)}.tar"
            size, digest = write_tar(Store(out), f"shards/{name}", members(batch))
            records.append(ShardRecord(name=name, shard=shard, samples=len(batch), rejected=0, bytes=size,
                                       sha256=digest, first_index=start, last_index=start + len(batch) - 1,
                                       node_id="mix", filters={}))
    mixed = [{"from": str(s.path), "weight": s.weight, "samples": n, "recipe": s.recipe["name"],
              "config_hash": s.config_hash} for s, n in zip(sources, counts, strict=False)]
    recipe = {"name": "mix", "seed": seed, "mix": mixed, "generator": sources[0].recipe["generator"],
              "output": {"samples_per_shard": samples_per_shard, "split": list(split)}}
    config_hash = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]
    manifest = Manifest(recipe=recipe, config_hash=config_hash, omnisynth_version=__version__,
                        packages=package_versions(), sample_schema="omnisynth/schemas/sample.schema.json",
                        num_samples=num_samples, kept=num_samples, rejected=0, shards=records, filters={},
                        rejected_by_reason={}, run={"energon": prepare_if_available(out, recipe, split)})
    write_manifest(out, manifest)
    return manifest
