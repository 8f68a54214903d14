"""Degradation: rendered pages and screens made to look scanned, photographed or captured.

`Degrader.apply` takes a rendered sample (media + ground truth) and, page by page, draws the
effects that fire (seeded by the sample and page), paints paper and ink on the page, places
it in its frame with one homography, draws overlays, applies the capture effects and encodes
the frame. The ground truth goes through the same homography: glyphs, words, lines, blocks
and facts get their frame boxes, facts also their quadrilaterals, GUI click points their
frame points. Facts that can no longer be seen (out of frame, too small, covered by an
overlay) are hidden from the question writer and counted by reason.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from omnisynth.degrade import effects as fx
from omnisynth.degrade.geometry import Frame, cv_matrix, plan_frame, quad_height, warp_boxes, warp_points
from omnisynth.degrade.visibility import why_hidden
from omnisynth.schemas.degrade import CAPTURE_EFFECTS, EFFECTS, INK_EFFECTS, DegradeConfig
from omnisynth.schemas.truth import Fact, GroundTruth, PageTruth, SampleSpec

BACKGROUNDS = {"photo": "desk", "scene": "scene"}  # preset -> what is around the page; else a flat grey
VERSION = "degrade/2"  # 2: light in one multiplication, noise from a 3-channel table


def member_for(member: str, fmt: str) -> str:
    """'png' -> 'jpg', 'p000.png' -> 'p000.jpg' for JPEG output; unchanged for PNG."""
    ext = "jpg" if fmt == "jpeg" else "png"
    stem, dot, _ = member.rpartition(".")
    return f"{stem}.{ext}" if dot else ext


def to_bgr(image) -> np.ndarray:
    """Decoded pixels: an array passes through, encoded bytes are decoded (BGR, OpenCV's order)."""
    if isinstance(image, np.ndarray):
        return image
    img = cv2.imdecode(np.frombuffer(image, dtype=np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError("image bytes could not be decoded")
    return img


def encode(img: np.ndarray, fmt: str, quality: int) -> bytes:
    if fmt == "jpeg":
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    else:
        if quality < 100:  # JPEG's blocks and ringing, kept in a lossless file
            img = fx.jpeg_roundtrip(img, quality)
        ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise ValueError(f"could not encode a {img.shape} image as {fmt}")
    return buf.tobytes()


class Degrader:
    def __init__(self, config: DegradeConfig):
        self.config = config
        self.weights = config.presets()
        self.effects = {name: config.resolved(name) for name in self.weights}

    def preset(self, spec: SampleSpec) -> str:
        """The preset of this sample (the same for all its pages: one document is scanned or photographed)."""
        names = sorted(self.weights)
        return spec.rng("degrade").choices(names, weights=[self.weights[n] for n in names])[0]

    def draws(self, rng, preset: str) -> dict[str, float]:
        """The effects that fire on one page, with their strengths (scaled by intensity, capped)."""
        out = {}
        for name, effect in self.effects[preset].items():
            fire = rng.random() < effect.p
            strength = rng.uniform(*effect.strength) * self.config.intensity
            if fire and strength > 0:
                out[name] = min(strength, EFFECTS[name][1])
        return out

    def apply(self, spec: SampleSpec, media: dict, truth: GroundTruth) -> tuple[dict[str, bytes], GroundTruth]:
        cfg = self.config
        out_media: dict[str, bytes] = {}
        pages, applied, hidden = [], [], {}
        facts = list(truth.facts)
        preset = self.preset(spec)
        for page in truth.pages:
            rng = spec.rng(f"degrade:{page.number}")
            gen = np.random.default_rng(rng.getrandbits(64))
            draws = self.draws(rng, preset)
            img, frame, covers = self.pixels(to_bgr(media[page.member]), rng, gen, draws, BACKGROUNDS.get(preset, "flat"),
                                             truth.meta.get("theme"))
            quality = 100 - round(draws["jpeg"]) if "jpeg" in draws else (95 if cfg.format == "jpeg" else 100)
            member = member_for(page.member, cfg.format)
            out_media[member] = encode(img, cfg.format, quality)
            new_page = warp_page(page, frame, member, covers)
            facts = self.hide(facts, frame, new_page, hidden)
            pages.append(new_page)
            prefix = f"p{page.number}:" if len(truth.pages) > 1 else ""
            applied += [f"{prefix}{name}={value:.3g}" for name, value in draws.items()]
        if len(self.weights) > 1:
            applied.insert(0, f"preset={preset}")
        for member, data in media.items():  # padding pages a shorter document lacks: the same format
            if not any(p.member == member for p in truth.pages):
                out_media[member_for(member, cfg.format)] = encode(to_bgr(data), cfg.format, 95)
        meta = {**truth.meta, "degradations": applied, "hidden": hidden, "degrade_version": VERSION}
        return out_media, replace(truth, pages=pages, facts=facts, meta=meta)

    def pixels(self, img: np.ndarray, rng, gen, draws: dict[str, float], background: str = "flat", theme=None):
        """Ink on the page; the frame; light; overlays; the capture -> (frame image, Frame, overlays).

        Light is one multiplication: the paper's and the creases' fields over the page and the
        lighting's and the shadow's over the frame (carried back onto the page through the
        homography) multiply the page before it is placed; the frame's fields also fall on a drawn
        background (a desk, a scene; a flat grey stays flat). Overlays are drawn after, over the
        captured screen."""
        h, w = img.shape[:2]
        source = img
        for name in INK_EFFECTS:
            if name in draws:
                img = fx.INK[name](img, gen, draws[name])
        frame = plan_frame(rng, draws, w, h)
        light = [fx.LIGHT[name](gen, (frame.height, frame.width), draws[name]) for name in fx.LIGHT if name in draws]
        light = fx.product(light) if light else None
        fields, tint = [], (1.0, 1.0, 1.0)
        if "paper" in draws:
            field, tint = fx.paper(gen, (h, w), draws["paper"])
            fields.append(field)
        if "crease" in draws:
            fields.append(fx.crease(gen, (h, w), draws["crease"]))
        if light is not None:
            fields.append(light if frame.identity else fx.carry(light, frame.H, (frame.width, frame.height), (w, h)))
        if fields:
            img = fx.gain(img, fx.product(fields), tint)
        keep = 1 - draws.get("scale", 0.0)
        if keep < 0.95:  # shrinking: filter first, as image resizers do, or thin strokes alias and shift
            img = cv2.GaussianBlur(img, (0, 0), 0.45 * (1 / keep**2 - 1) ** 0.5)
        size = (frame.width, frame.height)
        if frame.identity:
            img = img.copy() if img is source else img  # the overlays draw in place: never on the caller's array
        elif background == "flat":  # a scan bed or a desktop: one grey, outside the light
            img = cv2.warpPerspective(img, cv_matrix(frame.H), size, flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_CONSTANT, borderValue=fx.flat(gen))
        else:
            canvas = fx.background(gen, background, frame.width, frame.height, light)
            cv2.warpPerspective(img, cv_matrix(frame.H), size, dst=canvas, flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_TRANSPARENT)
            img = canvas
        covers = []
        if "window" in draws:
            covers.append(fx.window(img, gen, draws["window"], dark=theme == "dark"))
        if "cursor" in draws:
            covers.append(fx.cursor(img, gen, draws["cursor"]))
        for name in CAPTURE_EFFECTS:
            if name in draws and name in fx.CAPTURE:
                img = fx.CAPTURE[name](img, gen, draws[name])
        return img, frame, covers

    def hide(self, facts: list[Fact], frame: Frame, page: PageTruth, hidden: dict[str, int]) -> list[Fact]:
        """Facts on `page` into the frame; those that cannot be seen any more are dropped (GUI
        elements stay, marked, for relations). Text height: every glyph's box goes through the
        homography once, then each fact takes the median height of the glyphs inside its box."""
        warped = iter(warp_facts([f for f in facts if f.page == page.number], frame))  # in the order of `facts`
        glyphs = Glyphs(page)
        kept = []
        for clean in facts:
            if clean.page != page.number:
                kept.append(clean)
                continue
            f = next(warped)
            shape = f.kind == "element" or f.attrs.get("shape")  # judged by its own size, not by glyphs
            text_px = None if shape else text_height(page, f.quad, glyphs, clean.bbox)
            reason = why_hidden(f.quad, text_px, page.width, page.height, page.covers, self.config)
            if f.kind == "element" and f.attrs.get("click"):
                x, y = f.attrs["click"]
                if not reason and not (0 <= x <= page.width and 0 <= y <= page.height):
                    reason = "out_of_frame"
            if reason:
                hidden[reason] = hidden.get(reason, 0) + 1
                if f.kind != "element":
                    continue
                f = replace(f, attrs={**f.attrs, "hidden": reason})
            kept.append(f)
        return kept


def warp_page(page: PageTruth, frame: Frame, member: str, covers: list) -> PageTruth:
    """A page's text layer in frame pixels (each box the axis-aligned box of its warped quad),
    keeping the rendered page's own layer and the homography for exact reading."""
    if frame.identity:
        return replace(page, member=member, covers=covers)

    def boxes(rows, n):  # rows (x0, y0, x1, y1, text) when n == 5, else ((x0, y0, x1, y1), text)
        if not rows:
            return []
        cols = list(zip(*rows, strict=False))  # columns, not rows: thousands of glyphs convert in C
        _, aabb = warp_boxes(frame.H, np.array(cols[:4], dtype=np.float64).T if n == 5 else cols[0])
        if n == 5:
            return list(zip(*aabb.T.tolist(), cols[4], strict=False))
        return list(zip(map(tuple, aabb.tolist()), cols[1], strict=False))

    return replace(page, member=member, width=frame.width, height=frame.height, chars=boxes(page.chars, 5),
                   words=boxes(page.words, 5), lines=boxes(page.lines, 2), blocks=boxes(page.blocks, 2),
                   frame=frame.H.tolist(), clean=page, covers=covers)


def warp_facts(facts: list[Fact], frame: Frame) -> list[Fact]:
    """Facts' boxes through the homography, all at once: each gets its quadrilateral and the
    axis-aligned box around it; GUI click points move with them."""
    if not facts:
        return []
    quads, aabb = warp_boxes(frame.H, [f.bbox for f in facts])
    clicks = [i for i, f in enumerate(facts) if f.attrs.get("click")]
    moved = {}
    if clicks:
        moved = dict(zip(clicks, warp_points(frame.H, [facts[i].attrs["click"] for i in clicks]).tolist(), strict=False))
    out = []
    for i, (f, quad, box) in enumerate(zip(facts, quads.tolist(), aabb.tolist(), strict=False)):
        attrs = {**f.attrs, "click": moved[i]} if i in moved else f.attrs
        out.append(replace(f, bbox=tuple(box), quad=tuple(map(tuple, quad)), attrs=attrs))
    return out


def warp_fact(fact: Fact, frame: Frame) -> Fact:
    return warp_facts([fact], frame)[0]


def page_point(page: PageTruth, point) -> tuple[float, float]:
    """A frame point back in the rendered page's pixels (unchanged when the page was not degraded)."""
    if page.frame is None:
        return float(point[0]), float(point[1])
    return Frame(np.asarray(page.frame), 0, 0).inverse_point(*point)


def page_box(page: PageTruth, quad) -> tuple[float, float, float, float]:
    """The rendered page's box around a frame quadrilateral (a frame box's corners work too)."""
    q = warp_points(np.linalg.inv(np.asarray(page.frame)), quad)
    return (float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max()))


class Glyphs:
    """A page's glyphs (not spaces), for the median text height under a box: their boxes on the
    rendered page (the page's own when it was not degraded), their heights in the frame (every
    glyph through the homography once), sorted by the y of their centres."""

    def __init__(self, page: PageTruth):
        chars = (page.clean or page).chars
        cols = list(zip(*chars, strict=False)) or [()] * 5
        ink = np.array([not c.isspace() for c in cols[4]], dtype=bool)
        g = np.array(cols[:4], dtype=np.float64).T.reshape(-1, 4)[ink]
        if page.clean is not None and len(g):
            heights = quad_height(warp_boxes(np.asarray(page.frame), g)[0])
        else:
            heights = g[:, 3] - g[:, 1]
        cy = (g[:, 1] + g[:, 3]) / 2
        order = np.argsort(cy, kind="stable")
        self.cx, self.cy, self.heights = ((g[:, 0] + g[:, 2]) / 2)[order], cy[order], heights[order]

    def median(self, box, pad: float) -> float:
        """Median height of the glyphs whose centres lie in `box` (rendered-page pixels, grown by
        `pad`); 0 when none."""
        x0, y0, x1, y1 = box
        lo, hi = int(np.searchsorted(self.cy, y0 - pad, "left")), int(np.searchsorted(self.cy, y1 + pad, "right"))
        cx = self.cx[lo:hi]
        h = np.sort(self.heights[lo:hi][(cx >= x0 - pad) & (cx <= x1 + pad)])  # np.median costs 30 us a call
        m = len(h) // 2
        return 0.0 if not len(h) else float(h[m]) if len(h) % 2 else float((h[m - 1] + h[m]) / 2)


def text_height(page: PageTruth, quad, glyphs: Glyphs | None = None, box=None) -> float:
    """Median frame height of the glyphs under a frame quadrilateral: each glyph's box on the
    rendered page through the homography (exact under rotation); 0 when no glyph is there.
    A screen (no glyph layer) measures the text box itself. `glyphs`: `Glyphs(page)`, when many
    quads of one page are measured; `box`: the quad's box on the rendered page, when the caller
    has it (the degrade stage: no inverse needed)."""
    if not (page.clean or page).chars:  # a screen: no glyph layer, the text box's own height
        return float(quad_height(np.asarray(quad, dtype=np.float64).reshape(1, 4, 2))[0])
    g = Glyphs(page) if glyphs is None else glyphs
    if box is not None:
        return g.median(box, pad=0.5)
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    if page.clean is None:
        return g.median((q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max()), pad=0.0)
    return g.median(page_box(page, q), pad=0.5)
