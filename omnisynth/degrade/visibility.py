"""Can a target still be seen in the captured frame? Out of frame, too small, or covered.

One check for both places that need it: the degrade stage hides facts that fail it (so the
oracle never asks about them) and the `visible` filter applies it to every box a sample cites
(a model may point anywhere). Quadrilaterals are in frame pixels, as samples store them.
"""

from __future__ import annotations

import cv2
import numpy as np

from omnisynth.degrade.geometry import quad_height, quad_width

EDGE_TOLERANCE_PX = 0.5


def out_of_frame(quad: np.ndarray, width: int, height: int) -> bool:
    q = np.asarray(quad, dtype=np.float64)
    (x0, y0), (x1, y1) = q.min(axis=0), q.max(axis=0)
    tol = EDGE_TOLERANCE_PX
    return bool(x0 < -tol or y0 < -tol or x1 > width + tol or y1 > height + tol)


def covered_fraction(quad: np.ndarray, occluders: list) -> float:
    """Share of the quad's area under any occluder polygon, rasterised at 1/4 pixel in the quad's box."""
    if not occluders:
        return 0.0
    q = np.asarray(quad, dtype=np.float64)
    lo = np.floor(q.min(axis=0))
    size = np.ceil(q.max(axis=0) - lo).astype(int) + 1
    scale = 4.0 if size.max() < 500 else 1.0
    shape = (int(size[1] * scale) + 1, int(size[0] * scale) + 1)
    target = np.zeros(shape, dtype=np.uint8)
    cv2.fillPoly(target, [np.round((q - lo) * scale).astype(np.int32)], 1)
    area = int(target.sum())
    if area == 0:
        return 0.0
    cover = np.zeros(shape, dtype=np.uint8)
    for poly in occluders:
        cv2.fillPoly(cover, [np.round((np.asarray(poly, dtype=np.float64) - lo) * scale).astype(np.int32)], 1)
    return float((target & cover).sum()) / area


def why_hidden(quad, text_px: float | None, width: int, height: int, occluders: list, config) -> str:
    """'' when the target can be seen; else the reason: out_of_frame | too_small | covered.

    `text_px`: the target's glyph height in the frame for text, None for a GUI element (whose
    shorter side is checked against `min_target_px` instead)."""
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    if out_of_frame(q, width, height):
        return "out_of_frame"
    if text_px is not None:
        if text_px < config.min_text_px:
            return "too_small"
    elif min(quad_height(q[None])[0], quad_width(q[None])[0]) < config.min_target_px:
        return "too_small"
    if covered_fraction(q, occluders) > config.max_covered:
        return "covered"
    return ""
