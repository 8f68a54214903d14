"""`omnisynth inspect`: print samples, and draw a contact sheet with every box labelled."""

from __future__ import annotations

import io
import json
import textwrap
from functools import lru_cache
from pathlib import Path

from omnisynth.datasets.shards import iter_tar_samples
from omnisynth.datasets.store import Store, is_uri

TILE = 520  # contact-sheet tile width in pixels


def load_samples(path: Path | str, n: int) -> list[tuple[str, dict, dict[str, bytes]]]:
    """The first `n` samples of one tar, or of an output folder's (or object-store URI's) shards in order."""
    if is_uri(path):
        store = Store(path)
        tars = [(store.display(f"shards/{name}"), store, f"shards/{name}") for name in store.list("shards", suffix=".tar")]
        if not tars:
            raise FileNotFoundError(f"{store.uri}: no .tar shards under shards/")
    else:
        path = Path(path)
        if path.is_dir():
            found = sorted((path / "shards").glob("*.tar")) or sorted(path.glob("*.tar"))
            if not found:
                raise FileNotFoundError(f"{path}: no .tar shards (expected an output folder or a .tar)")
        elif path.is_file():
            found = [path]
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
        tars = [(str(tar), Store(tar.parent), tar.name) for tar in found]
    out = []
    for shown, store, rel in tars:
        with store.open_read(rel) as f:
            for key, members in iter_tar_samples(shown, fileobj=f):
                if "json" not in members:
                    raise ValueError(f"{shown}:{key}: sample has no .json member")
                out.append((key, json.loads(members["json"]), members))
                if len(out) >= n:
                    return out
    return out


def describe(key: str, s: dict) -> str:
    p = s.get("provenance", {})
    lines = [f"== {key}  [{s.get('task')}]  {', '.join(m['member'] for m in s.get('media', []))}",
             f"  Q: {s.get('question')}", f"  A: {s.get('answer')}"]
    for g in s.get("grounding", []):
        extra = f" {g['role']} click={g['point_px']} area={g['area_fraction']:.2e}" if g.get("role", "text") != "text" else ""
        lines.append(f"  box {g['image']} px={g['bbox_px']} 1000={g['bbox_1000']}{extra}  {_short(g['label'])}")
    act = s.get("action") or {}
    if act.get("type", "none") != "none":
        lines.append(f"  action {act['type']} step {act['step'] + 1}/{act['steps']} px={act['point_px']}  -> {act['result']}")
    for e in s.get("evidence", []):
        value = f" value={e['value']}" if e.get("value") else ""
        lines.append(f"  evidence p{e['page']} {e['kind']} {e['bbox_px']}{value}  {_short(e['text'])}")
    lines.append(f"  provenance: recipe={p.get('recipe')} seed={p.get('seed')} index={p.get('index')} "
                 f"engine={p.get('engine')} generator={p.get('generator_version')} meta={s.get('meta')}")
    return "\n".join(lines)


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@lru_cache(maxsize=4)
def _font(size: int):
    """A font that draws Latin and CJK labels: PyMuPDF's bundled CJK font, else Pillow's default."""
    from PIL import ImageFont

    try:
        import pymupdf

        return ImageFont.truetype(io.BytesIO(pymupdf.Font("cjk").buffer), size)
    except Exception:  # no PyMuPDF font: Latin labels still draw
        return ImageFont.load_default(size)


def draw_boxes(sample: dict, members: dict[str, bytes], member: str, width: int):
    """The image `member`, scaled to `width`, with every box and click point on it labelled."""
    from PIL import Image, ImageDraw

    boxes = [("grounding", g) for g in sample.get("grounding", [])] + [("evidence", e) for e in sample.get("evidence", [])]
    im = Image.open(io.BytesIO(members[member])).convert("RGB")
    scale = width / im.width
    im = im.resize((width, max(1, round(im.height * scale))))
    draw = ImageDraw.Draw(im)
    drawn: dict[tuple, str] = {}  # an evidence box equal to a grounding box is drawn once, as 'g+e'
    for kind, b in boxes:
        if b["image"] == member:
            where = tuple(round(v) for v in b["bbox_px"])
            drawn[where] = drawn[where] + "+e" if where in drawn else kind[0]
    labels = {tuple(round(v) for v in b["bbox_px"]): b.get("label") or b.get("text", "") for _, b in reversed(boxes)}
    for n, (where, kinds) in enumerate(drawn.items()):
        x0, y0, x1, y1 = (v * scale for v in where)
        color = (0, 170, 60) if kinds.startswith("g") else (220, 30, 30)
        draw.rectangle([x0 - 1, y0 - 1, x1 + 1, y1 + 1], outline=color, width=2)
        draw.text((x0, max(0, y0 - 13)), f"{n + 1}:{kinds} " + _short(labels[where], 28), fill=color, font=_font(11))
    for g in sample.get("grounding", []):
        if g["image"] == member:  # the click point
            cx, cy = g["point_px"][0] * scale, g["point_px"][1] * scale
            draw.line([cx - 5, cy, cx + 5, cy], fill=(0, 90, 255), width=2)
            draw.line([cx, cy - 5, cx, cy + 5], fill=(0, 90, 255), width=2)
    return im


def tile_image(sample: dict, members: dict[str, bytes], width: int) -> list:
    """(member, boxed image) for every real page of a sample (padding members are skipped)."""
    return [(m["member"], draw_boxes(sample, members, m["member"], width))
            for m in sample["media"] if m["modality"] == "image"]


def tile(sample: dict, members: dict[str, bytes]):
    """One sample: its boxed image (the one its boxes are on) over its question and answer."""
    from PIL import Image, ImageDraw

    boxes = sample.get("grounding", []) + sample.get("evidence", [])
    member = boxes[0]["image"] if boxes else sample["media"][0]["member"]
    im = draw_boxes(sample, members, member, TILE)
    text = [f"{sample['key']}  [{sample['task']}]", *textwrap.wrap("Q: " + sample["question"], 70)[:4],
            *textwrap.wrap("A: " + sample["answer"], 70)[:3]]
    caption = Image.new("RGB", (TILE, 16 * len(text) + 8), "white")
    cd = ImageDraw.Draw(caption)
    for i, line in enumerate(text):
        cd.text((6, 4 + 16 * i), line, fill=(20, 20, 20), font=_font(12))
    out = Image.new("RGB", (TILE, im.height + caption.height), "white")
    out.paste(im, (0, 0))
    out.paste(caption, (0, im.height))
    return out


def contact_sheet(samples: list[tuple[str, dict, dict[str, bytes]]], path: Path, columns: int = 3) -> None:
    from PIL import Image

    tiles = [tile(s, m) for _, s, m in samples]
    if not tiles:
        raise ValueError("no samples to draw")
    columns = min(columns, len(tiles))
    rows = [tiles[i:i + columns] for i in range(0, len(tiles), columns)]
    heights = [max(t.height for t in row) for row in rows]
    sheet = Image.new("RGB", (columns * (TILE + 8) + 8, sum(heights) + 8 * (len(rows) + 1)), (235, 235, 240))
    y = 8
    for row, h in zip(rows, heights, strict=False):
        for i, t in enumerate(row):
            sheet.paste(t, (8 + i * (TILE + 8), y))
        y += h + 8
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
