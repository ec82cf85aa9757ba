"""GUI settings kept in the user's config directory (XDG on Linux): recent stores, theme.

A small JSON file rather than QSettings, so a different HOME/XDG_CONFIG_HOME is a different
client (tests isolate it per test) and the file is readable by people.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import platformdirs

from mlops_desktop.sources.base import redact

logger = logging.getLogger(__name__)

MAX_RECENT = 10


def settings_path() -> Path:
    return platformdirs.user_config_path("mlops-desktop") / "gui.json"


class GuiSettings:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or settings_path()
        self.data: dict[str, Any] = {}
        self.load()

    def load(self) -> None:
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            loaded = {}
        except (OSError, ValueError) as exc:
            logger.warning("Ignoring unreadable GUI settings %s: %s", self.path, exc)
            loaded = {}
        self.data = loaded if isinstance(loaded, dict) else {}

    def save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data, indent=2), encoding="utf-8")
            tmp.replace(self.path)
        except OSError as exc:
            logger.warning("Cannot save GUI settings to %s: %s", self.path, exc)

    @property
    def recent_stores(self) -> list[str]:
        items = self.data.get("recent_stores", [])
        return [str(x) for x in items] if isinstance(items, list) else []

    def add_recent_store(self, url: str) -> None:
        """Remember a store that opened. Passwords are never written (the URL is redacted)."""
        safe = redact(url)
        items = [safe, *(u for u in self.recent_stores if u != safe)]
        self.data["recent_stores"] = items[:MAX_RECENT]
        self.save()

    @property
    def theme(self) -> str:
        value = self.data.get("theme", "system")
        return value if value in ("system", "light", "dark") else "system"

    @theme.setter
    def theme(self, value: str) -> None:
        self.data["theme"] = value
        self.save()
