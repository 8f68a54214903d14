"""What professional screens show in their main area: code, drawings with dimensions, 3D wireframes,
circuit boards and schematics, pictures, timelines, plots, sheets, slides, mail, terminals, files,
settings and process tables. Each function fills a `w` x `h` CSS-pixel area; text in them is content
(the DOM's screen text), clickable cells and rows are controls.
"""

from __future__ import annotations

import html
import math

from omnisynth.generators.gui import iconset
from omnisynth.generators.gui.panels import table
from omnisynth.generators.gui.ui import Ui

KEYWORDS = ["def", "return", "if", "for", "while", "import", "class", "with", "yield", "lambda"]
CODE = ["def {f}({a}, {b}):", "    {a} = {g}({a}, {b})", "    if {a} > {n}:", "        return {g}({b}, {n})",
        "    for {b} in range({n}):", "        {a}.append({f}({b}))", "    return {a}", "", "class {C}:",
        "    def __init__(self, {a}):", "        self.{a} = {a}", "import {m}", "from {m} import {g}",
        "    with open({s}) as {b}:", "        {a} = {m}.load({b})", "# {comment}"]


def _words(ui: Ui) -> dict:
    c, rng = ui.c, ui.rng
    w = lambda: c.words(1).lower().replace(" ", "_")  # noqa: E731
    return {"f": w(), "g": w(), "a": w(), "b": w(), "n": rng.randint(2, 999), "C": c.words(1).title().replace(" ", ""),
            "m": w(), "s": repr(f"{w()}.json"), "comment": c.sentence(3, 8)}


def code(ui: Ui, w: int, h: int) -> str:
    """Numbered source lines with a breakpoint gutter (each line's gutter is a control)."""
    lines, rng = [], ui.rng
    for n in range(1, h // 16):
        text = html.escape(rng.choice(CODE).format(**_words(ui)))
        for k in KEYWORDS:
            text = text.replace(f"{k} ", f'<b style="color:var(--accent)">{k}</b> ', 1)
        mark = f'<button class="ib sm" data-oid="{ui.oid()}" aria-label="Breakpoint at line {n}" data-icon="breakpoint" ' \
               f'style="width:12px;height:12px;padding:0;line-height:10px;color:#d33">&#9679;</button>' \
            if rng.random() < 0.08 else '<span style="display:inline-block;width:12px"></span>'
        lines.append(f'<div style="display:flex;gap:6px">{mark}<span class="muted" style="width:34px;text-align:right">'
                     f'{n}</span><span>{text}</span></div>')
    return f'<div class="mono" style="padding:2px">{"".join(lines)}</div>'


def _svg(w: int, h: int, body: str, bg: str = "var(--bg)") -> str:
    return f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" style="background:{bg};display:block">{body}</svg>'


def drawing(ui: Ui, w: int, h: int) -> str:
    """A 2D drafting sheet: outlines, holes, centre lines and dimensions with their values, a title block."""
    rng, parts = ui.rng, []
    for _ in range(rng.randint(5, 9)):
        x, y = rng.randint(40, max(41, w - 420)), rng.randint(40, max(41, h - 300))
        bw, bh = rng.randint(120, 380), rng.randint(80, 260)
        parts.append(f'<rect x="{x}" y="{y}" width="{bw}" height="{bh}" fill="none" stroke="var(--fg)" stroke-width="1.4"/>')
        for _ in range(rng.randint(0, 3)):
            r, cx, cy = rng.randint(6, 24), x + rng.randint(30, bw - 30), y + rng.randint(25, max(26, bh - 25))
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="var(--fg)"/><path d="M{cx - r - 6} {cy}'
                         f'H{cx + r + 6}M{cx} {cy - r - 6}V{cy + r + 6}" stroke="var(--accent)" stroke-dasharray="6 3"/>')
        parts.append(f'<path d="M{x} {y + bh + 18}H{x + bw}M{x} {y + bh + 12}v12M{x + bw} {y + bh + 12}v12" stroke="var(--muted)"/>'
                     f'<text x="{x + bw / 2}" y="{y + bh + 32}" font-size="11" text-anchor="middle" fill="var(--fg)">'
                     f'{bw * rng.choice([0.5, 1, 2.5]):.1f}</text>')
    tb = " ".join(f'<text x="{w - 380}" y="{h - 80 + 16 * i}" font-size="11" fill="var(--fg)">{html.escape(t)}</text>'
                  for i, t in enumerate([f"DRAWING No. {rng.randint(1000, 9999)}-{rng.randint(1, 99):02d}",
                                         f"SCALE 1:{rng.choice([1, 2, 5, 10, 20])}", f"MATERIAL {ui.c.words(1).upper()}",
                                         f"DRAWN {ui.c.words(1).title()}"]))
    grid = f'<path d="{"".join(f"M{x} 0V{h}" for x in range(0, w, 50))}" stroke="var(--border)" stroke-width=".4"/>'
    return _svg(w, h, grid + "".join(parts) + f'<rect x="{w - 390}" y="{h - 100}" width="380" height="90" fill="none" '
                f'stroke="var(--fg)"/>{tb}')


