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
    assert tasks == {"pdf_qa/read_line", "pdf_qa/locate_text"}  # the names task.question_types takes


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


# --- text layers that are not the painted text (field cases 01 and 04) ---------------------------

LINES = ["The dancers rehearsed for the spring show", "Quickly close the door it is him",
         "Annie ran into the dressing room", "One of the girls ran and closed the door",
         "Opening night is on the fourth of May"]


def _tounicode(pairs: dict[int, str], width: int) -> bytes:
    """A ToUnicode CMap: each code (`width` hex digits) to its text."""
    body = "\n".join(f"<{code:0{width}X}> <{''.join(f'{ord(c):04X}' for c in text)}>" for code, text in sorted(pairs.items()))
    return (f"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CIDSystemInfo << /Registry (Adobe) "
            f"/Ordering (UCS) /Supplement 0 >> def /CMapName /Test def /CMapType 2 def 1 begincodespacerange "
            f"<{'0' * width}> <{'F' * width}> endcodespacerange {len(pairs)} beginbfchar\n{body}\nendbfchar endcmap "
            "CMapName currentdict /CMap defineresource pop end end").encode()


def _remapped_pdf(path, font: str, remap, lines=LINES, body: int = 0):
    """A page of `lines` in `font` whose ToUnicode map gives remap(character) for each glyph drawn (spaces
    keep theirs): 'helv' is a simple Type 1 font (codes are the characters), 'cjk' MuPDF's Droid Sans
    Fallback embedded as a Type 0 font without glyph names (codes are glyph ids). `body` lines of LINES
    in Helvetica with its own (right) encoding come first."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    if font == "cjk":
        page.insert_font(fontname="cjk", fontbuffer=pymupdf.Font("cjk").buffer)
    y = 60
    for i in range(body):
        page.insert_text((40, y), LINES[i % len(LINES)], fontname="tiro", fontsize=11)
        y += 16
    for line in lines:
        page.insert_text((72, y + 30), line, fontname=font, fontsize=16)
        y += 40
    doc = pymupdf.open("pdf", doc.tobytes())  # whole: MuPDF's subsets of it keep no cmap to judge by
    page = doc[0]
    drawn = {(u, gid) for span in page.get_texttrace() if "Times" not in span["font"] for u, gid, *_ in span["chars"]}
    pairs = {gid if font == "cjk" else u: remap(chr(u)) if u != 32 else " " for u, gid in drawn}
    xref = next(f[0] for f in page.get_fonts(full=True) if "Times" not in f[3])
    if remap is _no_map:
        doc.xref_set_key(xref, "ToUnicode", "null")
    else:
        stream = doc.get_new_xref()
        doc.update_object(stream, "<<>>")
        doc.update_stream(stream, _tounicode(pairs, 4 if font == "cjk" else 2))
        doc.xref_set_key(xref, "ToUnicode", f"{stream} 0 R")
    doc.save(path)
    return path


def _shift(c):
    return chr(ord(c) - 29)  # the field case: 'Annie ran' reads '$QQLH UDQ'


def _swap_e_o(c):
    return {"e": "o", "o": "e"}.get(c, c)


def _no_character(c):
    return "\ud800"  # no character: MuPDF reads U+FFFD


def _no_map(c):
    return c  # no ToUnicode map at all: MuPDF reads a Type 0 font's glyph ids as characters


def _same(c):
    return c


@pytest.mark.parametrize("font, remap, bad", [
    ("helv", _same, 0), ("helv", _shift, "all"), ("helv", _swap_e_o, "eo"), ("helv", _no_character, "all"),
    ("cjk", _same, 0), ("cjk", _shift, "all"), ("cjk", _swap_e_o, "eo"), ("cjk", _no_character, "all"),
    ("cjk", _no_map, "all")])
def test_a_text_layer_that_names_other_glyphs_is_unreadable(tmp_path, font, remap, bad):
    """Glyph names (Helvetica) or, with none, the font program's own Unicode cmap (Droid Sans) say which
    character each glyph is; a map that disagrees on >= 5% of the glyphs, or gives none (U+FFFD, glyph
    ids), makes the page unreadable."""
    import pymupdf

    from omnisynth.generators.documents.painted import check_glyphs
    from omnisynth.generators.errors import InputError

    page = pymupdf.open(_remapped_pdf(tmp_path / "mapped.pdf", font, remap))[0]
    text = "".join(LINES).replace(" ", "")
    layer = page.get_text().replace(" ", "").replace("\n", "")
    if remap is _no_character:
        assert layer == "\ufffd" * len(text)
    elif remap is _no_map:
        assert layer.startswith("5IF\x01") and len(layer.replace("\x01", "")) == len(text)  # glyph ids: 'The ' is 0x35 0x49 0x46 0x01
    else:
        assert layer == "".join(map(remap, text))
    if not bad:
        check_glyphs(page, "mapped.pdf page 1")  # a right map: nothing to say
        return
    with pytest.raises(InputError) as err:
        check_glyphs(page, "mapped.pdf page 1")
    n = len(layer) if bad == "all" else sum(text.count(c) for c in bad)
    assert err.value.reason == "text_layer_unreadable"
    assert str(err.value).startswith(f"mapped.pdf page 1: the text layer is not the painted text: {n} of {len(layer)} "
                                     "glyphs disagree"), str(err.value)
    if font == "helv" and remap is _shift:
        assert "'T' given as '7'" in str(err.value)


def test_one_font_with_a_broken_map_makes_the_page_unreadable(tmp_path):
    """A heading in a font whose map is shifted poisons the page even where its glyphs are under 5% of it."""
    import pymupdf

    from omnisynth.generators.documents.painted import check_glyphs
    from omnisynth.generators.errors import InputError

    page = pymupdf.open(_remapped_pdf(tmp_path / "heading.pdf", "helv", _shift, ["Annie ran home"], body=40))[0]
    with pytest.raises(InputError) as err:
        check_glyphs(page, "heading.pdf page 1")
    assert err.value.reason == "text_layer_unreadable" and "font Helvetica;" in str(err.value)
    assert "12 of " in str(err.value)
    page = pymupdf.open(_remapped_pdf(tmp_path / "fine.pdf", "helv", _same, ["Annie ran home"], body=40))[0]
    check_glyphs(page, "fine.pdf page 1")


VISIBLE = ["Quarterly report of the northern region", "Revenue grew in every month of the quarter",
           "Light grey footnote stays readable", "Small print at seven points", "White words on a dark band",
           "Highlighted words under yellow"]
HIDDEN = ["Invisible line says the budget was cut by half", "Second invisible line names the auditor Jane Roe",
          "White text line lists the hidden bonus of 9000", "Blue words on a blue box say nothing",
          "Covered line mentions the lawsuit settlement", "Line under a grey picture hides",
          "Transparent words are unseen"]  # text clipped away MuPDF leaves out of the layer itself


def _hidden_pdf(path, visible=True):
    """The field case 04 page and more: text that is in the layer but not on the image (render mode 3,
    white on white, blue on blue, covered by a box, by an image, opacity 0), beside text
    that is (light grey, 7 pt, white on dark, under a translucent highlight)."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    if visible:
        page.insert_text((72, 100), VISIBLE[0], fontsize=16)
        page.insert_text((72, 140), VISIBLE[1], fontsize=16)
        page.insert_text((72, 600), VISIBLE[2], fontsize=12, color=(0.75, 0.75, 0.75))
        page.insert_text((72, 630), VISIBLE[3], fontsize=7)
        page.draw_rect(pymupdf.Rect(60, 650, 560, 680), color=None, fill=(0.1, 0.1, 0.3))
        page.insert_text((72, 670), VISIBLE[4], fontsize=14, color=(1, 1, 1))
        page.insert_text((72, 720), VISIBLE[5], fontsize=14)
        page.draw_rect(pymupdf.Rect(60, 705, 400, 726), color=None, fill=(1, 1, 0), fill_opacity=0.4)
    page.insert_text((72, 220), HIDDEN[0], fontsize=16, render_mode=3)
    page.insert_text((72, 260), HIDDEN[1], fontsize=16, render_mode=3)
    page.insert_text((72, 300), HIDDEN[2], fontsize=16, color=(1, 1, 1))
    page.draw_rect(pymupdf.Rect(60, 322, 560, 350), color=None, fill=(0, 0, 1))
    page.insert_text((72, 340), HIDDEN[3], fontsize=16, color=(0, 0, 1))
    page.insert_text((72, 380), HIDDEN[4], fontsize=16)
    page.draw_rect(pymupdf.Rect(60, 362, 560, 390), color=None, fill=(1, 1, 1))
    page.insert_text((72, 420), HIDDEN[5], fontsize=16)
    grey = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 8, 8), False)
    grey.clear_with(200)
    page.insert_image(pymupdf.Rect(60, 400, 560, 430), pixmap=grey, keep_proportion=False)
    page.insert_text((72, 540), HIDDEN[6], fontsize=16, fill_opacity=0)
    doc.save(path)
    return path


