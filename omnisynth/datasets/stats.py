"""`omnisynth stats DIR`: what an output folder holds, counted with Polars.

One small row per sample (task, question type, layout family, language, pages, lengths,
box sizes, the page density the generator measured) is read from the shards without decoding
any image; the manifest supplies the rejections. Per layout family of rendered documents it
reports words, content coverage and text-line boxes per page and the fonts printed
(`density_by_family`). `--json` prints the same figures for machines.
"""

from __future__ import annotations

import json
from pathlib import Path

from omnisynth.datasets.shards import iter_tar_samples
from omnisynth.datasets.store import Store, as_store


def sample_rows(out: Store):
    """One flat row per kept sample (no media), streamed shard by shard."""
    for name in out.list("shards", suffix=".tar"):
        with out.open_read(f"shards/{name}") as f:
            yield from _rows(name, iter_tar_samples(out.display(f"shards/{name}"), fileobj=f))


def _rows(name: str, samples):
    for key, members in samples:
        s = json.loads(members["json"])
        areas = [(g["bbox_norm"][2] - g["bbox_norm"][0]) * (g["bbox_norm"][3] - g["bbox_norm"][1])
                 for g in s["grounding"]]
        yield {
            "key": key, "shard": name, "task": s["task"], "question_type": s["task"].split("/")[-1],
            "family": s["meta"]["source"] or s["meta"]["family"], "language": s["meta"]["language"],
            "pages": s["meta"]["pages"],
            "question_chars": len(s["question"]), "answer_chars": len(s["answer"]),
            "boxes": len(areas), "box_area_pct": 100 * min(areas) if areas else None,
            **_density(s["meta"]),
        }


def _density(meta: dict) -> dict:
    d = meta.get("density") or {}  # folders written before meta.density have none
    return {"words_per_page": d.get("words_per_page", 0.0), "coverage": d.get("coverage", 0.0),
            "boxes_per_page": d.get("boxes_per_page", 0.0), "fonts": "|".join(d.get("fonts", []))}


def compute_stats(out: Store | Path | str) -> dict:
    import polars as pl

    from omnisynth.datasets.manifest import read_manifest

    out = as_store(out)
    manifest = read_manifest(out)
    df = pl.DataFrame(list(sample_rows(out)), schema={
        "key": pl.String, "shard": pl.String, "task": pl.String, "question_type": pl.String, "family": pl.String,
        "language": pl.String, "pages": pl.Int64, "question_chars": pl.Int64, "answer_chars": pl.Int64,
        "boxes": pl.Int64, "box_area_pct": pl.Float64, "words_per_page": pl.Float64, "coverage": pl.Float64,
        "boxes_per_page": pl.Float64, "fonts": pl.String,
    })

    def counts(column: str) -> dict[str, int]:
        grouped = df.group_by(column).agg(pl.len().alias("n")).sort(["n", column], descending=[True, False])
        return {str(k): int(n) for k, n in grouped.iter_rows()}

    def spread(column: str) -> dict[str, float]:
        col = df.get_column(column).drop_nulls()
        if col.is_empty():
            return {}
        return {"min": float(col.min()), "p5": float(col.quantile(0.05)), "median": float(col.median()),
                "p95": float(col.quantile(0.95)), "max": float(col.max()), "mean": round(float(col.mean()), 3)}

    return {
        "folder": str(out), "recipe": manifest.recipe["name"], "kept": df.height, "rejected": manifest.rejected,
        "shards": len([s for s in manifest.shards if s.name]),
        "by_task": counts("task"), "by_family": counts("family"), "by_language": counts("language"),
        "by_pages": {str(k): v for k, v in sorted(counts("pages").items(), key=lambda kv: int(kv[0]))},
        "rejected_by_reason": manifest.rejected_by_reason,
        "question_chars": spread("question_chars"), "answer_chars": spread("answer_chars"),
        "smallest_box_area_pct": spread("box_area_pct"),
        "density_by_family": density_by_family(df),
    }


def density_by_family(df) -> dict[str, dict]:
    """Per layout family of rendered documents (and 'pdf' for your PDFs): mean words, content coverage and
    text-line boxes per page
    (from each sample's meta.density), the fonts printed, and how many samples that is."""
    import polars as pl

    rendered = df.filter(pl.col("words_per_page") > 0)
    out = {}
    for family in sorted(rendered.get_column("family").unique().to_list()):
        rows = rendered.filter(pl.col("family") == family)
        fonts = sorted({f for joined in rows.get_column("fonts").to_list() for f in joined.split("|") if f})
        out[family] = {"samples": rows.height,
                       "words_per_page": round(float(rows.get_column("words_per_page").mean()), 1),
                       "coverage": round(float(rows.get_column("coverage").mean()), 3),
                       "boxes_per_page": round(float(rows.get_column("boxes_per_page").mean()), 1),
                       "fonts": fonts}
    return out


def format_stats(st: dict) -> str:
    lines = [f"{st['folder']}: recipe {st['recipe']}, {st['kept']} kept, {st['rejected']} rejected, "
             f"{st['shards']} shards"]
    for title in ("by_task", "by_family", "by_language", "by_pages", "rejected_by_reason"):
        if st[title]:
            lines.append(title.replace("_", " ") + ":")
            width = max(len(k) for k in st[title])
            lines += [f"  {k:<{width}}  {v}" for k, v in st[title].items()]
    for title in ("question_chars", "answer_chars", "smallest_box_area_pct"):
        if st[title]:
            lines.append(f"{title.replace('_', ' ')}: " + "  ".join(f"{k} {v:g}" for k, v in st[title].items()))
    density = st.get("density_by_family") or {}
    if density:
        width = max(len(k) for k in density)
        lines.append("density by family (per page: words, share of the page under content, text-line boxes; fonts):")
        lines += [f"  {k:<{width}}  {d['words_per_page']:7.1f} words  {100 * d['coverage']:5.1f}% covered  "
                  f"{d['boxes_per_page']:6.1f} boxes  {', '.join(d['fonts'])}  ({d['samples']} samples)"
                  for k, d in density.items()]
    return "\n".join(lines)