def model3d(ui: Ui, w: int, h: int) -> str:
    """A shaded-wireframe part in isometric view with an axis gizmo and a view cube."""
    rng, cx, cy, s = ui.rng, w / 2, h / 2, min(w, h) / 5
    iso = lambda x, y, z: (cx + (x - y) * s * 0.87, cy + (x + y) * s * 0.5 - z * s)  # noqa: E731
    faces = []
    for _ in range(rng.randint(3, 6)):
        x0, y0, z0 = rng.uniform(-1.5, 1), rng.uniform(-1.5, 1), rng.uniform(-0.5, 0.8)
        dx, dy, dz = rng.uniform(0.4, 1.2), rng.uniform(0.4, 1.2), rng.uniform(0.2, 0.9)
        for quad, shade in ((((0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)), 0.9), (((1, 0, 0), (1, 1, 0), (1, 1, 1), (1, 0, 1)), 0.6),
                            (((0, 1, 0), (1, 1, 0), (1, 1, 1), (0, 1, 1)), 0.4)):
            pts = " ".join(f"{px:.1f},{py:.1f}" for px, py in (iso(x0 + a * dx, y0 + b * dy, z0 + c * dz) for a, b, c in quad))
            faces.append(f'<polygon points="{pts}" fill="rgba(120,150,200,{shade})" stroke="var(--fg)" stroke-width=".8"/>')
    gizmo = "".join(f'<path d="M60 {h - 60}l{dx} {dy}" stroke="{c}" stroke-width="2"/><text x="{60 + dx * 1.2}" '
                    f'y="{h - 60 + dy * 1.2}" font-size="11" fill="{c}">{n}</text>'
                    for n, dx, dy, c in (("X", 34, 18, "#d33"), ("Y", -34, 18, "#3a3"), ("Z", 0, -40, "#36d")))
    return _svg(w, h, "".join(faces) + gizmo)


def board(ui: Ui, w: int, h: int) -> str:
    """A circuit board: traces, pads, vias and reference designators (R12, C3, U1)."""
    rng, body = ui.rng, []
    for _ in range(rng.randint(60, 120)):
        x, y = rng.randint(20, w - 20), rng.randint(20, h - 20)
        body.append(f'<path d="M{x} {y}h{rng.randint(-200, 200)}v{rng.randint(-120, 120)}" stroke="#c8782a" '
                    f'stroke-width="{rng.choice([2, 3, 5])}" fill="none"/>')
    for _ in range(rng.randint(15, 30)):
        x, y = rng.randint(40, w - 80), rng.randint(40, h - 60)
        ref = f"{rng.choice('RCUQDL')}{rng.randint(1, 64)}"
        body.append(f'<rect x="{x}" y="{y}" width="{rng.randint(20, 60)}" height="{rng.randint(12, 40)}" fill="#d9c25b"/>'
                    f'<text x="{x}" y="{y - 3}" font-size="10" fill="#f0f0f0">{ref}</text>')
    return _svg(w, h, "".join(body), "#0f3d1f")


