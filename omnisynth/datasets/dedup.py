"""Run-wide exact-duplicate removal of screens, after every shard is assembled.

Each finished shard lists its kept samples' screenshot digests (`state/screens/`). Of
samples whose screenshots are byte-identical, the one with the lowest index stays; the
others leave their shard (rewritten atomically) for the quarantine, reason
`duplicate_screen`. The decision depends only on (index, digest), so it is the same on
any number of workers, and the pass is idempotent: a rerun after a crash finishes it.
"""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

from omnisynth.datasets.shards import shard_name, write_json, write_tar
from omnisynth.schemas.manifest import ShardRecord

STAGE = "dedup"


def load_screens(out: Path, shard: int) -> dict[str, list]:
    path = out / "state" / "screens" / f"{shard_name(shard)}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def drop_duplicate_screens(out: Path, records: dict[int, ShardRecord]) -> dict[int, ShardRecord]:
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
            write_json(out / "state" / f"{shard_name(shard)}.json", records[shard].model_dump(mode="json"))
    return records


def _rewrite(out: Path, record: ShardRecord, drop: dict[str, str], listed: dict[str, list]) -> ShardRecord:
    """The shard without the dropped keys, their quarantine rows, the shorter screen list; the caller
    writes the completion record last. A crash in between leaves a tar whose size disagrees with its
    record, so the next run redoes that shard: never a half-applied state."""
    tar_path = out / "shards" / record.name
    with tarfile.open(tar_path) as tar:
        members = [(info.name, tar.extractfile(info).read()) for info in tar if info.name.split(".", 1)[0] not in drop]
    qpath = out / "quarantine" / f"{shard_name(record.shard)}.jsonl"
    rows = [r for r in (qpath.read_text().splitlines() if qpath.exists() else []) if r.strip()]
    for key, original in sorted(drop.items()):
        rows.append(json.dumps({"key": key, "index": listed[key][0], "stage": STAGE, "reason": "duplicate_screen",
                                "detail": f"same screenshot (sha256 {listed[key][1][:16]}) as {original}",
                                "source": {"screen_sha256": listed[key][1]}}, sort_keys=True))
    if members:
        size, digest = write_tar(tar_path, members)
        name = record.name
    else:
        tar_path.unlink()
        name, size, digest = "", 0, ""
    tmp = qpath.with_name(f".{qpath.name}.tmp")
    tmp.write_text("".join(r + "\n" for r in rows))
    os.replace(tmp, qpath)
    write_json(out / "state" / "screens" / f"{shard_name(record.shard)}.json",
               {k: v for k, v in listed.items() if k not in drop})
    return record.model_copy(update={"name": name, "bytes": size, "sha256": digest,
                                     "samples": record.samples - len(drop), "rejected": record.rejected + len(drop)})
