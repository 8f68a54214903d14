"""The parts professional screens are built from (`omnisynth.generators.gui.archetypes` arranges them):
title bars in three platform looks, menu bars, icon toolbars and ribbons of Breeze icons, trees,
property inspectors, tables, consoles and status bars. Every function returns HTML; sizes are CSS
pixels; each control gets a fresh id from the `Ui` (`ui.oid()`), so the DOM reports it.
"""

from __future__ import annotations

import html

from omnisynth.generators.gui import iconset
from omnisynth.generators.gui.ui import MONO, Ui

LOOKS = ("windows", "macos", "linux")
TOGGLES = (("Visible", "view-visible"), ("Lock", "object-locked"))  # a tree row's toggles: (name prefix, icon), every row
LOOK_CSS = {  # per platform look: title bar height, corner radius, chrome font size
    "windows": ".tb{height:30px;justify-content:space-between}.wb{width:44px;height:30px;border:0;background:transparent}",
    "macos": ".tb{height:28px;justify-content:center;position:relative}.tl{position:absolute;left:10px;display:flex;gap:8px}"
             ".tl button{width:12px;height:12px;border-radius:6px;border:0;padding:0}",
    "linux": ".tb{height:34px;justify-content:space-between}.wb{width:24px;height:24px;border-radius:12px;border:0;"
             "background:var(--hover);margin-left:6px}",
}
PANEL_CSS = """
.tb{display:flex;align-items:center;background:var(--panel);border-bottom:1px solid var(--border);padding:0 8px;font-size:12px}
.mb{display:flex;background:var(--panel);border-bottom:1px solid var(--border);font-size:12px}
.mb button{background:transparent;border:0;padding:3px 9px;cursor:pointer}
.tbr{display:flex;flex-wrap:wrap;align-items:center;background:var(--panel);border-bottom:1px solid var(--border);padding:1px 2px}
.grp{display:flex;align-items:center;border-right:1px solid var(--border);padding:0 3px}
.ti{display:flex;align-items:center;gap:3px;white-space:nowrap;font-size:11px;padding:1px 0;background:transparent;border:0;
 width:100%;text-align:left;cursor:pointer}
.ins{display:grid;grid-template-columns:42% 58%;gap:2px 4px;align-items:center;font-size:11px}
.ins input,.ins select{width:100%;font-size:11px;padding:1px 3px}
.ins input[type=checkbox]{width:auto;justify-self:start}
.hdr{font-weight:bold;font-size:11px;padding:3px 4px;background:var(--bg);border-bottom:1px solid var(--border)}
.sb{display:flex;align-items:center;gap:10px;background:var(--panel);border-top:1px solid var(--border);font-size:11px;padding:1px 6px}
.grid td,.grid th{font-size:11px;padding:1px 4px;white-space:nowrap}
.mono{font-family:""" + MONO + """;font-size:11px;white-space:pre;line-height:1.35}
.rb{display:flex;flex-direction:column;align-items:center;font-size:10px;padding:2px 4px;background:transparent;border:1px solid transparent;cursor:pointer}
"""


def icon(ui: Ui, item: iconset.ThemeIcon, size: int = 16) -> str:
    """An icon-only button: the theme's picture, its name only in aria-label (and the tooltip)."""
    func = f' data-function="{html.escape(item.func)}"' if item.func else ""
    src = iconset.svg_uri(item.name, ui.theme == "dark")
    return (f'<button class="ib sm" data-oid="{ui.oid()}" aria-label="{html.escape(item.label)}" '
            f'title="{html.escape(item.label)}" data-icon="{item.name}"{func}>'
            f'<img src="{src}" width="{size}" height="{size}" alt=""></button>')


def icons(ui: Ui, prefixes: tuple[str, ...], n: int, size: int = 16, context: str = "actions") -> str:
    return "".join(icon(ui, i, size) for i in iconset.pick(ui.rng, prefixes, n, ui.taken, context))