def schematic(ui: Ui, w: int, h: int) -> str:
    """A schematic sheet: resistor and capacitor symbols with values, wires, net labels."""
    rng, body = ui.rng, []
    for _ in range(rng.randint(12, 24)):
        x, y = rng.randint(40, w - 140), rng.randint(40, h - 80)
        ref, val = rng.choice([("R", "k"), ("C", "nF"), ("L", "uH")])
        body.append(f'<path d="M{x} {y}h20l5-8 10 16 10-16 10 16 5-8h20" stroke="var(--fg)" fill="none"/>'
                    f'<text x="{x + 20}" y="{y - 12}" font-size="10" fill="var(--fg)">{ref}{rng.randint(1, 99)} '
                    f'{rng.choice([1, 2.2, 4.7, 10, 47, 100])}{val}</text><path d="M{x + 80} {y}h{rng.randint(20, 120)}" '
                    f'stroke="var(--accent)"/>')
    return _svg(w, h, "".join(body))


def picture(ui: Ui, w: int, h: int) -> str:
    """A landscape picture being edited: sky, hills, sun, selection marquee, guides."""
    rng = ui.rng
    hills = "".join(f'<path d="M0 {h * rng.uniform(.5, .75):.0f} Q{w * rng.uniform(.2, .8):.0f} {h * rng.uniform(.3, .6):.0f} '
                    f'{w} {h * rng.uniform(.5, .8):.0f} V{h} H0z" fill="hsl({rng.randint(80, 140)},40%,{rng.randint(25, 45)}%)"/>'
                    for _ in range(3))
    sun = f'<circle cx="{w * rng.uniform(.2, .8):.0f}" cy="{h * .25:.0f}" r="{min(w, h) * .07:.0f}" fill="#ffd45a"/>'
    sel = (f'<rect x="{w * .3:.0f}" y="{h * .3:.0f}" width="{w * .25:.0f}" height="{h * .2:.0f}" fill="none" '
           'stroke="#fff" stroke-dasharray="5 4"/>')
    return _svg(w, h, f'<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#5d8fd8"/>'
                f'<stop offset="1" stop-color="#cfe3f7"/></linearGradient></defs><rect width="{w}" height="{h}" '
                f'fill="url(#sky)"/>{sun}{hills}{sel}')


def plot(ui: Ui, w: int, h: int) -> str:
    """A 2D plot with axes, ticks, grid, two series and a legend."""
    rng, ml, mb = ui.rng, 60, 40
    body = [f'<path d="M{ml} 10V{h - mb}H{w - 10}" stroke="var(--fg)" fill="none"/>']
    for i in range(11):
        x, y = ml + i * (w - ml - 10) / 10, h - mb - i * (h - mb - 10) / 10
        body.append(f'<path d="M{x:.0f} {h - mb}v5M{ml - 5} {y:.0f}h5" stroke="var(--fg)"/><text x="{x:.0f}" y="{h - mb + 18}" '
                    f'font-size="10" text-anchor="middle" fill="var(--fg)">{i * 10}</text><text x="{ml - 8}" y="{y + 4:.0f}" '
                    f'font-size="10" text-anchor="end" fill="var(--fg)">{i / 10:.1f}</text>')
    for k, colour in enumerate(("#1f77b4", "#d62728")):
        f, p = rng.uniform(1, 4), rng.uniform(0, 3)
        pts = " ".join(f"{ml + i * (w - ml - 10) / 200:.1f},{h - mb - (0.5 + 0.4 * math.sin(f * i / 30 + p) * math.exp(-i / 300)) * (h - mb - 10):.1f}"
                       for i in range(201))
        body.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
                    f'<text x="{w - 160}" y="{24 + 16 * k}" font-size="11" fill="{colour}">{html.escape(ui.c.words(2))}</text>')
    return _svg(w, h, "".join(body))


