"""People in planned clips: an articulated figure (a skeleton rig posed per frame) and its drawing.

A person is a `Sprite` of kind `person` whose `rig` (`Rig`) says how it looks (shirt,
trousers, skin, hair, drawing style, size) and what it does when (`acts`: walking comes from
its track; carrying, crouching to pick up or put down, handing over, pushing, waving, pointing,
each over a window of seconds). `pose_at` turns that into joint angles for a frame and
`figure` draws it with Pillow: head, long-sleeved arms and torso in the shirt colour, hands
and face in the skin tone, legs in the trouser colour, in one of two styles (flat, or outlined).

The canvas is fixed per person and its top-left corner follows the sprite's track, so every
part's box at any time is known: `torso_box`, `hand_at`, `arm_box` give them in frame pixels
for the probes. Planning the people's scripts lives in `plan_people.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

SKIN = ((241, 194, 160), (224, 172, 125), (198, 134, 95), (141, 85, 54), (92, 58, 38))
TROUSERS = ((30, 34, 52), (52, 44, 38), (24, 24, 26), (70, 76, 90))
HAIR = ((24, 20, 18), (86, 56, 30), (170, 130, 70), (60, 60, 62))
STYLES = ("flat", "outlined")
BASE_W, BASE_H = 84, 140  # canvas at scale 1 (a 360-pixel-high frame): feet on its bottom edge
HIP_Y, SHOULDER_Y = 88, 50  # from the canvas top at scale 1
HEAD_R, TORSO_W, UPPER_ARM, FOREARM, THIGH, SHIN, LIMB = 9, 22, 19, 18, 25, 23, 10
CROUCH_DROP = 26  # how far hips and everything above sink at the bottom of a crouch (scale 1)
STRIDE = 60.0  # pixels (scale 1) per gait cycle


@dataclass
class Rig:
    scale: float
    shirt: tuple[int, int, int]
    trousers: tuple[int, int, int]
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    style: str
    acts: list[tuple[float, float, str]] = field(default_factory=list)  # (start s, end s, act)
    facing: list[tuple[float, int]] = field(default_factory=list)  # (from s, +1 right / -1 left)

    def size(self) -> tuple[int, int]:
        return round(BASE_W * self.scale), round(BASE_H * self.scale)

    def facing_at(self, t: float) -> int:
        f = self.facing[0][1] if self.facing else 1
        for t0, v in self.facing:
            if t0 <= t:
                f = v
        return f

    def act_at(self, t: float) -> tuple[str, float]:
        """The act under way at `t` and how far through it (0-1); ('', 0) when none."""
        for t0, t1, name in self.acts:
            if t0 <= t <= t1 and name != "carry":  # carrying goes on under other acts (see `carrying`)
                return name, (t - t0) / (t1 - t0) if t1 > t0 else 1.0
        return "", 0.0

    def carrying(self, t: float) -> bool:
        return any(t0 <= t <= t1 for t0, t1, name in self.acts if name == "carry")


def crouch_at(rig: Rig, t: float) -> float:
    """0 standing .. 1 at the bottom of a pick-up or put-down crouch (down and up again)."""
    name, a = rig.act_at(t)
    return math.sin(math.pi * a) if name in ("pick_up", "put_down") else 0.0


def pose_at(rig: Rig, t: float, x: float, moving: bool) -> dict:
    """Joint angles (radians from straight down, positive forward) at `t`; `x` the canvas x, `moving` if walking."""
    phase = 2 * math.pi * x / (STRIDE * rig.scale)
    swing = 0.45 * math.sin(phase) if moving else 0.0
    pose = {"hip": (swing, -swing), "knee": (max(0.0, -0.6 * math.sin(phase)) if moving else 0.0,
                                            max(0.0, 0.6 * math.sin(phase)) if moving else 0.0),
            "shoulder": (-0.6 * swing, 0.6 * swing), "elbow": (0.25, 0.25), "crouch": crouch_at(rig, t)}
    name, a = rig.act_at(t)
    if rig.carrying(t) or name == "hand_over":
        pose["shoulder"], pose["elbow"] = (0.5, 0.5), (1.07, 1.07)  # forearms level, hands at the waist in front
    if name in ("hand_over", "reach"):  # giving, or reaching out to take
        pose["shoulder"], pose["elbow"] = (1.0, 1.0), (0.57, 0.57)  # arms out, hands forward
    elif name in ("pick_up", "put_down"):
        c = pose["crouch"]
        pose["hip"], pose["knee"] = (1.2 * c, 1.2 * c), (2.0 * c, 2.0 * c)
        pose["shoulder"], pose["elbow"] = (0.5 + 0.3 * c, 0.5 + 0.3 * c), (1.07 - 0.9 * c, 1.07 - 0.9 * c)
    elif name == "push":
        pose["shoulder"], pose["elbow"] = (1.1, 1.1), (0.2, 0.2)
    elif name == "wave":  # the near arm straight up, the forearm swinging
        pose["shoulder"] = (math.pi, pose["shoulder"][1])
        pose["elbow"] = (0.5 * math.sin(2 * math.pi * 2.5 * t), pose["elbow"][1])
    elif name == "point":  # the near arm straight out in front
        pose["shoulder"], pose["elbow"] = (math.pi / 2, pose["shoulder"][1]), (0.0, pose["elbow"][1])
    return pose


def _joints(rig: Rig, pose: dict, facing: int) -> dict:
    s, w = rig.scale, rig.size()[0]
    drop = CROUCH_DROP * s * pose["crouch"]
    cx, hip_y, sh_y = w / 2, HIP_Y * s + drop, SHOULDER_Y * s + drop

    def limb(x, y, a1, l1, a2, l2):
        kx, ky = x + facing * l1 * s * math.sin(a1), y + l1 * s * math.cos(a1)
        a = a1 - a2 if l1 == THIGH else a1 + a2
        return (x, y), (kx, ky), (kx + facing * l2 * s * math.sin(a), ky + l2 * s * math.cos(a))

    legs = [limb(cx, hip_y, pose["hip"][i], THIGH, pose["knee"][i], SHIN) for i in (0, 1)]
    arms = [limb(cx, sh_y + 3 * s, pose["shoulder"][i], UPPER_ARM, pose["elbow"][i], FOREARM) for i in (0, 1)]
    return {"cx": cx, "hip_y": hip_y, "sh_y": sh_y, "legs": legs, "arms": arms}


def figure(rig: Rig, t: float, x: float, moving: bool) -> Image.Image:
    """The person at `t` on a transparent canvas of `rig.size()`."""
    w, h = rig.size()
    facing, s = rig.facing_at(t), rig.scale
    j = _joints(rig, pose_at(rig, t, x, moving), facing)
    im = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    edge = tuple(max(0, c - 90) for c in rig.shirt) if rig.style == "outlined" else None
    lw = max(2, round(LIMB * s))

    def seg(points, colour, width, outline=True):
        if edge and outline:
            d.line(points, fill=edge, width=width + 2, joint="curve")
        d.line(points, fill=colour, width=width, joint="curve")

    far_leg, near_leg = j["legs"][1], j["legs"][0]
    far_arm, near_arm = j["arms"][1], j["arms"][0]
    seg(far_leg, rig.trousers, lw + 1)
    seg(far_arm, rig.shirt, lw, outline=False)  # sleeves: no outline, so a sleeve over the torso reads as shirt
    seg(near_leg, rig.trousers, lw + 1)
    cx, hip_y, sh_y = j["cx"], j["hip_y"], j["sh_y"]
    tw = TORSO_W * s
    d.rounded_rectangle((cx - tw / 2, sh_y, cx + tw / 2, hip_y + 2 * s), radius=round(5 * s), fill=rig.shirt,
                        outline=edge, width=1 if edge else 0)
    hy = sh_y - 4 * s - HEAD_R * s
    d.ellipse((cx - HEAD_R * s, hy - HEAD_R * s, cx + HEAD_R * s, hy + HEAD_R * s), fill=rig.skin, outline=edge)
    d.chord((cx - HEAD_R * s, hy - HEAD_R * s, cx + HEAD_R * s, hy + HEAD_R * s), 180, 360, fill=rig.hair)
    seg(near_arm, rig.shirt, lw, outline=False)
    for arm in (far_arm, near_arm):
        hx, hy2 = arm[2]
        d.ellipse((hx - 3 * s, hy2 - 3 * s, hx + 3 * s, hy2 + 3 * s), fill=rig.skin)
    return im


# -- where a person's parts are (frame pixels), for the probes and the carried objects -----------
def torso_box(rig: Rig, left: float, top: float, crouch: float = 0.0) -> tuple[float, float, float, float]:
    s, w = rig.scale, rig.size()[0]
    drop = CROUCH_DROP * s * crouch
    return (left + w / 2 - TORSO_W * s / 2, top + SHOULDER_Y * s + drop, left + w / 2 + TORSO_W * s / 2,
            top + HIP_Y * s + drop)


def carry_offset(rig: Rig, facing: int, obj: tuple[int, int]) -> tuple[float, float]:
    """Top-left of a carried object relative to the canvas top-left: held against the hands at the waist."""
    s, w = rig.scale, rig.size()[0]
    hx = w / 2 + facing * (UPPER_ARM * math.sin(0.5) + FOREARM) * s
    hy = (SHOULDER_Y + 3 + UPPER_ARM * math.cos(0.5)) * s
    x = hx - obj[0] / 2 + facing * obj[0] * 0.15
    return x, hy - obj[1] * 0.55


def reach(rig: Rig) -> float:
    """How far in front of the canvas centre an object held or pushed sits (its near edge), pixels."""
    return (UPPER_ARM * math.sin(1.1) + FOREARM * 0.6) * rig.scale


def arm_box(rig: Rig, left: float, top: float, act: str, facing: int) -> tuple[float, float, float, float]:
    """The raised (wave) or outstretched (point) sleeve's upper arm, frame pixels."""
    s, w = rig.scale, rig.size()[0]
    cx, sy = left + w / 2, top + (SHOULDER_Y + 3) * s
    half = LIMB * s / 2
    if act == "wave":
        return cx - half, sy - UPPER_ARM * s, cx + half, sy
    x0, x1 = sorted((cx + facing * (TORSO_W / 2 + 2) * s, cx + facing * (UPPER_ARM + FOREARM - 3) * s))
    return x0, sy - half, x1, sy + half
