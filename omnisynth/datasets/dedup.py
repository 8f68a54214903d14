"""Run-wide duplicate removal, after every shard is assembled.

Exact: each finished shard lists its kept samples' screenshot digests (`state/screens/`); of
samples whose screenshots are byte-identical, the one with the lowest index stays.
Near: the write stage (on the workers) signs each kept sample with a MinHash of its
question+answer's 5-character shingles and a 64-bit perceptual hash of its first image
(`state/signatures/`). The comparison runs in Ray Data, never in one process over the whole
run: LSH bands of the MinHash and the four 16-bit quarters of the pHash become bucket keys
(two pHashes within 3 bits share a quarter), Ray Data groups rows by bucket, and each group
compares only its own members. A sample with a near-duplicate of lower index is dropped.
Dropped samples leave their shard (rewritten atomically) for the quarantine, reason
`duplicate_screen` (counted under `dedup`), `near_duplicate_text` or `near_duplicate_image`
(counted under `near_dedup`). Decisions depend only
on (index, signature), so they are the same on any number of workers, and the pass is
idempotent: a rerun after a crash finishes it.
"""

from __future__ import annotations

import json
import tarfile

from omnisynth.datasets.shards import shard_name, write_tar
from omnisynth.datasets.store import Store
from omnisynth.schemas.manifest import ShardRecord

STAGE = "dedup"
NUM_PERM = 64
BANDS = 16  # 16 bands x 4 rows: pairs at Jaccard 0.85 share a band with p > 0.999


def shingles(text: str, k: int = 5) -> set[bytes]:
    t = " ".join(text.lower().split())
    return {t[i:i + k].encode() for i in range(max(1, len(t) - k + 1))}


def signatures(item, cfg) -> dict:
    """A kept sample's near-duplicate signatures (on the worker that wrote it)."""
    out = {}
    if cfg.text:
        from datasketch import MinHash

        m = MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch(list(shingles(item.sample["question"] + " \n " + item.sample["answer"])))
        out["text_sig"] = [int(v) for v in m.hashvalues]
    if cfg.images:
        image = next((m["member"] for m in item.sample["media"] if m["modality"] == "image"), None)
        if image is not None:
            out["image_sig"] = phash(item.media[image])
    return out


def phash(data: bytes) -> str:
    import io

    import imagehash
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return str(imagehash.phash(im, hash_size=8))


def _read_json(out: Store, rel: str) -> dict:
    try:
        return json.loads(out.read_text(rel))
    except FileNotFoundError:
        return {}


def bucket_rows(row: dict, out: Store, cfg: dict) -> list[dict]:
    """One shard's signature file -> one row per (bucket, sample): its LSH bands and pHash quarters."""
    rows = []
    r = NUM_PERM // BANDS
    for key, sig in _read_json(out, f"state/signatures/{shard_name(int(row['shard']))}.json").items():
        if cfg["text"] and "text_sig" in sig:
            hv = sig["text_sig"]
            payload = json.dumps(hv)
            for b in range(BANDS):
                rows.append({"bucket": f"t{b}:" + ",".join(map(str, hv[b * r:(b + 1) * r])), "key": key,
                             "index": sig["index"], "kind": "text", "sig": payload})
        if cfg["images"] and "image_sig" in sig:
            h = sig["image_sig"]
            for q in range(4):
                rows.append({"bucket": f"p{q}:{h[q * 4:(q + 1) * 4]}", "key": key, "index": sig["index"],
                             "kind": "image", "sig": h})
    return rows


def group_pairs(group: dict, cfg: dict) -> dict:
    """Within one bucket: each member near a lower-index member -> a drop row naming the earliest one."""
    import numpy as np

    order = np.argsort(group["index"], kind="stable")
    keys, idx, kinds, sigs = (group[c][order] for c in ("key", "index", "kind", "sig"))
    out = {"key": [], "index": [], "reason": [], "original": [], "original_index": [], "score": []}
    for j in range(1, len(keys)):
        for i in range(j):
            if keys[i] == keys[j]:
                continue
            score = _similar(kinds[j], sigs[i], sigs[j], cfg)
            if score is not None:
                out["key"].append(keys[j])
                out["index"].append(int(idx[j]))
                out["reason"].append(f"near_duplicate_{kinds[j]}")
                out["original"].append(keys[i])
                out["original_index"].append(int(idx[i]))
                out["score"].append(float(score))
                break
    return {k: np.array(v, dtype=object if k in ("key", "reason", "original") else None) for k, v in out.items()}


def _similar(kind: str, a: str, b: str, cfg: dict) -> float | None:
    if kind == "text":
        x, y = json.loads(a), json.loads(b)
        jaccard = sum(p == q for p, q in zip(x, y, strict=False)) / len(x)
        return jaccard if jaccard >= cfg["text_threshold"] else None
    distance = bin(int(a, 16) ^ int(b, 16)).count("1")
    return float(distance) if distance <= cfg["image_max_distance"] else None


