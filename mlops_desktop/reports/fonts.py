"""The Unicode fonts every report embeds (DejaVu Sans, Bitstream Vera licence, shipped here).

The standard PDF fonts cover Latin-1 only; any model name (CJK aside: DejaVu covers Latin,
Greek, Cyrillic, Arabic, Hebrew, symbols such as ✓) must render, so the report embeds
subsets of DejaVu Sans and DejaVu Sans Mono, and nothing else: no page, table or drawing
starts in ReportLab's default Helvetica (an archival file embeds every font it names).
"""

from __future__ import annotations

import logging
import threading
from importlib import resources

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from mlops_desktop.core.errors import MlopsError

logger = logging.getLogger(__name__)

SANS = "MlopsSans"
SANS_BOLD = "MlopsSans-Bold"
SANS_ITALIC = "MlopsSans-Oblique"
MONO = "MlopsMono"

_FILES = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    SANS_ITALIC: "DejaVuSans-Oblique.ttf",
    MONO: "DejaVuSansMono.ttf",
}
_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register the embedded fonts with ReportLab (idempotent, thread-safe)."""
    global _registered
    with _lock:
        if _registered:
            return
        folder = resources.files("mlops_desktop.reports") / "fonts"
        for name, filename in _FILES.items():
            try:
                with resources.as_file(folder / filename) as path:
                    pdfmetrics.registerFont(TTFont(name, str(path)))
            except OSError as exc:
                raise MlopsError(
                    f"The report font {filename} is missing from the installation ({exc}).",
                    "Reinstall mlops-desktop; the package must ship mlops_desktop/reports/fonts/.",
                ) from exc
        addMapping(SANS, 0, 0, SANS)
        addMapping(SANS, 1, 0, SANS_BOLD)
        addMapping(SANS, 0, 1, SANS_ITALIC)
        addMapping(SANS, 1, 1, SANS_BOLD)
        # reportlab.graphics starts every drawing in Helvetica (a font no report embeds): start in ours
        from reportlab.graphics import shapes

        shapes.STATE_DEFAULTS["fontName"] = SANS
        _registered = True
        logger.debug("registered report fonts")
