"""Pixel effects: ink on the page, light (paper, creases, uneven lighting, shadows), then the capture.

OpenCV and NumPy on uint8 BGR arrays (OpenCV's channel order), seeded by the caller's generator.
Everything that multiplies the pixels is a coarse float32 field (1 = unchanged): the paper's
and the creases' over the page, the lighting's and the shadow's over the frame; the stage
multiplies them together (the frame's carried back onto the page through the homography) and
applies the product in one full-resolution pass, so each field costs about a millisecond per
megapixel beyond that pass; the measured budget is in bench/.
Overlays (a cursor, another window) return the polygons they cover, for the visibility check.
"""

from __future__ import annotations

import math
from functools import lru_cache

import cv2
import numpy as np

from omnisynth.degrade.geometry import cv_matrix

Polygon = list[tuple[float, float]]


def smooth_field(gen: np.random.Generator, shape: tuple[int, int], cells: int, size: int = 128) -> np.ndarray:
    """A float32 field in [0, 1] varying over about `cells` cells across an image of `shape`,
    at most `size` pixels on its longer side (callers resize it, or hand it to `gain`)."""
    h, w = shape
    gh, gw = max(2, round(cells * h / max(h, w))), max(2, round(cells * w / max(h, w)))
    sh, sw = max(2, round(size * h / max(h, w))), max(2, round(size * w / max(h, w)))
    grid = gen.random((gh, gw), dtype=np.float32)
    return cv2.resize(grid, (sw, sh), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def gain(img: np.ndarray, field: np.ndarray, tint=(1.0, 1.0, 1.0)) -> np.ndarray:
    """img x field (a float field of any size, resized to the image; 1 = unchanged, up to 2; or a
    uint8 field where 128 is 1) x a per-channel tint, in one 8-bit pass: the field is quantised
    to 1/128 before it is resized."""
    h, w = img.shape[:2]
    scale = 1.0 if field.dtype == np.uint8 else 128.0
    small = cv2.merge([cv2.convertScaleAbs(field, alpha=scale * t) for t in tint])
    if small.shape[:2] != (h, w):
        small = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.multiply(img, small, scale=1 / 128)


TABLE = 2048


@lru_cache(maxsize=1)
def _noise_codes() -> np.ndarray:
    """2048x2048x3 standard-normal values as uint8 codes (128 + 16 x value), made once per process
    from a fixed seed: noise of any strength is a window of them, scaled."""
    n = np.random.default_rng(0).standard_normal((TABLE, TABLE, 3), dtype=np.float32)
    return np.clip(np.rint(n * 16 + 128), 0, 255).astype(np.uint8)


def add_noise(img: np.ndarray, gen: np.random.Generator, std: float) -> np.ndarray:
    """img + Gaussian noise of `std` grey levels, independent per channel, in one saturating
    8-bit pass (`cv2.addWeighted`): a window of the code table at a seeded offset (per-sample
    noise without drawing millions of numbers)."""
    codes = _noise_codes()
    h, w = img.shape[:2]
    if h > TABLE or w > TABLE:  # larger than the table: tile it
        codes = np.tile(codes, (-(-h // TABLE), -(-w // TABLE), 1))
    y = int(gen.integers(0, codes.shape[0] - h + 1))
    x = int(gen.integers(0, codes.shape[1] - w + 1))
    win = codes[y:y + h, x:x + w]
    if img.ndim == 2:
        win = np.ascontiguousarray(win[:, :, 0])
    elif img.shape[2] != 3:
        raise ValueError(f"noise on {img.shape[2]} channels")
    beta = std / 16
    return cv2.addWeighted(img, 1.0, win, beta, -128 * beta)


# -- ink (the page's pixels, before it is placed) -------------------------------------------------

def bleed(img: np.ndarray, gen: np.random.Generator, px: float) -> np.ndarray:
    """Ink spreading into the paper: dark strokes thicken by `px` and soften."""
    r = max(1, math.ceil(px))
    spread = cv2.erode(img, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    mixed = cv2.addWeighted(img, 1 - min(1.0, px / r), spread, min(1.0, px / r), 0)
    return cv2.GaussianBlur(mixed, (0, 0), 0.35 + 0.25 * px)


def fade(img: np.ndarray, gen: np.random.Generator, amount: float) -> np.ndarray:
    """Ink lost unevenly (a worn toner, an old print): up to `amount` of the darkness, in patches."""
    keep = 1 - amount * smooth_field(gen, img.shape[:2], 6)
    return cv2.bitwise_not(gain(cv2.bitwise_not(img), keep))


# -- light: fields that multiply the pixels ----------------------------------------------------------

def paper(gen: np.random.Generator, shape: tuple[int, int], amount: float) -> tuple[np.ndarray, tuple]:
    """A procedural paper over a page of `shape`: low-frequency mottling and fine grain (a field at
    half the page's resolution) and a cream or grey tint (per BGR channel)."""
    h, w = shape
    warm = gen.random() < 0.7  # cream (blue absorbed most; channels are BGR) or a neutral grey recycled paper
    loss = (gen.uniform(0.06, 0.16), gen.uniform(0.04, 0.09), gen.uniform(0.02, 0.06)) if warm else (0.06,) * 3
    half = (max(2, w // 2), max(2, h // 2))
    mottle = cv2.resize(1 - amount * 0.12 * smooth_field(gen, (h, w), 24), half, interpolation=cv2.INTER_LINEAR)
    grain = add_noise(cv2.convertScaleAbs(mottle, alpha=128.0), gen, amount * 0.035 * 128)  # 128 = 1.0
    return grain.astype(np.float32) * (1 / 128), tuple(1 - amount * x for x in loss)


def crease(gen: np.random.Generator, shape: tuple[int, int], darkness: float) -> np.ndarray:
    """One or two fold lines across a page of `shape`: a dark valley with a lit edge beside it (a
    field at a quarter of the page's resolution)."""
    h, w = shape
    ys, xs = np.mgrid[0:h:4, 0:w:4].astype(np.float32)
    field = np.ones(ys.shape, dtype=np.float32)
    for _ in range(gen.integers(1, 3)):
        horizontal = gen.random() < 0.6
        pos = gen.uniform(0.25, 0.75) * (h if horizontal else w)
        tilt = gen.uniform(-0.03, 0.03)
        dist = (ys - pos - tilt * xs) if horizontal else (xs - pos - tilt * ys)
        width = gen.uniform(2.0, 4.0)
        valley = darkness * 0.45 * np.exp(-(dist / width) ** 2)
        lit = darkness * 0.12 * np.exp(-((dist - 2.5 * width) / (2 * width)) ** 2)
        field *= (1 - valley + lit).astype(np.float32)
    return field


def lighting(gen: np.random.Generator, shape: tuple[int, int], depth: float) -> np.ndarray:
    """Light falling off across a frame of `shape`: a linear ramp or an off-centre vignette, darker
    by `depth` (a 32-row field)."""
    h, w = shape
    gh, gw = 32, max(2, round(32 * w / h))
    ys, xs = np.mgrid[0:gh, 0:gw].astype(np.float32)
    ys, xs = ys / (gh - 1), xs / (gw - 1)
    if gen.random() < 0.5:
        angle = gen.uniform(0, 2 * math.pi)
        ramp = (math.cos(angle) * (xs - 0.5) + math.sin(angle) * (ys - 0.5)) + 0.5
    else:
        cx, cy = gen.uniform(0.2, 0.8), gen.uniform(0.2, 0.8)
        ramp = np.hypot(xs - cx, ys - cy) / 0.9
    return (1 - depth * ramp.clip(0, 1)).astype(np.float32)


def shadow(gen: np.random.Generator, shape: tuple[int, int], darkness: float) -> np.ndarray:
    """A soft shadow cast across part of a frame of `shape` (a hand, a phone): a blurred polygon,
    darker by `darkness` (a 64-row field)."""
    h, w = shape
    gh, gw = 64, max(2, round(64 * w / h))
    mask = np.zeros((gh, gw), dtype=np.float32)
    corner = np.array([gen.uniform(0, gw), gen.uniform(0, gh)])
    pts = corner + gen.uniform(-gw * 0.6, gw * 0.6, size=(int(gen.integers(3, 6)), 2))
    cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1.0)
    mask = cv2.GaussianBlur(mask, (0, 0), 3.0)
    return 1 - darkness * mask


def product(fields: list[np.ndarray]) -> np.ndarray:
    """Fields of any sizes over one image, multiplied at the size of the finest."""
    h, w = max(f.shape for f in fields)
    out = np.ones((h, w), dtype=np.float32)
    for f in fields:
        out *= f if f.shape == (h, w) else cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR)
    return out


def carry(field: np.ndarray, H: np.ndarray, frame_size: tuple[int, int], page_size: tuple[int, int],
          rows: int = 64) -> np.ndarray:
    """A field over the frame as it falls on the page: sampled through the homography `H` (page
    pixels -> frame pixels) at a grid of `rows` over the page (the fields carried are smooth)."""
    (fw, fh), (pw, ph) = frame_size, page_size
    gh, gw = (rows, max(2, round(rows * pw / ph))) if ph >= pw else (max(2, round(rows * ph / pw)), rows)
    sh, sw = field.shape
    to_field = np.diag([sw / fw, sh / fh, 1.0]) @ H @ np.diag([pw / gw, ph / gh, 1.0])  # page grid -> field grid
    return cv2.warpPerspective(field, cv_matrix(to_field), (gw, gh), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REPLICATE)


# -- backgrounds the page is placed on ----------------------------------------------------------

def flat(gen: np.random.Generator) -> tuple[int, int, int]:
    """The grey around a page on a scan bed (a white lid or a dark one) or a screen on a desktop."""
    level = int(gen.integers(40, 60)) if gen.random() < 0.3 else int(gen.integers(225, 250))
    return (level,) * 3


def background(gen: np.random.Generator, kind: str, width: int, height: int, light: np.ndarray | None = None
               ) -> np.ndarray:
    """desk: a wood or cloth surface; scene: a wall, ground and shapes. Drawn at a quarter of the
    resolution and resized: what is around the page is out of focus anyway. `light`: the frame's
    light field (lighting and shadow), multiplied in."""
    h, w = max(2, height // 4), max(2, width // 4)
    base = np.array(gen.uniform(40, 200, size=3), dtype=np.float32)
    field = cv2.resize(smooth_field(gen, (h, w), 10), (w, h), interpolation=cv2.INTER_LINEAR)[:, :, None]
    if kind == "desk":  # streaks along one axis: wood grain or fabric
        streaks = smooth_field(gen, (max(2, h // 8), 4), 40)
        grain = cv2.resize(streaks, (w, h), interpolation=cv2.INTER_LINEAR)[:, :, None]
        img = (base * (0.75 + 0.35 * field) * (0.85 + 0.3 * grain)).clip(0, 255).astype(np.uint8)
    else:  # scene: a sky or wall above a ground line, with blocks and discs in other colours
        img = (base * (0.7 + 0.5 * field)).clip(0, 255).astype(np.uint8)
        horizon = int(h * gen.uniform(0.55, 0.85))
        img[horizon:] = (np.array(gen.uniform(30, 160, size=3)) * (0.8 + 0.3 * field[horizon:])).clip(0, 255)
        for _ in range(int(gen.integers(3, 9))):
            colour = tuple(int(c) for c in gen.integers(0, 256, size=3))
            x0, y0 = int(gen.integers(0, w)), int(gen.integers(0, h))
            if gen.random() < 0.6:
                x1, y1 = x0 + int(gen.integers(w // 12 + 1, w // 3 + 2)), y0 + int(gen.integers(h // 12 + 1, h // 2 + 2))
                cv2.rectangle(img, (x0, y0), (x1, y1), colour, -1)
            else:
                cv2.circle(img, (x0, y0), int(gen.integers(max(2, w // 40), max(3, w // 8))), colour, -1, cv2.LINE_AA)
    if light is not None:
        img = gain(img, light)
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR)


# -- overlays: what they cover is recorded ---------------------------------------------------------

def cursor(img: np.ndarray, gen: np.random.Generator, size: float) -> Polygon:
    """An arrow pointer, white with a black outline, somewhere on the frame; returns its outline."""
    h, w = img.shape[:2]
    s = 32 * size / 21
    shape = np.array([(0, 0), (0, 17), (4, 13), (7, 20), (10, 19), (7, 12), (12, 12)], dtype=np.float64) * s
    x, y = gen.uniform(0, w * 0.95), gen.uniform(0, h * 0.95)
    poly = shape + (x, y)
    pts = np.round(poly * 16).astype(np.int32)  # 4 bits of sub-pixel precision
    cv2.fillPoly(img, [pts], (255, 255, 255), cv2.LINE_AA, shift=4)
    cv2.polylines(img, [pts], True, (0, 0, 0), max(1, round(s)), cv2.LINE_AA, shift=4)
    return [(float(a), float(b)) for a, b in poly]


def window(img: np.ndarray, gen: np.random.Generator, fraction: float, dark: bool) -> Polygon:
    """Another window over one corner of the frame (title bar, body, lines of text-like bars)."""
    h, w = img.shape[:2]
    ww, wh = int(w * fraction), int(h * fraction * gen.uniform(0.6, 1.2))
    left, top = gen.random() < 0.5, gen.random() < 0.5
    x0 = -int(ww * 0.1) if left else w - int(ww * 0.9)
    y0 = -int(wh * 0.1) if top else h - int(wh * 0.9)
    x1, y1 = x0 + ww, y0 + wh
    body = (40, 42, 48) if dark else (246, 246, 248)
    cv2.rectangle(img, (x0, y0), (x1, y1), body, -1)
    cv2.rectangle(img, (x0, y0), (x1, y0 + 28), (70, 72, 80) if dark else (220, 222, 228), -1)
    cv2.rectangle(img, (x0, y0), (x1, y1), (110, 110, 120), 1)
    ink = (200, 200, 205) if dark else (120, 120, 128)
    for row in range(y0 + 44, y1 - 12, 20):
        cv2.rectangle(img, (x0 + 14, row), (x0 + 14 + int(gen.uniform(0.3, 0.8) * (ww - 28)), row + 8), ink, -1)
    return [(float(x0), float(y0)), (float(x1), float(y0)), (float(x1), float(y1)), (float(x0), float(y1))]


# -- the capture (the whole frame) -----------------------------------------------------------------

def subpixel(img: np.ndarray, gen: np.random.Generator, px: float) -> np.ndarray:
    """Sub-pixel (ClearType-like) text rendering: red and blue sampled `px` apart horizontally
    (each a fractional shift by a two-tap linear kernel)."""
    b, g, r = cv2.split(img)
    return cv2.merge([cv2.filter2D(b, -1, _shift_kernel(-px / 2)), g, cv2.filter2D(r, -1, _shift_kernel(px / 2))])


def _shift_kernel(dx: float) -> np.ndarray:
    """A 1 x n kernel that moves an image right by `dx` pixels (linear interpolation)."""
    n = 2 * math.ceil(abs(dx)) + 1
    k = np.zeros((1, n), dtype=np.float32)
    centre = n // 2 - dx  # out[x] = in[x - dx]: correlation taps at -dx
    lo = math.floor(centre)
    k[0, lo] += 1 - (centre - lo)
    if lo + 1 < n:
        k[0, lo + 1] += centre - lo
    return k


def blur(img: np.ndarray, gen: np.random.Generator, sigma: float) -> np.ndarray:
    """Defocus or camera shake: Gaussian, or a short motion streak one time in three."""
    if gen.random() < 1 / 3:
        n = max(3, int(round(sigma * 3)) | 1)
        k = np.zeros((n, n), dtype=np.float32)
        k[n // 2, :] = 1.0 / n
        rot = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), gen.uniform(0, 180), 1.0)
        k = cv2.warpAffine(k, rot, (n, n))
        return cv2.filter2D(img, -1, k / max(k.sum(), 1e-6))
    return cv2.GaussianBlur(img, (0, 0), sigma)


def lowres(img: np.ndarray, gen: np.random.Generator, loss: float) -> np.ndarray:
    """A low-resolution sensor or scan: down by `loss` of the resolution and back up."""
    h, w = img.shape[:2]
    keep = max(0.1, 1 - loss)
    small = cv2.resize(img, (max(1, round(w * keep)), max(1, round(h * keep))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def noise(img: np.ndarray, gen: np.random.Generator, std: float) -> np.ndarray:
    """Sensor noise: Gaussian, independent per colour channel (the sensor's photosites)."""
    return add_noise(img, gen, std)


def jpeg_roundtrip(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)


INK = {"fade": fade, "bleed": bleed}
LIGHT = {"lighting": lighting, "shadow": shadow}  # over the frame (paper and crease: over the page)
CAPTURE = {"subpixel": subpixel, "blur": blur, "lowres": lowres, "noise": noise}