def title_bar(ui: Ui, look: str, title: str) -> str:
    t = html.escape(title)
    if look == "macos":
        lights = "".join(f'<button aria-label="{n}" data-oid="{ui.oid()}" style="background:{c}"></button>'
                         for n, c in (("Close window", "#ff5f57"), ("Minimize window", "#febc2e"),
                                      ("Zoom window", "#28c840")))
        return f'<div class="tb"><div class="tl">{lights}</div><span>{t}</span></div>'
    buttons = "".join(f'<button class="wb" aria-label="{n}" data-oid="{ui.oid()}">{g}</button>'
                      for n, g in (("Minimize window", "&#8211;"), ("Maximize window", "&#9633;"), ("Close window", "&#10005;")))
    return f'<div class="tb"><span>{t}</span><span style="display:flex">{buttons}</span></div>'


def menu_bar(ui: Ui, menus: list[str]) -> str:
    return '<div class="mb" role="menubar">' + "".join(
        f'<button role="menuitem" data-oid="{ui.oid()}">{html.escape(m)}</button>' for m in menus) + "</div>"


def toolbars(ui: Ui, groups: list[tuple[str, ...]], width: int, rows: int = 1, size: int = 16) -> str:
    """`rows` rows of icon groups (each group: icons whose names start with its prefixes), filling `width`."""
    per_row = max(8, width // (size + 8))
    out = []
    for _ in range(rows):
        n_groups = len(groups)
        cells = "".join(f'<div class="grp" role="toolbar">{icons(ui, g, max(3, per_row // n_groups - 1), size)}</div>'
                        for g in ui.rng.sample(groups, n_groups))
        out.append(f'<div class="tbr">{cells}</div>')
    return "".join(out)


def ribbon(ui: Ui, tabs: list[str], groups: list[tuple[str, tuple[str, ...]]], width: int) -> str:
    """An Office-style ribbon: tabs, then named groups of large labelled buttons and small icon buttons."""
    tab_row = ui.tabs(tabs, 1)
    cells = []
    budget = width
    for name, prefixes in groups:
        big = iconset.pick(ui.rng, prefixes, 2, ui.taken)
        if not big:
            continue  # the theme has no (more) icons of the group: no empty group on the ribbon
        large = "".join(f'<button class="rb" data-oid="{ui.oid()}"><img src="{iconset.svg_uri(i.name, ui.theme == "dark")}" '
                        f'width="28" height="28" alt="">{html.escape(i.label)}</button>' for i in big)
        small = icons(ui, prefixes, 12, 16)
        cell = (f'<div class="grp" style="flex-direction:column;padding:2px 6px"><div style="display:flex;align-items:center">'
                f'{large}<div style="display:grid;grid-template-columns:repeat(4,auto)">{small}</div></div>'
                f'<span class="muted" style="font-size:10px">{html.escape(name)}</span></div>')
        budget -= 300
        if budget < 0:
            break
        cells.append(cell)
    return f'<div class="panel" style="border-width:0 0 1px 0">{tab_row}<div style="display:flex">{"".join(cells)}</div></div>'


def tree(ui: Ui, title: str, items: list[tuple[int, str]], toggles: int = 0, icon_prefixes: tuple[str, ...] = ()) -> str:
    """A titled tree: (depth, label) rows as tree items, each with `toggles` small icon buttons (eye,
    lock) and, given `icon_prefixes`, a type icon from the theme."""
    rows = []
    kinds = iconset.pick(ui.rng, icon_prefixes, 6) if icon_prefixes else []
    toggle_icons = TOGGLES[:toggles]
    for depth, label in items:
        pic = (f'<img src="{iconset.svg_uri(ui.rng.choice(kinds).name, ui.theme == "dark")}" width="14" height="14" alt="">'
               if kinds else "")
        marks = "".join(f'<button class="ib sm" data-oid="{ui.oid()}" aria-label="{n} {html.escape(label)}" '
                        f'data-icon="{pic_name}"><img src="{iconset.svg_uri(pic_name, ui.theme == "dark")}" width="14" '
                        f'height="14" alt=""></button>' for n, pic_name in toggle_icons)
        rows.append(f'<div style="display:flex;align-items:center;padding-left:{4 + depth * 12}px">{marks}'
                    f'<button class="ti" role="treeitem" data-oid="{ui.oid()}">{pic}{html.escape(label)}</button></div>')
    return f'<div class="hdr">{html.escape(title)}</div><div role="tree">{"".join(rows)}</div>'


def inspector(ui: Ui, title: str, fields: list[str]) -> str:
    """A property inspector: a text field, number field, drop-down or checkbox per property."""
    rng, cells = ui.rng, []
    for name in fields:
        o = ui.oid()
        kind = rng.random()
        if kind < 0.55:
            value = f"{rng.uniform(0, 500):.{rng.choice([0, 1, 2])}f}" + rng.choice(["", " mm", " px", "°", " %"])
            ctl = f'<input type="text" id="{o}" data-oid="{o}" value="{html.escape(value)}">'
        elif kind < 0.8:
            opts = rng.sample(["Auto", "None", "Solid", "Dashed", "Linear", "Normal", "Multiply", "Screen", "Metric",
                               "Inherit", "Custom", "Default"], 4)
            ctl = f'<select id="{o}" data-oid="{o}">' + "".join(f"<option>{x}</option>" for x in opts) + "</select>"
        else:
            ctl = f'<input type="checkbox" id="{o}" data-oid="{o}"{" checked" if rng.random() < 0.5 else ""}>'
        cells.append(f'<label for="{o}">{html.escape(name)}</label>{ctl}')
    return f'<div class="hdr">{html.escape(title)}</div><div class="ins" style="padding:3px">{"".join(cells)}</div>'


def table(ui: Ui, header: list[str], rows: list[list[str]], clickable: bool = True) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(
        (f'<td role="gridcell" tabindex="0" data-oid="{ui.oid()}">{html.escape(c)}</td>' if clickable and j == 0
         else f"<td>{html.escape(c)}</td>") for j, c in enumerate(row)) + "</tr>" for row in rows)
    return f'<table class="grid" style="width:100%"><tr>{head}</tr>{body}</table>'