def tracks(ui: Ui, w: int, h: int) -> str:
    """An editing timeline: a ruler, then video and audio tracks, each with mute/lock buttons and clips."""
    rng, rows = ui.rng, []
    n = max(3, (h - 24) // 34)
    ruler = "".join(f'<span style="position:absolute;left:{130 + i * 80}px;font-size:10px" class="muted">'
                    f'00:{i // 6:02d}:{(i % 6) * 10:02d}</span>' for i in range((w - 140) // 80))
    for t in range(n):
        name = f"{'V' if t < n // 2 else 'A'}{t + 1}"
        heads = "".join(f'<button class="ib sm" data-oid="{ui.oid()}" aria-label="{a} track {name}" data-icon="{a.lower()}">'
                        f'{a[0]}</button>' for a in ("Mute", "Lock", "Solo"))
        x, clips = 130, []
        while x < w - 60:
            cw = rng.randint(60, 300)
            clips.append(f'<button data-oid="{ui.oid()}" style="position:absolute;left:{x}px;width:{min(cw, w - x - 10)}px;'
                         f'height:26px;font-size:10px;overflow:hidden;background:hsl({rng.randint(180, 280)},45%,55%);'
                         f'border:1px solid var(--border);color:#fff;text-align:left">{html.escape(ui.c.words(1))}_{rng.randint(1, 99)}'
                         f'.{rng.choice(["mp4", "mov", "wav"])}</button>')
            x += cw + rng.randint(0, 40)
        rows.append(f'<div style="position:relative;height:32px;border-bottom:1px solid var(--border)"><span '
                    f'style="position:absolute;left:4px;top:6px;font-size:11px">{name} {heads}</span>{"".join(clips)}</div>')
    return f'<div style="position:relative;height:20px">{ruler}</div>{"".join(rows)}'


def sheet(ui: Ui, w: int, h: int, cols: int | None = None) -> str:
    """A grid of cells (row numbers, column letters), numbers and labels; every cell is a grid cell."""
    rng = ui.rng
    cols = cols or max(4, min(26, w // 90))
    rows = max(4, h // 21 - 1)
    head = "".join(f"<th>{chr(65 + j)}</th>" for j in range(cols))
    body = []
    for i in range(1, rows):
        cells = "".join(f'<td role="gridcell" data-oid="{ui.oid()}">'
                        f'{html.escape(ui.c.words(1) if j == 0 else f"{rng.uniform(0, 9999):,.2f}")}</td>' for j in range(cols))
        body.append(f'<tr><th>{i}</th>{cells}</tr>')
    return f'<table class="grid" style="width:100%"><tr><th></th>{head}</tr>{"".join(body)}</table>'


def mail_list(ui: Ui, w: int, h: int) -> str:
    rng = ui.rng
    rows = [[ui.c.words(2).title(), ui.c.sentence(4, 9), f"{rng.randint(1, 28)} {rng.choice(['Mar', 'Apr', 'May'])}"]
            for _ in range(max(3, h // 22 - 1))]
    return table(ui, ["From", "Subject", "Received"], rows)


def terminal(ui: Ui, w: int, h: int) -> str:
    rng, lines = ui.rng, []
    for _ in range(max(3, h // 15)):
        lines.append(rng.choice([f"$ {rng.choice(['ls -la', 'git status', 'make -j8', 'top -b -n1', 'df -h'])}",
                                 f"drwxr-xr-x  {rng.randint(2, 9)} user user {rng.randint(1024, 99999):>6} "
                                 f"{ui.c.words(1).replace(' ', '_')}", f"[{rng.randint(1, 99):>3}%] Building {ui.c.words(1)}.o",
                                 ui.c.sentence(4, 10)]))
    return f'<div class="mono" style="padding:4px;background:#101317;color:#d6e2d6;height:100%">{html.escape(chr(10).join(lines))}</div>'


def files(ui: Ui, w: int, h: int) -> str:
    """Files and folders as an icon grid: each a button with its type icon and name."""
    rng = ui.rng
    kinds = iconset.pick(rng, ("",), 40, set(), "mimetypes") + iconset.pick(rng, ("folder",), 8, set(), "places")
    per_row, rows = max(4, w // 110), max(2, h // 96)
    cells = []
    for _ in range(per_row * rows):
        k = rng.choice(kinds)
        name = f"{ui.c.words(1).replace(' ', '_')}_{rng.randint(1, 999)}"
        cells.append(f'<button data-oid="{ui.oid()}" style="width:100px;height:88px;display:flex;flex-direction:column;'
                     f'align-items:center;background:transparent;border:0;font-size:11px;overflow:hidden">'
                     f'<img src="{iconset.svg_uri(k.name, ui.theme == "dark")}" width="48" height="48" alt="">{name}</button>')
    return f'<div style="display:flex;flex-wrap:wrap;gap:6px;padding:6px">{"".join(cells)}</div>'


def settings_rows(ui: Ui, w: int, h: int) -> str:
    """Settings in two columns of sections: switches, drop-downs and 'Change...' buttons."""
    rng, cols = ui.rng, []
    for _ in range(2 if w > 1600 else 1):
        rows = []
        for k in range(max(3, h // 40)):
            name = " ".join(ui.c.sentence(2, 4).rstrip(".").split()[:4])
            kind = rng.random()
            if k % 8 == 0:
                rows.append(f'<h3 style="margin:14px 0 4px">{html.escape(ui.c.words(2).title())}</h3>')
            elif kind < 0.5:
                rows.append(ui.switch(name, rng.random() < 0.5))
            elif kind < 0.8:
                rows.append(ui.select(name, ["Automatic", "Always", "Never", "Ask"], rng.randrange(4), 200))
            else:
                rows.append(f'<div class="row" style="justify-content:space-between"><span>{html.escape(name)}</span>'
                            f'{ui.button("Change...")}</div>')
        cols.append(f'<div class="col" style="flex:1;padding:10px 24px">{"".join(rows)}</div>')
    return f'<div style="display:flex">{"".join(cols)}</div>'


def processes(ui: Ui, w: int, h: int) -> str:
    rng = ui.rng
    rows = [[f"{ui.c.words(1).replace(' ', '-')}", str(rng.randint(100, 99999)), f"{rng.uniform(0, 99):.1f}",
             f"{rng.uniform(1, 4000):.1f} MB", rng.choice(["Running", "Sleeping", "Idle"]), ui.c.words(1)]
            for _ in range(max(3, h // 21 - 1))]
    return table(ui, ["Process", "PID", "CPU %", "Memory", "State", "User"], rows)


def slides(ui: Ui, w: int, h: int) -> str:
    """A slide being edited: title, bullets, a chart."""
    bullets = "".join(f"<li>{html.escape(ui.c.sentence(4, 9))}</li>" for _ in range(ui.rng.randint(3, 5)))
    return (f'<div style="margin:24px auto;width:{int(w * .8)}px;height:{int(w * .45)}px;background:#fff;color:#222;'
            f'box-shadow:0 2px 10px rgba(0,0,0,.3);padding:40px"><h1 style="margin:0 0 20px">{html.escape(ui.c.sentence(3, 6))}'
            f'</h1><ul style="font-size:22px;width:55%;float:left">{bullets}</ul><div style="float:right;width:38%">'
            f'{plot(ui, int(w * .3), int(w * .2))}</div></div>')


def document_page(ui: Ui, w: int, h: int) -> str:
    """A word processor's page: a ruler with tab stops (controls), a heading, paragraphs, a small table."""
    rng = ui.rng
    stops = "".join(f'<button data-oid="{ui.oid()}" aria-label="Tab stop at {x / 40:.2f} in" data-icon="tabstop" '
                    f'style="position:absolute;left:{x}px;top:2px;width:9px;height:9px;padding:0;border:0;'
                    f'background:var(--fg);clip-path:polygon(0 0,100% 100%,0 100%)"></button>'
                    for x in sorted(rng.sample(range(40, int(w * .6), 20), 6)))
    paras = "".join(f'<p style="margin:0 0 10px">{html.escape(" ".join(ui.c.sentence(6, 14) for _ in range(rng.randint(2, 5))))}</p>'
                    for _ in range(max(2, h // 140)))
    return (f'<div style="position:relative;height:14px;margin:4px {int(w * .18)}px;border-bottom:1px solid var(--border)">'
            f'{stops}</div><div style="margin:8px auto;width:{int(w * .62)}px;min-height:{h}px;background:#fff;color:#222;'
            f'padding:60px 70px;font-family:\'Liberation Serif\',serif;font-size:15px;box-shadow:0 1px 6px rgba(0,0,0,.25)">'
            f'<h2>{html.escape(ui.c.sentence(3, 7))}</h2>{paras}</div>')


VIEWPORTS = {"code": code, "drawing": drawing, "model3d": model3d, "board": board, "schematic": schematic,
             "picture": picture, "plot": plot, "tracks": tracks, "sheet": sheet, "mail": mail_list,
             "terminal": terminal, "files": files, "settings": settings_rows, "processes": processes, "slides": slides,
             "page": document_page}
