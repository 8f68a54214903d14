"""One page of every document family on one image (the README's contact sheet).

    python scripts/contact_sheet.py docs/families.jpg [--seed 0] [--width 300]

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
    p.add_argument("--width", type=int, default=300, help="tile width, pixels")
    p.add_argument("--columns", type=int, default=6)
    args = p.parse_args()
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


if __name__ == "__main__":
    main()
