"""Your corpora, inventoried: every file probed once by content, samples spread over what is usable.

The bring-your-own families (`pdf_corpus`, `html_corpus`, `video_corpus`) read the files
under `generator.path`. Before any sample, the driver lists every file there (recursively;
names starting with "." are skipped, as are their folders) and the family's probe reads each
once **by content**, never by suffix: magic bytes first (`sniff`), then the family's reader
(PyMuPDF, an HTML sniff, ffprobe). A probe returns the file's usable **units** (page numbers,
clips) or the reason it is unusable; the result is `DIR/inventory.jsonl`, one line per file,
and a printed summary, so each unusable file is reported exactly once and no sample is spent
on it.

Samples are spread over the corpus: the files come in a seeded order, each file's units in a
seeded order of their own (at most `generator.max_per_file` of them), and the samples take
one unit from every file before a second from any (round-robin). Index -> (file, unit) is a
pure function of the listing and the seed, so resume and determinism hold; `num_samples:
all` takes every usable unit once. More samples than units repeat the whole order (a
repeated unit gets a different question: the question is drawn from the sample index).

A resumed run reuses the previous inventory's line for a file whose path, size and
modification time are unchanged, so a 10,000-file corpus is probed once, not per invocation.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

INVENTORY = "inventory.jsonl"
PROBE_THREADS = 8  # probes wait on file reads and ffprobe processes


@dataclass(frozen=True)
class Probe:
    """What a family's probe found in one file: its usable units, or why there are none.

    `units`: unit ids (0-based page numbers for PDFs; 0 for a whole HTML page or clip);
    `reason`: a quarantine-style code (`pdf_unreadable`, `media_no_video`, ...) when `units`
    is empty; `kind`: what the file is (`pdf`, `html`, `video`, `asset` for a page's
    stylesheet or image, which is neither a unit nor a fault); `info`: what the probe measured
    (page count, duration), for the inventory line.
    """

    units: tuple[int, ...] = ()
    reason: str = ""
    detail: str = ""
    kind: str = ""
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FileEntry:
    """One inventory line: a file (relative to the corpus root), its size (bytes), mtime (ns) and probe."""

    path: str
    size: int
    mtime_ns: int
    probe: Probe

    @property
    def usable(self) -> bool:
        return bool(self.probe.units)

    def line(self) -> dict:
        p = self.probe
        row = {"file": self.path, "size": self.size, "kind": p.kind, "units": len(p.units)}
        if p.reason:
            row |= {"reason": p.reason, "detail": p.detail}
        row |= {"info": p.info, "mtime_ns": self.mtime_ns, "unit_ids": list(p.units)}
        return row

    @classmethod
    def from_line(cls, row: dict) -> FileEntry:
        probe = Probe(tuple(row.get("unit_ids", ())), row.get("reason", ""), row.get("detail", ""),
                      row.get("kind", ""), row.get("info", {}))
        return cls(row["file"], row["size"], row["mtime_ns"], probe)


class Inventory:
    """The probed corpus and its sample order: `locate(index) -> (entry, unit)`.

    Built by `take_inventory`; pickled into the render workers with the generator, so the
    order is held as two int arrays (file number, unit id), not objects.
    """

    def __init__(self, root: str, entries: list[FileEntry], seed: int, max_per_file: int | None, unit_name: str):
        self.root, self.entries, self.unit_name = root, entries, unit_name
        self.max_per_file = max_per_file
        files, ranks, units, rounds = [], [], [], []
        for i, entry in enumerate(entries):
            if not entry.usable:
                continue
            rng = random.Random(f"{seed}\0{entry.path}")
            take = rng.sample(entry.probe.units, min(len(entry.probe.units), max_per_file or len(entry.probe.units)))
            rank = rng.random()  # the file's place in every round: seeded, and unmoved when other files come or go
            files += [i] * len(take)
            units += take
            ranks += [rank] * len(take)
            rounds += range(len(take))
        order = np.lexsort((np.array(files, dtype=np.int64), np.array(ranks), np.array(rounds, dtype=np.int64)))
        self.file_of = np.array(files, dtype=np.int64)[order]
        self.unit_of = np.array(units, dtype=np.int64)[order]

    @property
    def units(self) -> int:
        """Usable units after `max_per_file`: what `num_samples: all` takes."""
        return len(self.unit_of)

    @property
    def usable_files(self) -> int:
        return sum(e.usable for e in self.entries)

    def locate(self, index: int) -> tuple[FileEntry, int]:
        """The file and unit of sample `index` (indices past `units` go round the order again)."""
        if not self.units:
            raise ValueError("the corpus has no usable units")
        j = index % self.units
        return self.entries[int(self.file_of[j])], int(self.unit_of[j])

    def file(self, entry: FileEntry) -> Path:
        root = Path(self.root)
        return root / entry.path if root.is_dir() else root

    def fingerprint(self) -> str:
        """Hash of the listing and what was probed (not the seed: that is in the recipe's config hash)."""
        h = hashlib.sha256()
        for e in self.entries:
            h.update(f"{e.path}\0{e.size}\0{e.mtime_ns}\0{e.probe.units}\0{e.probe.reason}\n".encode())
        return h.hexdigest()[:16]

    def jsonl(self) -> str:
        return "".join(json.dumps(e.line(), ensure_ascii=False) + "\n" for e in self.entries)

    def summary(self, where: str = INVENTORY, show: int = 10) -> str:
        """A few lines for the terminal: counts, then each unusable file with its reason (the first `show`)."""
        bad = [e for e in self.entries if not e.usable and e.probe.reason]
        assets = sum(1 for e in self.entries if not e.usable and not e.probe.reason)
        total = sum(len(e.probe.units) for e in self.entries)
        capped = f", {self.units} after max_per_file={self.max_per_file}" if self.units < total else ""
        head = (f"inventory of {self.root}: {len(self.entries)} files, {self.usable_files} usable "
                f"({total} {self.unit_name}{capped})" + (f", {assets} assets" if assets else "")
                + f", {len(bad)} unusable -> {where}")
        lines = [head] + [f"  unusable {e.path}: {e.probe.reason}: {_own(e)}" for e in bad[:show]]
        if len(bad) > show:
            lines.append(f"  ... and {len(bad) - show} more unusable files (see {where})")
        return "\n".join(lines) + "\n"


def _own(entry: FileEntry) -> str:
    """The detail without the file name it starts with (the summary line names the file already)."""
    name, detail = Path(entry.path).name, " ".join(entry.probe.detail.split())  # one line each
    return detail[len(name) + 2:] if detail.startswith(name + ": ") else detail


def list_files(root: Path) -> list[tuple[str, Path]]:
    """(relative path, path) of every regular file under `root`, sorted; hidden names skipped. A file root is itself."""
    if root.is_file():
        return [(root.name, root)]
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            p = Path(folder) / name
            if not name.startswith(".") and p.is_file():
                found.append((p.relative_to(root).as_posix(), p))
    return sorted(found)


def take_inventory(root: str, probe: Callable[[Path], Probe], seed: int, max_per_file: int | None, unit_name: str,
                   previous: str | None = None) -> Inventory:
    """Probe every file under `root` once (reusing `previous` inventory lines of unchanged files).

    `probe(path) -> Probe` never raises for a bad file (a probe's exception becomes the reason
    `probe_error`, with the exception named, for that file alone); `previous`: the text of an
    earlier `inventory.jsonl` of the same output.
    """
    known: dict[str, FileEntry] = {}
    for row in (previous or "").splitlines():
        try:
            entry = FileEntry.from_line(json.loads(row))
        except (ValueError, KeyError, TypeError):
            continue  # a line cut off by a crash: that file is probed again
        known[entry.path] = entry

    entries: list[FileEntry | None] = []
    todo = []
    for rel, path in list_files(Path(root)):
        st = path.stat()
        old = known.get(rel)
        fresh = old is not None and (old.size, old.mtime_ns) == (st.st_size, st.st_mtime_ns)
        entries.append(old if fresh else None)
        if not fresh:
            todo.append((len(entries) - 1, rel, str(path), st.st_size, st.st_mtime_ns))
    jobs = [(probe, rel, path, size, mtime) for _, rel, path, size, mtime in todo]
    with ThreadPoolExecutor(PROBE_THREADS) as pool:  # ffprobe runs in processes of its own; PyMuPDF holds the GIL
        found = list(pool.map(_probe_one, jobs))
    for (at, *_), entry in zip(todo, found, strict=True):
        entries[at] = entry
    return Inventory(root, entries, seed, max_per_file, unit_name)


def _probe_one(job: tuple) -> FileEntry:
    probe, rel, path, size, mtime_ns = job
    try:
        found = probe(Path(path))
    except Exception as exc:  # noqa: BLE001 - one file's surprise must not stop the inventory
        found = Probe(reason="probe_error", detail=f"{type(exc).__name__}: {str(exc)[:300]}")
    return FileEntry(rel, size, mtime_ns, found)


_MAGIC = ((b"%PDF-", "a PDF document"), (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
          (b"GIF87a", "a GIF image"), (b"GIF89a", "a GIF image"), (b"PK\x03\x04", "a ZIP archive (docx, xlsx, epub...)"),
          (b"\x1f\x8b", "a gzip archive"), (b"BM", "a BMP image"), (b"II*\x00", "a TIFF image"),
          (b"MM\x00*", "a TIFF image"), (b"\x7fELF", "an executable"))
_HTML_TAGS = (b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div", b"<font", b"<table",
              b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p", b"<!--")


def sniff(head: bytes) -> str:
    """What the first bytes of a file say it is, in words ("a PDF document", "HTML", "text", "" when unknown).

    PDF: "%PDF-" within the first 1024 bytes (readers accept junk before it); HTML: the WHATWG
    MIME sniffing rule (after whitespace, one of its tags followed by a space or ">"), or XHTML;
    text: UTF-8 without NUL bytes.
    """
    if b"%PDF-" in head[:1024]:
        return "a PDF document"
    if head[8:12] == b"WEBP" and head[:4] == b"RIFF":
        return "a WebP image"
    for magic, what in _MAGIC[1:]:
        if head.startswith(magic):
            return what
    lead = head.lstrip(b"\xef\xbb\xbf").lstrip(b" \t\r\n\x0c").lower()
    if any(lead.startswith(tag) and lead[len(tag):len(tag) + 1] in (b" ", b">") for tag in _HTML_TAGS):
        return "HTML"
    if lead.startswith(b"<?xml") and b"<html" in lead[:1024]:
        return "HTML"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
            return "text"
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # a character cut by the read boundary
                return "text"
    return ""


def read_head(path: Path, n: int = 4096) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)

