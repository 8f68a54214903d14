"""Bring-your-own PDFs from the shared corpus: good pages become samples, bad files are quarantined."""

from __future__ import annotations

import json

import pytest

from omnisynth.datasets.verify import verify

pytestmark = pytest.mark.slow

INVENTORY_REASONS = {  # unusable files: reported once, in inventory.jsonl, never sampled
    "BROKEN_empty_0bytes.pdf": "pdf_empty_file",
    "BROKEN_fuzzed_poppler742.pdf": "pdf_unreadable",
    "BROKEN_invalid_header_eof_only.pdf": "pdf_unreadable",
    "BROKEN_truncated_tracemonkey_400KB.pdf": "pdf_no_pages",
    "ENCRYPTED_aes256.pdf": "pdf_encrypted",
    "ENCRYPTED_libreoffice_pw.pdf": "pdf_encrypted",
    "scan_huckfinn_c02-22.pdf": "pdf_no_text_layer",
    "scan_linn_2col.pdf": "pdf_no_text_layer",
    "scan_skew.pdf": "pdf_no_text_layer",
    "ccitt_fax_image.pdf": "pdf_no_text_layer",
    "MANIFEST.tsv": "not_pdf",
}


def test_corpus_run_reports_bad_files_once_and_keeps_good_pages(run_recipe, corpus):
    overrides = {"generator__path": str(corpus / "pdfs"), "generator__dpi": 60,
                 "generator__passwords": {"ENCRYPTED_password_test.pdf": "test"}}
    out, summary = run_recipe("pdf_corpus_qa", num_samples="all", output__samples_per_shard=50, **overrides)
    inventory = {r["file"]: r for r in map(json.loads, (out / "inventory.jsonl").read_text().splitlines())}
    assert set(inventory) == {p.name for p in (corpus / "pdfs").iterdir()}
    reasons = {name: r["reason"] for name, r in inventory.items() if not r["units"]}
    for name, reason in INVENTORY_REASONS.items():
        assert reasons.get(name) == reason, (name, reasons.get(name))
    assert all(inventory[name]["detail"] for name in reasons)
    assert summary.kept + summary.rejected == summary.recipe.num_samples == sum(r["units"] for r in inventory.values())
    rows = [json.loads(line) for p in sorted((out / "quarantine").glob("*.jsonl")) for line in p.open()]
    assert len(rows) == summary.rejected and not {r["source"]["path"] for r in rows} & set(reasons)
    assert all(r["detail"] and r["stage"] for r in rows)
    assert "ENCRYPTED_password_test.pdf" not in reasons  # its password was configured
    assert verify(out).errors == []
    import webdataset as wds

    samples = list(wds.WebDataset(sorted(str(p) for p in (out / "shards").glob("*.tar")), shardshuffle=False))
    sources = {json.loads(s["json"])["meta"]["source"] for s in samples}
    assert {"paper_tracemonkey_2col.pdf", "federal_register_3col.pdf", "ENCRYPTED_password_test.pdf",
            "BROKEN_zen_of_python_corrupted.pdf"} <= sources  # repaired and rotated pages are usable
    tasks = {json.loads(s["json"])["task"] for s in samples}
    assert tasks == {"pdf_qa/region", "pdf_qa/phrase"}


def test_rotated_page_boxes_match_the_rendered_image(corpus):
    """/Rotate 90 pages: text boxes go through the rotation, so they land on the pixels."""
    import io

    import numpy as np
    import pymupdf
    from PIL import Image

    from omnisynth.generators.textlayer import render_page

    doc = pymupdf.open(corpus / "pdfs" / "BROKEN_zen_of_python_corrupted.pdf")
    page = doc[0]
    assert page.rotation == 90
    png, truth = render_page(page, 72, 0, "png")
    img = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    assert (truth.width, truth.height) == (img.shape[1], img.shape[0]) == (842, 595)
    line_box, text = next((b, t) for b, t in truth.lines if t.startswith("Beautiful is better"))
    x0, y0, x1, y1 = (int(v) for v in line_box)
    assert x1 - x0 > 3 * (y1 - y0), "the line is horizontal in the rendered image"
    assert (img[y0:y1, x0:x1] < 160).mean() > 0.05, "the box holds the line's ink"
