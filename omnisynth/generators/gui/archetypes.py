"""Professional application archetypes, four per ScreenSpot-Pro group (Dev, Creative, CAD, Scientific,
Office, OS), each in a Windows-, macOS- or Linux-like look.

An archetype names the parts of its window (`omnisynth.generators.gui.panels`) and what its main
area shows (`omnisynth.generators.gui.viewports`): an IDE has a file tree, document tabs, an editor,
a terminal and a debugger's variables; 2D drafting a layer tree, a drawing with dimensions, a
command line and properties; a video editor bins, a preview and a timeline of tracks. Toolbars
hold Breeze icons chosen by name prefix per archetype (`draw-`, `snap-`, `debug-`, `format-`), so
icon-only targets are the icons such software shows. Dock sizes and row counts follow the viewport,
so a 4K screen holds several hundred controls. `screen(ui, name, look, vw, vh)` writes the HTML.
"""

from __future__ import annotations

from dataclasses import dataclass

from omnisynth.generators.gui import panels
from omnisynth.generators.gui.viewports import VIEWPORTS

GROUPS = ("Dev", "Creative", "CAD", "Scientific", "Office", "OS")


@dataclass(frozen=True)
class Archetype:
    group: str
    title: str  # the window title's application part
    ext: str  # document extension in tabs and titles
    menus: tuple[str, ...]
    tools: tuple[tuple[str, ...], ...]  # toolbar groups: icon-name prefixes
    left: tuple[tuple[str, str], ...]  # (item source, dock title) trees
    center: str  # VIEWPORTS key
    right: tuple[tuple[str, str], ...] = ()  # ("inspector" | item source, title)
    bottom: str = ""  # console | command | terminal | tracks | table | "" (none)
    ribbon: bool = False
    tool_rows: int = 1


