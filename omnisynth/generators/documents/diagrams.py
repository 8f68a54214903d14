"""Flowcharts and organisation charts laid out by Graphviz, and the `diagram` family.

A graph is drawn from the seed (a process with decisions and a loop back, or a reporting tree of
people), laid out by Graphviz's `dot` (Debian's graphviz, through the `graphviz` package) as SVG, which
MuPDF turns into a vector PDF placed on the page, its labels real text; `dot`'s JSON output gives
every node's box.
Facts: each node a `diagram_node` (its label read back from the text layer inside its box when
the page is rendered) and the whole graph a `diagram` fact (`attrs.nodes`: [id, label, shape],
`attrs.edges`: [from, to, label]) that diagram questions are answered from.

Labels are Latin-script: dot finds its fonts through fontconfig, where no CJK font is installed,
so CJK pages of this family are drawn in English (as the handwriting families are).
"""

from __future__ import annotations

import json
import random

from omnisynth.generators.content import Content
from omnisynth.generators.documents.canvas import MARGIN, Canvas
from omnisynth.schemas.truth import Fact

WORDS = {  # the few words a flowchart prints besides its steps
    "en": {"start": "Start", "end": "End", "yes": "Yes", "no": "No", "flow": "Process", "org": "Organisation"},
    "de": {"start": "Start", "end": "Ende", "yes": "Ja", "no": "Nein", "flow": "Ablauf", "org": "Organigramm"},
    "fr": {"start": "Début", "end": "Fin", "yes": "Oui", "no": "Non", "flow": "Processus", "org": "Organigramme"},
    "es": {"start": "Inicio", "end": "Fin", "yes": "Sí", "no": "No", "flow": "Proceso", "org": "Organigrama"},
}
LATIN = tuple(WORDS)
STEPS = {  # a process step is a verb and its object; a decision asks about that object
    "en": (["Review", "Approve", "Submit", "Check", "Update", "Send", "Archive", "Validate", "Prepare", "Schedule",
            "Test", "Sign", "Collect", "Record", "Notify"],
           ["{} complete?", "{} approved?", "{} valid?", "{} in stock?"]),
    "de": (["Prüfen", "Freigeben", "Einreichen", "Aktualisieren", "Senden", "Archivieren", "Vorbereiten", "Planen",
            "Testen", "Erfassen", "Melden"], ["{} vollständig?", "{} genehmigt?", "{} gültig?"]),
    "fr": (["Vérifier", "Approuver", "Soumettre", "Mettre à jour", "Envoyer", "Archiver", "Préparer", "Planifier",
            "Tester", "Signer", "Enregistrer"], ["{} complet ?", "{} approuvé ?", "{} valide ?"]),
    "es": (["Revisar", "Aprobar", "Enviar", "Actualizar", "Archivar", "Validar", "Preparar", "Planificar", "Probar",
            "Firmar", "Registrar"], ["¿{} completo?", "¿{} aprobado?", "¿{} válido?"]),
}


def _step(c: Content, rng: random.Random) -> str:
    return c.unique(lambda: f"{rng.choice(STEPS[c.lang][0])} {c.words(rng.randint(1, 2)).title()}")


def _decision(c: Content, rng: random.Random) -> str:
    return c.unique(lambda: rng.choice(STEPS[c.lang][1]).format(c.words(1).title()))


def flowchart(c: Content, rng: random.Random) -> tuple[list[list], list[list]]:
    """A process: start, 3-6 steps, one or two yes/no decisions between steps ("no" leads to a rework
    step that loops back to an earlier step), end. Returns (nodes [id, label, shape], edges [from,
    to, label])."""
    W = WORDS[c.lang]
    nodes = [["n0", W["start"], "ellipse"]]
    steps = rng.randint(3, 6)
    main = []
    for i in range(steps):
        main.append(f"n{i + 1}")
        nodes.append([main[-1], _step(c, rng), "box"])
    end = f"n{steps + 1}"
    decisions = set(rng.sample(range(steps - 1), min(steps - 1, rng.randint(1, 2))))
    edges = [["n0", main[0], ""]]
    k = steps + 2
    for i, node in enumerate(main):
        after = main[i + 1] if i + 1 < steps else end
        if i not in decisions:
            edges.append([node, after, ""])
            continue
        d, fix = f"n{k}", f"n{k + 1}"
        k += 2
        nodes.append([d, _decision(c, rng), "diamond"])
        nodes.append([fix, _step(c, rng), "box"])
        edges += [[node, d, ""], [d, after, W["yes"]], [d, fix, W["no"]], [fix, main[rng.randint(0, i)], ""]]
    nodes.append([end, W["end"], "ellipse"])
    return nodes, edges


