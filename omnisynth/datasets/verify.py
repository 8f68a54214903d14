"""`omnisynth verify DIR|URI`: re-read every shard against the manifest and the JSON Schema.

Checks, in order, with a precise message per mismatch: the manifest parses; every listed
shard exists with the recorded size and sha256; no unlisted tar lies in shards/; every
sample's JSON validates against the exported schema and names its own key; every media
member the JSON references is present, decodes, and has the size (pixels, as displayed) and
length (seconds) its `media` entry gives; keys are unique across shards; the
counts per shard and in total match the manifest.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from omnisynth.datasets.shards import iter_tar_samples, sha256_file
from omnisynth.datasets.store import Store, as_store


@dataclass
class VerifyReport:
    shards: int = 0
    samples: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        state = "OK" if not self.errors else f"FAILED with {len(self.errors)} error(s)"
        return f"verify: {self.shards} shards, {self.samples} samples: {state}"


def decode_media(ext: str, data: bytes) -> tuple[int, int, float] | None:
    """Decode a media member; raise if it does not decode.

    Returns (width, height, duration) as a loader sees them: pixels of an image or of a video
    as displayed (display matrix and sample aspect ratio applied), 0x0 for audio; seconds of
    audio or video (0.0 for an image).
    """
    if ext.endswith((".png", ".jpg", ".jpeg", ".webp")) or ext in ("png", "jpg", "jpeg", "webp"):
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            im.load()
            return im.size[0], im.size[1], 0.0
    elif ext == "wav" or ext.endswith(".wav"):
        from omnisynth.audio import read_wav

        pcm, rate = read_wav(data)
        return 0, 0, len(pcm) / rate
    elif ext == "mp4" or ext.endswith(".mp4"):
        return _video_geometry(data)
    raise ValueError(f"no decoder for member type {ext!r}")


def _video_geometry(data: bytes) -> tuple[int, int, float]:
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".mp4") as f:
        f.write(data)
        f.flush()
        proc = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", f.name],
                              capture_output=True, timeout=60)
    video = next((s for s in json.loads(proc.stdout or b"{}").get("streams", []) if s.get("codec_type") == "video"
                  and not s.get("disposition", {}).get("attached_pic")), None) if proc.returncode == 0 else None
    if video is None:
        raise ValueError(f"ffprobe finds no video stream: {proc.stderr.decode(errors='replace')[-200:]}")
    num, _, den = (video.get("sample_aspect_ratio") or "1:1").partition(":")
    sar = int(num) / int(den) if num.isdigit() and den.isdigit() and int(num) and int(den) else 1.0
    width, height = round(int(video["width"]) * sar), int(video["height"])
    turn = next((s["rotation"] for s in video.get("side_data_list", []) if "rotation" in s), 0)
    if round(float(turn)) % 180 == 90:
        width, height = height, width
    try:
        return width, height, float(video.get("duration", 0.0))
    except ValueError:
        return width, height, 0.0


def verify(out: Store | Path | str) -> VerifyReport:
    import jsonschema

    from omnisynth.datasets.manifest import read_manifest
    from omnisynth.schemas import load_sample_schema

    report = VerifyReport()
    out = as_store(out)
    try:
        manifest = read_manifest(out)
    except FileNotFoundError:
        report.errors.append(f"{out}/manifest.json: missing (not an omnisynth output folder, or the run never finished)")
        return report
    except ValueError as exc:
        report.errors.append(f"{out}/manifest.json: does not parse: {str(exc)[:300]}")
        return report
    validator = jsonschema.Draft202012Validator(load_sample_schema())
    listed = {r.name for r in manifest.shards if r.name}
    for extra in [name for name in out.list("shards", suffix=".tar") if name not in listed]:
        report.errors.append(f"shards/{extra}: not listed in the manifest")
    seen_keys: dict[str, str] = {}
    for rec in manifest.shards:
        if not rec.name:
            if rec.samples:
                report.errors.append(f"shard {rec.shard}: {rec.samples} samples recorded but no file")
            continue
        path = f"shards/{rec.name}"
        report.shards += 1
        size = out.size(path)
        if size is None:
            report.errors.append(f"shards/{rec.name}: missing")
            continue
        with out.open_read(path) as f:
            digest = sha256_file(f)
        if size != rec.bytes:
            report.errors.append(f"shards/{rec.name}: {size} bytes, manifest says {rec.bytes}")
        if digest != rec.sha256:
            report.errors.append(f"shards/{rec.name}: sha256 {digest[:16]}..., manifest says {rec.sha256[:16]}...")
        count, key = 0, None
        try:
            with out.open_read(path) as f:
                for key, members in iter_tar_samples(out.display(path), fileobj=f):
                    count += 1
                    _check_sample(f"shards/{rec.name}:{key}", key, members, validator, report)
                    if key in seen_keys:
                        report.errors.append(f"shards/{rec.name}:{key}: duplicate key, also in {seen_keys[key]}")
                    seen_keys[key] = rec.name
        except Exception as exc:  # a damaged tar is a finding, not a crash of verify
            after = f"after member group {key!r} ({count} samples)" if key else "at its start"
            report.errors.append(f"shards/{rec.name}: unreadable tar {after}: {type(exc).__name__}: {exc}")
        if count != rec.samples:
            report.errors.append(f"shards/{rec.name}: {count} samples, manifest says {rec.samples}")
        report.samples += count
    if report.samples != manifest.kept:
        report.errors.append(f"{report.samples} samples in shards, manifest says kept={manifest.kept}")
    if manifest.kept + manifest.rejected != manifest.num_samples:
        report.errors.append(f"manifest: kept {manifest.kept} + rejected {manifest.rejected} != num_samples "
                             f"{manifest.num_samples}")
    quarantined = sum(len(out.read_text(f"quarantine/{name}").splitlines())
                      for name in out.list("quarantine", suffix=".jsonl"))
    if quarantined != manifest.rejected:
        report.errors.append(f"quarantine holds {quarantined} rows, manifest says rejected={manifest.rejected}")
    return report


def _check_sample(where: str, key: str, members: dict[str, bytes], validator, report: VerifyReport) -> None:
    if "json" not in members:
        report.errors.append(f"{where}: no .json member (members: {sorted(members)})")
        return
    try:
        sample = json.loads(members["json"])
    except ValueError as exc:
        report.errors.append(f"{where}.json: not JSON: {exc}")
        return
    for error in list(validator.iter_errors(sample))[:3]:
        path = "/".join(str(p) for p in error.absolute_path) or "(root)"
        report.errors.append(f"{where}.json: schema: {path}: {error.message[:200]}")
    if isinstance(sample, dict) and sample.get("key") != key:
        report.errors.append(f"{where}.json: key {sample.get('key')!r} differs from the tar key")
    referenced = {m.get("member") for m in sample.get("media", [])} if isinstance(sample, dict) else set()
    for member in sorted(referenced - set(members)):
        report.errors.append(f"{where}: media member {member!r} referenced by the JSON is missing")
    decoded = {}
    for ext, data in sorted(members.items()):
        if ext == "json":
            continue
        try:
            decoded[ext] = decode_media(ext, data)
        except Exception as exc:  # any decoder failure is the finding we report
            report.errors.append(f"{where}.{ext}: does not decode: {type(exc).__name__}: {exc}")
    for entry in sample.get("media", []) if isinstance(sample, dict) else []:
        _check_entry(where, entry, decoded.get(entry.get("member")), report)


def _check_entry(where: str, entry: dict, got: tuple[int, int, float] | None, report: VerifyReport) -> None:
    """A `media` entry says what its member holds: size in pixels; length in seconds (to 50 ms) for audio and video."""
    if got is None or not isinstance(entry, dict):
        return
    member, (width, height, seconds) = entry.get("member"), got
    if entry.get("modality") in ("image", "video") and (entry.get("width"), entry.get("height")) != (width, height):
        report.errors.append(f"{where}.{member}: media entry says {entry.get('width')}x{entry.get('height')} pixels, "
                             f"the member decodes to {width}x{height}")
    said = entry.get("duration_s")
    known = entry.get("modality") == "audio" or (entry.get("modality") == "video" and seconds > 0)
    if known and isinstance(said, (int, float)) and abs(said - seconds) > 0.05:
        report.errors.append(f"{where}.{member}: media entry says {said} s, the member holds {seconds:.3f} s")
