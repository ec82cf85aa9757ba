"""Verification-status words and colours (light and dark), shared by every page that shows
a signature or log verdict."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication

STATUS_TEXT = {
    "valid": "Valid",
    "invalid": "Invalid",
    "untrusted": "Untrusted signer",
    "revoked": "Revoked signer",
    "expired": "Expired",
    "evidence_changed": "Evidence changed",
    "other_registry": "Made on another registry",
    "registry_not_recorded": "Registry not recorded",
}
_STATUS_LIGHT = {
    "valid": "#15803d", "invalid": "#b91c1c", "untrusted": "#c2410c", "revoked": "#7e22ce",
    "expired": "#4b5563", "evidence_changed": "#a16207", "other_registry": "#1d4ed8",
    "registry_not_recorded": "#4b5563",
}
_STATUS_DARK = {
    "valid": "#4ade80", "invalid": "#f87171", "untrusted": "#fb923c", "revoked": "#c084fc",
    "expired": "#9ca3af", "evidence_changed": "#facc15", "other_registry": "#93c5fd",
    "registry_not_recorded": "#9ca3af",
}
#: Banner kinds: (background, text) per theme.
_BANNER_LIGHT = {"ok": ("#dcfce7", "#14532d"), "error": ("#fee2e2", "#7f1d1d"),
                 "warning": ("#fef3c7", "#78350f"), "info": ("#e0f2fe", "#0c4a6e")}
_BANNER_DARK = {"ok": ("#14351f", "#bbf7d0"), "error": ("#4c1515", "#fecaca"),
                "warning": ("#42300c", "#fde68a"), "info": ("#0c2f45", "#bae6fd")}



def is_dark() -> bool:
    """Whether the application palette is dark (read from the palette itself, so it is right
    while the palette-change events of a theme switch are delivered)."""
    return QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def status_text(status: str) -> str:
    return STATUS_TEXT.get(status, status.replace("_", " ").capitalize())


def status_color(status: str) -> QColor:
    table = _STATUS_DARK if is_dark() else _STATUS_LIGHT
    return QColor(table.get(status, table["expired"]))


def ok_color(ok: bool) -> QColor:
    return status_color("valid" if ok else "invalid")


def monospace_font() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)

