"""WebDataset shards: reproducible tar writing, staging parts, shard assembly, safe reading.

Workers write what they finish as *parts* under `staging/shard-NNNNNN/` (atomic: a part is
either whole or absent, on a local folder or an object store; see `store.py`). When every index of a shard is accounted for, the
driver *assembles* the shard: members ordered by sample index, fixed mtime/owner/mode, so
the bytes depend only on the samples, never on which worker finished first. A completion
record in `state/` is the commit point; a rerun skips shards that have one and reuses the
parts of those that do not.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path

from omnisynth.datasets.store import Store
from omnisynth.schemas.manifest import ShardRecord

STATUS_MEMBER = "_status.json"
TAR_MTIME = 0  # fixed: shards are byte-identical across runs


def shard_name(shard: int) -> str:
    return f"shard-{shard:06d}"


def _info(name: str, size: int) -> tarfile.TarInfo:
    if name.startswith("/") or ".." in name.split("/"):
        raise ValueError(f"refusing tar member name {name!r}")
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, TAR_MTIME, 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


class _HashingWriter(io.RawIOBase):
    """A write-only file that hashes and counts what passes through it to the real file."""

    def __init__(self, raw):
        self.raw, self.sha, self.size = raw, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.size

    def write(self, data) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.raw.write(data)


def write_tar(store: Store, rel: str, members: Iterable[tuple[str, bytes]]) -> tuple[int, str]:
    """Write members in the given order to `rel` in `store` atomically; returns (bytes, sha256).

    The digest is taken as the bytes are written, so a shard is never read back to hash it.
    """
    with store.open_write(rel) as raw:
        sink = _HashingWriter(raw)
        with tarfile.open(fileobj=sink, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for name, data in members:
                tar.addfile(_info(name, len(data)), io.BytesIO(data))
    return sink.size, sink.sha.hexdigest()


def sha256_file(f) -> str:
    """The sha256 of an open binary file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()


def write_part(store: Store, shard: int, records: list[dict], members: list[tuple[str, bytes]]) -> str:
    """One worker's finished samples of one shard: kept members plus every item's status."""
    first = min(r["index"] for r in records)
    rel = f"staging/{shard_name(shard)}/part-{first:09d}-{len(records):05d}-{uuid.uuid4().hex[:8]}.tar"
    status = json.dumps(records, sort_keys=True, ensure_ascii=False).encode()
    write_tar(store, rel, [*members, (STATUS_MEMBER, status)])
    return rel


def part_paths(store: Store, shard: int) -> list[str]:
    folder = f"staging/{shard_name(shard)}"
    return [f"{folder}/{name}" for name in store.list(folder, prefix="part-", suffix=".tar")]


def read_part_status(store: Store, rel: str) -> list[dict]:
    with store.open_read(rel) as f, tarfile.open(fileobj=f) as tar:
        return json.loads(tar.extractfile(STATUS_MEMBER).read())


