"""Which of a user PDF's text layer is the text painted on its page image.

Ground truth for the PDF corpus comes from PyMuPDF's text layer, and two faults of real PDFs
make that layer lie about the rendered image:

* **Glyphs named wrong** (`check_glyphs`, reason `text_layer_unreadable`): the layer's Unicode
  comes from the font's ToUnicode map, and a shifted, garbage or missing map (U+FFFD) gives text
  that the page does not show ('$QQLH UDQ' for 'Annie ran'). Each drawn glyph (its glyph id and
  the Unicode the layer claims, from `Page.get_texttrace`) is judged by the font program itself:
  by the glyph's name (Adobe Glyph List: 'T', 'zero', 'uni0054', 'f_i', 'a.sc'), or, where the
  font has no names, by the font program's own Unicode cmap. A glyph *disagrees* when the font
  names another character, or when the layer has no character for it (U+FFFD, a control code).
  Glyphs neither check can judge (Type 3 fonts, subset fonts with neither names nor a Unicode
  cmap) and private-use claims (Symbol bullets) count for nothing either way.
  The page is unreadable when disagreeing glyphs are at least `PAGE_SHARE` (5%) of its
  non-space glyphs (and at least 3), or when one font's judged glyphs mostly disagree (at least
  `FONT_BAD` = 8 of them): a single heading in a broken font poisons the questions asked about it.
  Real PDFs stay far below: alternates, vertical forms and duplicate glyphs disagree in under 2%.
* **Text not painted** (`Ink`): render mode 3 or 7 (invisible, clip only), opacity 0, a fill
  equal to the background, text covered by later paint or clipped away. Such text is never
  evidence: `text_layer` leaves out the spans that paint nothing and every word whose box shows
  no ink in the rendered pixmap (see `Ink`), and no question is asked or checked against it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from operator import itemgetter

import pymupdf

from omnisynth.generators.errors import InputError
from omnisynth.generators.textlayer import words_of

PAGE_SHARE = 0.05  # disagreeing glyphs, as a share of the page's non-space glyphs, that make it unreadable
PAGE_MIN = 3  # ... and at least this many
FONT_BAD = 8  # a font whose judged glyphs mostly disagree, with at least this many disagreeing
CONTRAST = 12  # grey levels (0-255, any channel) between neighbouring pixels that count as an ink edge
MIN_EDGES = 2  # ink edges a word's box needs to count as painted
BAND = (0.3, 0.25)  # share of a word box's height left out at its top and bottom (neighbouring lines)

_UNI = re.compile(r"uni((?:[0-9A-F]{4})+)$")
_UNREADABLE = re.compile("[\x00-\x1f\ufffd]")  # no character: what a missing map gives
_ALNUM = re.compile(r"[^\W_]")
_U = re.compile(r"u([0-9A-F]{4,6})$")
_CODES = itemgetter(0, 1)  # a texttrace char: (Unicode, glyph id, origin, bbox)


def check_glyphs(page: pymupdf.Page, where: str) -> None:
    """Raise `InputError("text_layer_unreadable")` when the page's text layer names other characters
    than the glyphs its fonts draw (see the module's rule); `where` starts the message."""
    drawn: dict[str, Counter] = {}  # font name -> (Unicode, glyph id) -> times drawn
    try:
        trace = page.get_texttrace()
    except (RuntimeError, ValueError):  # MuPDF rendered the page but cannot trace it: nothing to judge by
        return
    for span in trace:
        drawn.setdefault(span["font"], Counter()).update(map(_CODES, span["chars"]))
    fonts = _page_fonts(page) if drawn else {}
    total, bad, examples = 0, 0, []
    per_font: dict[str, Counter] = {}
    for name, pairs in drawn.items():
        seen = per_font[name] = Counter()
        for (u, gid), times in pairs.items():  # in drawing order: the examples come first to last
            if gid < 0 or (0 <= u < 0x110000 and chr(u).isspace()):
                continue  # a continuation of a multi-character glyph; spaces
            verdict = _judge(fonts.get(name, ()), u, gid)
            total += times
            seen[verdict[0]] += times
            if verdict[0] == "bad":
                bad += times
                if len(examples) < 3 and verdict not in examples:
                    examples.append(verdict)
    fonts.clear()
    broken = sorted(n for n, c in per_font.items() if c["bad"] >= FONT_BAD and c["bad"] > c["ok"])
    if (bad >= PAGE_MIN and bad >= PAGE_SHARE * total) or broken:
        shown = ", ".join(f"{painted} given as {claimed}" for _, painted, claimed in examples)
        fonts_note = f"; font{'s' if len(broken) > 1 else ''} {', '.join(broken)}" if broken else ""
        raise InputError("text_layer_unreadable", (
            f"{where}: the text layer is not the painted text: {bad} of {total} glyphs disagree with their "
            f"font's own glyphs (e.g. {shown}){fonts_note}; a broken or missing ToUnicode map"))


def _judge(fonts, u: int, gid: int) -> tuple[str, str, str]:
    """('ok' | 'bad' | 'unknown', the painted glyph as words, the claimed character as words)."""
    if u == 0xFFFD or u < 0x20 or 0xD800 <= u < 0xE000 or u >= 0x110000:
        return "bad", f"glyph {gid}", "no character" if u == 0xFFFD else f"U+{u:04X}"
    if 0xE000 <= u < 0xF900 or u >= 0xF0000:
        return "unknown", "", ""  # private use: the producer's own code, nothing to compare
    claimed = _fold(chr(u))
    verdicts = []
    for font, program in fonts:
        named = _name_text(pymupdf.mupdf.fz_get_glyph_name2(font, gid))
        if named is not None:
            got = _fold(named)
            ok = got == claimed or got.startswith(claimed) or claimed.startswith(got)
            verdicts.append(("ok" if ok else "bad", repr(named), repr(chr(u))))
            continue
        other = pymupdf.mupdf.fz_encode_character(program, u) if program is not None else 0
        verdicts.append(("ok", "", "") if other == gid else ("unknown", "", "") if other == 0 else
                        ("bad", f"glyph {gid}", f"{chr(u)!r} (glyph {other})"))
    if not verdicts:
        return "unknown", "", ""
    for want in ("ok", "unknown"):
        if any(v[0] == want for v in verdicts):
            return want, "", ""
    return verdicts[0]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _name_text(name: str) -> str | None:
    """The text a glyph name stands for (Adobe Glyph List, uniXXXX, uXXXXX, ligatures joined by '_',
    variants after '.'), or None: no name, a numeric or private-use one."""
    base = name.split(".", 1)[0]
    if not base:
        return None
    out = []
    for part in base.split("_"):
        code = pymupdf.mupdf.fz_unicode_from_glyph_name_strict(part)
        if code:
            out.append(chr(code))
        elif m := _UNI.match(part):
            out += [chr(int(m.group(1)[i:i + 4], 16)) for i in range(0, len(m.group(1)), 4)]
        elif (m := _U.match(part)) and int(m.group(1), 16) < 0x110000:
            out.append(chr(int(m.group(1), 16)))
        else:
            return None
    text = "".join(out)
    if not text or any(0xE000 <= ord(c) < 0xF900 or 0xD800 <= ord(c) < 0xE000 for c in text):
        return None
    return text


def _page_fonts(page: pymupdf.Page) -> dict[str, list]:
    """The page's fonts by the name `get_texttrace` gives them (no subset prefix): for each, the font
    MuPDF draws with (its glyph names) and a fresh copy of its program (its own Unicode cmap, where
    MuPDF's PDF loader may have picked a code-keyed one). Type 3 and unloadable fonts are left out."""
    m = pymupdf.mupdf
    pdf = m.pdf_document_from_fz_document(page.parent.this)
    fonts: dict[str, list] = {}
    for xref, _ext, kind, *_ in page.get_fonts(full=True):
        if kind == "Type3":
            continue
        try:
            desc = m.ll_pdf_load_font(pdf.m_internal, None, m.pdf_load_object(pdf, xref).m_internal)
        except Exception:  # noqa: BLE001 - a font MuPDF cannot load: its glyphs stay unjudged
            continue
        try:
            font = m.FzFont(m.ll_fz_keep_font(desc.font))
        finally:
            m.ll_pdf_drop_font(desc)
        buf = font.m_internal.buffer
        program = None
        if buf:
            try:
                program = m.fz_new_font_from_buffer(None, m.FzBuffer(m.ll_fz_keep_buffer(buf)),
                                                    font.m_internal.subfont, 0)
            except Exception:  # noqa: BLE001 - names alone then
                program = None
        name = m.fz_font_name(font)
        if name.find("+") == 6:
            name = name[7:]
        fonts.setdefault(name, []).append((font, program))
    return fonts


class Ink:
    """Which words of a page are painted: handed to `text_layer` (through `render_page`) for a PDF
    corpus page, it leaves out

    * spans that paint nothing: render mode 3 or 7 (invisible, clip only) or opacity 0;
    * words whose box (pixels of the rendered image) holds fewer than `MIN_EDGES` ink edges: pixels
      that differ from their right or lower neighbour by at least `CONTRAST` grey levels in some
      channel, counted in the box's middle band (`BAND` of its height off the top and bottom, where
      neighbouring lines reach; the whole box for words of punctuation only, dots and dashes, and
      for boxes under 8 pixels high).
      Text in the background's colour, covered by later paint or clipped away leaves a box of
      even colour, whatever drew it;
    * words with a character the layer could not name (U+FFFD, control codes).

    `dropped` counts the words left out. One summed-area table of the edges per page: a few
    milliseconds at 110 dpi, then four lookups per word. An `Ink` never attached to a pixmap
    (the corpus inventory's probe, which renders nothing) applies the first and last rules only.
    """

    def __init__(self):
        self.dropped = 0
        self.table = None

    def attach(self, pix: pymupdf.Pixmap) -> Ink:
        import cv2
        import numpy as np

        n, h, w = pix.n, pix.height, pix.width
        if h < 2 or w < 2:
            self.table = np.zeros((max(h, 1), max(w, 1)), dtype=np.int32)  # no room for ink
            return self
        rows = np.frombuffer(pix.samples_mv, dtype=np.uint8).reshape(h, pix.stride)[:, : w * n]
        across = cv2.absdiff(rows[:-1, :-n], rows[:-1, n:]) >= CONTRAST  # pixel (y, x) against (y, x + 1)
        down = cv2.absdiff(rows[:-1, :-n], rows[1:, :-n]) >= CONTRAST  # ... against (y + 1, x)
        step = (across | down).reshape(h - 1, w - 1, n)
        edges = step[:, :, 0]
        for k in range(1, n):
            edges = edges | step[:, :, k]
        self.table = cv2.integral(edges.view(np.uint8))  # (height, width): edges above and left of (y, x)
        return self

    def paints(self, span: dict) -> bool:
        """Whether a rawdict span paints its glyphs (fill or stroke, not fully transparent); its words
        count as dropped when not."""
        flags = span.get("char_flags", pymupdf.mupdf.FZ_STEXT_FILLED)
        if span.get("alpha", 255) > 0 and flags & (pymupdf.mupdf.FZ_STEXT_FILLED | pymupdf.mupdf.FZ_STEXT_STROKED):
            return True
        self.dropped += len("".join(c["c"] for c in span["chars"]).split())
        return False

    def keep(self, chars: list, first: int) -> tuple[list, bool]:
        """The painted words of one line (`chars[first:]`, boxes in pixels), and whether any went: then
        their glyphs leave `chars`, and so do the spaces they leave doubled."""
        found = words_of(chars[first:])
        painted = [self._painted(w) for w in found]
        if all(painted):
            return found, False
        self.dropped += painted.count(False)
        out, n, inside = [], 0, False
        for ch in chars[first:]:
            if ch[4].isspace():
                n += inside
                inside = False
                if out and not out[-1][4].isspace():
                    out.append(ch)
            else:
                inside = True
                if painted[n]:
                    out.append(ch)
        while out and out[-1][4].isspace():
            out.pop()
        chars[first:] = out
        return [w for w, keep in zip(found, painted, strict=True) if keep], True

    def _painted(self, word: tuple) -> bool:
        x0, y0, x1, y1, text = word
        if _UNREADABLE.search(text):
            return False
        if self.table is None:  # not rendered: what the spans and characters say is all there is
            return True
        t = self.table
        top, bottom = BAND if y1 - y0 >= 8 and _ALNUM.search(text) else (0, 0)
        ya = min(max(int(y0 + top * (y1 - y0)), 0), t.shape[0] - 1)
        yb = min(max(math.ceil(y1 - bottom * (y1 - y0)), ya + 1), t.shape[0] - 1)
        xa = min(max(int(x0), 0), t.shape[1] - 1)
        xb = min(max(math.ceil(x1) - 1, xa), t.shape[1] - 1)
        if yb <= ya or xb <= xa:
            return False  # off the image
        return int(t[yb, xb] - t[ya, xb] - t[yb, xa] + t[ya, xa]) >= MIN_EDGES
