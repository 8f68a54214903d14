"""`omnisynth inspect DIR --html report.html`: a self-contained visual report of an output.

One HTML file with no network assets: images are embedded as data: URIs (JPEG thumbnails
with every box and click point drawn and labelled, multi-page documents as page strips),
the conversation beside each image, and above the grid the counts per task, the filter
drop reasons and histograms (inline SVG) of question/answer length and box size.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from omnisynth.datasets.inspect import load_samples, tile_image

THUMB = 360  # page thumbnail width in the report


def _data_uri(image) -> str:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=82)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def histogram(values: list[float], title: str, unit: str, bins: int = 12) -> str:
    """An inline SVG bar chart of `values`."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    width = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(int((v - lo) / width), bins - 1)] += 1
    top = max(counts)
    bars = "".join(
        f'<rect x="{10 + i * 22}" y="{110 - 90 * c / top:.1f}" width="18" height="{90 * c / top:.1f}" fill="#3873c0">'
        f"<title>{lo + i * width:.3g}-{lo + (i + 1) * width:.3g} {unit}: {c}</title></rect>" for i, c in enumerate(counts))
    return (f'<figure class="hist"><svg width="{20 + bins * 22}" height="130" role="img" aria-label="{title}">'
            f'{bars}<line x1="8" y1="110" x2="{12 + bins * 22}" y2="110" stroke="#333"/>'
            f'<text x="8" y="125" font-size="10">{lo:.3g}</text>'
            f'<text x="{bins * 22 - 10}" y="125" font-size="10">{hi:.3g} {unit}</text></svg>'
            f"<figcaption>{html.escape(title)}</figcaption></figure>")


def _table(title: str, rows: dict) -> str:
    body = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{v}</td></tr>" for k, v in rows.items())
    return f'<table class="counts"><caption>{html.escape(title)}</caption>{body}</table>' if rows else ""


def _card(key: str, sample: dict, members: dict[str, bytes]) -> str:
    pages = "".join(f'<img class="page" alt="{html.escape(key)} {html.escape(member)}" src="{_data_uri(im)}">'
                    for member, im in tile_image(sample, members, THUMB))
    turns = "".join(
        f'<p class="{m["role"]}"><b>{m["role"]}</b> '
        + " ".join(html.escape(p["text"]) if p["type"] == "text" else f"<i>[{p['type']}: {html.escape(p[p['type']])}]</i>"
                   for p in m["content"]) + "</p>" for m in sample["messages"])
    boxes = "".join(f"<li>{html.escape(g['image'])} {g['bbox_1000']} {html.escape(g['label'][:60])}"
                    + (f" <i>{html.escape(g['role'])}, {100 * g['area_fraction']:.3f}% of the screen</i>"
                       if g.get("role", "text") != "text" else "") + "</li>" for g in sample["grounding"])
    act = sample.get("action") or {}
    if act.get("type", "none") != "none":  # a trajectory step: what it did to the page
        boxes += (f"<li>action {html.escape(act['type'])} (step {act['step'] + 1} of {act['steps']}) → "
                  f"{html.escape(act['result'])}</li>")
    prov = sample["provenance"]
    return (f'<article class="card" data-key="{html.escape(key)}"><div class="pages">{pages}</div>'
            f'<div class="text"><h3>{html.escape(key)} <small>{html.escape(sample["task"])}</small></h3>{turns}'
            f"<ul class=\"boxes\">{boxes}</ul><p class=\"prov\">{html.escape(prov['engine'])} · "
            f"{html.escape(prov['generator_version'])} · seed {prov['seed']} · index {prov['index']}</p></div></article>")


CSS = """
body{font:14px system-ui,sans-serif;margin:24px;color:#222;background:#f4f5f7}
h1{margin:0 0 4px} .summary{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start;margin:16px 0}
table.counts{border-collapse:collapse;background:#fff} table.counts td{padding:2px 10px;border-bottom:1px solid #eee}
caption{font-weight:600;text-align:left;padding:4px 0} figure.hist{margin:0;background:#fff;padding:6px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(720px,1fr));gap:16px}
.card{display:flex;gap:12px;background:#fff;padding:10px;border-radius:6px;box-shadow:0 1px 3px #0002}
.pages{display:flex;gap:4px;overflow-x:auto;max-width:380px} .page{width:360px;border:1px solid #ccc}
.text{flex:1;min-width:0} .text h3{margin:0 0 6px;font-size:14px;word-break:break-all} .user{color:#124}
.assistant{color:#063;background:#eef8f1;padding:4px} .boxes{font:12px monospace;padding-left:16px}
.prov{color:#666;font-size:12px}
"""


def write_report(out: Path | str, path: Path, n: int = 24) -> int:
    """Write the report for the first `n` samples of an output folder, URI or one tar; returns cards."""
    from omnisynth.datasets.stats import compute_stats
    from omnisynth.datasets.store import Store, is_uri

    samples = load_samples(out, n)
    if not samples:
        raise ValueError(f"{out}: no samples to report")
    parts = []
    if (is_uri(out) or Path(out).is_dir()) and Store(out).exists("manifest.json"):
        st = compute_stats(out)
        questions = [len(s["question"]) for _, s, _ in samples]
        answers = [len(s["answer"]) for _, s, _ in samples]
        areas = [100 * (g["bbox_norm"][2] - g["bbox_norm"][0]) * (g["bbox_norm"][3] - g["bbox_norm"][1])
                 for _, s, _ in samples for g in s["grounding"]]
        parts.append(f"<p>{st['kept']} samples kept, {st['rejected']} rejected, {st['shards']} shards; "
                     f"recipe <b>{html.escape(st['recipe'])}</b>; histograms over the {len(samples)} samples shown</p>")
        parts.append('<div class="summary">' + _table("samples per task", st["by_task"])
                     + _table("dropped by stage/reason", st["rejected_by_reason"])
                     + histogram(questions, "question length", "chars") + histogram(answers, "answer length", "chars")
                     + histogram(areas, "box area", "% of image") + "</div>")
    cards = "".join(_card(k, s, m) for k, s, m in samples)
    doc = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>omnisynth report: {html.escape(str(out))}"
           f"</title><style>{CSS}</style></head><body><h1>omnisynth report</h1><p>{html.escape(str(out))}</p>"
           f"{''.join(parts)}<section class=\"grid\">{cards}</section></body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc, encoding="utf-8")
    return len(samples)
