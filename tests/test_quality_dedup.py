"""Quality checks that need no ground truth, and run-wide near-duplicate removal through Ray Data."""

from __future__ import annotations

import copy
import io
import json
import shutil

import pytest
from PIL import Image, ImageDraw

from omnisynth.datasets.shards import iter_tar_samples
from omnisynth.filters.quality import QualityFilter
from omnisynth.schemas.recipe import QualityFilter as QualityConfig
from tests.test_filters import annotated


def _png(draw_text: bool, shade: int = 255) -> bytes:
    im = Image.new("RGB", (400, 300), (shade, shade, shade))
    if draw_text:
        ImageDraw.Draw(im).text((20, 20), "Invoice 2026-11 total 1,234.50", fill=(0, 0, 0))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def doc_items():
    items, _ = annotated("doc_qa", 8, generator__dpi=72)
    return items


def _check(item, **cfg):
    return QualityFilter(QualityConfig(**cfg)).check(item)


def test_rendered_pages_pass_and_their_contrast_was_measured_while_rendering(doc_items):
    for item in doc_items:
        assert item.truth.pages[0].contrast >= 100
        assert _check(item) == (True, "", "")


def test_blank_and_washed_out_images_are_dropped_and_a_little_ink_is_not(doc_items):
    item = copy.copy(doc_items[0])
    item.truth = copy.copy(item.truth)
    item.truth.pages = []  # no measurement: the filter decodes the image itself
    for data, keep in [(_png(False), False), (_png(False, 128), False), (_png(True), True)]:
        item.media = {"png": data}
        verdict = _check(item)
        assert verdict[0] is keep, verdict
        if not keep:
            assert verdict[1] == "image_blank"


def test_answer_spelled_out_in_the_question_and_length_bounds(doc_items):
    item = copy.copy(doc_items[0])
    item.sample = copy.deepcopy(item.sample)
    item.sample["answer"] = "Quarterly revenue"
    item.sample["question"] = "What does it say after 'Quarterly revenue'?"
    assert _check(item)[1] == "answer_in_question"
    assert _check(item, answer_leak=False)[0]
    item.sample["derivation"]["op"] = "argmax"  # "which is larger: A or B?" names its answer by design
    assert _check(item)[0]
    item.sample["question"] = " ? "
    assert _check(item)[1] == "question_too_short"
    item.sample["question"], item.sample["answer"] = "What is written?", "x" * 50
    assert _check(item, max_answer_chars=40)[1] == "answer_too_long"


def _keys(out):
    keys = {}
    for shard in sorted((out / "shards").glob("*.tar")):
        for key, members in iter_tar_samples(shard):
            keys[key] = json.loads(members["json"])
    return keys


@pytest.mark.slow
def test_near_duplicate_videos_are_dropped_run_wide_keeping_the_lowest_index(run_recipe, corpus, tmp_path):
    """Four copies of one video and another: by frames, one copy stays; by question+answer text, one copy
    per question wording (the caption task words its question two ways, drawn per sample)."""
    media = tmp_path / "videos"
    media.mkdir()
    copies = [f"copy{i}.mp4" for i in range(4)]
    for name in copies:
        shutil.copy(corpus / "media" / "av_h264_aac_rabbit320.mp4", media / name)
    shutil.copy(corpus / "media" / "av_1080p_smpte_2997.mp4", media / "other.mp4")
    for switch, kind in (("images", "image"), ("text", "text")):
        out, summary = run_recipe("video_corpus_caption", out=tmp_path / kind, num_samples=5,
                                  generator__path=str(media), output__samples_per_shard=1,
                                  **{f"filters__dedup__{switch}": True})
        kept = _keys(out)
        rows = [json.loads(x) for p in sorted((out / "quarantine").glob("*.jsonl")) for x in p.read_text().splitlines()]
        dropped = {r["key"]: r for r in rows}
        assert len(dropped) == len(rows)
        assert all(r["reason"] == f"near_duplicate_{kind}" for r in rows) and "other.mp4" in {
            s["meta"]["source"] for s in kept.values()}
        kept_copies = [s for s in kept.values() if s["meta"]["source"] in copies]
        if kind == "image":  # the same frames: only the lowest index stays
            assert len(kept_copies) == 1 and len(rows) == 3
        else:  # the same answer: one copy per wording of the question stays (4 copies, 2 wordings: 1 or 2)
            assert sorted(s["question"] for s in kept_copies) == sorted({s["question"] for s in kept_copies})
            assert len(kept_copies) + len(rows) == 4 and 1 <= len(kept_copies) <= 2
        by_key = {s["key"]: s for s in kept.values()}
        for r in dropped.values():  # each names a kept original copy of lower index
            original = by_key[r["source"]["duplicate_of"]]
            assert original["meta"]["source"] in copies and r["index"] > original["provenance"]["index"]
        assert summary.rejected_by_reason == {f"near_dedup/near_duplicate_{kind}": len(rows)}
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["kept"] == len(kept) and manifest["rejected"] == len(rows)
        assert manifest["filters"]["near_dedup"]["dropped"] == {f"near_duplicate_{kind}": len(rows)}


def test_synthetic_screens_skip_the_pixel_check_unless_asked(doc_items):
    item = copy.copy(doc_items[0])
    item.truth = copy.copy(item.truth)
    item.truth.pages = []
    item.media = {"png": _png(False)}
    from omnisynth.families import family

    def blank(kind):
        return family(kind).check_blank

    assert QualityFilter(QualityConfig(), blank("gui")).check(item) == (True, "", "")
    assert QualityFilter(QualityConfig(images="all"), blank("gui")).check(item)[1] == "image_blank"
    assert QualityFilter(QualityConfig(), blank("html_corpus")).check(item)[1] == "image_blank"  # your pages: checked
    assert QualityFilter(QualityConfig(images="off"), blank("documents")).check(item)[0]
