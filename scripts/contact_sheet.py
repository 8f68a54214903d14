"""One page of every document family on one image (the README's contact sheet), or with --pro one
4K screen of every professional application archetype, a row per ScreenSpot-Pro group, or with
--clips four frames of each kind of planned clip (moving shapes; each people script), a row each.

    python scripts/contact_sheet.py docs/families.jpg [--seed 0] [--width 300]
    python scripts/contact_sheet.py docs/pro_archetypes.jpg --pro [--width 640]
    python scripts/contact_sheet.py docs/av_clips.jpg --clips [--width 320]

Each tile is the first page of a document rendered with the family's defaults (English; the
long-document types at 12 pages, their first chapter page), labelled with the family's name.
"""

from __future__ import annotations

import argparse
import io

from PIL import Image, ImageDraw


def main() -> None:
    from omnisynth.generators.documents.config import EXTRA_FAMILIES, FAMILIES, LONG_FAMILIES
    from omnisynth.generators.documents.config import DocumentGenerator as DocConfig
    from omnisynth.generators.documents.generator import DocumentGenerator
    from omnisynth.schemas.recipe import TaskConfig
    from omnisynth.schemas.truth import SampleSpec

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=int, default=None, help="tile width, pixels (300; 640 with --pro)")
    p.add_argument("--columns", type=int, default=6)
    p.add_argument("--pro", action="store_true", help="the professional screens' archetypes instead, at 3840x2160")
    p.add_argument("--clips", action="store_true", help="frames of each kind of planned clip instead, at 640x360")
    args = p.parse_args()
    if args.clips:
        return clip_sheet(args.out, args.seed, args.width or 320)
    if args.pro:
        return pro_sheet(args.out, args.seed, args.width or 640)
    args.width = args.width or 300
    tiles = []
    for family in FAMILIES + EXTRA_FAMILIES + LONG_FAMILIES:
        long = family in LONG_FAMILIES
        config = DocConfig(families=[family], languages={"en": 1.0}, dpi=90, pages=(12, 12) if long else (1, 1))
        gen = DocumentGenerator(config, TaskConfig(kind="doc_long_qa" if long else "doc_qa"))
        media, _ = gen.render(SampleSpec("sheet", args.seed, 1, 0))
        member = "p003.png" if long else "png"
        image = Image.open(io.BytesIO(media[member])).convert("RGB")
        image.thumbnail((args.width, args.width * 1.5))
        tile = Image.new("RGB", (args.width, int(args.width * 1.5) + 22), "white")
        tile.paste(image, ((args.width - image.width) // 2, 0))
        ImageDraw.Draw(tile).text((6, tile.height - 18), family, fill=(20, 20, 20))
        tiles.append(tile)
    cols = args.columns
    rows = (len(tiles) + cols - 1) // cols
    w, h = tiles[0].size
    sheet = Image.new("RGB", (cols * (w + 8) + 8, rows * (h + 8) + 8), (200, 200, 205))
    for k, tile in enumerate(tiles):
        sheet.paste(tile, (8 + (k % cols) * (w + 8), 8 + (k // cols) * (h + 8)))
    sheet.save(args.out, quality=82)
    print(f"{args.out}: {len(tiles)} families")


def pro_sheet(out: str, seed: int, width: int) -> None:
    """Every archetype at 3840x2160 (light and dark themes, the three looks as drawn), four per row (a group)."""
    from omnisynth.generators.gui.archetypes import ARCHETYPES, GROUPS
    from omnisynth.generators.gui.config import GuiGenerator as GuiConfig
    from omnisynth.generators.gui.generator import GuiGenerator
    from omnisynth.schemas.recipe import TaskConfig
    from omnisynth.schemas.truth import SampleSpec

    gen = GuiGenerator(GuiConfig(families=["pro"], viewports=[(3840, 2160)], scales=[1.0]),
                       TaskConfig(kind="gui_pro_grounding"))
    rows = []
    for group in GROUPS:
        tiles = []
        for name in [n for n, a in ARCHETYPES.items() if a.group == group]:
            index = next(i for i in range(10_000) if gen.plan(SampleSpec("sheet", seed, i, 0)).archetype == name)
            media, truth = gen.render(SampleSpec("sheet", seed, index, 0))
            image = Image.open(io.BytesIO(media["png"])).convert("RGB")
            image.thumbnail((width, width))
            tile = Image.new("RGB", (width, image.height + 22), "white")
            tile.paste(image, (0, 0))
            label = f"{group} / {name} ({truth.meta['look']})"
            ImageDraw.Draw(tile).text((6, tile.height - 18), label, fill=(20, 20, 20))
            tiles.append(tile)
        rows.append(tiles)
    w, h = rows[0][0].size
    cols = max(len(r) for r in rows)
    sheet = Image.new("RGB", (cols * (w + 8) + 8, len(rows) * (h + 8) + 8), (200, 200, 205))
    for r, tiles in enumerate(rows):
        for c, tile in enumerate(tiles):
            sheet.paste(tile, (8 + c * (w + 8), 8 + r * (h + 8)))
    sheet.save(out, quality=85)
    print(f"{out}: {sum(map(len, rows))} archetypes")


def clip_sheet(out: str, seed: int, width: int) -> None:
    """A row per kind of clip (shapes; each people script) at 640x360 over the bundled photographs and sounds: four
    frames, each labelled with its time and what happens around it."""
    import random

    from omnisynth.generators.clips import media
    from omnisynth.generators.clips.plan import Sources, make_plan
    from omnisynth.generators.clips.render import render_clip
    from omnisynth.tasks.clips import PEOPLE_ACTS, visual_phrase

    kinds = [("moving shapes", 0.0, ("hand_over",))] + [(s.replace("_", " "), 1.0, (s,)) for s in
                                                         ("hand_over", "pick_up", "push", "put_down")]
    rows = []
    for k, (label, people, scripts) in enumerate(kinds):
        sources = Sources(media.photos(), media.effects(), 1.0, 0.6, people, scripts)
        plan = make_plan(640, 360, 25, 8.0, 2, (2, 3), 0.5, "en", random.Random(seed * 100 + k), sources)
        frames = render_clip(plan, seed, 4, False, 120)["frames"]
        tiles = []
        for t, jpg in frames:
            image = Image.open(io.BytesIO(jpg)).convert("RGB")
            image.thumbnail((width, width))
            near = [e for e in plan.events if e.modality == "visual" and (e.kind in PEOPLE_ACTS or e.kind in (
                "enter", "leave", "touch", "overtake", "colour_change")) and abs(e.start - t) < 1.2]
            text = f"{label}, {t:.1f} s" + (f": {visual_phrase(near[0])} ({near[0].start:.1f} s)" if near else "")
            tile = Image.new("RGB", (width, image.height + 34), "white")
            tile.paste(image, (0, 0))
            draw = ImageDraw.Draw(tile)
            draw.text((4, image.height + 3), text[:60], fill=(20, 20, 20))
            draw.text((4, image.height + 17), text[60:120], fill=(20, 20, 20))
            tiles.append(tile)
        rows.append(tiles)
    w, h = rows[0][0].size
    sheet = Image.new("RGB", (4 * (w + 8) + 8, len(rows) * (h + 8) + 8), (200, 200, 205))
    for r, tiles in enumerate(rows):
        for c, tile in enumerate(tiles):
            sheet.paste(tile, (8 + c * (w + 8), 8 + r * (h + 8)))
    sheet.save(out, quality=85)
    print(f"{out}: {len(rows)} kinds of clip")


if __name__ == "__main__":
    main()
