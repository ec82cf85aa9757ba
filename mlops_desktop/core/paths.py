"""Where the client keeps its own state: user config and data directories (XDG on Linux).

A different HOME is a different client: keys and settings live in the config directory;
the default governance database and the memory of the last verified audit-log checkpoint
live in the data directory.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "mlops-desktop"


def user_config_dir() -> Path:
    """Settings and keys (``~/.config/mlops-desktop`` on Linux)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def user_data_dir() -> Path:
    """Governance database and client state (``~/.local/share/mlops-desktop`` on Linux)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def keys_dir() -> Path:
    return user_config_dir() / "keys"


def default_governance_path() -> Path:
    return user_data_dir() / "governance.db"


def client_state_path() -> Path:
    """The client's memory of the audit-log checkpoints it has verified, per governance store."""
    return user_data_dir() / "client-state.json"


def ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