@pytest.mark.parametrize("dpi", [60, 144])
def test_text_that_is_not_painted_is_no_evidence(tmp_path, dpi):
    """Invisible, background-coloured, covered and transparent text leaves the page truth (its
    glyphs, words, lines and blocks); every painted line stays, boxes and all."""
    import pymupdf

    from omnisynth.generators.documents.painted import Ink
    from omnisynth.generators.textlayer import render_page

    page = pymupdf.open(_hidden_pdf(tmp_path / "hidden.pdf"))[0]
    ink = Ink()
    _, truth = render_page(page, dpi, 0, "png", ink=ink)
    _, every = render_page(page, dpi, 0, "png")
    assert sorted(text for _, text in every.lines) == sorted(VISIBLE + HIDDEN)  # all of it is in the text layer
    assert [text for _, text in truth.lines] == VISIBLE
    assert [w[4] for w in truth.words] == " ".join(VISIBLE).split()
    assert "".join(c[4] for c in truth.chars if not c[4].isspace()) == "".join(VISIBLE).replace(" ", "")
    assert ink.dropped == len(" ".join(HIDDEN).split())
    assert [t for t in every.lines if t[1] in VISIBLE] == truth.lines  # painted lines keep their boxes
    assert "\n".join(text for _, text in truth.blocks).split("\n") == VISIBLE


