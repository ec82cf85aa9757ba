"""Where the data a rule needs is absent: the gaps a report names instead of "no findings".

"No findings of type X" is printed only where the data was there and the rule held. Where a rule
could not be judged for some objects (no purpose recorded, no automated-decision tag, no schema,
no governance store), the section says "not recorded — gap" and names what is missing, for how
many of the objects in scope. docs/COMPLIANCE.md lists, per rule, the data it reads and this text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from mlops_desktop.core.classification import Classification, normalise_tags
from mlops_desktop.core.entities import ModelVersion, RegisteredModel
from mlops_desktop.core.findings import SAFE_HARBOR_VALUES, DatasetView, FindingSettings, is_active
from mlops_desktop.reports.model import ReportData


class ReportBuilder(Protocol):
    """What the gap checks read of :class:`mlops_desktop.reports.document.ReportBuilder` (which calls
    them, so it is named here by its shape, not imported)."""

    @property
    def d(self) -> ReportData: ...

    @property
    def views(self) -> Mapping[str, DatasetView]: ...

    @property
    def settings(self) -> FindingSettings: ...

    def classification(self, model: RegisteredModel, version: ModelVersion) -> Classification: ...

    def targets(self, model: RegisteredModel, version: ModelVersion) -> list[str]: ...

GAP = "not recorded — gap"


def _names(items: list[str], limit: int = 6) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _version_gap(b: ReportBuilder, what: str, missing: Callable[[RegisteredModel, ModelVersion], bool],
                 versions: list[tuple[RegisteredModel, ModelVersion]]) -> list[str]:
    lacking = [v.uri for m, v in versions if missing(m, v)]
    if not lacking:
        return []
    return [f"{len(lacking)} of {len(versions)} versions record no {what}: {_names(lacking)}"]


def _facts(b: ReportBuilder, m: RegisteredModel, v: ModelVersion) -> dict[str, str]:
    return b.classification(m, v).facts


def _active(b: ReportBuilder) -> list[tuple[RegisteredModel, ModelVersion]]:
    return [(m, v) for m, v in b.d.versions() if is_active(v, b.settings)]


def _deployed(b: ReportBuilder) -> list[tuple[RegisteredModel, ModelVersion]]:
    return [(m, v) for m, v in b.d.versions() if b.targets(m, v)]


def rule_gaps(b: ReportBuilder, rule_id: str) -> list[str]:
    """What is missing to judge ``rule_id`` over the objects in scope (empty: it could be judged)."""
    governed = b.d.governance is not None
    if rule_id in ("F1", "F2", "F11", "F18") and not governed:
        return ["no governance store was given, so signed decisions were not read"]
    if rule_id == "F20":  # promotions are seen only between two observations of a registry
        ev = b.d.governance
        if ev is None:
            return ["no governance store was given, so the registry journal was not read"]
        in_scope = {m.store for m in b.d.models}
        regs = sorted({s.registry.label for s in b.d.catalog.stores if s.registry is not None and s.url in in_scope})
        thin = [r for r in regs if r not in ev.journal_coverage or ev.journal_coverage[r][2] < 2]
        if thin:
            return [f"the registry journal holds fewer than two observations of {len(thin)} of {len(regs)} "
                    f"registries in scope, so no promotion could be observed there: {_names(thin)}"]
        return []
    if rule_id == "F15" and (not governed or b.d.facts.audit is None):
        return ["no governance store was given, so the audit log was not verified"]
    if rule_id == "F7":
        return _version_gap(b, "automated_decision tag (whether the model makes automated decisions with legal "
                            "effect is unknown)", lambda m, v: "automated_decision" not in _facts(b, m, v), _active(b))
    if rule_id == "F8":
        return _version_gap(b, "risk_tier tag (whether a DPIA is expected for a high-risk system is unknown)",
                            lambda m, v: "risk_tier" not in _facts(b, m, v), _active(b))
    if rule_id == "F9":
        out = _version_gap(b, "purpose tag (model or version)",
                           lambda m, v: not (normalise_tags(v.tags).get("purpose")
                                             or normalise_tags(m.tags).get("purpose")), _active(b))
        lacking = sorted({view.name for view in b.views.values() if view.consumers
                          and not view.tags.get("purposes")})
        if lacking:
            out.append(f"{len(lacking)} of {len(b.views)} datasets record no permitted purposes (tag purposes): "
                       f"{_names(lacking)}")
        return out
    if rule_id == "F10":
        return _version_gap(b, "third_country_transfer tag on the model, version or datasets (transfers outside "
                            "the EEA are unknown)",
                            lambda m, v: "third_country_transfer" not in _facts(b, m, v), _active(b))
    if rule_id in ("F3", "F4", "F6"):
        lacking = sorted(view.name for view in b.views.values()
                         if "pii" not in view.tags and "phi" not in view.tags)
        if lacking:
            return [f"{len(lacking)} of {len(b.views)} datasets carry no pii or phi tag (whether they hold personal "
                    f"data is unknown): {_names(lacking)}"]
        return []
    if rule_id == "F5":
        lacking = sorted(view.name for view in b.views.values() if not view.tags.get("retention_until")
                         and any(is_active(v, b.settings) for _, v in view.consumers))
        if lacking:
            return [f"{len(lacking)} datasets feeding active versions record no retention_until: {_names(lacking)}"]
        return []
    if rule_id == "F12":
        lacking = sorted(view.name for view in b.views.values()
                         if (view.tags.get("hipaa_deidentified") or "").lower() in SAFE_HARBOR_VALUES
                         and not view.columns)
        if lacking:
            return [f"{len(lacking)} datasets claim safe harbor but record no schema, so their columns could not "
                    f"be checked: {_names(lacking)}"]
        return []
    if rule_id == "F16":
        return _version_gap(b, "creation time (the retention duty cannot be dated)",
                            lambda m, v: v.created_at is None, b.d.versions())
    if rule_id == "F19":
        return _version_gap(b, "validation outcome (tag validation_status or validation) although deployed",
                            lambda m, v: not any(k in normalise_tags({**m.tags, **v.tags})
                                                 for k in ("validation_status", "validation")), _deployed(b))
    return []