_FILE = ("File", "Edit", "View")
ARCHETYPES: dict[str, Archetype] = {
    # Dev
    "ide": Archetype("Dev", "Code", "py", _FILE + ("Selection", "Go", "Run", "Terminal", "Help"),
                     (("document-", "edit-"), ("debug-", "run-"), ("go-", "view-"), ("vcs-", "code-")),
                     (("files", "Explorer"), ("outline", "Outline")), "code", (("variables", "Variables"),), "terminal"),
    "debugger": Archetype("Dev", "Debugger", "c", _FILE + ("Debug", "Breakpoints", "Window", "Help"),
                          (("debug-",), ("run-", "media-playback"), ("go-", "view-")),
                          (("stack", "Call stack"), ("files", "Sources")), "code",
                          (("variables", "Locals"), ("variables", "Watch")), "console"),
    "database_client": Archetype("Dev", "Database", "sql", _FILE + ("Query", "Database", "Tools", "Help"),
                                 (("document-", "edit-"), ("run-", "media-playback"), ("view-", "list-"), ("insert-table", "table-")),
                                 (("schema", "Database navigator"),), "code", (("inspector", "Connection"),), "table"),
    "git_client": Archetype("Dev", "Git", "diff", ("Repository", "Branch", "Commit", "View", "Help"),
                            (("vcs-", "document-"), ("go-", "view-"), ("edit-", "list-")),
                            (("branches", "Branches"), ("files", "Changes")), "code", (("inspector", "Commit"),), "table"),
    # Creative
    "photo_editor": Archetype("Creative", "Photo", "psd", _FILE + ("Image", "Layer", "Select", "Filter", "Window", "Help"),
                              (("draw-", "select-", "transform-"), ("color-", "tool-"), ("zoom-", "view-")),
                              (("tools", "Tools"),), "picture", (("inspector", "Adjustments"), ("layers", "Layers")),
                              "", tool_rows=2),
    "vector_editor": Archetype("Creative", "Vector", "svg", _FILE + ("Object", "Path", "Text", "Filters", "Help"),
                               (("draw-", "path-", "node-"), ("align-", "distribute-"), ("object-", "transform-")),
                               (("layers", "Layers and objects"),), "drawing", (("inspector", "Fill and stroke"),), "",
                               tool_rows=2),
    "video_editor": Archetype("Creative", "Video", "kdenlive", _FILE + ("Project", "Clip", "Timeline", "Monitor", "Help"),
                              (("media-", "document-"), ("edit-", "zoom-"), ("object-", "transform-")),
                              (("bin", "Project bin"),), "picture", (("inspector", "Effects"),), "tracks"),
    "modeller_3d": Archetype("Creative", "3D", "blend", _FILE + ("Add", "Object", "Render", "Window", "Help"),
                             (("object-", "transform-"), ("draw-", "snap-"), ("view-", "zoom-")),
                             (("scene", "Outliner"),), "model3d", (("inspector", "Object properties"),), "tracks"),
    # CAD
    "drafting_2d": Archetype("CAD", "Draft", "dwg", _FILE + ("Draw", "Dimension", "Modify", "Annotate", "Help"),
                             (("draw-",), ("snap-",), ("align-", "distribute-"), ("object-", "transform-")),
                             (("layers", "Layers"),), "drawing", (("inspector", "Properties"),), "command", tool_rows=2),
    "parametric_3d": Archetype("CAD", "Part Design", "FCStd", _FILE + ("Sketch", "Part", "Assembly", "Tools", "Help"),
                               (("draw-",), ("snap-", "object-"), ("view-", "zoom-"), ("transform-", "align-")),
                               (("features", "Model tree"),), "model3d", (("inspector", "Feature properties"),), "console",
                               tool_rows=2),
    "pcb_layout": Archetype("CAD", "PCB", "kicad_pcb", _FILE + ("Place", "Route", "Inspect", "Tools", "Help"),
                            (("draw-", "snap-"), ("zoom-", "view-"), ("align-", "object-")),
                            (("nets", "Nets"), ("layers", "Board layers")), "board", (("inspector", "Track properties"),),
                            "console"),
    "schematic_capture": Archetype("CAD", "Schematic", "kicad_sch", _FILE + ("Place", "Inspect", "Tools", "Help"),
                                   (("draw-", "snap-"), ("zoom-", "view-"), ("object-", "edit-")),
                                   (("parts", "Symbols"),), "schematic", (("inspector", "Symbol properties"),), "console"),
    # Scientific
    "numerical_workspace": Archetype("Scientific", "Numeric", "m", ("Home", "Plots", "Apps", "Editor", "Live Editor", "View"),
                                     (("document-", "edit-"), ("run-", "debug-"), ("office-chart", "view-")),
                                     (("files", "Current folder"),), "code", (("variables", "Workspace"),), "console",
                                     ribbon=True),
    "plotting_tool": Archetype("Scientific", "Plot", "opju", _FILE + ("Plot", "Analysis", "Statistics", "Window", "Help"),
                               (("office-chart", "draw-"), ("zoom-", "view-"), ("plot-", "xy-", "axis-")),
                               (("project", "Project explorer"),), "plot", (("inspector", "Plot details"),), "table",
                               tool_rows=2),
    "stats_package": Archetype("Scientific", "Stats", "sav", _FILE + ("Data", "Transform", "Analyze", "Graphs", "Help"),
                               (("document-", "edit-"), ("view-", "list-"), ("office-chart", "insert-")),
                               (("variables", "Variables"),), "sheet", (("inspector", "Variable view"),), "console"),
    "notebook": Archetype("Scientific", "Notebook", "ipynb", _FILE + ("Run", "Kernel", "Tabs", "Settings", "Help"),
                          (("document-", "edit-"), ("media-playback", "run-"), ("list-", "view-")),
                          (("files", "File browser"),), "code", (("variables", "Variables"),), "console"),
    # Office
    "word_processor": Archetype("Office", "Writer", "docx", ("File", "Home", "Insert", "Layout", "References", "Review", "View"),
                                (("format-",), ("insert-", "edit-"), ("view-", "zoom-")),
                                (("outline", "Navigation"),), "page", (("inspector", "Styles"),), "", ribbon=True),
    "spreadsheet": Archetype("Office", "Sheets", "xlsx", ("File", "Home", "Insert", "Formulas", "Data", "Review", "View"),
                             (("format-", "edit-"), ("insert-", "office-chart"), ("view-", "list-")),
                             (), "sheet", (), "", ribbon=True),
    "presentation": Archetype("Office", "Slides", "pptx", ("File", "Home", "Insert", "Design", "Transitions", "Slide Show"),
                              (("format-", "insert-"), ("draw-", "align-"), ("view-", "media-")),
                              (("slides", "Slides"),), "slides", (("inspector", "Format shape"),), "", ribbon=True),
    "mail_client": Archetype("Office", "Mail", "eml", _FILE + ("Message", "Folder", "Tools", "Help"),
                             (("mail-",), ("document-", "edit-"), ("view-", "go-")),
                             (("mailboxes", "Folders"),), "mail", (("inspector", "Message"),), ""),
    # OS
    "file_manager": Archetype("OS", "Files", "", _FILE + ("Go", "Bookmarks", "Help"),
                              (("go-", "view-"), ("edit-", "folder-"), ("document-", "list-")),
                              (("places", "Places"),), "files", (("inspector", "Information"),), ""),
    "system_settings": Archetype("OS", "Settings", "", ("System", "Help"), (("go-", "view-"), ("configure", "edit-")),
                                 (("categories", "Settings"),), "settings", (), ""),
    "terminal": Archetype("OS", "Terminal", "", _FILE + ("Search", "Terminal", "Help"),
                          (("document-", "edit-"), ("tab-", "view-"), ("go-", "list-")), (("sessions", "Sessions"),),
                          "terminal", (), "", tool_rows=2),
    "system_monitor": Archetype("OS", "System Monitor", "", _FILE + ("Process", "Help"),
                                (("view-", "list-"), ("process-", "media-playback"), ("go-", "edit-")),
                                (("categories", "Resources"),), "processes", (("inspector", "Details"),), "table"),
}
FIELDS = ["X", "Y", "Width", "Height", "Angle", "Opacity", "Stroke", "Radius", "Layer", "Scale", "Depth", "Offset",
          "Colour", "Line type", "Line weight", "Blend mode", "Font", "Size", "Spacing", "Margin", "Elevation",
          "Thickness", "Material", "Visible", "Locked", "Name", "Start", "End", "Duration", "Speed", "Gain",
          "Tolerance", "Units", "Precision", "Snap", "Grid", "Origin", "Rotation", "Mirror", "Pattern"]
