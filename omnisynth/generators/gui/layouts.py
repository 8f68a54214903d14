"""Procedural GUI screens: self-contained HTML/CSS/inline SVG, one builder per family.

A builder draws from the sample's random stream and returns the page body. Controls are
real HTML controls (buttons, inputs, selects, switches, tabs, menu items, tree items) with
accessible names, marked `data-oid` so a trajectory can find them again; facts the
questions may ask about (a KPI value, a spreadsheet cell, an unread message) are marked
`data-fact`. None of this is ground truth by itself: the generator reads roles, names,
states and boxes back from the live DOM after layout.
"""

from __future__ import annotations

import html

from omnisynth.generators.content import fmt_money
from omnisynth.generators.gui.icons import TOOLBAR_SETS
from omnisynth.generators.gui.ui import BASE_CSS, FONTS, MONO, THEMES, Ui


NAV = ["Overview", "Analytics", "Customers", "Orders", "Products", "Invoices", "Reports", "Messages", "Calendar",
       "Team", "Integrations", "Billing", "Projects", "Inventory", "Support"]
NAV_ICONS = ["home", "chart", "user", "list", "grid", "print", "filter", "mail", "star", "share", "refresh", "lock",
             "layers", "archive", "help"]
KPIS = ["Revenue", "Active users", "New orders", "Refunds", "Conversion rate", "Open tickets", "Churn",
        "Avg. order value", "Sessions", "Signups"]
SETTINGS_SWITCHES = ["Auto-save", "Dark mode", "Email notifications", "Two-factor authentication", "Sync over Wi-Fi only",
                     "Show line numbers", "Spell check", "Desktop alerts", "Location access", "Beta features",
                     "Compact layout", "Sound effects"]
LANGUAGES = ["English", "Deutsch", "Español", "Français", "Italiano", "Português", "Nederlands", "Polski"]
TIMEZONES = ["UTC", "Europe/Lisbon", "Europe/Berlin", "America/New_York", "America/Denver", "Asia/Tokyo",
             "Australia/Perth"]
FREQUENCIES = ["Never", "Daily", "Weekly", "Monthly"]
MENU_BAR = ["File", "Edit", "View", "Insert", "Format", "Object", "Select", "Filter", "Window", "Tools", "Help"]


def dashboard(ui: Ui, vw: int, vh: int) -> str:
    c, rng = ui.c, ui.rng
    nav = "".join(f'<div style="padding:6px 4px">{ui.link(t, i)}</div>'
                  for t, i in rng.sample(list(zip(NAV, NAV_ICONS, strict=False)), rng.randint(6, 10)))
    kpis = ""
    for name in ui.labels(KPIS, rng.randint(3, 5)):
        if name in ("Revenue", "Refunds", "Avg. order value"):  # each KPI in the unit it is counted in
            value = f"${rng.randint(1, 999)},{rng.randint(100, 999)}" if name != "Avg. order value" else f"${rng.randint(20, 400)}.{rng.randint(0, 99):02d}"
        elif name in ("Conversion rate", "Churn"):
            value = f"{rng.randint(1, 30)}.{rng.randint(0, 9)}%"
        else:
            value = f"{rng.randint(100, 99999):,}"
        kpis += (f'<div class="panel" style="padding:12px;flex:1;min-width:150px"><div class="muted">{name}</div>'
                 + ui.fact("kpi", value, {"label": name}, "div", "font-size:1.6em;font-weight:bold") + "</div>")
    rows = ""
    for _ in range(rng.randint(4, 8)):
        rows += (f"<tr><td>{c.code('ORD')}</td><td>{c.person()}</td><td>{c.date()}</td>"
                 f"<td>{fmt_money(c.money())}</td><td>{ui.button('View')} {ui.icon_button('more', 14, True)}</td></tr>")
    table = ("<table style='width:100%'><tr><th>Order</th><th>Customer</th><th>Date</th><th>Total</th><th></th></tr>"
             f"{rows}</table>")
    return f"""
<div style="display:flex;min-height:{vh}px">
 <nav class="panel" style="width:210px;padding:12px"><div style="font-weight:bold;margin-bottom:12px">{c.company()}</div>{nav}</nav>
 <main style="flex:1;padding:16px" class="col">
  <div class="row" style="justify-content:space-between">
   <input type="search" data-oid="{ui.oid()}" aria-label="Search" placeholder="Search…" style="width:260px">
   <div class="row">{ui.icon_button('bell')}{ui.icon_button('mail')}{ui.icon_button('user')}</div></div>
  {ui.tabs(ui.labels(['Overview', 'Reports', 'Exports', 'Audience', 'Alerts'], 4), rng.randrange(4))}
  <div class="row" style="flex-wrap:wrap">{kpis}</div>
  <div class="panel" style="padding:12px"><div class="row" style="justify-content:space-between">
   <b>Recent orders</b><div class="row">{ui.button('Export')}{ui.button('New order', True, 'plus')}</div></div>{table}</div>
 </main></div>"""


