"""Fonts found on the machine: the handwriting fonts documents can be written in.

No heavy imports: the recipe check calls `handwriting_file` to refuse a recipe whose fonts are
missing before anything runs.
"""

from __future__ import annotations

from functools import lru_cache

# handwriting fonts (Latin only), from Debian packages the project's setup installs:
# name -> (fontconfig family, Debian package). Canvas font names for them are 'hw-<name>'.
HANDWRITING = {
    "dkg-handwriting": ("DkgHandwriting", "fonts-dkg-handwriting"),
    "breip": ("Breip", "fonts-breip"),
    "humor-sans": ("Humor Sans", "fonts-humor-sans"),
    "dancing-script": ("Dancing Script", "fonts-dancingscript"),
    "kristi": ("Kristi", "fonts-kristi"),
}
# a Chinese and Japanese handwriting-style font (LXGW WenKai, OFL, a Kai face drawn from the
# handwritten Klee One): CJK pages of the handwriting families are written in it
CJK_HANDWRITING = {"lxgw-wenkai": ("LXGW WenKai", "fonts-lxgw-wenkai")}
CJK_HAND_LANGUAGES = ("zh", "ja")
HAND_PREFIX = "hw-"


class FontMissing(ValueError):
    """A font a recipe names is not installed on this machine."""


@lru_cache(maxsize=None)
def handwriting_file(name: str) -> str:
    """The font file of a handwriting font, found with fontconfig (its Regular style when it has one)."""
    import subprocess

    family, package = {**HANDWRITING, **CJK_HANDWRITING}[name]
    try:
        listing = subprocess.run(["fc-list", f":family={family}", "file", "style"], capture_output=True, text=True,
                                 timeout=30).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        listing = []
    files = sorted(listing, key=lambda line: ("Regular" not in line and "Medium" not in line, line))
    if not files:
        raise FontMissing(f"handwriting font {name!r} ({family}) is not installed: apt-get install {package} "
                          "(scripts/setup.sh does)")
    return files[0].split(":")[0]