def signature_shards(out: Store, records: dict[int, ShardRecord]) -> list[int]:
    """The shards whose samples have signatures to compare (written by the write stage)."""
    return sorted(s for s in records if out.exists(f"state/signatures/{shard_name(s)}.json"))


def drop_near_duplicates(out: Store, records: dict[int, ShardRecord], shards: list[int],
                         found: dict[str, tuple[str, str, str]]) -> dict[int, ShardRecord]:
    """Remove the samples `found` names (key -> (reason, original key, detail); the run-wide
    comparison `omnisynth.pipelines.dag.near_duplicates` makes it) from `shards`, to the quarantine."""
    for shard in shards:
        path = f"state/signatures/{shard_name(shard)}.json"
        listed = json.loads(out.read_text(path))
        drop = {k: found[k] for k in listed if k in found}
        stats = dict(records[shard].filters.get("near_dedup") or {"seen": len(listed), "kept": len(listed)})
        if drop:
            rows = {k: {"key": k, "index": listed[k]["index"], "stage": STAGE, "reason": r, "detail": d,
                        "source": {"duplicate_of": o}} for k, (r, o, d) in drop.items()}
            records[shard] = _remove(out, records[shard], rows)
            out.write_json(path, {k: v for k, v in listed.items() if k not in drop})
            stats["kept"] -= len(drop)
            for _, (r, _, _) in drop.items():
                stats[f"dropped:{r}"] = stats.get(f"dropped:{r}", 0) + 1
        if stats != records[shard].filters.get("near_dedup"):
            records[shard] = records[shard].model_copy(update={"filters": {**records[shard].filters, "near_dedup": stats}})
            out.write_json(f"state/{shard_name(shard)}.json", records[shard].model_dump(mode="json"))
    return records


def load_screens(out: Store, shard: int) -> dict[str, list]:
    return _read_json(out, f"state/screens/{shard_name(shard)}.json")


def drop_duplicate_screens(out: Store, records: dict[int, ShardRecord]) -> dict[int, ShardRecord]:
    screens = {shard: load_screens(out, shard) for shard in records}
    if not any(screens.values()):
        return records
    first: dict[str, tuple[int, str]] = {}
    for shard in sorted(screens):
        for key, (index, digest) in screens[shard].items():
            if digest not in first or index < first[digest][0]:
                first[digest] = (index, key)
    for shard, listed in sorted(screens.items()):
        drop = {key: first[digest][1] for key, (index, digest) in listed.items() if first[digest][1] != key}
        stats = dict(records[shard].filters.get(STAGE) or {"seen": len(listed), "kept": len(listed)})
        if drop:
            records[shard] = _rewrite(out, records[shard], drop, listed)
            stats["kept"] -= len(drop)
            stats["dropped:duplicate_screen"] = stats.get("dropped:duplicate_screen", 0) + len(drop)
        if stats != records[shard].filters.get(STAGE):
            records[shard] = records[shard].model_copy(update={"filters": {**records[shard].filters, STAGE: stats}})
            out.write_json(f"state/{shard_name(shard)}.json", records[shard].model_dump(mode="json"))
    return records


def _rewrite(out: Store, record: ShardRecord, drop: dict[str, str], listed: dict[str, list]) -> ShardRecord:
    rows = {key: {"key": key, "index": listed[key][0], "stage": STAGE, "reason": "duplicate_screen",
                  "detail": f"same screenshot (sha256 {listed[key][1][:16]}) as {original}",
                  "source": {"screen_sha256": listed[key][1]}} for key, original in drop.items()}
    record = _remove(out, record, rows)
    out.write_json(f"state/screens/{shard_name(record.shard)}.json",
               {k: v for k, v in listed.items() if k not in drop})
    return record


def _remove(out: Store, record: ShardRecord, rows: dict[str, dict]) -> ShardRecord:
    """The shard without the dropped keys, plus their quarantine rows; the caller writes the
    completion record last. A crash in between leaves a tar whose size disagrees with its
    record, so the next run redoes that shard: never a half-applied state."""
    tar_path = f"shards/{record.name}"
    with out.open_read(tar_path) as f, tarfile.open(fileobj=f) as tar:
        members = [(info.name, tar.extractfile(info).read()) for info in tar if info.name.split(".", 1)[0] not in rows]
    qpath = f"quarantine/{shard_name(record.shard)}.jsonl"
    try:
        lines = [r for r in out.read_text(qpath).splitlines() if r.strip()]
    except FileNotFoundError:
        lines = []
    lines += [json.dumps(rows[key], sort_keys=True) for key in sorted(rows)]
    if members:
        size, digest = write_tar(out, tar_path, members)
        name = record.name
    else:
        out.delete(tar_path)
        name, size, digest = "", 0, ""
    out.write_text(qpath, "".join(r + "\n" for r in lines))
    return record.model_copy(update={"name": name, "bytes": size, "sha256": digest,
                                     "samples": record.samples - len(rows), "rejected": record.rejected + len(rows)})