def test_corpus_pages_with_unreadable_or_unpainted_text(run_recipe, tmp_path):
    """Through the pipeline: a shifted map quarantines the page (text_layer_unreadable), a page whose
    text is all unpainted is too short (page_no_text_layer, saying why), and every question about the
    field case 04 page is about a painted line, with ink under its box."""
    import io

    import numpy as np
    import webdataset as wds
    from PIL import Image

    bad = tmp_path / "bad"
    bad.mkdir()
    _remapped_pdf(bad / "shifted_tounicode.pdf", "helv", _shift)
    _hidden_pdf(bad / "only_hidden.pdf", visible=False)
    out, summary = run_recipe("pdf_corpus_qa", out=tmp_path / "bad_out", num_samples="all", generator__path=str(bad))
    rows = {r["source"]["path"]: r for p in (out / "quarantine").glob("*.jsonl") for r in map(json.loads, p.open())}
    assert summary.kept == 0 and set(rows) == {"shifted_tounicode.pdf", "only_hidden.pdf"}
    assert rows["shifted_tounicode.pdf"]["reason"] == "text_layer_unreadable"
    assert "150 of 150 glyphs disagree" in rows["shifted_tounicode.pdf"]["detail"]
    assert rows["only_hidden.pdf"]["reason"] == "page_no_text_layer"
    assert f"0 words in the text layer, {len(' '.join(HIDDEN).split())} more not painted" in rows["only_hidden.pdf"]["detail"]

    hidden = tmp_path / "hidden"
    hidden.mkdir()
    _hidden_pdf(hidden / "hidden_text.pdf")
    out, summary = run_recipe("pdf_corpus_qa", out=tmp_path / "hidden_out", num_samples=12, generator__path=str(hidden))
    assert summary.kept == 12
    words = set(" ".join(VISIBLE).split())
    for s in wds.WebDataset(sorted(str(p) for p in (out / "shards").glob("*.tar")), shardshuffle=False):
        grey = np.asarray(Image.open(io.BytesIO(s["png"])).convert("L"))
        for ev in json.loads(s["json"])["evidence"]:
            assert set(ev["text"].split()) <= words, ev["text"]
            x0, y0, x1, y1 = (int(v) for v in ev["bbox_px"])
            assert np.ptp(grey[y0:y1, x0:x1]) > 40, ev["text"]
