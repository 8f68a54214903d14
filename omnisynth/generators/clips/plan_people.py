"""People scenes of a clip plan: a mixin of `omnisynth.generators.clips.plan.Planner`.

A people scene has two people (`omnisynth.generators.clips.people`) on a floor line and one
object, a box or a ball, and plays one script: the first person carries the object over and
hands it to the second; or walks to it on the floor and picks it up; or pushes it along; or
carries it and puts it down; then, when the scene has time left, one of them waves at the
other or points at the object. Every act is an event (`hand_over`, `pick_up`, `put_down`,
`push`, `wave`, `point`: subject the person, `other` the receiver or the target, `text` the
object) with probes: the object's colour where the plan holds it before and after, the
shirt's colour on the torso and on a raised or outstretched sleeve.
"""

from __future__ import annotations

import math

from omnisynth.generators.clips import people
from omnisynth.generators.clips.timeline import COLOUR_TOLERANCE, COLOURS, Probe, Scene, Sprite, ms

SPEED = 0.2  # walking speed, frame widths per second
OBJECT = 24  # a box's or ball's side at scale 1
MIN_SLEEVE = 9.0  # pixels: a thinner sleeve's colour does not survive YUV 4:2:0, so no wave or point is planned


def _far(a, b) -> bool:
    return math.dist(a, b) >= 2 * COLOUR_TOLERANCE