def settings(ui: Ui, vw: int, vh: int) -> str:
    rng, c = ui.rng, ui.c
    cats = ui.labels(["General", "Account", "Privacy", "Notifications", "Appearance", "Editor", "Network", "Advanced"], 6)
    side = "".join(f'<button class="tab" role="tab" aria-selected="{str(i == 0).lower()}" data-oid="{ui.oid()}" '
                   f'style="display:block;width:100%;text-align:left">{t}</button>' for i, t in enumerate(cats))
    switches = "".join(f'<div style="padding:6px 0">{ui.switch(s, rng.random() < 0.5)}</div>'
                       for s in ui.labels(SETTINGS_SWITCHES, rng.randint(4, 8)))
    checks = "".join(ui.checkbox(t, rng.random() < 0.4) for t in
                     ui.labels(["Send usage statistics", "Check for updates", "Open links in new tab",
                                "Remember window size", "Start minimised", "Confirm before closing"], 3))
    radios = "".join(ui.radio("density", t, i == 1) for i, t in enumerate(["Comfortable", "Cozy", "Compact"]))
    return f"""
<div style="display:flex;min-height:{vh}px">
 <div class="panel" role="tablist" aria-orientation="vertical" style="width:220px;padding:12px"><b>{cats[0]} settings</b>{side}</div>
 <main style="flex:1;padding:20px;max-width:760px" class="col">
  <h2 style="margin:0">{cats[0]}</h2>
  <div class="panel col" style="padding:14px">
   {ui.field('Display name', c.person())}{ui.field('Email address', c.email(), 'email')}
   {ui.select('Language', LANGUAGES, rng.randrange(len(LANGUAGES)))}{ui.select('Time zone', TIMEZONES, rng.randrange(len(TIMEZONES)))}
   {ui.select('Digest frequency', FREQUENCIES, rng.randrange(len(FREQUENCIES)))}</div>
  <div class="panel col" style="padding:14px">{switches}</div>
  <div class="panel col" style="padding:14px"><b>Density</b>{radios}{checks}</div>
  <div class="row" style="justify-content:flex-end">{ui.button('Cancel')}{ui.button('Save changes', True)}</div>
 </main></div>"""


def form(ui: Ui, vw: int, vh: int) -> str:
    rng, c = ui.rng, ui.c
    title = rng.choice(["Create account", "Checkout", "Book an appointment", "Job application", "Shipping details"])
    fields = [("First name", ""), ("Last name", ""), ("Email", ""), ("Phone", c.phone()), ("Company", c.company()),
              ("Street address", ""), ("City", c.city()), ("Postal code", "")]
    fields = ui.labels(fields, rng.randint(4, 7))
    inputs = "".join(f'<div>{ui.field(lab, val if rng.random() < 0.5 else "", placeholder=lab)}</div>'
                     for lab, val in fields)
    return f"""
<div style="display:flex;justify-content:center;padding:24px;min-height:{vh}px">
 <form class="panel col" style="padding:24px;width:560px" onsubmit="return false">
  <h2 style="margin:0 0 8px">{title}</h2>
  <div style="display:grid;grid-template-columns:1fr 1fr;gap:10px">{inputs}</div>
  <div>{ui.select('Country', ['Portugal', 'Norway', 'United States', 'France', 'Japan', 'Egypt', 'Ecuador'], rng.randrange(7))}</div>
  <div>{ui.select('Plan', ['Free', 'Starter', 'Team', 'Enterprise'], rng.randrange(4))}</div>
  <label for="{ui.oid()}" class="muted">Notes</label><textarea id="e{ui.n}" data-oid="e{ui.n}" rows="3"></textarea>
  {ui.checkbox('I agree to the terms', False)}{ui.checkbox('Subscribe to the newsletter', rng.random() < 0.5)}
  <div class="row" style="justify-content:flex-end">{ui.button('Back')}{ui.button('Submit', True)}</div>
 </form></div>"""