def assemble_shard(out: Store, shard: int, expected: set[int], node_id: str) -> ShardRecord:
    """Merge a shard's parts into `shards/shard-NNNNNN.tar`, its quarantine and its record."""
    parts = part_paths(out, shard)
    records: dict[int, dict] = {}
    where: dict[str, tuple[tarfile.TarFile, tarfile.TarInfo]] = {}
    with ExitStack() as stack:
        for rel in parts:
            tar = stack.enter_context(tarfile.open(fileobj=stack.enter_context(out.open_read(rel))))
            for info in tar.getmembers():
                if info.name == STATUS_MEMBER:
                    for rec in json.loads(tar.extractfile(info).read()):
                        records.setdefault(rec["index"], rec)  # a retried task may repeat a part
                else:
                    where.setdefault(info.name, (tar, info))
        missing = expected - set(records)
        if missing:
            raise RuntimeError(f"{shard_name(shard)}: indices {sorted(missing)[:5]} have no finished part")
        ordered = [records[i] for i in sorted(expected)]
        kept = [r for r in ordered if r["status"] == "kept"]
        name = f"{shard_name(shard)}.tar"

        def members() -> Iterator[tuple[str, bytes]]:
            for rec in kept:
                for member in rec["members"]:
                    tar, info = where[f"{rec['key']}.{member}"]
                    yield info.name, tar.extractfile(info).read()

        if kept:
            size, digest = write_tar(out, f"shards/{name}", members())
        else:
            name, size, digest = "", 0, ""
        paired = [r for r in ordered if r.get("pair_members")]
        if paired:  # preference pairs (DPO): rejected model candidates with their verified counterparts
            pair_members = []
            for r in paired:
                for m in r["pair_members"]:
                    tar, info = where[f"{r['key']}.{m}"]
                    pair_members.append((info.name, tar.extractfile(info).read()))
            write_tar(out, f"pairs/{shard_name(shard)}.tar", pair_members)
    rejected = [r for r in ordered if r["status"] != "kept"]
    out.write_text(f"quarantine/{shard_name(shard)}.jsonl",
                   "".join(json.dumps(_quarantine_row(r), sort_keys=True, ensure_ascii=False) + "\n" for r in rejected))
    seconds: dict[str, float] = {}
    tokens: dict[str, list[int]] = {}
    for rec in ordered:
        for stage, s in rec.get("seconds", {}).items():
            seconds[stage] = seconds.get(stage, 0.0) + s
        for purpose, spent in rec.get("tokens", {}).items():
            tokens[purpose] = [a + b for a, b in zip(tokens.get(purpose, [0, 0, 0]), spent, strict=True)]
    record = ShardRecord(name=name, shard=shard, samples=len(kept), rejected=len(rejected), bytes=size, sha256=digest,
                         first_index=min(expected), last_index=max(expected), node_id=node_id,
                         nodes=sorted({rec.get("node", "local") for rec in ordered}),
                         stage_seconds={k: round(v, 4) for k, v in sorted(seconds.items())},
                         tokens={k: dict(zip(("prompt", "completion", "calls"), v, strict=True))
                                 for k, v in sorted(tokens.items())},
                         filters=count_filters(ordered), pairs=len(paired))
    sigs = {r["key"]: {"index": r["index"], **{k: r[k] for k in ("text_sig", "image_sig") if k in r}}
            for r in kept if "text_sig" in r or "image_sig" in r}
    if sigs:  # near-duplicate signatures for the run-wide pass (datasets/dedup.py)
        out.write_json(f"state/signatures/{shard_name(shard)}.json", sigs)
    screens = {r["key"]: [r["index"], r["screen"]] for r in kept if "screen" in r}
    if screens:  # before the completion record: a finished shard always has its screens listed
        out.write_json(f"state/screens/{shard_name(shard)}.json", screens)
    out.write_json(f"state/{shard_name(shard)}.json", record.model_dump(mode="json"))
    out.delete_dir(f"staging/{shard_name(shard)}")
    return record


def _quarantine_row(rec: dict) -> dict:
    return {k: rec[k] for k in ("key", "index", "stage", "reason", "detail", "sample", "source") if k in rec}


def count_filters(records: list[dict]) -> dict[str, dict[str, int]]:
    """Per stage or filter: how many items it saw, kept, and dropped per reason."""
    stats: dict[str, dict[str, int]] = {}
    for rec in records:
        for name, kept, reason in rec["filter_log"]:
            s = stats.setdefault(name, {"seen": 0, "kept": 0})
            s["seen"] += 1
            if kept:
                s["kept"] += 1
            else:
                s[f"dropped:{reason}"] = s.get(f"dropped:{reason}", 0) + 1
    return stats


def _member_key(path, info: tarfile.TarInfo) -> tuple[str, str]:
    """(sample key, extension) of a tar member, as WebDataset groups them (key = name up to the
    first dot of the file name). Raises ValueError for a member that is absolute, climbs with
    '..', or is not a regular file."""
    if not info.isreg() or info.name.startswith("/") or ".." in info.name.split("/"):
        raise ValueError(f"{path}: unsafe tar member {info.name!r}")
    base = info.name.rsplit("/", 1)
    stem, _, ext = base[-1].partition(".")
    return ((base[0] + "/" + stem) if len(base) == 2 else stem), ext


def index_tar(path: Path | str) -> dict[str, dict[str, tuple[int, int]]]:
    """key -> {member extension: (data offset, size)} from the tar headers alone (nothing read
    but headers); a reader then seeks to the bytes it needs. Unsafe members are refused as in
    `iter_tar_samples`."""
    index: dict[str, dict[str, tuple[int, int]]] = {}
    with tarfile.open(path) as tar:
        for info in tar:
            key, ext = _member_key(path, info)
            index.setdefault(key, {})[ext] = (info.offset_data, info.size)
    return index


def iter_tar_samples(path: Path | str, fileobj=None) -> Iterator[tuple[str, dict[str, bytes]]]:
    """(key, {member extension: bytes}) per sample, without extracting anything to disk.

    Members are grouped by key as WebDataset does (key = name up to the first dot);
    a member name that is absolute, climbs with '..', or is not a regular file is refused.
    `fileobj` reads an open file (a shard in an object store); `path` then only names it.
    """
    with tarfile.open(path if fileobj is None else None, fileobj=fileobj) as tar:
        key, group = None, {}
        for info in tar:
            k, ext = _member_key(path, info)
            if k != key and group:
                yield key, group
                group = {}
            key = k
            group[ext] = tar.extractfile(info).read()
        if group:
            yield key, group
