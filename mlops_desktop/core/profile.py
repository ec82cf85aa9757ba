"""The report profile: what the organisation knows and ML metadata cannot hold.

A TOML file the officer keeps (default ``report-profile.toml`` in the user config
directory; ``report --profile FILE``; edited in Settings > Report profile). Report sections
fill from it and name what it still lacks. Example::

    organisation = "Example Health Ltd"
    controller = "Example Health Ltd, 1 High Street, London"
    dpo_contact = "dpo@example.org"
    officer_name = "Dana Officer"
    purposes = ["readmission risk scoring", "fraud detection"]
    recipients = ["care coordinators"]
    technical_measures = ["encryption at rest (AES-256)"]
    organisational_measures = ["annual access review"]

    [[processors]]
    name = "CloudCo"
    service = "model hosting"
    agreement = "DPA-2025-07 / BAA-2025-03"
    business_associate = true

    [expert_determination]
    expert = "Dr. A. Statistician"
    date = "2026-01-15"
    method = "k-anonymity (k=11) on quasi-identifiers"

    [[retention]]
    data = "training extracts"
    period = "6 years"
    basis = "45 CFR 164.316(b)(2)"
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_desktop.core.errors import UsageError
from mlops_desktop.core.paths import user_config_dir

logger = logging.getLogger(__name__)

PROFILE_FILE = "report-profile.toml"


@dataclass(frozen=True, slots=True)
class Processor:
    """A processor (GDPR Art. 28) or business associate (HIPAA 164.502(e))."""

    name: str
    service: str = ""
    agreement: str = ""  # DPA / BAA reference
    business_associate: bool = False


@dataclass(frozen=True, slots=True)
class ExpertDetermination:
    """HIPAA 164.514(b)(1) Expert Determination record."""

    expert: str = ""
    date: str = ""
    method: str = ""

    def missing(self) -> list[str]:
        return [k for k in ("expert", "date", "method") if not getattr(self, k)]


@dataclass(frozen=True, slots=True)
class RetentionRule:
    data: str
    period: str = ""
    basis: str = ""


@dataclass(frozen=True, slots=True)
class ReportProfile:
    organisation: str = ""
    controller: str = ""
    dpo_contact: str = ""
    officer_name: str = ""
    purposes: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    processors: tuple[Processor, ...] = ()
    technical_measures: tuple[str, ...] = ()
    organisational_measures: tuple[str, ...] = ()
    expert_determination: ExpertDetermination = field(default_factory=ExpertDetermination)
    retention: tuple[RetentionRule, ...] = ()
    source: str = ""  # the file it was read from ("" = none)

    #: field -> what a section says is missing
    LABELS = {
        "organisation": "organisation", "controller": "controller", "dpo_contact": "DPO contact",
        "officer_name": "officer's name", "purposes": "purposes", "recipients": "recipients",
        "processors": "processors / business associates",
        "technical_measures": "technical measures", "organisational_measures": "organisational measures",
        "expert_determination": "Expert Determination record", "retention": "retention schedule",
    }

    def missing(self, *names: str) -> list[str]:
        """Labels of the fields among ``names`` (all when empty) the profile does not fill."""
        out = []
        for name in names or tuple(self.LABELS):
            value = getattr(self, name)
            empty = bool(value.missing()) if isinstance(value, ExpertDetermination) else not value
            if empty:
                out.append(self.LABELS[name])
        return out

    def missing_note(self, *names: str) -> str:
        """"Not recorded in the report profile: a, b" or "" when complete."""
        gaps = self.missing(*names)
        return ("Not recorded in the report profile (gap): " + ", ".join(gaps) + ".") if gaps else ""

    def to_toml(self) -> str:
        return dump_toml(self)


def default_profile_path() -> Path:
    return user_config_dir() / PROFILE_FILE


def _str(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise UsageError(f"{where}: '{key}' must be text.", "Write it as key = \"text\".")
    return str(value).strip()


def _list(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where}: '{key}' must be a list of text.", f'Write it as {key} = ["a", "b"].')
    return tuple(v.strip() for v in value if v.strip())


def _tables(data: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise UsageError(f"{where}: '{key}' must be a list of tables.", f"Write each as a [[{key}]] section.")
    return value


def parse_profile(data: Mapping[str, Any], where: str = "report profile") -> ReportProfile:
    known = set(ReportProfile.LABELS)
    unknown = sorted(set(data) - known)
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)}.", f"Known keys: {', '.join(sorted(known))}.")
    processors = []
    for t in _tables(data, "processors", where):
        name = _str(t, "name", where + " [[processors]]")
        if not name:
            raise UsageError(f"{where}: a [[processors]] entry has no name.", 'Add name = "...".')
        ba = t.get("business_associate", False)
        if not isinstance(ba, bool):
            raise UsageError(f"{where}: business_associate of {name!r} must be true or false.")
        processors.append(Processor(name, _str(t, "service", where), _str(t, "agreement", where), ba))
    ed = data.get("expert_determination", {})
    if not isinstance(ed, dict):
        raise UsageError(f"{where}: expert_determination must be a table.", "Write it as an [expert_determination] section.")
    retention = []
    for t in _tables(data, "retention", where):
        what = _str(t, "data", where + " [[retention]]")
        if not what:
            raise UsageError(f"{where}: a [[retention]] entry has no 'data'.", 'Add data = "what is kept".')
        retention.append(RetentionRule(what, _str(t, "period", where), _str(t, "basis", where)))
    return ReportProfile(
        organisation=_str(data, "organisation", where),
        controller=_str(data, "controller", where),
        dpo_contact=_str(data, "dpo_contact", where),
        officer_name=_str(data, "officer_name", where),
        purposes=_list(data, "purposes", where),
        recipients=_list(data, "recipients", where),
        processors=tuple(processors),
        technical_measures=_list(data, "technical_measures", where),
        organisational_measures=_list(data, "organisational_measures", where),
        expert_determination=ExpertDetermination(_str(ed, "expert", where), _str(ed, "date", where),
                                                 _str(ed, "method", where)),
        retention=tuple(retention),
    )


def load_profile(path: Path | str | None = None, *, required: bool = True) -> ReportProfile:
    """The profile at ``path`` (default: the user config dir's). A missing default file is an
    empty profile; a missing explicit file (``required``) or a malformed one is a UsageError."""
    explicit = path is not None
    p = Path(path).expanduser() if path is not None else default_profile_path()
    if not p.exists():
        if explicit and required:
            raise UsageError(f"The report profile {p} does not exist.",
                             "Give an existing TOML file, or fill the profile in Settings > Report profile.")
        return ReportProfile()
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read the report profile {p}: {exc}.", "Check the file's permissions.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"The report profile {p} is not valid TOML: {exc}.", "Fix the line named above.") from exc
    prof = parse_profile(data, str(p))
    return ReportProfile(**{**{f: getattr(prof, f) for f in prof.__dataclass_fields__}, "source": str(p)})


def officer_name() -> str:
    """The officer's display name from the default profile ("" when none; never raises)."""
    try:
        return load_profile(None).officer_name
    except UsageError as exc:
        logger.warning("Ignoring the report profile: %s", exc.message)
        return ""


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dump_toml(p: ReportProfile) -> str:
    lines = []
    for key in ("organisation", "controller", "dpo_contact", "officer_name"):
        lines.append(f"{key} = {_q(getattr(p, key))}")
    for key in ("purposes", "recipients", "technical_measures", "organisational_measures"):
        lines.append(f"{key} = [" + ", ".join(_q(v) for v in getattr(p, key)) + "]")
    for proc in p.processors:
        lines += ["", "[[processors]]", f"name = {_q(proc.name)}", f"service = {_q(proc.service)}",
                  f"agreement = {_q(proc.agreement)}", f"business_associate = {'true' if proc.business_associate else 'false'}"]
    ed = p.expert_determination
    lines += ["", "[expert_determination]", f"expert = {_q(ed.expert)}", f"date = {_q(ed.date)}",
              f"method = {_q(ed.method)}"]
    for r in p.retention:
        lines += ["", "[[retention]]", f"data = {_q(r.data)}", f"period = {_q(r.period)}", f"basis = {_q(r.basis)}"]
    return "\n".join(lines) + "\n"


def save_profile(profile: ReportProfile, path: Path | str | None = None) -> Path:
    p = Path(path).expanduser() if path is not None else default_profile_path()
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".part")
        tmp.write_text(dump_toml(profile), encoding="utf-8")
        tmp.replace(p)
    except OSError as exc:
        raise UsageError(f"Cannot write the report profile {p}: {exc.strerror or exc}.",
                         "Pick a folder you can write to.") from exc
    return p


__all__ = ["ExpertDetermination", "Processor", "ReportProfile", "RetentionRule", "default_profile_path",
           "dump_toml", "load_profile", "officer_name", "parse_profile", "save_profile"]