CAD_LAYERS = ["A-WALL", "A-DOOR", "A-GLAZ", "S-COLS", "M-DUCT", "E-LITE", "P-PIPE", "DIM", "HATCH", "CENTER", "HIDDEN",
              "TEXT", "TITLE", "F.Cu", "B.Cu", "F.SilkS", "Edge.Cuts", "F.Mask", "VIEWPORT", "DEFPOINTS"]
FEATURES = ["Sketch", "Pad", "Pocket", "Extrude", "Revolve", "Fillet", "Chamfer", "Hole", "Mirror", "Pattern",
            "Shell", "Draft", "Plane", "Axis", "Loft", "Sweep", "Rib", "Boolean"]


def _items(ui, source: str, n: int, ext: str) -> list[tuple[int, str]]:
    rng, c = ui.rng, ui.c
    word = lambda: c.words(1).replace(" ", "_")  # noqa: E731
    fixed = {"mailboxes": ["Inbox", "Drafts", "Sent", "Archive", "Junk", "Trash", "Outbox"],
             "places": ["Home", "Desktop", "Documents", "Downloads", "Music", "Pictures", "Videos", "Trash", "Network"],
             "categories": ["Wi-Fi", "Network", "Bluetooth", "Displays", "Sound", "Power", "Keyboard", "Mouse",
                            "Printers", "Users", "Date & Time", "Privacy", "Updates", "Appearance", "Notifications"]}
    if source in fixed:
        base = [(0, x) for x in fixed[source]]
        return base + [(1, f"{word().title()} {k + 1}") for k in range(max(0, n - len(base)))]
    out = []
    for k in range(n):
        if source == "files":
            depth = rng.choice([0, 1, 1, 2])
            out.append((depth, f"{word()}{'' if depth == 0 and rng.random() < 0.4 else '.' + (ext or 'txt')}"))
        elif source == "features":
            out.append((rng.choice([0, 1]), f"{rng.choice(FEATURES)}{k + 1:03d}"))
        elif source == "variables":
            out.append((0, f"{word()} = {rng.choice(['double', 'int32', 'cell', 'struct', 'table'])} "
                           f"[{rng.randint(1, 512)}x{rng.randint(1, 64)}]"))
        elif source == "layers" and ui.archetype in ("drafting_2d", "pcb_layout"):
            out.append((0, rng.choice(CAD_LAYERS) + f"-{k + 1:02d}"))
        elif source == "slides":
            out.append((0, f"Slide {k + 1}: {c.sentence(2, 4).rstrip('.')}"))
        else:  # layers, scene, bin, outline, stack, schema, branches, nets, parts, project, tools
            out.append((rng.choice([0, 0, 1]), f"{word().title()} {rng.randint(1, 999)}"))
    return out


