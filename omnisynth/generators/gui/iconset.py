"""Icons of a published icon theme for the professional screens: KDE's Breeze.

Breeze (Debian `breeze-icon-theme`, LGPL-3.0-or-later; installed by scripts/setup.sh) is the
theme KDE's applications (Kdenlive, Krita, KiCad on Plasma, LabPlot, Calligra, KDevelop) draw their
toolbars from: about 1,900 action icons at 22 px (and places, devices, file types, status and
preferences icons for file managers and settings), named by the freedesktop icon naming
convention (`document-save`, `object-rotate-left`, `draw-rectangle`, `snap-intersection`),
each in a light (`breeze`) and a dark (`breeze-dark`) variant.

An icon's accessible name and the phrase an instruction refers to it by ("by function") come
from `CURATED` for the common ones, else from its name: product prefixes (`kdenlive-`,
`labplot-`) dropped, the verb found (`draw-rectangle`: draws; `object-rotate-left`: the object,
rotates), as "Rotate object left" / "rotates the object left". A name whose words are not the
theme's vocabulary is left out (an English word by Debian's `wamerican` list, a known verb, or a word at least
`MIN_TOKEN_USES` icon names use), and so is a second icon with an accessible name already taken
(aliases).
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

BREEZE = Path("/usr/share/icons/breeze")
BREEZE_DARK = Path("/usr/share/icons/breeze-dark")
# the theme's contexts at 22 px: toolbar actions first (a name in two contexts is the action's)
CONTEXTS = ("actions", "places", "devices", "mimetypes", "status", "preferences")
LICENCE = "LGPL-3.0-or-later (Breeze icons, KDE; Debian package breeze-icon-theme)"
MIN_TOKEN_USES = 3
DICTIONARY = Path("/usr/share/dict/american-english")
PRODUCTS = {"kdenlive", "labplot", "amarok", "gnumeric", "calligra", "kt", "im", "gtk", "irc", "pim", "umbr", "kpat",
            "akonadi", "kmail", "kontact", "okular", "dolphin", "kstars", "konversation", "ktorrent", "kalarm"}
VERBS = {
    "add": "adds", "align": "aligns", "apply": "applies", "break": "breaks", "clear": "clears", "close": "closes",
    "combine": "combines", "configure": "configures", "convert": "converts", "copy": "copies", "create": "creates",
    "crop": "crops", "cut": "cuts", "delete": "deletes", "distribute": "distributes", "download": "downloads",
    "draw": "draws", "duplicate": "duplicates", "edit": "edits", "export": "exports", "fill": "fills",
    "find": "finds", "flip": "flips", "group": "groups", "hide": "hides", "import": "imports", "insert": "inserts",
    "join": "joins", "lock": "locks", "mark": "marks", "merge": "merges", "move": "moves", "new": "creates a new",
    "open": "opens", "order": "orders", "paste": "pastes", "print": "prints", "redo": "redoes", "refresh": "refreshes",
    "reload": "reloads", "remove": "removes", "rename": "renames", "repeat": "repeats", "reply": "replies to",
    "resize": "resizes", "reverse": "reverses", "rotate": "rotates", "run": "runs", "save": "saves", "scale": "scales",
    "select": "selects", "send": "sends", "set": "sets", "show": "shows", "shuffle": "shuffles", "skip": "skips",
    "snap": "snaps to", "sort": "sorts", "split": "splits", "start": "starts", "stop": "stops", "swap": "swaps",
    "sync": "syncs", "transform": "transforms", "trim": "trims", "undo": "undoes", "ungroup": "ungroups",
    "unlock": "unlocks", "update": "updates", "upload": "uploads", "zoom": "zooms",
}
# words that say how or where (kept after the object: "rotates the object left")
MODS = {"in", "out", "left", "right", "up", "down", "top", "bottom", "center", "horizontal", "vertical", "all",
        "next", "previous", "first", "last", "forward", "backward", "back", "front", "before", "after", "to", "on",
        "off", "x", "y", "xy", "best", "original", "width", "height", "page", "selection", "baseline", "as"}
CATEGORIES = {"edit", "go", "list", "format", "tools", "view"}
ADJECTIVES = {"horizontal", "vertical", "all", "first", "last", "next", "previous", "original"}  # freedesktop prefixes that are not the object
CURATED: dict[str, tuple[str, str]] = {
    "document-save": ("Save", "saves the current file"), "document-save-as": ("Save as", "saves the file under a new name"),
    "document-open": ("Open", "opens an existing file"), "document-new": ("New", "creates a new document"),
    "document-print": ("Print", "prints the document"), "document-print-preview": ("Print preview", "previews the printout"),
    "document-export": ("Export", "exports the document"), "document-import": ("Import", "imports a file"),
    "document-close": ("Close document", "closes the current document"),
    "document-properties": ("Document properties", "shows the document's properties"),
    "edit-undo": ("Undo", "undoes the last change"), "edit-redo": ("Redo", "redoes the last undone change"),
    "edit-cut": ("Cut", "cuts the selection to the clipboard"), "edit-copy": ("Copy", "copies the selection"),
    "edit-paste": ("Paste", "pastes from the clipboard"), "edit-delete": ("Delete", "deletes the selection"),
    "edit-find": ("Find", "searches the document"), "edit-find-replace": ("Find and replace", "finds and replaces text"),
    "edit-select-all": ("Select all", "selects everything"), "edit-clear": ("Clear", "clears the field"),
    "edit-rename": ("Rename", "renames the item"), "edit-group": ("Group", "groups the selected objects"),
    "edit-ungroup": ("Ungroup", "ungroups the selected group"),
    "zoom-in": ("Zoom in", "magnifies the view"), "zoom-out": ("Zoom out", "shrinks the view"),
    "zoom-fit-best": ("Zoom to fit", "fits the whole drawing in the view"),
    "zoom-original": ("Actual size", "shows the view at 100%"), "zoom-fit-width": ("Fit width", "fits the page width"),
    "zoom-select": ("Zoom to selection", "zooms to the selected area"),
    "view-refresh": ("Refresh", "reloads the view"), "view-fullscreen": ("Full screen", "switches to full screen"),
    "view-grid": ("Grid", "shows or hides the grid"), "view-preview": ("Preview", "shows a preview"),
    "view-filter": ("Filter", "filters the list"), "view-sort-ascending": ("Sort ascending", "sorts from A to Z"),
    "view-sort-descending": ("Sort descending", "sorts from Z to A"), "view-hidden": ("Hidden", "shows hidden items"),
    "format-text-bold": ("Bold", "makes the selected text bold"),
    "format-text-italic": ("Italic", "italicises the selected text"),
    "format-text-underline": ("Underline", "underlines the selected text"),
    "format-text-strikethrough": ("Strikethrough", "strikes through the selected text"),
    "format-justify-left": ("Align left", "aligns the text to the left"),
    "format-justify-center": ("Center", "centres the text"),
    "format-justify-right": ("Align right", "aligns the text to the right"),
    "format-justify-fill": ("Justify", "justifies the text"),
    "format-list-unordered": ("Bullets", "starts a bulleted list"),
    "format-list-ordered": ("Numbering", "starts a numbered list"),
    "format-indent-more": ("Increase indent", "indents the paragraph further"),
    "format-indent-less": ("Decrease indent", "reduces the paragraph's indent"),
    "format-text-color": ("Font color", "changes the text colour"),
    "format-fill-color": ("Fill color", "changes the fill colour"),
    "media-playback-start": ("Play", "starts playback"), "media-playback-pause": ("Pause", "pauses playback"),
    "media-playback-stop": ("Stop", "stops playback"), "media-record": ("Record", "starts recording"),
    "media-skip-forward": ("Next", "skips to the next item"), "media-skip-backward": ("Previous", "skips back"),
    "media-seek-forward": ("Fast forward", "seeks forward"), "media-seek-backward": ("Rewind", "seeks backward"),
    "go-next": ("Next", "goes to the next item"), "go-previous": ("Back", "goes to the previous item"),
    "go-up": ("Up", "goes to the parent folder"), "go-home": ("Home", "goes to the home folder"),
    "go-top": ("First", "goes to the top"), "go-bottom": ("Last", "goes to the bottom"),
    "list-add": ("Add", "adds a new item"), "list-remove": ("Remove", "removes the selected item"),
    "object-rotate-left": ("Rotate left", "rotates the object to the left"),
    "object-rotate-right": ("Rotate right", "rotates the object to the right"),
    "object-flip-horizontal": ("Flip horizontally", "mirrors the object horizontally"),
    "object-flip-vertical": ("Flip vertically", "mirrors the object vertically"),
    "object-locked": ("Locked", "shows the object is locked"), "object-unlocked": ("Unlocked", "unlocks the object"),
    "draw-rectangle": ("Rectangle", "draws a rectangle"), "draw-ellipse": ("Ellipse", "draws an ellipse"),
    "draw-line": ("Line", "draws a straight line"), "draw-polyline": ("Polyline", "draws a polyline"),
    "draw-polygon": ("Polygon", "draws a polygon"), "draw-circle": ("Circle", "draws a circle"),
    "draw-arrow": ("Arrow", "draws an arrow"), "draw-text": ("Text", "adds a text box"),
    "draw-freehand": ("Freehand", "draws freehand"), "draw-bezier-curves": ("Bezier curve", "draws a Bezier curve"),
    "draw-eraser": ("Eraser", "erases strokes"), "draw-brush": ("Brush", "paints with a brush"),
    "color-picker": ("Color picker", "picks a colour from the canvas"),
    "tool-measure": ("Measure", "measures a distance"), "transform-move": ("Move", "moves the selection"),
    "transform-rotate": ("Rotate", "rotates the selection"), "transform-scale": ("Scale", "scales the selection"),
    "transform-crop": ("Crop", "crops the image"), "select-rectangular": ("Rectangle select", "selects a rectangle"),
    "debug-run": ("Debug", "starts debugging"), "debug-step-into": ("Step into", "steps into the function call"),
    "debug-step-over": ("Step over", "steps over the current line"), "debug-step-out": ("Step out", "steps out of the function"),
    "run-build": ("Build", "builds the project"), "run-build-clean": ("Clean", "cleans the build"),
    "mail-send": ("Send", "sends the message"), "mail-reply-sender": ("Reply", "replies to the sender"),
    "mail-reply-all": ("Reply all", "replies to everyone"), "mail-forward": ("Forward", "forwards the message"),
    "mail-mark-read": ("Mark as read", "marks the message as read"), "mail-attachment": ("Attach", "attaches a file"),
    "insert-table": ("Table", "inserts a table"), "insert-image": ("Picture", "inserts a picture"),
    "insert-link": ("Link", "inserts a hyperlink"), "insert-text": ("Text box", "inserts a text box"),
    "help-contents": ("Help", "opens the help"), "help-about": ("About", "shows the version information"),
    "configure": ("Settings", "opens the settings"), "window-close": ("Close", "closes the window"),
    "folder-new": ("New folder", "creates a new folder"), "tab-new": ("New tab", "opens a new tab"),
    "system-search": ("Search", "searches for files"), "view-list-details": ("Details view", "lists items with details"),
    "view-list-icons": ("Icons view", "shows items as icons"), "view-list-tree": ("Tree view", "shows items as a tree"),
}


@dataclass(frozen=True)
class ThemeIcon:
    name: str  # the theme's file name without .svg
    context: str  # the theme folder it is in: actions (toolbars), places, devices, mimetypes, status, preferences
    label: str  # accessible name (aria-label)
    func: str  # what it does, 3rd person ("rotates the object left"); "" when the name says no action
    tokens: tuple[str, ...]  # the name's words, product prefix dropped


def available() -> bool:
    return (BREEZE / "actions" / "22").is_dir() and (BREEZE_DARK / "actions" / "22").is_dir()


@lru_cache(maxsize=1)
def catalog() -> dict[str, ThemeIcon]:
    """Every usable Breeze action icon by name (see the module's rules). Raises FileNotFoundError
    naming the package when the theme is not installed."""
    if not available():
        raise FileNotFoundError(f"the Breeze icon theme is missing ({BREEZE}): apt-get install breeze-icon-theme "
                                "(scripts/setup.sh installs it)")
    where: dict[str, str] = {}
    for context in CONTEXTS:
        for p in sorted((BREEZE / context / "22").glob("*.svg")):
            if p.resolve().is_file():
                where.setdefault(p.name[:-4], context)
    names = sorted(where)
    split = {n: _tokens(n) for n in names}
    uses = Counter(t for toks in split.values() for t in set(toks))
    words = _dictionary()
    out, labels, files = {}, set(), set()
    for name in sorted(names, key=lambda n: (n not in CURATED, len(n), n)):
        toks = split[name]
        if name not in CURATED and (not toks or len(toks) > 4 or not all(
                re.fullmatch(r"[a-z]+", t) and (t in words or t in VERBS or t in MODS or uses[t] >= MIN_TOKEN_USES)
                for t in toks)):
            continue
        label, func = CURATED.get(name) or _derive(toks)
        if where[name] != "actions":
            label, func = " ".join(toks).capitalize(), ""  # a place, device or file type: named, no action
        target = (BREEZE / where[name] / "22" / f"{name}.svg").resolve()
        if label.casefold() in labels or target in files:
            continue  # an alias of an icon already taken
        labels.add(label.casefold())
        files.add(target)
        out[name] = ThemeIcon(name, where[name], label, func, toks)
    return out


@lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    """English words (Debian `wamerican`, SCOWL's list), lower-case; empty where not installed."""
    try:
        text = DICTIONARY.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    return frozenset(w for w in text.split() if w.isalpha() and w.islower() and len(w) > 1)


def _tokens(name: str) -> tuple[str, ...]:
    """The name's words without application names and writing-direction variants ('-rtl', '-ltr')."""
    return tuple(t for t in name.lower().split("-") if t not in PRODUCTS and t not in ("ltr", "rtl", "symbolic"))


def _derive(toks: tuple[str, ...]) -> tuple[str, str]:
    """(label, function) from a name's words: the verb first in the label, conjugated in the function."""
    verb_at = next((i for i, t in enumerate(toks[:2]) if t in VERBS and not (i == 0 and t in CATEGORIES and len(toks) > 1
                                                                            and toks[1] in VERBS)), None)
    if verb_at is None:
        return " ".join(toks).capitalize(), ""
    verb = toks[verb_at]
    rest = [t for i, t in enumerate(toks) if i != verb_at and not (i == 0 and t in CATEGORIES)]
    nouns = [t for t in rest if t not in MODS or (t in ADJECTIVES and rest.index(t) < len(rest) - 1)]
    mods = [t for t in rest if t not in nouns]
    nouns = sorted(nouns, key=lambda t: t not in ADJECTIVES)  # "the horizontal rule", not "the rule horizontal"
    label = " ".join([verb, *nouns, *mods]).capitalize()
    if len(toks) > 3:
        return label, ""  # a longer name ("edit-image-face-recognize") says more than a verb and its object
    if not nouns and (verb in ("new", "snap") or len(mods) > 1):
        return label, ""  # "creates a new", "aligns horizontal left out": no object to say it of
    article = "" if verb == "new" else " the"
    obj = f"{article} {' '.join(nouns)}" if nouns else ""
    return label, f"{VERBS[verb]}{obj}{' ' + ' '.join(mods) if mods else ''}"


@lru_cache(maxsize=4096)
def svg_uri(name: str, dark: bool = False) -> str:
    """The icon's SVG as a data: URI (Breeze Dark's variant on dark screens)."""
    item = catalog().get(name)  # a name the catalog left out (an alias) is still the theme's file
    context = item.context if item else next(c for c in CONTEXTS if (BREEZE / c / "22" / f"{name}.svg").is_file())
    data = ((BREEZE_DARK if dark else BREEZE) / context / "22" / f"{name}.svg").read_bytes()
    return "data:image/svg+xml;base64," + base64.b64encode(data).decode()


def pick(rng, prefixes: tuple[str, ...], n: int, taken: set[str] | None = None,
         context: str = "actions") -> list[ThemeIcon]:
    """`n` different icons of `context` whose name (product prefix dropped) starts with one of `prefixes`
    ('draw-', 'snap-', 'align-'; "" for any), none of `taken` (names already on the screen); fewer when the
    theme has fewer."""
    taken = taken if taken is not None else set()
    pool = [i for i in catalog().values() if i.context == context and i.name not in taken
            and "-".join(i.tokens).startswith(prefixes)]
    chosen = rng.sample(pool, min(n, len(pool)))
    taken.update(i.name for i in chosen)
    return chosen