class PeoplePlanning:
    def _scene_people(self, scene: Scene) -> bool:
        """Plan a people scene; False (nothing planned) when the scene is too short for any script."""
        rng, S, E = self.rng, scene.start, scene.end
        if E - S < 3.0:
            return False
        k = self.h / 360
        skins = rng.sample(people.SKIN, 2)
        shirts = []
        for skin in skins:
            free = [c for c in sorted(COLOURS) if c not in self.shirts and c not in shirts
                    and _far(COLOURS[c], skin) and all(_far(COLOURS[c], hair) for hair in people.HAIR)]
            if not free:
                return False
            shirts.append(rng.choice(free))
        self.shirts.update(shirts)
        rigs = [people.Rig(round(k * rng.uniform(0.9, 1.1), 3), COLOURS[c], rng.choice(people.TROUSERS), skin,
                           rng.choice(people.HAIR), rng.choice(people.STYLES)) for c, skin in zip(shirts, skins, strict=True)]
        obj_colour = rng.choice([c for c in sorted(COLOURS) if c not in shirts and (c, "box") not in self.combos])
        shape = rng.choice(["box", "ball"])
        self.combos.add((obj_colour, shape))
        side = max(6, round(OBJECT * k))
        floor = round(0.84 * self.h)
        self.person_scene = {"scene": scene, "rigs": rigs, "names": [f"person in the {c} shirt" for c in shirts],
                             "obj": (f"{obj_colour} {shape}", shape, obj_colour, (side, side)), "floor": floor,
                             "keys": [[], []], "obj_keys": [], "events": []}
        script = rng.choice(self.sources.scripts)
        t = getattr(self, f"_script_{script}")(S + rng.uniform(0.15, 0.4))
        if t > E - 0.2:  # the walk takes longer than the scene lasts: shapes play it instead
            self.shirts.difference_update(shirts)
            self.combos.discard((obj_colour, shape))
            self.person_scene = {}
            return False
        if E - t >= 1.7 and min(r.scale for r in rigs) * people.LIMB >= MIN_SLEEVE:
            self._gesture(t + rng.uniform(0.2, 0.4))
        self._people_sprites(scene)
        return True

    # -- geometry --------------------------------------------------------------------------
    def _top(self, i: int) -> float:
        return self.person_scene["floor"] - self.person_scene["rigs"][i].size()[1]

    def _walk(self, i: int, t: float, x_to: float) -> float:
        """Person i walks from its last position to canvas-left `x_to`, starting at `t`; returns the arrival time."""
        keys = self.person_scene["keys"][i]
        x_from = keys[-1][1]
        t_end = t + abs(x_to - x_from) / (SPEED * self.w)
        keys += [(ms(t), x_from, self._top(i)), (ms(t_end), round(x_to, 1), self._top(i))]
        return t_end

    def _start(self, i: int, x: float, facing: int) -> None:
        ps = self.person_scene
        ps["keys"][i].append((ms(ps["scene"].start), round(x, 1), self._top(i)))
        ps["rigs"][i].facing.append((ps["scene"].start, facing))

    def _carry_keys(self, i: int, t0: float, t1: float) -> list[tuple[float, float, float]]:
        """The object's track while person i carries it over [t0, t1]."""
        rig, ps = self.person_scene["rigs"][i], self.person_scene
        dx, dy = people.carry_offset(rig, rig.facing_at(t0), ps["obj"][3])
        sprite = Sprite("", "person", "person", "", (0, 0, 0), rig.size(), 0, 0, ps["keys"][i])
        times = sorted({t0, t1, *(kt for kt, _, _ in ps["keys"][i] if t0 < kt < t1)})
        return [(ms(tt), round(sprite.pos(tt)[0] + dx, 1), round(sprite.pos(tt)[1] + dy, 1)) for tt in times]

    def _floor_xy(self, x_centre: float) -> tuple[float, float]:
        side = self.person_scene["obj"][3]
        return round(x_centre - side[0] / 2, 1), round(self.person_scene["floor"] - side[1], 1)

    def _hands_reach(self, i: int, obj_left: float, facing: int) -> float:
        """Canvas-left at which person i, facing the object, has its hands at the object's near edge."""
        rig, side = self.person_scene["rigs"][i], self.person_scene["obj"][3][0]
        near = obj_left if facing > 0 else obj_left + side
        return near - facing * people.reach(rig) - rig.size()[0] / 2

    def _act(self, i: int, t0: float, t1: float, name: str, probes: list, other: str = "") -> None:
        ps = self.person_scene
        ps["rigs"][i].acts.append((ms(t0), ms(t1), name))
        if name not in ("carry", "reach"):
            ps["events"].append((name, i, ms(t0), ms(t1), other, probes))

    # -- scripts: each returns when it is over ------------------------------------------------
    def _script_hand_over(self, t: float) -> float:
        w = self.w
        a_rig, b_rig = self.person_scene["rigs"]
        self._start(0, w * self.rng.uniform(0.04, 0.14), 1)
        self._start(1, w * self.rng.uniform(0.62, 0.74), -1)
        b_left = self.person_scene["keys"][1][0][1]
        gap = people.reach(a_rig) + people.reach(b_rig) + self.person_scene["obj"][3][0] * 0.9
        t1 = self._walk(0, t, b_left + b_rig.size()[0] / 2 - gap - a_rig.size()[0] / 2)
        t2 = t1 + 0.5
        before, after = self._carry_keys(0, self.person_scene["scene"].start, t1), None
        self._act(0, self.person_scene["scene"].start, t1, "carry", [])
        self._act(0, t1, t2, "hand_over", [("obj", t1 - 0.2), ("obj", t2 + 0.4)], other=self.person_scene["names"][1])
        self._act(1, t1, t2, "reach", [])
        self._act(1, t2, self.person_scene["scene"].end, "carry", [])
        after = self._carry_keys(1, t2, self.person_scene["scene"].end)
        self.person_scene["obj_keys"] = before + after
        return t2 + 0.4

    def _script_pick_up(self, t: float) -> float:
        w = self.w
        self._start(0, w * self.rng.uniform(0.04, 0.14), 1)
        self._start(1, w * self.rng.uniform(0.66, 0.76), -1)
        ox, oy = self._floor_xy(w * self.rng.uniform(0.4, 0.5))
        t1 = self._walk(0, t, self._hands_reach(0, ox, 1))
        t2 = t1 + 0.8
        self._act(0, t1, t2, "pick_up", [("obj", t1 - 0.2), ("obj", t2 + 0.3)])
        self._act(0, t2, self.person_scene["scene"].end, "carry", [])
        held = self._carry_keys(0, t2, self.person_scene["scene"].end)
        self.person_scene["obj_keys"] = [(ms(self.person_scene["scene"].start), ox, oy), (ms(t1 + 0.4), ox, oy)] + held
        return t2 + 0.3

    def _script_put_down(self, t: float) -> float:
        w = self.w
        self._start(0, w * self.rng.uniform(0.04, 0.14), 1)
        self._start(1, w * self.rng.uniform(0.68, 0.78), -1)
        t1 = self._walk(0, t, w * self.rng.uniform(0.3, 0.4))
        t2 = t1 + 0.8
        held = self._carry_keys(0, self.person_scene["scene"].start, t1 + 0.4)
        ox, oy = held[-1][1], self.person_scene["floor"] - self.person_scene["obj"][3][1]
        self._act(0, self.person_scene["scene"].start, t1, "carry", [])
        self._act(0, t1, t2, "put_down", [("obj", t1 - 0.2), ("obj", t2 + 0.3)])
        self.person_scene["obj_keys"] = held[:-1] + [(ms(t1 + 0.4), ox, oy)]
        return t2 + 0.3

    def _script_push(self, t: float) -> float:
        w = self.w
        self._start(0, w * self.rng.uniform(0.02, 0.08), 1)
        self._start(1, w * self.rng.uniform(0.74, 0.8), -1)
        ox, oy = self._floor_xy(w * self.rng.uniform(0.3, 0.36))
        t1 = self._walk(0, t, self._hands_reach(0, ox, 1))
        shift = w * self.rng.uniform(0.12, 0.18)
        t2 = self._walk(0, t1, self.person_scene["keys"][0][-1][1] + shift)
        self._act(0, t1, t2, "push", [("obj", t1 - 0.15), ("obj", t2 + 0.2)])
        self.person_scene["obj_keys"] = [(ms(self.person_scene["scene"].start), ox, oy), (ms(t1), ox, oy),
                                         (ms(t2), round(ox + shift, 1), oy)]
        return t2 + 0.2

    def _gesture(self, t: float) -> None:
        """One of the two waves at the other, or points at the object in front of them with nobody in the way, for
        1.2 s."""
        ps = self.person_scene
        i = self.rng.randrange(2)
        if self.rng.random() < 0.5 or not self._can_point(i, t + 0.6):
            self._act(i, t, t + 1.2, "wave", [("arm", t + 0.6)], other=ps["names"][1 - i])
        else:
            self._act(i, t, t + 1.2, "point", [("arm", t + 0.6)], other=ps["obj"][0])

    def _can_point(self, i: int, t: float) -> bool:
        ps = self.person_scene
        def centre(keys, size):
            return Sprite("", "", "", "", (0, 0, 0), size, 0, 0, sorted(set(keys))).pos(t)[0] + size[0] / 2
        me = centre(ps["keys"][i], ps["rigs"][i].size())
        other = centre(ps["keys"][1 - i], ps["rigs"][1 - i].size())
        obj = centre(ps["obj_keys"], ps["obj"][3])
        facing = ps["rigs"][i].facing_at(t)
        arm = (people.UPPER_ARM + people.FOREARM) * ps["rigs"][i].scale
        clear = (other - me) * facing < 0 or abs(other - me) > arm + ps["rigs"][1 - i].size()[0] / 2
        return (obj - me) * facing > arm / 2 and clear

    # -- sprites and events ----------------------------------------------------------------
    def _people_sprites(self, scene: Scene) -> None:
        ps, S, E = self.person_scene, scene.start, scene.end
        persons = []
        for i, rig in enumerate(ps["rigs"]):
            keys = sorted(set(ps["keys"][i]))
            self.obj_count += 1
            sprite = Sprite(ps["names"][i], "person", "person", ps["names"][i].split()[-2], rig.shirt, rig.size(),
                            ms(S), ms(E - 1 / self.fps), keys, self.obj_count, scene.index, rig=rig)
            self.sprites.append(sprite)
            persons.append(sprite)
            ev = self._event(modality="visual", kind="present", start=ms(S), end=ms(E), subject=sprite.name,
                             scene=scene.index, track=self._track(sprite, S, E))
            ev.probes = [self._torso_probe(sprite, (S + E) / 2)]
        name, shape, colour, size = ps["obj"]
        okeys = sorted({(kt, x, y) for kt, x, y in ps["obj_keys"]})
        self.obj_count += 1
        obj = Sprite(name, "object", shape, colour, COLOURS[colour], size, ms(S), ms(E - 1 / self.fps), okeys,
                     self.obj_count, scene.index)
        self.sprites.append(obj)
        for kind, i, t0, t1, other, wanted in ps["events"]:
            person = persons[i]
            ev = self._event(modality="visual", kind=kind, start=t0, end=t1, subject=person.name, other=other,
                             text=name, scene=scene.index, track=self._track(person, t0, t1))
            probes = [self._torso_probe(person, t0)]
            for what, tt in wanted:
                tt = min(max(tt, S + 1 / self.fps), E - 2 / self.fps)
                if what == "obj":
                    probes.append(self._colour_probe(obj, tt))
                else:
                    probes.append(self._arm_probe(person, kind, self._frame(tt)))
            ev.probes = [p for p in probes if p is not None and self.inside(p.box)]

    def _torso_probe(self, sprite: Sprite, t: float) -> Probe:
        t = self._frame(t)
        x, y = sprite.pos(t)
        box = people.torso_box(sprite.rig, x, y, people.crouch_at(sprite.rig, t))
        return Probe("visual", t, box=self._inner(box, 0.5), expect="colour", rgb=sprite.rgb)

    def _arm_probe(self, sprite: Sprite, act: str, t: float) -> Probe:
        x, y = sprite.pos(t)
        x0, y0, x1, y1 = people.arm_box(sprite.rig, x, y, act, sprite.rig.facing_at(t))
        # the sleeve's middle: a third of its width (YUV 4:2:0 blurs colour edges over two pixels), 60% of its length
        cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
        hw, hh = (hw / 3, hh * 0.6) if act == "wave" else (hw * 0.6, hh / 3)
        box = (round(cx - hw), round(cy - hh), round(cx + hw), round(cy + hh))
        return Probe("visual", t, box=box, expect="colour", rgb=sprite.rgb)