def mail(ui: Ui, vw: int, vh: int) -> str:
    rng, c = ui.rng, ui.c
    folders = ["Inbox", "Starred", "Sent", "Drafts", "Spam", "Trash"]
    rows, unread = "", 0
    for _ in range(rng.randint(6, 12)):
        is_unread = rng.random() < 0.4
        unread += is_unread
        weight = "bold" if is_unread else "normal"
        subj = ui.words(3, 6)
        fact = ui.fact("message", subj, {"unread": is_unread}, "span")
        rows += (f'<div class="row" style="padding:6px 8px;border-bottom:1px solid var(--border);font-weight:{weight}">'
                 f'<input type="checkbox" data-oid="{ui.oid()}" aria-label="Select {html.escape(subj)}">'
                 f'<span style="width:140px">{c.person()}</span><span style="flex:1">{fact}</span>'
                 f'<span class="muted">{c.date()}</span></div>')
    side = "".join(f'<div style="padding:5px 0">{ui.link(f)}{" " + ui.fact("unread_count", str(unread), {}) if f == "Inbox" else ""}</div>'
                   for f in folders)
    return f"""
<div style="display:flex;min-height:{vh}px">
 <div class="panel" style="width:190px;padding:12px">{ui.button('Compose', True, 'plus')}<div style="height:10px"></div>{side}</div>
 <div style="flex:1" class="col">
  <div class="row panel" style="padding:6px">{ui.toolbar(TOOLBAR_SETS['mail'])}<input type="search" data-oid="{ui.oid()}" aria-label="Search mail" placeholder="Search mail" style="margin-left:auto;width:240px"></div>
  <div class="panel">{rows}</div>
  <div class="panel" style="padding:12px"><b>{ui.words(3, 5)}</b><p>{c.paragraph()}</p>{ui.button('Reply', icon='reply')} {ui.button('Forward', icon='forward')}</div>
 </div></div>"""


def chat(ui: Ui, vw: int, vh: int) -> str:
    rng, c = ui.rng, ui.c
    channels = ui.labels(["general", "random", "design", "engineering", "support", "sales", "releases", "ops"], 6)
    side = "".join(f'<div style="padding:4px 0">{ui.link("# " + ch)}</div>' for ch in channels)
    people = [c.person() for _ in range(3)]
    msgs = "".join(f'<div style="padding:6px 0"><b>{rng.choice(people)}</b> <span class="muted">{rng.randint(8, 18)}:{rng.randint(10, 59)}</span>'
                   f'<div>{c.sentence()}</div></div>' for _ in range(rng.randint(4, 9)))
    return f"""
<div style="display:flex;height:{vh}px">
 <div class="panel" style="width:200px;padding:12px"><b>{c.company()}</b>{side}</div>
 <div style="flex:1;display:flex;flex-direction:column">
  <div class="row panel" style="padding:8px;justify-content:space-between"><b># {channels[0]}</b>
   <span class="muted">{ui.fact('kpi', str(rng.randint(3, 480)), {'label': 'Members'})} members</span>
   <div class="row" style="width:auto">{ui.switch('Mute channel', rng.random() < 0.3)}</div>
   <div class="row">{ui.icon_button('search')}{ui.icon_button('info')}{ui.icon_button('settings')}</div></div>
  <div style="flex:1;padding:12px;overflow:hidden">{msgs}</div>
  <div class="row panel" style="padding:8px">{ui.icon_button('attach')}<input type="text" data-oid="{ui.oid()}" aria-label="Message" placeholder="Message #{channels[0]}" style="flex:1">{ui.icon_button('send')}</div>
 </div></div>"""


