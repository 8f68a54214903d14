"""The controls a screen is built from: `Ui` writes accessible HTML controls with fresh ids,
in a theme (`THEMES`) and font (`FONTS`); `BASE_CSS` styles them. The screen families that
arrange them live in `omnisynth.generators.gui.layouts`."""

from __future__ import annotations

import html
import json
import random

from omnisynth.generators.content import Content
from omnisynth.generators.gui.icons import ICONS, svg

THEMES = {
    "light": {"bg": "#f5f6f8", "panel": "#ffffff", "fg": "#1d2330", "muted": "#5d6678", "border": "#d5d9e0",
              "accent": "#2f6fde", "accent_fg": "#ffffff", "input": "#ffffff", "hover": "#e8eefb", "unread": "#1d2330"},
    "dark": {"bg": "#1b1e24", "panel": "#24282f", "fg": "#e6e8ec", "muted": "#9aa3b2", "border": "#3a404b",
             "accent": "#5a9bff", "accent_fg": "#0d1117", "input": "#2c313a", "hover": "#2f3744", "unread": "#ffffff"},
}
FONTS = {
    "liberation-sans": "'Liberation Sans', Arial, sans-serif",
    "dejavu-sans": "'DejaVu Sans', Verdana, sans-serif",
    "liberation-serif": "'Liberation Serif', 'Times New Roman', serif",
    "dejavu-condensed": "'DejaVu Sans Condensed', 'DejaVu Sans', sans-serif",
}
MONO = "'DejaVu Sans Mono', 'Liberation Mono', monospace"

BASE_CSS = """
*{box-sizing:border-box} html,body{margin:0;padding:0}
body{background:var(--bg);color:var(--fg);font-family:var(--font);font-size:var(--fs)}
button,input,select,textarea{font:inherit;color:var(--fg);caret-color:transparent}
.btn{background:var(--panel);border:1px solid var(--border);border-radius:4px;padding:5px 12px;cursor:pointer}
.btn.primary{background:var(--accent);color:var(--accent_fg);border-color:var(--accent)}
.ib{background:transparent;border:1px solid transparent;border-radius:3px;padding:3px;line-height:0;cursor:pointer;color:var(--fg)}
.ib.sm{padding:2px}
input[type=text],input[type=email],input[type=search],input[type=number],input[type=password],select,textarea{
 background:var(--input);border:1px solid var(--border);border-radius:3px;padding:4px 6px}
.panel{background:var(--panel);border:1px solid var(--border)}
.row{display:flex;align-items:center;gap:8px}
.col{display:flex;flex-direction:column;gap:6px}
.muted{color:var(--muted)}
a{color:var(--accent);text-decoration:none}
.tabs{display:flex;gap:2px;border-bottom:1px solid var(--border)}
.tab{background:transparent;border:0;border-bottom:2px solid transparent;padding:6px 12px;cursor:pointer;color:var(--muted)}
.tab[aria-selected=true]{border-bottom-color:var(--accent);color:var(--fg);font-weight:bold}
.switch{width:38px;height:20px;border-radius:10px;border:1px solid var(--border);background:var(--input);position:relative;padding:0}
.switch[aria-checked=true]{background:var(--accent)}
.switch::after{content:'';position:absolute;top:2px;left:2px;width:14px;height:14px;border-radius:7px;background:var(--muted)}
.switch[aria-checked=true]::after{left:20px;background:var(--accent_fg)}
table{border-collapse:collapse} td,th{border:1px solid var(--border);padding:3px 8px;text-align:left}
.menu{position:absolute;background:var(--panel);border:1px solid var(--border);box-shadow:0 4px 14px rgba(0,0,0,.35);
 padding:4px 0;min-width:190px;z-index:10}
.menu [role=menuitem]{display:flex;justify-content:space-between;gap:24px;padding:5px 14px;cursor:pointer;background:transparent;border:0;width:100%;text-align:left}
.menu hr{border:0;border-top:1px solid var(--border);margin:4px 0}
"""


