"""A multi-view application for OSWorld-style episodes (`family: app`, `task.kind: gui_episode`).

The page is a document editor whose menus open dialogs: a menu bar (File, Edit, Format, Tools,
...) whose menus drop down on click, menu items that open modal dialogs (Page setup, Paragraph,
Preferences, ...), each dialog with two or three tabs of fields (empty text fields, drop-downs,
checkboxes) and OK / Cancel; OK writes the dialog's values into the main view's settings list
(`data-fact="setting"`, one per field, by name), which is the state an episode is judged by.

`build(ui, vw, vh)` returns the page body and its structure (menus, items, dialogs, tabs and
fields with their `data-oid`s); `plan_episode(structure, rng)` picks a goal (one to three fields
of one dialog tab, new values) and the steps that reach it: open the menu, choose the item,
switch to the tab, fill or choose or tick each field, press OK. Each step names its element by
`data-oid`; where it is on the screen is read from the live DOM just before the step.
"""

from __future__ import annotations

import html
import json

from omnisynth.generators.gui.ui import Ui

DIALOGS = {  # dialog -> tabs -> fields: (name, kind, options)
    "Page setup": {"Margins": [("Top margin", "text"), ("Bottom margin", "text"), ("Left margin", "text"),
                               ("Right margin", "text")],
                   "Paper": [("Paper size", "select", ["A4", "Letter", "Legal", "A5"]),
                             ("Orientation", "select", ["Portrait", "Landscape"]), ("Print on both sides", "check")],
                   "Layout": [("Header distance", "text"), ("Footer distance", "text"),
                              ("Different first page", "check")]},
    "Paragraph": {"Indents and spacing": [("Indent before text", "text"), ("Spacing above", "text"),
                                          ("Line spacing", "select", ["Single", "1.15", "1.5", "Double"])],
                  "Text flow": [("Widow control", "check"), ("Keep with next", "check"), ("Hyphenation zone", "text")]},
    "Preferences": {"General": [("User name", "text"), ("Autosave every (minutes)", "text"),
                                ("Open last document on start", "check")],
                    "View": [("Zoom level", "select", ["75%", "100%", "125%", "150%"]), ("Show rulers", "check"),
                             ("Show formatting marks", "check")],
                    "Language": [("Interface language", "select", ["English", "Deutsch", "Français", "Español"]),
                                 ("Check spelling as you type", "check")]},
    "Document properties": {"Description": [("Title", "text"), ("Subject", "text"), ("Keywords", "text")],
                            "Statistics": [("Update statistics on save", "check")]},
    "Find and replace": {"Replace": [("Find what", "text"), ("Replace with", "text"), ("Match case", "check")]},
}
MENUS = {"File": ["New", "Open...", "Save", "Document properties", "Page setup", "Print...", "Close"],
         "Edit": ["Undo", "Redo", "Cut", "Copy", "Paste", "Find and replace", "Select all"],
         "Format": ["Character...", "Paragraph", "Bullets and numbering...", "Columns...", "Styles..."],
         "Tools": ["Spelling...", "Word count", "Preferences", "Macros..."],
         "Help": ["Help contents", "About"]}
