"""One homography per page: where the rendered page lands in the captured frame.

Rotation, shear, perspective, resizing, the margin of background around the page and a crop
compose into a single 3x3 matrix `H` in continuous pixel coordinates (a pixel i covers
[i, i+1), as PyMuPDF's and the browser's boxes do). The pixels are resampled once with that
matrix (`cv_matrix` converts it to OpenCV's pixel-centre convention) and every glyph, box
and click point goes through the same matrix, so geometry stays exact by construction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Quad = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]


@dataclass
class Frame:
    H: np.ndarray  # 3x3, continuous coordinates of the rendered page -> the captured frame
    width: int
    height: int

    @property
    def identity(self) -> bool:
        return bool(np.allclose(self.H, np.eye(3)))

    def inverse_point(self, x: float, y: float) -> tuple[float, float]:
        """A frame point back on the rendered page (a click checked against the live page)."""
        p = warp_points(np.linalg.inv(self.H), [(x, y)])[0]
        return float(p[0]), float(p[1])


def warp_points(H: np.ndarray, pts) -> np.ndarray:
    p = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    q = p @ H[:, :2].T + H[:, 2]
    return q[:, :2] / q[:, 2:3]


def box_corners(boxes) -> np.ndarray:
    """(N, 4) boxes -> (N, 4, 2) corners: top-left, top-right, bottom-right, bottom-left."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]], axis=1)


def warp_boxes(H: np.ndarray, boxes) -> tuple[np.ndarray, np.ndarray]:
    """Boxes through H: their quadrilaterals (N, 4, 2) and the axis-aligned boxes around them (N, 4)."""
    corners = box_corners(boxes)
    if not len(corners):
        return corners, np.zeros((0, 4))
    quads = warp_points(H, corners.reshape(-1, 2)).reshape(-1, 4, 2)
    return quads, np.concatenate([quads.min(axis=1), quads.max(axis=1)], axis=1)


def cv_matrix(H: np.ndarray) -> np.ndarray:
    """H for OpenCV, whose integer coordinates are pixel centres: shift by half a pixel on both sides."""
    to_centre = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]])
    from_centre = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    return to_centre @ H @ from_centre


def plan_frame(rng, draws: dict[str, float], width: int, height: int) -> Frame:
    """The page's frame for the geometric effects that fired (`draws`: effect -> strength)."""
    w, h = float(width), float(height)
    src = np.array([(0, 0), (w, 0), (w, h), (0, h)], dtype=np.float64)
    pts = src - (w / 2, h / 2)
    theta = math.radians(draws.get("rotate", 0.0) * rng.choice((-1, 1)))
    shear = draws.get("shear", 0.0) * rng.choice((-1, 1))
    turn = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    pts = pts @ (turn @ np.array([[1.0, shear], [0.0, 1.0]])).T
    if "perspective" in draws:  # each corner moves independently: a page seen from off its axis
        d = draws["perspective"] * min(w, h)
        pts = pts + np.array([[rng.uniform(-d, d), rng.uniform(-d, d)] for _ in range(4)])
    keep = 1.0 - draws.get("scale", 0.0)
    pts = pts * keep
    if "margin" in draws:  # the frame is the page's extent plus background on every side
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = draws["margin"] * np.array([w, h]) * keep
        pad = pad * np.array([rng.uniform(0.6, 1.4) for _ in range(4)]).reshape(2, 2)  # uneven framing
        lo, hi = lo - pad[0], hi + pad[1]
    else:  # a scan bed or a screen: the frame keeps the page's (resized) size; what turns out of it is lost
        lo, hi = -np.array([w, h]) * keep / 2, np.array([w, h]) * keep / 2
    if "crop" in draws:  # one side of the frame cut off
        side = rng.randrange(4)
        cut = draws["crop"] * (hi - lo)
        if side == 0:
            lo[0] += cut[0]
        elif side == 1:
            hi[0] -= cut[0]
        elif side == 2:
            lo[1] += cut[1]
        else:
            hi[1] -= cut[1]
    out_w, out_h = max(1, round(hi[0] - lo[0])), max(1, round(hi[1] - lo[1]))
    dst = pts - lo
    if not draws.keys() & {"rotate", "shear", "perspective", "scale", "margin", "crop"}:
        return Frame(np.eye(3), width, height)
    return Frame(homography(src, dst), out_w, out_h)


def homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 3x3 matrix taking 4 points to 4 points, solved in float64 (OpenCV's solver takes float32)."""
    a, b = [], []
    for (x, y), (u, v) in zip(np.asarray(src, dtype=np.float64), np.asarray(dst, dtype=np.float64), strict=False):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    h = np.linalg.solve(np.asarray(a), np.asarray(b))
    return np.append(h, 1.0).reshape(3, 3)


def quad_height(quads: np.ndarray) -> np.ndarray:
    """Height of each quadrilateral: the distance between the midpoints of its top and bottom edges."""
    top = (quads[:, 0] + quads[:, 1]) / 2
    bottom = (quads[:, 3] + quads[:, 2]) / 2
    return np.hypot(*(bottom - top).T)


def quad_width(quads: np.ndarray) -> np.ndarray:
    left = (quads[:, 0] + quads[:, 3]) / 2
    right = (quads[:, 1] + quads[:, 2]) / 2
    return np.hypot(*(right - left).T)
