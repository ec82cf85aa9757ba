"""Render resources/icons/app.svg to the PNG sizes desktops ask for (16..512).

    QT_QPA_PLATFORM=offscreen python packaging/make_icons.py

Writes resources/icons/app-<size>.png; run again after changing the SVG.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "app.svg"))
    if not renderer.isValid():
        sys.stderr.write("resources/icons/app.svg is not a valid SVG\n")
        return 2
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        out = ICONS / f"app-{size}.png"
        if not image.save(str(out)):
            sys.stderr.write(f"could not write {out}\n")
            return 2
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