def org_chart(c: Content, rng: random.Random) -> tuple[list[list], list[list]]:
    """A reporting tree: a head, 2-4 direct reports, each with 0-3 of their own (people's names)."""
    nodes = [["n0", c.unique(c.person), "box"]]
    edges = []
    for _ in range(rng.randint(2, 4)):
        mid = f"n{len(nodes)}"
        nodes.append([mid, c.unique(c.person), "box"])
        edges.append(["n0", mid, ""])
        for _ in range(rng.randint(0, 3)):
            leaf = f"n{len(nodes)}"
            nodes.append([leaf, c.unique(c.person), "box"])
            edges.append([mid, leaf, ""])
    return nodes, edges


def layout(nodes: list[list], edges: list[list], rankdir: str) -> tuple[bytes, float, float, dict]:
    """The graph laid out by dot: (PDF, width, height in points, {node id: box in PDF points from the
    top-left})."""
    import graphviz
    import pymupdf

    g = graphviz.Digraph(graph_attr={"rankdir": rankdir, "nodesep": "0.3", "ranksep": "0.35", "margin": "0",
                                     "pad": "0"},
                         node_attr={"fontname": "Helvetica", "fontsize": "10", "style": "filled",
                                    "fillcolor": "#eef2fa", "color": "#3a5a8c", "margin": "0.12,0.05"},
                         edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.6",
                                    "color": "#4a4a55"})
    for node, label, shape in nodes:
        g.node(node, label, shape=shape)
    for a, b, label in edges:
        g.edge(a, b, label=label)
    # dot's SVG drawn by MuPDF into a PDF: text set glyph by glyph in its Helvetica (Nimbus Sans), where
    # dot's own PDF (cairo and pango) joins ff, fi, fl into ligatures that read back out of order
    # (dot's background polygon has stroke "transparent", which MuPDF would draw black)
    with pymupdf.open("svg", g.pipe(format="svg").replace(b'stroke="transparent"', b'stroke="none"')) as svg:
        pdf = svg.convert_to_pdf()
    laid = json.loads(g.pipe(format="json"))
    _, _, w, h = (float(v) for v in laid["bb"].split(","))
    boxes = {}
    for obj in laid["objects"]:
        x, y = (float(v) for v in obj["pos"].split(","))
        bw, bh = float(obj["width"]) * 72, float(obj["height"]) * 72
        boxes[obj["name"]] = (x - bw / 2, h - y - bh / 2, x + bw / 2, h - y + bh / 2)
    return pdf, w, h, boxes


def draw_diagram(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """A page around one diagram: title, a paragraph, the flowchart or organisation chart with its
    caption, and a closing paragraph."""
    width = cv.width - 2 * MARGIN
    cv.text(MARGIN, 50, title, size + 6, bold=True, fact="title", fit=width)
    y = cv.paragraph(MARGIN, 80, width, c.paragraph((2, 3)), size, attrs={"section": title}, max_bottom=230) + 16
    kind = rng.choice(["flowchart", "flowchart", "org"])
    nodes, edges = flowchart(c, rng) if kind == "flowchart" else org_chart(c, rng)
    room = cv.height - y - 150
    # top to bottom, or left to right where that draws it larger
    laid = [layout(nodes, edges, rankdir) for rankdir in (("TB", "LR") if kind == "flowchart" else ("TB",))]
    pdf, w, h, boxes = max(laid, key=lambda t: min(1.0, width / t[1], room / t[2]))
    scale = min(1.0, width / w, room / h)
    left = MARGIN + (width - w * scale) / 2
    cv.ops.append(("pdf", left, y, left + w * scale, y + h * scale, pdf))
    for node, label, _ in nodes:
        x0, y0, x1, y1 = boxes[node]
        cv.facts.append(Fact("diagram_node", cv.page, (left + x0 * scale, y + y0 * scale, left + x1 * scale,
                                                       y + y1 * scale), label, {"node": node}))
    cv.facts.append(Fact("diagram", cv.page, (left, y, left + w * scale, y + h * scale), kind,
                         {"kind": kind, "nodes": nodes, "edges": edges, "shape": True}))
    W = WORDS[c.lang]
    y += h * scale + 10
    cv.text(MARGIN, y, f"{c.labels['figure'].format(n=cv.page + 1)}: {W['flow' if kind == 'flowchart' else 'org']}"
            f" {c.words(rng.randint(2, 4))}", size - 1, fact="caption", fit=width)
    cv.paragraph(MARGIN, y + size * 2.4, width, c.paragraph((1, 3)), size, attrs={"section": title},
                 max_bottom=cv.height - 60)