SCRIPT = """<script>
function closeAll(){document.querySelectorAll('[role=menu]').forEach(m=>m.style.display='none');}
function openMenu(id){const m=document.getElementById(id);const open=m.style.display==='block';closeAll();
 if(!open)m.style.display='block';}
function openDialog(id){closeAll();document.getElementById('veil').style.display='block';
 document.getElementById(id).style.display='block';}
function closeDialog(id){document.getElementById(id).style.display='none';document.getElementById('veil').style.display='none';}
function showTab(d,k){document.querySelectorAll('#'+d+' [role=tabpanel]').forEach((p,i)=>p.style.display=i===k?'grid':'none');
 document.querySelectorAll('#'+d+' [role=tab]').forEach((t,i)=>t.setAttribute('aria-selected',String(i===k)));}
function applyDialog(d){document.querySelectorAll('#'+d+' [data-setting]').forEach(f=>{
 const v=f.type==='checkbox'?(f.checked?'On':'Off'):f.value; if(f.type!=='checkbox'&&v==='')return;
 const out=document.querySelector('[data-applied="'+f.getAttribute('data-setting')+'"]'); if(out)out.textContent=v;});
 closeDialog(d);document.querySelector('[role=status]').textContent=document.getElementById(d).getAttribute('aria-label')+' applied';}
</script>"""
CSS = """<style>
.amb{display:flex;background:var(--panel);border-bottom:1px solid var(--border)}
.amb>div{position:relative}.amb button{background:transparent;border:0;padding:5px 12px;cursor:pointer}
.amenu{display:none;position:absolute;top:100%;left:0;background:var(--panel);border:1px solid var(--border);z-index:20;
 min-width:210px;box-shadow:0 4px 14px rgba(0,0,0,.3)}.amenu button{display:block;width:100%;text-align:left;padding:6px 14px}
#veil{display:none;position:fixed;inset:0;background:rgba(0,0,0,.25);z-index:30}
.adlg{display:none;position:fixed;left:50%;top:90px;transform:translateX(-50%);width:560px;background:var(--panel);
 border:1px solid var(--border);z-index:40;box-shadow:0 8px 30px rgba(0,0,0,.4);padding:0 0 12px}
.adlg h2{font-size:1.05em;margin:0;padding:10px 14px;border-bottom:1px solid var(--border)}
.apane{grid-template-columns:220px 1fr;gap:10px 12px;padding:16px;align-items:center}
.abtns{display:flex;justify-content:flex-end;gap:8px;padding:0 14px}
.apane input[type=checkbox]{justify-self:start}
</style>"""


def build(ui: Ui, vw: int, vh: int) -> tuple[str, dict]:
    """The page body and its structure: {menus: {name: oid}, items: {label: (menu, oid)}, dialogs:
    {name: {oid_ok, oid_cancel, via: (menu, item), tabs: {tab: {oid, fields: [{name, kind, oid, options}]}}}}}."""
    rng = ui.rng
    menus = {m: MENUS[m] for m in rng.sample(list(MENUS), 4)} if rng.random() < 0.5 else dict(MENUS)
    dialogs = [d for d in DIALOGS if any(d == i for items in menus.values() for i in items)]
    structure: dict = {"menus": {}, "items": {}, "dialogs": {}}
    bar, boxes = [], []
    for k, (menu, items) in enumerate(menus.items()):
        moid = ui.oid()
        structure["menus"][menu] = moid
        entries = []
        for item in items:
            ioid = ui.oid()
            structure["items"][item] = (menu, ioid)
            target = f"openDialog('dlg{dialogs.index(item)}')" if item in dialogs else "closeAll()"
            entries.append(f'<button role="menuitem" data-oid="{ioid}" onclick="{target}">{html.escape(item)}</button>')
        bar.append(f'<div><button role="menuitem" aria-haspopup="true" data-oid="{moid}" '
                   f'onclick="openMenu(\'menu{k}\')">{html.escape(menu)}</button><div id="menu{k}" class="amenu" '
                   f'role="menu">{"".join(entries)}</div></div>')
    for n, name in enumerate(dialogs):
        did, info = f"dlg{n}", {"via": structure["items"][name], "tabs": {}}
        tabs, panes = [], []
        for k, (tab, fields) in enumerate(DIALOGS[name].items()):
            toid = ui.oid()
            tabs.append(f'<button class="tab" role="tab" aria-selected="{str(k == 0).lower()}" data-oid="{toid}" '
                        f'onclick="showTab(\'{did}\',{k})">{html.escape(tab)}</button>')
            cells, recs = [], []
            for field in fields:
                fname, kind = field[0], field[1]
                foid = ui.oid()
                setting = html.escape(f"{name}: {fname}")
                if kind == "text":
                    ctl = f'<input type="text" id="{foid}" data-oid="{foid}" data-setting="{setting}" value="">'
                elif kind == "select":
                    ctl = (f'<select id="{foid}" data-oid="{foid}" data-setting="{setting}">'
                           + "".join(f"<option>{html.escape(o)}</option>" for o in field[2]) + "</select>")
                else:
                    ctl = f'<input type="checkbox" id="{foid}" data-oid="{foid}" data-setting="{setting}">'
                cells.append(f'<label for="{foid}">{html.escape(fname)}</label>{ctl}')
                recs.append({"name": fname, "kind": kind, "oid": foid, "options": list(field[2]) if kind == "select" else []})
            panes.append(f'<div role="tabpanel" class="apane" style="display:{"grid" if k == 0 else "none"}">{"".join(cells)}</div>')
            info["tabs"][tab] = {"oid": toid, "fields": recs}
        ok, cancel = ui.oid(), ui.oid()
        info["ok"], info["cancel"] = ok, cancel
        structure["dialogs"][name] = info
        boxes.append(f'<div id="{did}" class="adlg" role="dialog" aria-label="{html.escape(name)}"><h2>{html.escape(name)}</h2>'
                     f'<div class="tabs" role="tablist">{"".join(tabs)}</div>{"".join(panes)}<div class="abtns">'
                     f'<button class="btn primary" data-oid="{ok}" onclick="applyDialog(\'{did}\')">OK</button>'
                     f'<button class="btn" data-oid="{cancel}" onclick="closeDialog(\'{did}\')">Cancel</button></div></div>')
    settings = "".join(
        f'<tr><td>{html.escape(f"{d}: {f[0]}")}</td><td data-fact="setting" data-applied="{html.escape(f"{d}: {f[0]}")}" '
        f'data-attrs="{html.escape(json.dumps({"name": f"{d}: {f[0]}"}))}">{"Off" if f[1] == "check" else (f[2][0] if f[1] == "select" else "-")}</td></tr>'
        for d in dialogs for fields in DIALOGS[d].values() for f in fields)
    from omnisynth.generators.content import Content
    from omnisynth.generators.handbook import handbook

    text = Content(rng, "en", handbook("en"))  # the document being edited: real prose
    title, doc = text.sentence(3, 8), " ".join(text.paragraph() for _ in range(rng.randint(2, 4)))
    body = (f'{CSS}<div class="amb" role="menubar">{"".join(bar)}</div><div id="veil"></div>{"".join(boxes)}'
            f'<div style="display:flex;height:{vh - 34}px"><div style="flex:1;padding:24px 40px;overflow:hidden">'
            f'<h1 style="font-size:1.4em">{html.escape(title)}</h1><p>{html.escape(doc)}</p></div>'
            f'<div class="panel" style="width:{max(280, vw // 4)}px;overflow:hidden;padding:8px;font-size:.85em">'
            f'<b>Document settings</b><table style="width:100%;margin-top:6px">{settings}</table></div></div>{SCRIPT}')
    return body, structure