class Ui:
    """Writes controls with fresh ids; `rng`/`c` are the sample's random stream and content."""

    def __init__(self, rng: random.Random, theme: str, font: str, font_size: int, archetype: str = "", look: str = "",
                 language: str = "en"):
        self.rng, self.theme, self.font, self.font_size = rng, theme, font, font_size
        self.language = language  # zh | ja: running text in that language, interface words by gui.locale
        self.archetype, self.look = archetype, look  # professional screens (omnisynth.generators.gui.archetypes)
        prose = None
        if archetype or language != "en":  # real text (the bundled handbook) in documents, consoles, lists
            from omnisynth.generators.handbook import handbook

            prose = handbook(language)
        self.c = Content(rng, language, prose)
        self.n = 0
        self.taken: set[str] = set()  # theme icons already on the screen: each at most once
        self.app: dict | None = None  # family app: the page's menus, dialogs and fields (omnisynth.generators.gui.app)

    def oid(self) -> str:
        self.n += 1
        return f"e{self.n}"

    # controls ------------------------------------------------------------------------------
    def button(self, label: str, primary: bool = False, icon: str | None = None, style: str = "") -> str:
        inner = (svg(icon, 14) + " " if icon else "") + html.escape(label)
        cls = "btn primary" if primary else "btn"
        return f'<button class="{cls}" data-oid="{self.oid()}" style="{style}">{inner}</button>'

    def icon_button(self, name: str, size: int = 16, small: bool = False) -> str:
        label, func, _ = ICONS[name]
        cls = "ib sm" if small else "ib"
        return (f'<button class="{cls}" data-oid="{self.oid()}" aria-label="{label}" title="{label}" '
                f'data-icon="{name}" data-function="{html.escape(func)}">{svg(name, size)}</button>')

    def toolbar(self, names: list[str], size: int = 16, small: bool = False, vertical: bool = False) -> str:
        direction = "column" if vertical else "row"
        buttons = "".join(self.icon_button(n, size, small) for n in names)
        return f'<div role="toolbar" style="display:flex;flex-direction:{direction};gap:1px">{buttons}</div>'

    def link(self, text: str, icon: str | None = None) -> str:
        inner = (svg(icon, 14) + " " if icon else "") + html.escape(text)
        return f'<a href="#{self.oid()}" data-oid="e{self.n}">{inner}</a>'

    def field(self, label: str, value: str = "", kind: str = "text", placeholder: str = "", width: int = 220) -> str:
        o = self.oid()
        return (f'<label for="{o}" class="muted" style="display:block;font-size:.9em">{html.escape(label)}</label>'
                f'<input id="{o}" data-oid="{o}" type="{kind}" value="{html.escape(value)}" '
                f'placeholder="{html.escape(placeholder)}" style="width:{width}px">')

    def select(self, label: str, options: list[str], selected: int = 0, width: int = 220) -> str:
        o = self.oid()
        opts = "".join(f'<option{" selected" if i == selected else ""}>{html.escape(t)}</option>'
                       for i, t in enumerate(options))
        return (f'<label for="{o}" class="muted" style="display:block;font-size:.9em">{html.escape(label)}</label>'
                f'<select id="{o}" data-oid="{o}" style="width:{width}px">{opts}</select>')

    def checkbox(self, label: str, checked: bool = False) -> str:
        o = self.oid()
        return (f'<div class="row"><input type="checkbox" id="{o}" data-oid="{o}"{" checked" if checked else ""}>'
                f'<label for="{o}">{html.escape(label)}</label></div>')

    def radio(self, group: str, label: str, checked: bool = False) -> str:
        o = self.oid()
        return (f'<div class="row"><input type="radio" name="{group}" id="{o}" data-oid="{o}"'
                f'{" checked" if checked else ""}><label for="{o}">{html.escape(label)}</label></div>')

    def switch(self, label: str, on: bool) -> str:
        o = self.oid()
        return (f'<div class="row" style="justify-content:space-between;width:100%"><span id="l{o}">{html.escape(label)}</span>'
                f'<button class="switch" role="switch" aria-checked="{str(on).lower()}" aria-labelledby="l{o}" '
                f'data-oid="{o}" onclick="this.setAttribute(\'aria-checked\', this.getAttribute(\'aria-checked\')'
                f'===\'true\'?\'false\':\'true\')"></button></div>')

    def tabs(self, labels: list[str], selected: int) -> str:
        tabs = "".join(f'<button class="tab" role="tab" aria-selected="{str(i == selected).lower()}" '
                       f'data-oid="{self.oid()}">{html.escape(t)}</button>' for i, t in enumerate(labels))
        return f'<div class="tabs" role="tablist">{tabs}</div>'

    def fact(self, kind: str, text: str, attrs: dict, tag: str = "span", style: str = "") -> str:
        a = html.escape(json.dumps(attrs, sort_keys=True))
        return f'<{tag} data-fact="{kind}" data-attrs="{a}" style="{style}">{html.escape(text)}</{tag}>'

    def words(self, lo: int, hi: int) -> str:
        return self.c.words(self.rng.randint(lo, hi)).capitalize()

    def labels(self, pool: list[str], n: int) -> list[str]:
        return self.rng.sample(pool, min(n, len(pool)))
