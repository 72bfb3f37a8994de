"""Matplotlib set-up that renders Bengali and Latin text in the same figure.

Matplotlib (3.11 and later) shapes Bengali script once a Bengali font is available. The font
family list puts DejaVu Sans first (Latin, digits, maths symbols) and Noto Sans Bengali second;
matplotlib falls back glyph by glyph, so a label such as "ক্ষতি (loss)" mixes both correctly.

Write Bengali labels without ``$...$`` maths: a label that contains ``$`` is typeset entirely by
matplotlib's mathtext, which has no font fallback, so its Bengali letters come out as boxes. Use
Unicode symbols instead (``w₁``, ``η``, ``λ``, ``−``).

Where the system has no Noto Sans Bengali (Colab, a fresh laptop), the copy bundled with this
package is registered. Only if that fails too is a single warning printed, and matplotlib's
per-glyph "missing from font" warnings are silenced so that they do not flood the notebook.
"""

from __future__ import annotations

import warnings
from pathlib import Path

LATIN_FONT = "DejaVu Sans"
BENGALI_FONT = "Noto Sans Bengali"
FONT_FAMILY = [LATIN_FONT, BENGALI_FONT]
BUNDLED_FONT_DIR = Path(__file__).with_name("fonts")

NO_FONT_MESSAGE = (
    "No Bengali font was found, so Bengali text in figures will show as empty boxes. "
    "Install one and restart the kernel: on Debian/Ubuntu `sudo apt-get install fonts-noto-core`; "
    "elsewhere install 'Noto Sans Bengali' from https://fonts.google.com/noto."
)


class BengaliFontWarning(UserWarning):
    """Figures cannot show Bengali script on this machine."""


def _font_available(name: str) -> bool:
    from matplotlib import font_manager

    try:
        font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False)
    except ValueError:
        return False
    return True


def _register_bundled_fonts(font_dir: Path) -> bool:
    from matplotlib import font_manager

    added = False
    for path in sorted(font_dir.glob("NotoSansBengali-*.ttf")):
        try:
            font_manager.fontManager.addfont(str(path))
            added = True
        except (OSError, RuntimeError, ValueError):
            continue
    return added and _font_available(BENGALI_FONT)


def ensure_bengali_font(font_dir: Path | None = None) -> bool:
    """Make Noto Sans Bengali available to matplotlib; return whether it is.

    Prefers an installed copy, then the bundled one. When neither works, warns once with
    BengaliFontWarning and silences matplotlib's per-glyph warnings.
    """
    if _font_available(BENGALI_FONT):
        return True
    if _register_bundled_fonts(font_dir or BUNDLED_FONT_DIR):
        return True
    warnings.warn(NO_FONT_MESSAGE, BengaliFontWarning, stacklevel=2)
    warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
    return False


def setup_plotting(font_dir: Path | None = None) -> bool:
    """Apply the course's figure style; return whether Bengali text can be drawn."""
    import matplotlib as mpl

    has_bengali = ensure_bengali_font(font_dir)
    mpl.rcParams.update(
        {
            # A list of families (not the generic "sans-serif") makes matplotlib fall back
            # glyph by glyph from the first family to the second.
            "font.family": FONT_FAMILY,
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.figsize": (6.4, 4.2),
        }
    )
    return has_bengali