def plan_episode(structure: dict, rng) -> dict:
    """A goal over one dialog tab and its steps: {goal, final: {setting: value}, steps: [{type, oid, name,
    role, text}]} (click | type | select), in order."""
    name = rng.choice(sorted(structure["dialogs"]))
    info = structure["dialogs"][name]
    tab_names = list(info["tabs"])
    tab = rng.choice(tab_names)
    fields = rng.sample(info["tabs"][tab]["fields"], min(len(info["tabs"][tab]["fields"]), rng.randint(1, 3)))
    menu, item_oid = info["via"]
    steps = [{"type": "click", "oid": structure["menus"][menu], "name": menu, "role": "menuitem", "text": ""},
             {"type": "click", "oid": item_oid, "name": name, "role": "menuitem", "text": ""}]
    if tab != tab_names[0]:
        steps.append({"type": "click", "oid": info["tabs"][tab]["oid"], "name": tab, "role": "tab", "text": ""})
    final, asks = {}, []
    for f in fields:
        key = f"{name}: {f['name']}"
        if f["kind"] == "text":
            value = _value(f["name"], rng)
            steps += [{"type": "click", "oid": f["oid"], "name": f["name"], "role": "textbox", "text": ""},
                      {"type": "type", "oid": f["oid"], "name": f["name"], "role": "textbox", "text": value}]
            asks.append(f"set '{f['name']}' to '{value}'")
        elif f["kind"] == "select":
            value = rng.choice(f["options"][1:])
            steps.append({"type": "select", "oid": f["oid"], "name": f["name"], "role": "combobox", "text": value})
            asks.append(f"choose '{value}' for '{f['name']}'")
        else:
            value = "On"
            steps.append({"type": "click", "oid": f["oid"], "name": f["name"], "role": "checkbox", "text": ""})
            asks.append(f"turn on '{f['name']}'")
        final[key] = value
    steps.append({"type": "click", "oid": info["ok"], "name": "OK", "role": "button", "text": ""})
    goal = f"In the {name.lower()} settings, " + ", ".join(asks[:-1]) + (" and " if len(asks) > 1 else "") + asks[-1] \
        + ", then confirm."
    return {"goal": goal, "dialog": name, "tab": tab, "final": final, "steps": steps}