def console(ui: Ui, title_tabs: list[str], lines: list[str], prompt: str = "") -> str:
    """A bottom dock: tabs, text lines in monospace, an optional command line (CAD's 'Command:')."""
    body = "\n".join(html.escape(x) for x in lines)
    cmd = ""
    if prompt:
        o = ui.oid()
        cmd = (f'<div class="row" style="gap:4px;font-size:11px"><label for="{o}">{html.escape(prompt)}</label>'
               f'<input type="text" id="{o}" data-oid="{o}" value="" style="flex:1;font-size:11px;padding:1px 3px"></div>')
    return (f'<div class="panel" style="display:flex;flex-direction:column;min-height:0;height:100%">'
            f'<div class="row" style="gap:4px">{ui.tabs(title_tabs, 0)}{icons(ui, ("edit-clear", "view-", "go-"), 4, 14)}</div>'
            f'<div class="mono" style="flex:1;overflow:hidden;padding:2px 6px">{body}</div>{cmd}</div>')


def status_bar(ui: Ui, texts: list[str], n_icons: int = 6) -> str:
    spans = "".join(f'<span class="muted">{html.escape(t)}</span>' for t in texts)
    return (f'<div class="sb">{spans}<span style="margin-left:auto;display:flex">'
            f'{icons(ui, ("zoom-", "view-", "snap", "format-", "go-"), n_icons, 14)}</span></div>')


def tab_strip(ui: Ui, names: list[str]) -> str:
    """Document tabs, each with its close button."""
    tabs = "".join(f'<span style="display:flex;align-items:center"><button class="tab" role="tab" aria-selected='
                   f'"{str(i == 0).lower()}" data-oid="{ui.oid()}">{html.escape(n)}</button><button class="ib sm" '
                   f'data-oid="{ui.oid()}" aria-label="Close {html.escape(n)}" data-icon="close" '
                   f'data-function="closes {html.escape(n)}">&#10005;</button></span>' for i, n in enumerate(names))
    return f'<div class="tabs" role="tablist" style="font-size:11px">{tabs}</div>'