def file_manager(ui: Ui, vw: int, vh: int) -> str:
    rng, c = ui.rng, ui.c
    places = "".join(f'<div style="padding:4px 0">{ui.link(p)}</div>'
                     for p in ["Home", "Desktop", "Documents", "Downloads", "Pictures", "Music", "Trash"])
    ext = ["pdf", "docx", "xlsx", "png", "mp4", "zip", "txt", "csv"]
    files = ""
    for _ in range(rng.randint(6, 14)):
        name = c.unique(lambda: f"{c.words(2).replace(' ', '_')}.{rng.choice(ext)}")
        files += (f'<div role="option" tabindex="0" data-oid="{ui.oid()}" aria-label="{name}" class="row" '
                  f'style="padding:5px 8px;border-bottom:1px solid var(--border)"><span style="flex:1">{name}</span>'
                  f'<span class="muted" style="width:90px">{rng.randint(1, 999)} KB</span>'
                  f'<span class="muted" style="width:120px">{c.date()}</span></div>')
    crumbs = " / ".join(ui.link(p) for p in ["Home", c.words(1).title(), c.words(1).title()])
    return f"""
<div style="display:flex;flex-direction:column;min-height:{vh}px">
 <div class="row panel" style="padding:6px">{ui.toolbar(['back', 'forward', 'folder', 'upload', 'download'])}
  <div style="flex:1;padding:0 10px">{crumbs}</div>{ui.toolbar(['grid', 'list', 'sort', 'search'])}</div>
 <div style="display:flex;flex:1"><div class="panel" style="width:180px;padding:10px">{places}</div>
  <div role="listbox" aria-label="Files" style="flex:1" class="panel">{files}</div></div></div>"""


def spreadsheet(ui: Ui, vw: int, vh: int) -> str:
    rng, c = ui.rng, ui.c
    cols = "ABCDEFGHIJ"[: rng.randint(5, 9)]
    nrows = rng.randint(8, 18)
    head = "<tr><th></th>" + "".join(f"<th>{col}</th>" for col in cols) + "</tr>"
    body = ""
    for r in range(1, nrows + 1):
        cells = ""
        for col in cols:
            v = (c.product() if col == "A" else str(rng.randint(1, 9999)) if rng.random() < 0.7 else "")
            fact = ui.fact("cell", v, {"cell": f"{col}{r}"}) if v else ""
            cells += f'<td role="gridcell" tabindex="0" data-oid="{ui.oid()}" aria-label="{col}{r}">{fact}</td>'
        body += f"<tr><th>{r}</th>{cells}</tr>"
    sheets = "".join(f'<button class="tab" role="tab" aria-selected="{str(i == 0).lower()}" data-oid="{ui.oid()}">{s}</button>'
                     for i, s in enumerate(["Sheet1", "Summary", "Data", "Q" + str(rng.randint(1, 4))]))
    return f"""
<div style="display:flex;flex-direction:column;height:{vh}px">
 <div class="row panel" style="padding:4px">{ui.toolbar(TOOLBAR_SETS['edit'] + TOOLBAR_SETS['text'], 15, True)}{ui.icon_button('chart', 15, True)}{ui.icon_button('sort', 15, True)}{ui.icon_button('filter', 15, True)}</div>
 <div class="row panel" style="padding:4px"><span class="muted">fx</span><input type="text" data-oid="{ui.oid()}" aria-label="Formula" style="flex:1" value="=SUM(B2:B{nrows})"></div>
 <div style="flex:1;overflow:hidden;padding:4px"><table style="font-size:.92em">{head}{body}</table></div>
 <div class="row panel" role="tablist" style="padding:2px">{sheets}</div></div>"""


CODE = ["def {f}({a}):", "    {a} = {b}({a})", "    if {a} > {n}:", "        return {b}({a}, {n})",
        "    for item in {a}:", "        total += item.{b}", "    return total", "", "class {F}:",
        "    def __init__(self, {a}):", "        self.{a} = {a}", "import {b}", "from {b} import {F}"]