def _value(field: str, rng) -> str:
    low = field.lower()
    if "margin" in low or "distance" in low or "indent" in low or "spacing" in low or "zone" in low:
        return f"{rng.choice([0.5, 1, 1.25, 1.5, 2, 2.5, 3])} cm"
    if "minutes" in low:
        return str(rng.choice([2, 5, 10, 15, 30]))
    if low == "user name":
        return rng.choice(["Ana Ruiz", "Wei Chen", "Sam Okafor", "Lena Berg"])
    return rng.choice(["quarterly report", "draft", "budget 2026", "river survey", "minutes", "final version"])


def run_episode(gen, spec, plan, where: dict, meta: dict):
    """Run an episode (`plan_episode`) on `gen`'s live page: a screenshot before each step and after the
    last (members s00.png ...; blank past the episode's end), each step's point and box read from the DOM
    just before it, and the final settings read back. Returns (media, GroundTruth). Raises
    GroundTruthError when the episode is longer than max_steps or the page does not end in the planned
    state; InputError from the browser (the live page is dropped)."""
    from omnisynth.generators.documents.generator import blank_png
    from omnisynth.generators.errors import GroundTruthError, InputError
    from omnisynth.generators.gui.actions import Step, find_element, perform
    from omnisynth.generators.gui.generator import dom_truth
    from omnisynth.schemas.truth import PageTruth

    episode = plan_episode(plan.app, spec.rng("goal"))
    n = gen.config.max_steps
    if len(episode["steps"]) > n:
        raise GroundTruthError(f"the episode takes {len(episode['steps'])} steps, max_steps={n}")
    try:
        tab = gen._show(spec.key, **where)
        screens, steps = [], []
        for step in episode["steps"]:
            screen = tab.screen()
            el = find_element(screen.dom, step["oid"])
            if el["click"] is None or el["occluded"] or el["offscreen"]:
                raise GroundTruthError(f"{step['name']!r} cannot be clicked at step {len(steps)}")
            done = Step(step["type"], step["oid"], step["name"], step["role"], tuple(el["click"]), text=step["text"],
                        box=tuple(el["visible_box"]))
            screens.append(screen)
            perform(tab, done, screen.dom["dpr"])
            steps.append(done)
        screens.append(tab.screen())
    except InputError:
        gen._fail()
        raise
    final = {f["attrs"]["name"]: f["text"] for f in screens[-1].dom["facts"] if f["kind"] == "setting"}
    if any(final.get(k) != v for k, v in episode["final"].items()):
        raise GroundTruthError(f"the episode ended in {({k: final.get(k) for k in episode['final']})}, "
                               f"planned {episode['final']}")
    gen._live.steps_done = len(steps)
    members = [f"s{i:02d}.png" for i in range(n + 1)]
    done_steps = [vars(s) | {"point": list(s.point), "box": list(s.box)} for s in steps]
    truth = dom_truth(screens[-1], gen.name, plan.family, {**meta, "episode": {
        "goal": episode["goal"], "final": episode["final"], "dialog": episode["dialog"], "tab": episode["tab"],
        "steps": done_steps}, "replay": done_steps})
    truth.pages = [PageTruth(i, members[i], s.width, s.height, [], [], []) for i, s in enumerate(screens)]
    truth.meta["pages"] = len(screens)
    media = {members[i]: s.png for i, s in enumerate(screens)}
    media.update((m, blank_png()) for m in members[len(screens):])
    return media, truth


def replay(browser, where: dict, dpr: float, actions: list[dict], points: list) -> dict[str, str]:
    """Perform `actions` (parsed answers; `points` their pixel points, None for typing) on a fresh page of
    `where` (html, viewport, scale) and read back its settings: {setting: value}."""
    tab = browser.open(**where)
    try:
        for act, point in zip(actions, points, strict=True):
            if act["type"] == "click":
                tab.click(*point, dpr)
            elif act["type"] == "type":
                tab.type(act["text"])
            elif act["type"] == "select":
                owner = tab.owner_at([point])[0]
                if owner is None:
                    return {}
                tab.select(owner, act["text"])
        return {f["attrs"]["name"]: f["text"] for f in tab.extract()["facts"] if f["kind"] == "setting"}
    finally:
        tab.close()