def screen(ui, name: str, look: str, vw: int, vh: int) -> str:
    """The body HTML of archetype `name` in platform `look` at `vw` x `vh` CSS pixels."""
    a, rng, c = ARCHETYPES[name], ui.rng, ui.c
    doc = f"{c.words(1).replace(' ', '_')}_{rng.randint(1, 99)}" + (f".{a.ext}" if a.ext else "")
    side = max(200, int(vw * 0.13))
    rows = max(8, (vh - 260) // 21)
    chrome = panels.title_bar(ui, look, f"{doc} - {a.title}" if a.ext else a.title) + panels.menu_bar(ui, list(a.menus))
    if a.ribbon:  # a quick-access toolbar above the ribbon
        chrome += panels.toolbars(ui, list(a.tools), vw // 2, 1) + panels.ribbon(ui, list(a.menus), [(f"{g[0].strip('-').title()}", g) for g in a.tools * 2], vw)
    else:
        chrome += panels.toolbars(ui, list(a.tools), vw, a.tool_rows)
    left = "".join(panels.tree(ui, title, _items(ui, src, rows // max(1, len(a.left)), a.ext),
                               toggles=2 if src == "layers" else 0, icon_prefixes=("document-", "folder", "object-"))
                   for src, title in a.left)
    right = "".join(panels.inspector(ui, title, rng.sample(FIELDS, min(len(FIELDS), rows // 2 // max(1, len(a.right)))))
                    if src == "inspector" else panels.tree(ui, title, _items(ui, src, rows // 2, a.ext), toggles=2)
                    for src, title in a.right)
    bottom_h = int(vh * 0.22) if a.bottom else 0
    main_w = vw - (side if a.left else 0) - (side if a.right else 0)
    main_h = vh - 160 - bottom_h
    tabs = panels.tab_strip(ui, [doc] + [f"{c.words(1).replace(' ', '_')}.{a.ext}" for _ in range(rng.randint(2, 6))]) \
        if a.ext else ""
    center = VIEWPORTS[a.center](ui, main_w, main_h)
    bottom = _bottom(ui, a.bottom, main_w, bottom_h)
    status = panels.status_bar(ui, [a.group, f"{a.title}", f"Ln {rng.randint(1, 999)}, Col {rng.randint(1, 99)}",
                                    f"{rng.choice([50, 75, 100, 150, 200])}%"], 8)
    dock = 'class="panel" style="width:{}px;overflow:hidden;flex:none"'
    return (f'<div style="display:flex;flex-direction:column;height:{vh}px;font-size:12px">{chrome}'
            f'<div style="display:flex;flex:1;min-height:0">'
            + (f'<div {dock.format(side)}>{left}</div>' if a.left else "")
            + f'<div style="flex:1;display:flex;flex-direction:column;min-width:0">{tabs}'
              f'<div style="flex:1;overflow:hidden;position:relative">{center}</div>'
            + (f'<div style="height:{bottom_h}px;flex:none">{bottom}</div>' if bottom else "") + "</div>"
            + (f'<div {dock.format(side)}>{right}</div>' if a.right else "")
            + f"</div>{status}</div>")


def _bottom(ui, kind: str, w: int, h: int) -> str:
    rng, c = ui.rng, ui.c
    lines = [f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}  {c.sentence(3, 9)}"
             for _ in range(max(2, h // 15))]
    if kind == "console":
        return panels.console(ui, ["Console", "Problems", "Output", "Debug"], lines)
    if kind == "command":
        return panels.console(ui, ["Command history", "Messages"], [f"Command: {x.split('  ')[1]}" for x in lines],
                              prompt="Command:")
    if kind == "terminal":
        return panels.console(ui, ["Terminal", "Problems", "Output", "Ports"], [f"$ {x.split('  ')[1]}" for x in lines])
    if kind == "tracks":
        return f'<div class="panel" style="height:100%;overflow:hidden">{VIEWPORTS["tracks"](ui, w, h)}</div>'
    if kind == "table":
        rows = [[c.words(1), f"{rng.uniform(0, 999):.3f}", f"{rng.uniform(0, 999):.3f}", c.words(1),
                 c.sentence(2, 4)] for _ in range(max(2, h // 21 - 2))]
        return f'<div class="panel" style="height:100%;overflow:hidden">{panels.table(ui, ["Name", "Value", "Error", "Unit", "Note"], rows)}</div>'
    return ""
