"""Your corpora: every file probed once by content, samples spread over the files, bad files reported once.

The folders are built here: PDFs with PyMuPDF, media with ffmpeg (an MPEG-1 program stream,
Ogg Vorbis and WAV sounds, a truncated .mpg, garbage named .mp4).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from functools import partial

import pymupdf
import pytest

from omnisynth.generators.corpus import sniff, take_inventory
from omnisynth.generators.documents.pdf_corpus import probe_pdf
from omnisynth.schemas.recipe import RecipeError, load_recipe

GOOD_PAGES = [30, 1, 2, 3, 5, 8, 1, 4, 12, 2, 6, 3]  # 12 good PDFs; the first is long enough to take every sample
BROKEN = {"c_empty.pdf": "pdf_empty_file", "f_garbage.pdf": "not_pdf", "k_truncated.pdf": "pdf_unreadable"}


def _pdf(path, pages: int, tag: str) -> None:
    doc = pymupdf.open()
    for n in range(pages):
        page = doc.new_page(width=400, height=300)
        page.insert_text((30, 60), f"Report {tag} page {n + 1} of the quarterly review", fontsize=12)
        page.insert_text((30, 90), f"Revenue in region {tag} grew by {n + 3} percent this year", fontsize=12)
    doc.save(path)


@pytest.fixture(scope="module")
def pdf_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("pdfs")
    for i, pages in enumerate(GOOD_PAGES):
        _pdf(root / f"{chr(ord('a') + i)}_{i:02d}.pdf", pages, f"R{i}")
    (root / "c_empty.pdf").write_bytes(b"")
    (root / "f_garbage.pdf").write_bytes(b"these bytes are not a PDF at all\n" * 20)
    whole = (root / "a_00.pdf").read_bytes()
    (root / "k_truncated.pdf").write_bytes(whole[:400])
    _pdf(root / "scan.bin", 2, "BIN")  # a PDF by content, whatever its name
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")  # hidden: not part of the corpus
    return root


def _inventory(root, seed=0, max_per_file=None, previous=None):
    config = load_recipe("pdf_corpus_qa", [("generator.path", str(root))]).generator
    return take_inventory(str(root), partial(probe_pdf, config), seed, max_per_file, "pages", previous)


def test_inventory_probes_by_content_and_spreads_samples_over_files(pdf_folder):
    inv = _inventory(pdf_folder)
    lines = [json.loads(line) for line in inv.jsonl().splitlines()]
    assert [r["file"] for r in lines] == sorted(p.name for p in pdf_folder.iterdir() if not p.name.startswith("."))
    assert {r["file"]: r["reason"] for r in lines if not r["units"]} == BROKEN
    assert {r["file"]: r["units"] for r in lines if r["units"]} == {
        **{f"{chr(ord('a') + i)}_{i:02d}.pdf": n for i, n in enumerate(GOOD_PAGES)}, "scan.bin": 2}
    assert inv.units == sum(GOOD_PAGES) + 2 and inv.usable_files == 13
    first = [inv.locate(i) for i in range(40)]
    assert len({entry.path for entry, _ in first}) == 13  # one page of every file before a second of any
    assert Counter(entry.path for entry, _ in first[:13]) == Counter({e.path: 1 for e, _ in first[:13]})
    assert len({(entry.path, unit) for entry, unit in (inv.locate(i) for i in range(inv.units))}) == inv.units
    assert inv.locate(inv.units + 5) == inv.locate(5)  # more samples than units: the order again
    again, other = _inventory(pdf_folder), _inventory(pdf_folder, seed=1)
    assert [again.locate(i) for i in range(40)] == first  # a pure function of the listing and the seed
    assert [other.locate(i) for i in range(40)] != first
    assert "3 unusable" in inv.summary() and "c_empty.pdf: pdf_empty_file" in inv.summary()


def test_max_per_file_caps_every_file_and_unchanged_files_are_not_probed_again(pdf_folder):
    capped = _inventory(pdf_folder, max_per_file=2)
    assert capped.units == sum(min(n, 2) for n in GOOD_PAGES) + 2
    taken = Counter(capped.locate(i)[0].path for i in range(capped.units))
    assert max(taken.values()) == 2
    pages = sorted(unit for i in range(capped.units) for entry, unit in [capped.locate(i)] if entry.path == "a_00.pdf")
    assert pages != [0, 1]  # drawn from the whole file, not its first pages
    rows = [json.loads(line) for line in capped.jsonl().splitlines()]
    for row in rows:
        row["kind"] = "cached"  # what the earlier run wrote: reused for files that did not change
    previous = "".join(json.dumps(row) + "\n" for row in rows)
    stale = "a_00.pdf"
    os.utime(pdf_folder / "b_01.pdf", ns=(1, 1))  # changed since: probed again
    reused = _inventory(pdf_folder, max_per_file=2, previous=previous)
    kinds = {e.path: e.probe.kind for e in reused.entries}
    assert kinds[stale] == "cached" and kinds["b_01.pdf"] == "pdf"


def test_sniff_names_what_the_bytes_are():
    assert sniff(b"junk\n%PDF-1.7\n") == "a PDF document"
    assert sniff(b"\xef\xbb\xbf  <!DOCTYPE html><html>") == "HTML"
    assert sniff(b"<div class=x>hi</div>") == "HTML"
    assert sniff(b"\x89PNG\r\n\x1a\n\x00\x00") == "a PNG image"
    assert sniff(b"1\n00:00:01,000 --> 00:00:02,000\nHello\n") == "text"
    assert sniff(b"\x00\x00\x01\xba\x44\x00") == ""  # an MPEG program stream: for ffprobe to say


@pytest.mark.slow
def test_forty_samples_of_a_fifteen_file_folder_touch_every_usable_file(run_recipe, pdf_folder, tmp_path):
    out, summary = run_recipe("pdf_corpus_qa", tmp_path / "p", generator__path=str(pdf_folder), num_samples=40,
                              generator__dpi=50)
    inventory = [json.loads(line) for line in (out / "inventory.jsonl").read_text().splitlines()]
    assert [(r["file"], r["reason"]) for r in inventory if r.get("reason")] == sorted(BROKEN.items())  # once each
    rows = [json.loads(line) for p in (out / "quarantine").glob("*.jsonl") for line in p.open()]
    import webdataset as wds

    kept = [json.loads(s["json"]) for s in wds.WebDataset(str(out / "shards" / "shard-000000.tar"), shardshuffle=False)]
    touched = {s["meta"]["source"] for s in kept} | {r["source"]["path"] for r in rows}
    assert len(touched) >= 8 and not touched & set(BROKEN)
    assert summary.kept + summary.rejected == 40 and summary.kept >= 36
    with pytest.raises(RecipeError, match="max_per_file=1"):  # more samples than the cap allows: refused up front
        run_recipe("pdf_corpus_qa", tmp_path / "q", generator__path=str(pdf_folder), num_samples=40,
                   generator__max_per_file=1)
    bad = tmp_path / "nothing"
    bad.mkdir()
    (bad / "a.pdf").write_bytes(b"not a pdf")
    with pytest.raises(RecipeError, match="no usable file among 1"):
        run_recipe("pdf_corpus_qa", tmp_path / "r", generator__path=str(bad), num_samples=3)
    assert json.loads((tmp_path / "r" / "inventory.jsonl").read_text())["reason"] == "not_pdf"


@pytest.mark.slow
def test_videos_by_content_mpeg1_gives_samples_and_sounds_are_reported_once(run_recipe, tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    ff = ["ffmpeg", "-v", "error", "-y"]
    subprocess.run(ff + ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=3", "-f", "lavfi", "-i",
                         "sine=frequency=500:duration=3", "-c:v", "mpeg1video", "-c:a", "mp2", "-f", "mpeg",
                         str(media / "lecture.mpg")], check=True)
    for name, codec in (("bell.oga", "libvorbis"), ("gong.ogg", "libvorbis"), ("chime.oga", "libvorbis"),
                        ("beep.wav", "pcm_s16le"), ("hum.wav", "pcm_s16le")):
        subprocess.run(ff + ["-f", "lavfi", "-i", "sine=frequency=700:duration=1", "-c:a", codec, str(media / name)],
                       check=True)
    (media / "cut.mpg").write_bytes((media / "lecture.mpg").read_bytes()[:2048])
    (media / "garbage.mp4").write_bytes(os.urandom(5000))
    out, summary = run_recipe("video_corpus_caption", tmp_path / "v", generator__path=str(media), num_samples=10,
                              generator__frames=4)
    inventory = {r["file"]: r for r in map(json.loads, (out / "inventory.jsonl").read_text().splitlines())}
    assert len(inventory) == 8
    sounds = {"bell.oga", "gong.ogg", "chime.oga", "beep.wav", "hum.wav"}
    assert {f for f, r in inventory.items() if r.get("reason") == "media_no_video"} == sounds
    assert inventory["garbage.mp4"]["reason"] in ("media_unreadable", "not_media")
    assert inventory["lecture.mpg"]["kind"] == "video" and inventory["lecture.mpg"]["info"]["video_codec"] == "mpeg1video"
    rows = [json.loads(line) for p in (out / "quarantine").glob("*.jsonl") for line in p.open()]
    assert not {r["source"]["path"] for r in rows} & (sounds | {"garbage.mp4"})  # never a sample, never again
    import webdataset as wds

    kept = [json.loads(s["json"]) for s in wds.WebDataset(str(out / "shards" / "shard-000000.tar"), shardshuffle=False)]
    assert {s["meta"]["source"] for s in kept} >= {"lecture.mpg"}
    lecture = next(s for s in kept if s["meta"]["source"] == "lecture.mpg")
    assert 2.9 < lecture["meta"]["duration_s"] < 3.2 and lecture["media"][0]["width"] == 160
