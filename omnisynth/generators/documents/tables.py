"""A statistical table with merged cells: two header rows (column groups spanning their sub-columns),
row groups merged down the first column, and a total row whose sums are exact.

Every body cell is a `cell` fact keyed by its row label and its full column name ("<group>
<sub-column>", as a reader names a column under a spanning header) with `row_group`, `col_group`
and the exact `number`; the merged group cells are `row_group` / `col_group` facts.
"""

from __future__ import annotations

import random

from omnisynth.generators.content import Content
from omnisynth.generators.documents.canvas import MARGIN, Canvas, text_width

HEAD = (0.86, 0.89, 0.94)


def draw_grouped_table(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    B = c.labels
    width = cv.width - 2 * MARGIN
    cv.text(MARGIN, 50, title, size + 6, bold=True, fact="title", fit=width)
    y = cv.paragraph(MARGIN, 80, width, c.paragraph(), size, attrs={"section": title}, max_bottom=220) + 10
    sep = "" if c.lang in ("zh", "ja") else " "
    if rng.random() < 0.5:
        year = rng.randint(2015, 2024)
        col_groups = [str(year + i) for i in range(rng.randint(2, 3))]
        subs = ["Q1", "Q2", "Q3", "Q4"][:rng.randint(2, 4 if len(col_groups) == 2 else 3)]
    else:
        col_groups = [c.unique(c.city) for _ in range(rng.randint(2, 3))]
        subs = [c.unique(lambda: c.words(1).title()) for _ in range(rng.randint(2, 3))]
    decimals = rng.choice([0, 1])
    fmt = f"{{:,.{decimals}f}}"
    # as many sub-columns as the widest possible total fits (four rows of 1,000 a group, four groups)
    widest = text_width(fmt.format(16000), cv.font(True, "0"), size) + 10
    while len(subs) > 1 and len(col_groups) * len(subs) * widest > width * 0.58:
        subs.pop()
    span_w = width * 0.58 / len(col_groups) - 6  # a group's name fits over the sub-columns it spans, whole
    named: set[str] = set()
    col_groups = [cv.fitting(lambda g=g: g if g.isdigit() else c.city(), span_w, size, named, bold=True)
                  for g in col_groups]
    subs = [cv.wrap(sub, width * 0.58 / len(col_groups) / len(subs) - 6, size, bold=True)[0] for sub in subs]
    columns = [(g, s) for g in col_groups for s in subs]
    seen: set[str] = set()
    label_w = width * 0.25 - 8
    groups = [(c.unique(lambda: c.words(1).title()), [cv.fitting(c.product, label_w, size, seen)
                                                       for _ in range(rng.randint(2, 4))])
              for _ in range(rng.randint(2, 4))]
    values = {row: [round(rng.uniform(1, 10 ** rng.randint(2, 3)), decimals) for _ in columns]
              for _, rows in groups for row in rows}
    totals = [round(sum(values[row][k] for _, rows in groups for row in rows), decimals) for k in range(len(columns))]

    gx, lx = MARGIN, MARGIN + width * 0.17
    vx, vw = MARGIN + width * 0.42, width * 0.58 / len(columns)
    row_h = size * 1.9
    y += size
    top = y
    cv.rect(MARGIN, y, MARGIN + width, y + 2 * row_h, stroke=None, fill=HEAD)
    cv.text(gx + 4, y + row_h * 0.75, B["row"], size, bold=True, fit=width * 0.4)
    for i, group in enumerate(col_groups):  # a group name centred over the sub-columns it spans
        x0 = vx + i * len(subs) * vw
        cv.text(x0 + len(subs) * vw / 2, y + size * 0.45, group, size, bold=True, align="center",
                fact="col_group", attrs={"span": len(subs)}, fit=len(subs) * vw - 6)
        cv.line(x0 + 4, y + row_h - 2, x0 + len(subs) * vw - 4, y + row_h - 2, width=0.5)
        for j, sub in enumerate(subs):
            cv.text(x0 + (j + 1) * vw - 4, y + row_h + size * 0.45, sub, size, bold=True, align="right",
                    fit=vw - 6)
    y += 2 * row_h
    cv.line(MARGIN, y, MARGIN + width, y, width=0.8)
    # the table as printed, merged cells once with their spans (table parsing's ground truth)
    def shown(text: str, fit: float) -> str:  # what `fit=` prints of a bold header
        return cv.wrap(text, fit, size, bold=True)[0]

    grid = [[[shown(B["row"], width * 0.4), 2, 2, True],
             *[[shown(g, len(subs) * vw - 6), 1, len(subs), True] for g in col_groups]],
            [[shown(sub, vw - 6), 1, 1, True] for _ in col_groups for sub in subs]]
    r = 0
    for group, rows in groups:
        g_top = y
        for i, row in enumerate(rows):
            label = row  # fitted to its column and unique when drawn
            cv.text(lx + 4, y + size * 0.45, label, size)
            grid.append(([[shown(group, lx - gx - 8), len(rows), 1, True]] if i == 0 else []) +
                        [[label, 1, 1, False]] + [[fmt.format(v), 1, 1, False] for v in values[row]])
            for k, (cg, sub) in enumerate(columns):
                text = fmt.format(values[row][k])
                cv.text(vx + (k + 1) * vw - 4, y + size * 0.45, text, size, align="right", fact="cell",
                        attrs={"table": 0, "row": label, "col": f"{cg}{sep}{sub}", "r": r, "c": k + 1,
                               "number": values[row][k], "row_group": group, "col_group": cg})
            y += row_h
            r += 1
        # the group's name once, centred down the rows it spans (a merged cell)
        cv.text(gx + 4, (g_top + y) / 2 - size * 0.6, group, size, bold=True, fact="row_group",
                attrs={"span": len(rows)}, fit=lx - gx - 8)
        cv.line(MARGIN, y, MARGIN + width, y, width=0.4)
    cv.rect(MARGIN, y, MARGIN + width, y + row_h, stroke=None, fill=(0.95, 0.95, 0.96))
    cv.text(gx + 4, y + size * 0.45, B["total"], size, bold=True)
    for k, (cg, sub) in enumerate(columns):
        cv.text(vx + (k + 1) * vw - 4, y + size * 0.45, fmt.format(totals[k]), size, bold=True, align="right",
                fact="cell", attrs={"table": 0, "row": B["total"], "col": f"{cg}{sep}{sub}", "r": r, "c": k + 1,
                                    "number": totals[k], "col_group": cg, "total": True})
    grid.append([[B["total"], 1, 2, False], *[[fmt.format(t), 1, 1, False] for t in totals]])
    y += row_h
    cv.table_fact((MARGIN, top, MARGIN + width, y), 0, grid)
    cv.line(MARGIN, top, MARGIN + width, top, width=0.8)
    cv.line(MARGIN, y, MARGIN + width, y, width=0.8)
    cv.line(lx, top + row_h * 2, lx, y - row_h, width=0.4)
    cv.line(vx, top, vx, y, width=0.4)
    caption = f"{B['table'].format(n=cv.page + 1)}: {c.sentence(5, 9)}"
    cv.text(MARGIN, y + 8, caption, size - 1.5, fact="caption", fit=width)
    if y + 90 < cv.height - 80:
        cv.paragraph(MARGIN, y + 36, width, c.paragraph(), size, attrs={"section": caption}, max_bottom=cv.height - 60)