def code_editor(ui: Ui, vw: int, vh: int) -> str:
    rng, c = ui.rng, ui.c
    files = [f"{c.words(1)}_{c.words(1)}.py" for _ in range(rng.randint(5, 9))]
    tree = "".join(f'<div role="treeitem" tabindex="0" data-oid="{ui.oid()}" style="padding:2px 10px">{f}</div>'
                   for f in files)
    lines = ""
    for i in range(1, rng.randint(18, 34)):
        t = rng.choice(CODE).format(f=c.words(1), a=c.words(1), b=c.words(1), n=rng.randint(1, 99),
                                    F=c.words(1).title())
        lines += f'<div><span class="muted" style="display:inline-block;width:36px">{i}</span>{html.escape(t)}</div>'
    open_tabs = ui.tabs(files[:3], 0)
    return f"""
<div style="display:flex;height:{vh}px">
 <div class="panel" style="width:44px;padding:4px">{ui.toolbar(['list', 'search', 'branch', 'bug', 'settings'], 20, vertical=True)}</div>
 <div class="panel" role="tree" aria-label="Explorer" style="width:220px;padding:6px 0"><b style="padding:0 10px">EXPLORER</b>{tree}</div>
 <div style="flex:1;display:flex;flex-direction:column">
  <div class="row panel" style="justify-content:space-between">{open_tabs}<div class="row">{ui.icon_button('run')}{ui.icon_button('bug')}{ui.icon_button('more')}</div></div>
  <div style="flex:1;padding:8px;font-family:{MONO};font-size:13px;overflow:hidden">{lines}</div>
  <div class="row panel" style="padding:2px 8px;font-size:12px">{ui.link('main')}<span class="muted">Ln {rng.randint(1, 30)}, Col {rng.randint(1, 40)}</span><span class="muted" style="margin-left:auto">Python 3.{rng.randint(9, 13)}</span></div>
 </div></div>"""


def context_menu(ui: Ui, vw: int, vh: int) -> str:
    """A file manager with a context menu open over it: the menu hides what lies under it."""
    base = file_manager(ui, vw, vh)
    items = ui.labels(["Open", "Open with…", "Rename", "Duplicate", "Move to…", "Copy link", "Compress",
                       "Get info", "Share", "Move to Trash", "Add to favourites"], ui.rng.randint(5, 8))
    entries = "".join(f'<button role="menuitem" data-oid="{ui.oid()}">{t}<span class="muted">'
                      f'{ui.rng.choice(["", "Ctrl+" + chr(65 + ui.rng.randrange(26))])}</span></button>'
                      + ("<hr>" if ui.rng.random() < 0.2 else "") for t in items)
    x, y = ui.rng.randint(220, max(230, vw - 260)), ui.rng.randint(80, max(90, vh - 320))
    return base + f'<div class="menu" role="menu" style="left:{x}px;top:{y}px">{entries}</div>'


def pro(ui: Ui, vw: int, vh: int) -> str:
    """Dense professional software: the screen of `ui.archetype` in `ui.look` (omnisynth.generators.gui.archetypes)."""
    from omnisynth.generators.gui.archetypes import screen

    return screen(ui, ui.archetype, ui.look, vw, vh)


def app(ui: Ui, vw: int, vh: int) -> str:
    """A document editor whose menus open tabbed dialogs (omnisynth.generators.gui.app); its structure,
    for planning episodes, is left on `ui.app`."""
    from omnisynth.generators.gui.app import build

    body, ui.app = build(ui, vw, vh)
    return body


FAMILIES = {"dashboard": dashboard, "settings": settings, "form": form, "mail": mail, "chat": chat,
            "file_manager": file_manager, "spreadsheet": spreadsheet, "code_editor": code_editor,
            "context_menu": context_menu, "pro": pro, "app": app}


def page(ui: Ui, family: str, vw: int, vh: int) -> str:
    """A complete, self-contained HTML document for one screen."""
    theme = THEMES[ui.theme]
    css_vars = ";".join(f"--{k}:{v}" for k, v in theme.items())
    body = FAMILIES[family](ui, vw, vh)
    css = BASE_CSS
    if family == "pro":
        from omnisynth.generators.gui.panels import LOOK_CSS, PANEL_CSS

        css += PANEL_CSS + LOOK_CSS[ui.look]
    from omnisynth.generators.gui.locale import FONT_STACK, localise

    font = FONTS[ui.font] + (f", {FONT_STACK[ui.language]}" if ui.language in FONT_STACK else "")
    return localise(f'<!doctype html><html lang="{ui.language}"><head><meta charset="utf-8"><title>{family}</title>'
                    f'<style>:root{{{css_vars};--font:{font};--fs:{ui.font_size}px}}{css}</style></head>'
                    f"<body>{body}</body></html>", ui.language)
