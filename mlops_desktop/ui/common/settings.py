"""GUI settings: one typed declaration (:class:`Preferences`), stored with QSettings.

The file is an INI file in the user's config directory (XDG on Linux:
``~/.config/mlops-desktop/gui.ini``), opened by path rather than through Qt's global
organisation/application lookup, so a different HOME/XDG_CONFIG_HOME is a different client
(tests isolate it per test) and the file stays readable by people. Every value is written
as JSON text, so lists, mappings, numbers and booleans come back with their type.

Versioned: ``meta/version`` records :data:`SCHEMA_VERSION`; :func:`migrate` lifts older data
step by step (:data:`MIGRATIONS`). Version 1 was the JSON file ``gui.json`` of earlier
releases; it is imported once and left in place.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import platformdirs
from PySide6.QtCore import QSettings

from mlops_desktop.core.findings import DEFAULT_SEVERITIES, SEVERITIES, FindingSettings
from mlops_desktop.core.profile import ReportProfile
from mlops_desktop.reports.model import ReportSettings
from mlops_desktop.services.session import preselected_key
from mlops_desktop.services.settings import VerificationSettings, ca_file_or_env
from mlops_desktop.sources.base import redact

logger = logging.getLogger(__name__)

MAX_RECENT = 10
#: Bump (and add a :data:`MIGRATIONS` step) when a setting is renamed, retyped or removed. A new
#: setting with a default needs neither: a file without it reads as the default, and an older
#: release keeps the key it does not know when it saves (e.g. ``policy_file``, added in version 2).
SCHEMA_VERSION = 2
THEMES = ("system", "light", "dark")
#: Allowed range of each numeric preference (the Settings dialog's spin boxes use the same).
RANGES: dict[str, tuple[int, int]] = {"min_approvals": (0, 100), "retention_years": (0, 100)}
LEGACY_JSON = "gui.json"


@dataclass(slots=True)
class Preferences:
    """Every GUI setting, its type and its default (the one declaration)."""

    #: Stores opened successfully, newest first (passwords redacted).
    recent_stores: list[str] = field(default_factory=list)
    #: Stores open when the app was last closed; reopened on start when ``restore_stores``.
    open_stores: list[str] = field(default_factory=list)
    restore_stores: bool = True
    #: Governance store used when none is given on the command line ("" = the default file).
    governance_url: str = ""
    #: The officer's signing key file (``keys create --out``), preselected in signing dialogs.
    key_path: str = ""
    #: Promotion policy TOML file (as ``verify --policy``) used by the Approve / Reject dialog
    #: and the Approvals page; "" = the built-in policy.
    policy_file: str = ""
    #: Organisation CA certificates, PEM (as ``verify --ca``): signer certificates on the trust
    #: list must chain to them. "" = MLOPS_DESKTOP_ORG_CA if set, else no certificate check.
    ca_file: str = ""
    #: Report profile TOML (as ``report --profile``); "" = report-profile.toml in the config folder.
    report_profile: str = ""
    #: Artifact-root prefix recorded by training -> local folder with the same files.
    artifact_roots: dict[str, str] = field(default_factory=dict)
    #: Stages and aliases that mean "in production" (findings, policy display).
    production_stages: list[str] = field(default_factory=lambda: ["Production"])
    production_aliases: list[str] = field(default_factory=lambda: ["champion", "production"])
    #: Finding thresholds.
    min_approvals: int = 2
    retention_years: int = 6
    #: Severity overrides per finding id, e.g. {"F6": "low"}.
    severities: dict[str, str] = field(default_factory=dict)
    #: "system" (follow the desktop's light/dark scheme), "light" or "dark".
    theme: str = "system"
    # -- the last layout -------------------------------------------------------------
    window_geometry: str = ""  # base64 of QMainWindow.saveGeometry()
    window_state: str = ""  # base64 of QMainWindow.saveState()
    splitter_sizes: dict[str, list[int]] = field(default_factory=dict)
    current_page: str = "models"


_HINTS: dict[str, Any] = get_type_hints(Preferences)


def _matches(value: Any, tp: Any) -> bool:
    """Does a decoded JSON value have the declared type?"""
    origin = get_origin(tp)
    if origin is list:
        (item,) = get_args(tp)
        return isinstance(value, list) and all(_matches(v, item) for v in value)
    if origin is dict:
        key, item = get_args(tp)
        return isinstance(value, dict) and all(_matches(k, key) and _matches(v, item) for k, v in value.items())
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, tp)


def _valid(name: str, value: Any) -> bool:
    if not _matches(value, _HINTS[name]):
        return False
    if name == "theme":
        return value in THEMES
    if name in RANGES:
        low, high = RANGES[name]
        return bool(low <= value <= high)
    if name == "severities":
        return all(k in DEFAULT_SEVERITIES and v in SEVERITIES for k, v in value.items())
    return True


# -- migrations -------------------------------------------------------------------------

def _from_1(data: dict[str, Any]) -> dict[str, Any]:
    """gui.json (recent_stores, theme) -> the INI layout: same names, nothing dropped."""
    return dict(data)


#: version n -> function lifting data of version n to n + 1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_1}


def migrate(data: dict[str, Any], version: int) -> dict[str, Any]:
    """Lift ``data`` written by settings version ``version`` to :data:`SCHEMA_VERSION`."""
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            logger.warning("No settings migration from version %d; starting from defaults", version)
            return {}
        data = step(data)
        version += 1
    return data


#: Names other modules used for a preference before it was declared here.
ALIASES = {"last_key_path": "key_path"}


class SettingsData(MutableMapping[str, Any]):
    """``settings.data[key]``: declared preferences by name (or alias), other keys kept as extras.

    Lets widgets remember small things (the last admin key path…) without a declaration;
    call :meth:`GuiSettings.save` afterwards, as with ``prefs``.
    """

    def __init__(self, owner: GuiSettings) -> None:
        self._owner = owner

    def __getitem__(self, key: str) -> Any:
        name = ALIASES.get(key, key)
        if name in _HINTS:
            return getattr(self._owner.prefs, name)
        return self._owner.extras[key]

    def __setitem__(self, key: str, value: Any) -> None:
        name = ALIASES.get(key, key)
        if name in _HINTS:
            if not _valid(name, value):
                raise ValueError(f"invalid value for {name}: {value!r}")
            setattr(self._owner.prefs, name, value)
        else:
            json.dumps(value)  # extras must be JSON
            self._owner.extras[key] = value

    def __delitem__(self, key: str) -> None:
        name = ALIASES.get(key, key)
        if name in _HINTS:
            setattr(self._owner.prefs, name, getattr(Preferences(), name))
        else:
            del self._owner.extras[key]

    def __iter__(self) -> Iterator[str]:
        yield from _HINTS
        yield from self._owner.extras

    def __len__(self) -> int:
        return len(_HINTS) + len(self._owner.extras)


def settings_path() -> Path:
    return platformdirs.user_config_path("mlops-desktop") / "gui.ini"


class GuiSettings:
    """Load with ``GuiSettings()``, read/change ``settings.prefs``, then :meth:`save`.

    Values that do not have the declared type (a hand-edited file, an older release) fall
    back to their default with a warning; an unreadable file never stops the app.
    """

    def __init__(self, path: Path | None = None, *, readonly: bool = False) -> None:
        self.path = path or settings_path()
        #: Never write (smoke tests must leave the user's settings alone).
        self.readonly = readonly
        self.prefs = Preferences()
        self.extras: dict[str, Any] = {}
        self.data = SettingsData(self)
        self.version = SCHEMA_VERSION
        self.migrated_from: int | None = None
        self.load()

    # -- storage ---------------------------------------------------------------------

    def _qsettings(self) -> QSettings:
        return QSettings(str(self.path), QSettings.Format.IniFormat)

    def load(self) -> None:
        self.prefs = Preferences()
        self.extras = {}
        raw: dict[str, Any] = {}
        version = SCHEMA_VERSION
        legacy = self.path.with_name(LEGACY_JSON)
        if self.path.exists():
            qs = self._qsettings()
            if qs.status() != QSettings.Status.NoError:
                logger.warning("Ignoring unreadable GUI settings %s", self.path)
                return
            version = _to_int(qs.value("meta/version"), 1)
            for f in fields(Preferences):
                text = qs.value(f"prefs/{f.name}")
                if text is None:
                    continue
                try:
                    raw[f.name] = json.loads(str(text))
                except ValueError:
                    logger.warning("Ignoring unreadable setting %s in %s", f.name, self.path)
            qs.beginGroup("extra")
            for key in qs.childKeys():
                try:
                    self.extras[key] = json.loads(str(qs.value(key)))
                except ValueError:
                    logger.warning("Ignoring unreadable setting extra/%s in %s", key, self.path)
            qs.endGroup()
        elif legacy.exists():
            try:
                loaded = json.loads(legacy.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                logger.warning("Ignoring unreadable GUI settings %s: %s", legacy, exc)
                loaded = {}
            raw = loaded if isinstance(loaded, dict) else {}
            version = 1
        self.version = version
        if version < SCHEMA_VERSION:
            self.migrated_from = version
            raw = migrate(raw, version)
        elif version > SCHEMA_VERSION:
            logger.warning("GUI settings %s were written by a newer release (version %d); reading what this "
                           "release knows", self.path, version)
        for key, value in raw.items():
            name = ALIASES.get(key, key)
            if name not in _HINTS:
                self.extras[key] = value
                continue
            if _valid(name, value):
                setattr(self.prefs, name, value)
            else:
                logger.warning("Ignoring invalid setting %s=%r; using the default", name, value)
        if self.migrated_from is not None:
            self.save()

    def save(self) -> None:
        if self.readonly:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            logger.warning("Cannot save GUI settings to %s: %s", self.path, exc)
            return
        qs = self._qsettings()
        qs.setValue("meta/version", max(self.version, SCHEMA_VERSION))
        for f in fields(Preferences):
            qs.setValue(f"prefs/{f.name}", json.dumps(getattr(self.prefs, f.name), ensure_ascii=False))
        qs.remove("extra")
        for key, value in self.extras.items():
            qs.setValue(f"extra/{key}", json.dumps(value, ensure_ascii=False))
        qs.sync()
        if qs.status() != QSettings.Status.NoError:
            logger.warning("Cannot save GUI settings to %s", self.path)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self.prefs)

    def update(self, **values: Any) -> None:
        """Set several preferences (validated) and save."""
        for name, value in values.items():
            if name not in _HINTS:
                raise KeyError(name)
            if not _valid(name, value):
                raise ValueError(f"invalid value for {name}: {value!r}")
            setattr(self.prefs, name, value)
        self.save()

    # -- conveniences ----------------------------------------------------------------

    @property
    def recent_stores(self) -> list[str]:
        return list(self.prefs.recent_stores)

    def add_recent_store(self, url: str) -> None:
        """Remember a store that opened. Passwords are never written (the URL is redacted)."""
        safe = redact(url)
        items = [safe, *(u for u in self.prefs.recent_stores if u != safe)]
        self.prefs.recent_stores = items[:MAX_RECENT]
        self.save()

    def set_open_stores(self, urls: list[str]) -> None:
        self.prefs.open_stores = [redact(u) for u in urls]
        self.save()

    def stores_to_restore(self) -> list[str]:
        """Stores to reopen on start (never ones whose password was redacted: they would fail)."""
        if not self.prefs.restore_stores:
            return []
        return [u for u in self.prefs.open_stores if ":***@" not in u]

    @property
    def theme(self) -> str:
        return self.prefs.theme

    @theme.setter
    def theme(self, value: str) -> None:
        self.update(theme=value)

    def finding_settings(self) -> FindingSettings:
        p = self.prefs
        return FindingSettings(
            production_stages=tuple(p.production_stages), production_aliases=tuple(p.production_aliases),
            min_approvals=p.min_approvals, retention_years=p.retention_years, severities=dict(p.severities),
        )

    def report_profile_path(self) -> Path:
        """The report profile file Settings edits and reports read."""
        from mlops_desktop.core.profile import default_profile_path

        text = self.prefs.report_profile.strip()
        return Path(text).expanduser() if text else default_profile_path()

    def report_profile(self) -> ReportProfile:
        """The report profile (empty when the file does not exist; a bad file is logged and ignored)."""
        from mlops_desktop.core.errors import UsageError
        from mlops_desktop.core.profile import load_profile

        try:
            return load_profile(self.report_profile_path(), required=False)
        except UsageError as exc:
            logger.warning("Ignoring the report profile: %s", exc.message)
            return ReportProfile()

    def report_settings(self) -> ReportSettings:
        """What reports are made with: Settings' thresholds and the report profile."""
        return ReportSettings(findings=self.finding_settings(), profile=self.report_profile())

    def verification_settings(self, artifact_roots: Mapping[str, str] | None = None) -> VerificationSettings:
        """What the GUI verifies with, as ``verify --ca --policy --artifact-root`` would:
        ``artifact_roots`` are the window's (Settings' merged with the command line's), else
        Settings' own."""
        p = self.prefs
        roots = dict(p.artifact_roots if artifact_roots is None else artifact_roots)
        return VerificationSettings(ca_file=ca_file_or_env(p.ca_file), policy_file=p.policy_file.strip(),
                                    artifact_roots=roots)

    def signing_key_path(self) -> str:
        """The key a signing dialog starts with (see :func:`~mlops_desktop.services.session.preselected_key`)."""
        return preselected_key(self.prefs.key_path)

    def remember_signing_key(self, path: str) -> None:
        """A key that signed becomes the one preselected next time (Settings' signing key)."""
        path = path.strip()
        if path and path != self.prefs.key_path:
            self.update(key_path=path)

    def source_settings(self) -> dict[str, object]:
        """Settings handed to sources (artifact-root mappings)."""
        return {"artifact_roots": dict(self.prefs.artifact_roots)}

    # window state is bytes in Qt; stored as base64 text
    @staticmethod
    def encode_bytes(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    @staticmethod
    def decode_bytes(text: str) -> bytes:
        try:
            return base64.b64decode(text.encode("ascii"), validate=True)
        except ValueError:
            return b""


def _to_int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


def verification_settings(settings: GuiSettings | None,
                          artifact_roots: Mapping[str, str] | None = None) -> VerificationSettings:
    """:meth:`GuiSettings.verification_settings`, or the defaults (and ``artifact_roots``)
    for a widget made without settings."""
    if settings is not None:
        return settings.verification_settings(artifact_roots)
    return VerificationSettings(ca_file=ca_file_or_env(""), artifact_roots=dict(artifact_roots or {}))


def signing_key_path(settings: GuiSettings | None) -> str:
    """The key a signing dialog starts with, with or without settings."""
    return settings.signing_key_path() if settings is not None else preselected_key("")
