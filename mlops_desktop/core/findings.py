"""The findings engine: COMPLIANCE.md's catalogue evaluated over a catalog and governance facts.

Qt-free and SQL-free. Inputs are a merged :class:`~mlops_desktop.core.entities.Catalog`,
optionally the :class:`~mlops_desktop.core.governance_facts.GovernanceFacts` the governance
layer derived from its verified envelopes and audit log, and :class:`FindingSettings`
(production stages/aliases, retention years, today's date...). Lineage questions
(effective PHI classification, upstream datasets, MLMD pushed models) go through the
lineage graph API (:mod:`mlops_desktop.core.lineage`).

A finding is evidence, not a legal conclusion: each one names the rule, the object, the
facts that triggered it and what to do.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from mlops_desktop.core.classification import is_true, normalise_tags
from mlops_desktop.core.entities import Catalog, ModelVersion, RegisteredModel
from mlops_desktop.core.errors import UsageError
from mlops_desktop.core.governance_facts import (
    STATUS_EVIDENCE_CHANGED,
    STATUS_EXPIRED,
    STATUS_VALID,
    ApprovalFact,
    GovernanceFacts,
)
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)

logger = logging.getLogger(__name__)

#: Severities, most severe first.
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}

#: The rule of every finding id (short, as printed in the register).
RULES: dict[str, str] = {
    "F1": "Deployed version without a valid signed approval for that version and target",
    "F2": "Approver is also the version's author or its run's user (separation of duties)",
    "F3": "Personal-data (PII) dataset without a lawful basis",
    "F4": "Special-category data without an Art. 9(2) condition",
    "F5": "Retention date passed while the dataset still feeds an active version",
    "F6": "Personal-data (PII) dataset without a retention date",
    "F7": "Automated decision with legal effect but no human review recorded",
    "F8": "DPIA expected but no DPIA reference recorded",
    "F9": "Model purpose not among the dataset's permitted purposes",
    "F10": "Third-country transfer without a safeguard",
    "F11": "PHI reaches a deployed version without an approval carrying the HIPAA regime",
    "F12": "Dataset claims safe-harbor de-identification but has identifier-like columns",
    "F15": "Audit log inconsistent",
    "F16": "Records younger than the retention duty are missing",
    "F17": "Deployed version without lineage (no run or no training dataset)",
    "F18": "Approval made on evidence that has since changed",
}

#: Default severity per finding id (FindingSettings.severities overrides).
DEFAULT_SEVERITIES: dict[str, str] = {
    "F1": "high",
    "F2": "high",
    "F3": "high",
    "F4": "high",
    "F5": "high",
    "F6": "medium",
    "F7": "high",
    "F8": "medium",
    "F9": "medium",
    "F10": "high",
    "F11": "critical",
    "F12": "high",
    "F15": "critical",
    "F16": "medium",
    "F17": "medium",
    "F18": "high",
}

SAFE_HARBOR_VALUES = frozenset({"safe_harbor", "safe-harbor", "safeharbor", "safe harbor"})
NEGATIVE_VALUES = frozenset({"", "false", "no", "none", "n/a", "0"})

#: Column-name patterns that look like the 18 HIPAA safe-harbor identifiers (164.514(b)(2)).
HIPAA_IDENTIFIER_PATTERNS: tuple[tuple[str, str], ...] = (
    ("names", r"(^|_)(first_?|last_?|full_?|sur|given_?|patient_?|maiden_?)?name($|_)"),
    ("geographic units below state", r"(^|_)(address|street|city|county|zip|zip_?code|zip5|postcode|postal_?code|geo_?loc|latitude|longitude|lat|lon|lng)($|_)"),
    ("dates (except year)", r"(^|_)(dob|birth_?date|date_?of_?birth|birthday|admission_?date|admit_?date|discharge_?date|death_?date|date_?of_?death|service_?date|visit_?date)($|_)"),
    ("telephone numbers", r"(^|_)(phone|telephone|mobile|cell)(_?number|_?no)?($|_)"),
    ("fax numbers", r"(^|_)fax($|_)"),
    ("email addresses", r"(^|_)e_?mail($|_)"),
    ("social security numbers", r"(^|_)(ssn|social_?security)($|_)"),
    ("medical record numbers", r"(^|_)(mrn|medical_?record)($|_)"),
    ("health plan beneficiary numbers", r"(^|_)(health_?plan|member_?id|beneficiary)($|_)"),
    ("account numbers", r"(^|_)(account|acct)(_?number|_?no|_?id)?($|_)"),
    ("certificate/licence numbers", r"(^|_)(licen[cs]e|certificate)(_?number|_?no)?($|_)"),
    ("vehicle identifiers", r"(^|_)(vin|vehicle_?id|license_?plate|plate_?number)($|_)"),
    ("device identifiers", r"(^|_)(device_?id|serial_?number|imei|udid)($|_)"),
    ("URLs", r"(^|_)(url|uri|web_?page)($|_)"),
    ("IP addresses", r"(^|_)(ip|ip_?address|ipv4|ipv6)($|_)"),
    ("biometric identifiers", r"(^|_)(fingerprint|biometric|voice_?print|retina|iris_?scan)($|_)"),
    ("full-face photographs", r"(^|_)(photo|photograph|face_?image|portrait|headshot)($|_)"),
    ("other unique identifying numbers", r"(^|_)(patient_?id|person_?id|subject_?id|national_?id|passport|ssn_?hash)($|_)"),
)
_HIPAA_REGEXES = tuple((label, re.compile(rx)) for label, rx in HIPAA_IDENTIFIER_PATTERNS)


@dataclass(frozen=True, slots=True)
class FindingSettings:
    """Thresholds and conventions the findings engine applies (all user settings)."""

    production_stages: tuple[str, ...] = ("Production",)
    production_aliases: tuple[str, ...] = ("champion", "production")
    #: Approvals by distinct trusted keys (none of them the author) a deployment needs.
    min_approvals: int = 2
    #: HIPAA documentation retention (164.316(b)(2)).
    retention_years: int = 6
    #: Stages that mean "no longer active" (a dataset feeding only these is not in use).
    inactive_stages: tuple[str, ...] = ("Archived",)
    #: Today's date; None means the current UTC date (tests inject a fixed one).
    today: date | None = None
    #: Severity overrides, e.g. {"F6": "low"}.
    severities: Mapping[str, str] = field(default_factory=dict)

    def current_date(self) -> date:
        return self.today or datetime.now(UTC).date()

    def severity_of(self, finding_id: str) -> str:
        return self.severities.get(finding_id, DEFAULT_SEVERITIES[finding_id])

    def is_production_target(self, target: str) -> bool:
        t = target.strip().lower()
        return t in {s.lower() for s in self.production_stages} or t in {a.lower() for a in self.production_aliases}


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding of the catalogue."""

    id: str  # F1..F18
    severity: str
    object: str  # models:/name/version, dataset:name@digest, audit-log
    rule: str
    evidence: str
    remediation: str
    object_kind: str = "model_version"  # model_version | dataset | audit_log
    models: tuple[str, ...] = ()  # registered models this finding concerns (report scoping)
    approvals: tuple[str, ...] = ()  # envelope ids cited as evidence

    @property
    def key(self) -> str:
        """A stable identifier of this finding (same inputs, same key)."""
        raw = "\x1f".join((self.id, self.object, self.evidence))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:12]

    @property
    def sort_key(self) -> tuple[int, int, str, str]:
        return (_RANK.get(self.severity, 99), int(self.id[1:]), self.object, self.evidence)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "severity": self.severity,
            "object": self.object,
            "object_kind": self.object_kind,
            "rule": self.rule,
            "evidence": self.evidence,
            "remediation": self.remediation,
            "models": list(self.models),
            "approvals": list(self.approvals),
        }


def severity_rank(severity: str) -> int:
    """0 for critical ... 4 for info; raises UsageError for an unknown name."""
    try:
        return _RANK[severity.strip().lower()]
    except KeyError:
        raise UsageError(f"Unknown severity {severity!r}.", f"Use one of: {', '.join(SEVERITIES)}.") from None


def at_or_above(findings: Iterable[Finding], severity: str) -> list[Finding]:
    limit = severity_rank(severity)
    return [f for f in findings if _RANK.get(f.severity, 99) <= limit]


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    return counts


def scope_findings(findings: Iterable[Finding], models: Sequence[str] | None) -> list[Finding]:
    """Findings concerning ``models`` (plus store-wide ones such as the audit log)."""
    if not models:
        return list(findings)
    wanted = set(models)
    return [f for f in findings if not f.models or wanted & set(f.models)]


# ---------------------------------------------------------------------------------------
# Lineage access


class LineageView(Protocol):
    """What the engine asks the lineage graph."""

    def version_phi(self, model: RegisteredModel, version: ModelVersion) -> bool: ...

    def upstream_dataset_ids(self, model: RegisteredModel, version: ModelVersion) -> list[str]: ...

    def upstream_producers(self, model: RegisteredModel, version: ModelVersion) -> list[str]: ...

    def pushed(self, model: RegisteredModel, version: ModelVersion) -> bool: ...


class GraphLineage:
    """:class:`LineageView` over a :class:`mlops_desktop.core.lineage.LineageGraph`."""

    def __init__(self, catalog: Catalog, graph: Any = None) -> None:
        lineage = importlib.import_module("mlops_desktop.core.lineage")
        self._lineage = lineage
        self.graph = graph if graph is not None else lineage.build_graph(catalog)

    def _node(self, model: RegisteredModel, version: ModelVersion) -> str | None:
        node = str(self._lineage.version_node_id(model.name, version.version))
        return node if node in self.graph else None

    def version_phi(self, model: RegisteredModel, version: ModelVersion) -> bool:
        node = self._node(model, version)
        if node is None:
            return version.classification(model.tags).phi
        return bool(self.graph.effective_classification(node).phi)

    def upstream_dataset_ids(self, model: RegisteredModel, version: ModelVersion) -> list[str]:
        out = [d.dataset_id for d in version.datasets]
        node = self._node(model, version)
        if node is None:
            return out
        nodes = self.graph.g.nodes
        for up in self.graph.upstream(node):
            data = nodes[up]
            if data.get("kind") != "dataset":
                continue
            for ds_id in data.get("entity_ids") or []:
                if ds_id not in out:
                    out.append(str(ds_id))
        return out

    def upstream_producers(self, model: RegisteredModel, version: ModelVersion) -> list[str]:
        """Runs and jobs (that exist in a store) the version derives from."""
        node = self._node(model, version)
        if node is None:
            return []
        nodes = self.graph.g.nodes
        return [
            up
            for up in self.graph.upstream(node)
            if nodes[up].get("kind") in ("run", "job") and not nodes[up].get("missing")
        ]

    def pushed(self, model: RegisteredModel, version: ModelVersion) -> bool:
        node = self._node(model, version)
        if node is None:
            return False
        nodes = self.graph.g.nodes
        for down in self.graph.downstream(node, 1):
            data = nodes[down]
            if data.get("kind") == "deployment" and (
                data.get("subtype") == "pushed" or str(down).startswith("deployment:pushed:")
            ):
                return True
        return False


class CatalogLineage:
    """A :class:`LineageView` from the catalog alone (a version's run inputs).

    Used when no lineage graph can be built; PHI propagates from the version's own
    datasets unless that dataset records a de-identification.
    """

    def version_phi(self, model: RegisteredModel, version: ModelVersion) -> bool:
        return version.classification(model.tags).phi

    def upstream_dataset_ids(self, model: RegisteredModel, version: ModelVersion) -> list[str]:  # noqa: ARG002
        return [d.dataset_id for d in version.datasets]

    def upstream_producers(self, model: RegisteredModel, version: ModelVersion) -> list[str]:  # noqa: ARG002
        return []

    def pushed(self, model: RegisteredModel, version: ModelVersion) -> bool:  # noqa: ARG002
        return False


def default_lineage(catalog: Catalog) -> LineageView:
    try:
        return GraphLineage(catalog)
    except ImportError:
        logger.debug("core.lineage not available; using the catalog's run inputs")
        return CatalogLineage()


# ---------------------------------------------------------------------------------------
# Dataset views


@dataclass(slots=True)
class DatasetView:
    """A dataset with the tags of every place it was logged, and its consumers."""

    id: str
    name: str
    digest: str
    source: str
    columns: list[str]
    tags: dict[str, str]
    consumers: list[tuple[RegisteredModel, ModelVersion]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"dataset:{self.name}@{self.digest[:12]}" if self.digest else f"dataset:{self.name}"

    @property
    def model_names(self) -> tuple[str, ...]:
        return tuple(sorted({m.name for m, _ in self.consumers}))


def dataset_views(catalog: Catalog, lineage: LineageView | None = None) -> dict[str, DatasetView]:
    """Every dataset of the catalog with merged tags (dataset + inputs) and its consumer versions."""
    views: dict[str, DatasetView] = {}
    for ds_id, ds in catalog.datasets.items():
        views[ds_id] = DatasetView(ds_id, ds.name, ds.digest, ds.source, ds.columns, normalise_tags(ds.tags))

    def _add_input_tags(dataset_id: str, name: str, digest: str, source: str, tags: Mapping[str, str]) -> DatasetView:
        view = views.get(dataset_id)
        if view is None:
            view = views[dataset_id] = DatasetView(dataset_id, name, digest, source, [], {})
        for k, v in normalise_tags(tags).items():
            if k.startswith("mlflow."):
                continue
            view.tags.setdefault(k, v)
        return view

    for run in catalog.runs.values():
        for inp in run.inputs:
            _add_input_tags(inp.dataset_id, inp.name, inp.digest, inp.source, inp.tags)
    for model in catalog.models:
        for version in model.visible_versions():
            ids = [d.dataset_id for d in version.datasets]
            for inp in version.datasets:
                _add_input_tags(inp.dataset_id, inp.name, inp.digest, inp.source, inp.tags)
            if lineage is not None:
                ids = lineage.upstream_dataset_ids(model, version)
            for ds_id in ids:
                view = views.get(ds_id)
                if view is not None and all(v is not version for _, v in view.consumers):
                    view.consumers.append((model, version))
    return views


# ---------------------------------------------------------------------------------------
# The engine


def deployment_targets(
    model: RegisteredModel, version: ModelVersion, settings: FindingSettings, lineage: LineageView | None = None
) -> list[str]:
    """The production targets (stage, aliases, ``pushed``) a version is deployed to."""
    targets: list[str] = []
    prod_stages = {s.lower() for s in settings.production_stages}
    if version.stage and version.stage.lower() in prod_stages:
        targets.append(version.stage)
    aliases = list(version.aliases) + [a for a, v in model.aliases.items() if v == version.version]
    prod_aliases = {a.lower() for a in settings.production_aliases}
    for alias in aliases:
        if alias.lower() in prod_aliases and alias not in targets:
            targets.append(alias)
    if lineage is not None and lineage.pushed(model, version) and "pushed" not in targets:
        targets.append("pushed")
    return targets


def is_active(version: ModelVersion, settings: FindingSettings) -> bool:
    inactive = {s.lower() for s in settings.inactive_stages}
    return not version.deleted and not (version.stage and version.stage.lower() in inactive)


def _people(version: ModelVersion, catalog: Catalog) -> set[str]:
    people = {p for p in (version.user_id, version.run_user) if p}
    run = catalog.runs.get(version.run_id or "")
    if run is not None and run.user:
        people.add(run.user)
    return {p.strip().lower() for p in people}


def _countable(a: ApprovalFact) -> bool:
    return a.decision.upper() == "APPROVED" and a.status == STATUS_VALID and (a.role in (None, "", "approver"))


def _negative(value: str | None) -> bool:
    return value is None or value.strip().lower() in NEGATIVE_VALUES


def _parse_date(value: str) -> date | None:
    text = value.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _split(value: str | None) -> list[str]:
    return [p.strip().lower() for p in (value or "").replace(";", ",").split(",") if p.strip()]


def hipaa_identifier_columns(columns: Iterable[str]) -> list[tuple[str, str]]:
    """(column, identifier category) for columns whose names look like HIPAA identifiers."""
    out = []
    for col in columns:
        norm = re.sub(r"[^a-z0-9]+", "_", re.sub(r"([a-z])([A-Z])", r"\1_\2", col).lower()).strip("_")
        for label, rx in _HIPAA_REGEXES:
            if rx.search(norm):
                out.append((col, label))
                break
    return out


class _Collector:
    def __init__(self, settings: FindingSettings) -> None:
        self.settings = settings
        self.items: list[Finding] = []

    def add(
        self,
        fid: str,
        obj: str,
        evidence: str,
        remediation: str,
        *,
        kind: str = "model_version",
        models: Iterable[str] = (),
        approvals: Iterable[str] = (),
    ) -> None:
        self.items.append(
            Finding(
                id=fid,
                severity=self.settings.severity_of(fid),
                object=obj,
                rule=RULES[fid],
                evidence=evidence,
                remediation=remediation,
                object_kind=kind,
                models=tuple(sorted(set(models))),
                approvals=tuple(approvals),
            )
        )


def evaluate(
    catalog: Catalog,
    governance: GovernanceFacts | None = None,
    settings: FindingSettings | None = None,
    *,
    lineage: LineageView | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> list[Finding]:
    """All findings for ``catalog`` (and ``governance`` when given), most severe first.

    Without governance facts, approval-based findings (F1, F11) still fire: no approval
    is known, so none is valid. F2, F15 and F18 need governance facts.
    """
    settings = settings or FindingSettings()
    gov = governance or GovernanceFacts()
    lineage = lineage if lineage is not None else default_lineage(catalog)
    out = _Collector(settings)
    today = settings.current_date()

    models = sorted(catalog.models, key=lambda m: m.name)
    total = len(models) + 2
    progress(0, total, "Evaluating findings")
    for i, model in enumerate(models):
        check_cancelled(is_cancelled)
        for version in model.visible_versions():
            _version_findings(catalog, gov, settings, lineage, out, model, version, today)
        progress(i + 1, total, f"Evaluated {model.name}")

    check_cancelled(is_cancelled)
    views = dataset_views(catalog, lineage)
    for view in sorted(views.values(), key=lambda v: (v.name, v.digest, v.id)):
        _dataset_findings(settings, out, view, today)
    progress(len(models) + 1, total, "Evaluated datasets")

    if gov.audit is not None and (not gov.audit.ok or gov.audit.problems):
        problems = "; ".join(gov.audit.problems) or "verification failed"
        out.add(
            "F15",
            "audit-log",
            f"Audit log of {gov.audit.size} entries (root {gov.audit.root_hash[:16]}…) did not verify: {problems}.",
            "Stop relying on this governance store until it is explained: compare it with a backup and the last "
            "signed checkpoint, find who changed it, and record the incident.",
            kind="audit_log",
        )
    progress(total, total, "Findings ready")
    return sorted(out.items, key=lambda f: f.sort_key)


def _version_findings(
    catalog: Catalog,
    gov: GovernanceFacts,
    settings: FindingSettings,
    lineage: LineageView,
    out: _Collector,
    model: RegisteredModel,
    version: ModelVersion,
    today: date,
) -> None:
    uri = version.uri
    approvals = sorted(gov.approvals_for(model.name, version.version), key=lambda a: (a.log_index or 0, a.envelope_id))
    people = _people(version, catalog)
    targets = deployment_targets(model, version, settings, lineage)

    # F2: approver is the author or the run's user (genuine signatures only).
    for a in approvals:
        if a.decision.upper() != "APPROVED" or a.status not in (STATUS_VALID, STATUS_EXPIRED, STATUS_EVIDENCE_CHANGED):
            continue
        if a.signer_identity and a.signer_identity.strip().lower() in people:
            out.add(
                "F2",
                uri,
                f"Approval for target {a.target!r} (envelope {a.envelope_id}) is signed by {a.signer_identity} "
                f"(key {a.key_id[:16]}…), who is the version's author or its run's user.",
                "Have an approver who neither built nor trained this version approve it; the author's approval does "
                "not count toward the policy.",
                models=[model.name],
                approvals=[a.envelope_id],
            )

    # F18: approval made on evidence that has since changed.
    for a in approvals:
        if a.decision.upper() == "APPROVED" and a.status == STATUS_EVIDENCE_CHANGED:
            detail = f" ({a.status_detail})" if a.status_detail else ""
            out.add(
                "F18",
                uri,
                f"Approval for target {a.target!r} by {a.signer_identity or a.key_id[:16]} (envelope {a.envelope_id}) "
                f"signed a subject digest that no longer matches the store{detail}.",
                "Find out what changed in the model's artifacts or metadata since the approval; review the version "
                "again and sign a new approval.",
                models=[model.name],
                approvals=[a.envelope_id],
            )

    active = is_active(version, settings)
    if targets:
        # F1: each production target needs min_approvals distinct valid non-author approvals.
        missing = []
        cited: list[str] = []
        for target in targets:
            valid = [
                a
                for a in approvals
                if a.target.strip().lower() == target.lower()
                and _countable(a)
                and not (a.signer_identity and a.signer_identity.strip().lower() in people)
            ]
            keys = {a.key_id for a in valid}
            if len(keys) < settings.min_approvals:
                others = [a for a in approvals if a.target.strip().lower() == target.lower()]
                cited.extend(a.envelope_id for a in others)
                states = ", ".join(sorted({f"{a.decision.lower()}/{a.status}" for a in others})) or "none recorded"
                missing.append(f"{target!r} has {len(keys)} of {settings.min_approvals} valid approvals (on record: {states})")
        if missing:
            out.add(
                "F1",
                uri,
                f"Deployed as {', '.join(repr(t) for t in targets)}; " + "; ".join(missing) + ".",
                f"Obtain {settings.min_approvals} signed approvals by distinct trusted approvers (not the author) for "
                "each production target, or withdraw the deployment.",
                models=[model.name],
                approvals=cited,
            )

        # F11: PHI reaches a deployed version without a hipaa approval.
        if lineage.version_phi(model, version):
            hipaa = [a for a in approvals if _countable(a) and "hipaa" in {r.lower() for r in a.regimes}]
            if not hipaa:
                out.add(
                    "F11",
                    uri,
                    f"The version's lineage carries PHI (no de-identification step in between) and it is deployed as "
                    f"{', '.join(repr(t) for t in targets)}; no valid approval carries the 'hipaa' regime.",
                    "Have a HIPAA-accountable approver review the PHI use and sign an approval with regime 'hipaa', or "
                    "retrain on de-identified data.",
                    models=[model.name],
                    approvals=[a.envelope_id for a in approvals],
                )

        # F17: deployed version without lineage.
        gaps = []
        run = catalog.runs.get(version.run_id or "")
        producers = lineage.upstream_producers(model, version)
        if not version.run_id and not producers:
            gaps.append("no run recorded")
        elif version.run_id and run is None and not producers:
            gaps.append(f"run {version.run_id} not found in the stores")
        upstream = lineage.upstream_dataset_ids(model, version)
        training = [d for d in version.datasets if (d.context or "training").lower() in ("training", "train")]
        if not training and not [i for i in upstream if i not in {d.dataset_id for d in version.datasets}]:
            gaps.append("no training dataset recorded")
        if gaps:
            out.add(
                "F17",
                uri,
                f"Deployed as {', '.join(repr(t) for t in targets)} with {' and '.join(gaps)}.",
                "Log the training run and its datasets (mlflow.log_input) or connect the pipeline's lineage store, so "
                "the provenance of the deployed model can be shown.",
                models=[model.name],
            )

    if not active:
        return
    facts = version.classification(model.tags)
    f = facts.facts
    # F7: automated decision with legal effect without human review.
    if is_true(f.get("automated_decision")) and is_true(f.get("legal_effect")) and not is_true(f.get("human_review")):
        out.add(
            "F7",
            uri,
            f"automated_decision={f.get('automated_decision')}, legal_effect={f.get('legal_effect')}, "
            f"human_review={f.get('human_review', 'not recorded')}.",
            "Record the human review step (tag human_review) or document why Art. 22(2) allows the decision.",
            models=[model.name],
        )
    # F8: DPIA expected.
    reasons = []
    if facts.special_categories or facts.phi:
        reasons.append("special-category data" + (f" ({', '.join(facts.special_categories)})" if facts.special_categories else " (PHI)"))
    if is_true(f.get("automated_decision")):
        reasons.append("automated decision-making")
    if (f.get("risk_tier") or "").lower() == "high":
        reasons.append("risk_tier=high")
    if reasons and _negative(f.get("dpia_reference")):
        out.add(
            "F8",
            uri,
            f"A DPIA is expected ({'; '.join(reasons)}) but no dpia_reference is recorded on the model, version or "
            "datasets.",
            "Carry out (or link) the data-protection impact assessment and tag its id as dpia_reference.",
            models=[model.name],
        )
    # F9: model purpose vs dataset permitted purposes.
    purpose = normalise_tags(version.tags).get("purpose") or normalise_tags(model.tags).get("purpose")
    if purpose:
        for inp in version.datasets:
            permitted = _split(normalise_tags(inp.tags).get("purposes"))
            ds = catalog.datasets.get(inp.dataset_id)
            if not permitted and ds is not None:
                permitted = _split(normalise_tags(ds.tags).get("purposes"))
            if permitted and purpose.strip().lower() not in permitted:
                out.add(
                    "F9",
                    uri,
                    f"Model purpose {purpose!r} is not among the permitted purposes of dataset {inp.name} "
                    f"({', '.join(permitted)}).",
                    "Check compatibility of purposes (GDPR Art. 5(1)(b), 6(4)); extend the dataset's permitted purposes "
                    "with a documented assessment, or do not use it for this model.",
                    models=[model.name],
                )
    # F10 on model/version tags (dataset tags are checked per dataset).
    own = {**normalise_tags(model.tags), **normalise_tags(version.tags)}
    if not _negative(own.get("third_country_transfer")) and _negative(own.get("transfer_safeguard")):
        out.add(
            "F10",
            uri,
            f"third_country_transfer={own.get('third_country_transfer')} with no transfer_safeguard recorded.",
            "Record the Chapter V safeguard (adequacy decision, SCCs, BCRs) as transfer_safeguard, or stop the "
            "transfer.",
            models=[model.name],
        )
    # F16: PHI version with a missing run record within the retention period.
    if lineage.version_phi(model, version) and version.created_at is not None:
        age_years = (today - version.created_at.date()).days / 365.25
        run = catalog.runs.get(version.run_id or "")
        if age_years < settings.retention_years and version.run_id and (run is None or run.deleted):
            state = "deleted" if run is not None else "missing from the store"
            out.add(
                "F16",
                uri,
                f"The PHI model version was created {version.created_at.date().isoformat()} (within the "
                f"{settings.retention_years}-year retention duty) but its run {version.run_id} is {state}.",
                "Restore the run's records from backup (HIPAA documentation must be kept 6 years, 164.316(b)(2)).",
                models=[model.name],
            )


def _dataset_findings(settings: FindingSettings, out: _Collector, view: DatasetView, today: date) -> None:
    tags = view.tags
    obj = view.label
    models = view.model_names
    pii = is_true(tags.get("pii"))
    phi = is_true(tags.get("phi"))
    if pii and _negative(tags.get("lawful_basis")):
        out.add(
            "F3",
            obj,
            "pii=true but no lawful_basis tag on the dataset or any of its inputs.",
            "Record the Art. 6(1) lawful basis (consent, contract, legal_obligation, vital_interest, public_task, "
            "legitimate_interest) as lawful_basis.",
            kind="dataset",
            models=models,
        )
    special = _split(tags.get("special_categories"))
    if (special or phi) and _negative(tags.get("art9_condition")):
        what = f"special_categories={', '.join(special)}" if special else "phi=true (health data is an Art. 9 category)"
        out.add(
            "F4",
            obj,
            f"{what} but no art9_condition recorded.",
            "Record the Art. 9(2) condition relied on (e.g. explicit consent, health care, public health) as "
            "art9_condition.",
            kind="dataset",
            models=models,
        )
    retention = tags.get("retention_until")
    active = [(m, v) for m, v in view.consumers if is_active(v, settings)]
    if retention:
        until = _parse_date(retention)
        if until is not None and until < today and active:
            used = ", ".join(sorted(v.uri for _, v in active)[:10])
            out.add(
                "F5",
                obj,
                f"retention_until={until.isoformat()} has passed (today {today.isoformat()}) but the dataset still "
                f"feeds active version(s): {used}.",
                "Erase the data and retire or retrain the versions built on it, or record the legal ground for "
                "keeping it and extend retention_until.",
                kind="dataset",
                models=[m.name for m, _ in active],
            )
        elif until is None:
            logger.debug("Unparseable retention_until %r on %s", retention, obj)
    elif pii:
        out.add(
            "F6",
            obj,
            "pii=true but no retention_until recorded.",
            "Decide how long the personal data may be kept (Art. 5(1)(e)) and tag it as retention_until (ISO date).",
            kind="dataset",
            models=models,
        )
    if not _negative(tags.get("third_country_transfer")) and _negative(tags.get("transfer_safeguard")):
        out.add(
            "F10",
            obj,
            f"third_country_transfer={tags.get('third_country_transfer')} with no transfer_safeguard recorded.",
            "Record the Chapter V safeguard (adequacy decision, SCCs, BCRs) as transfer_safeguard, or stop the "
            "transfer.",
            kind="dataset",
            models=models,
        )
    if (tags.get("hipaa_deidentified") or "").strip().lower() in SAFE_HARBOR_VALUES:
        hits = hipaa_identifier_columns(view.columns)
        if hits:
            listed = ", ".join(f"{c} ({label})" for c, label in hits)
            out.add(
                "F12",
                obj,
                f"hipaa_deidentified=safe_harbor but the schema has identifier-like columns: {listed}.",
                "Remove or generalise these columns (164.514(b)(2)), or change the claim to expert_determination "
                "with the expert's report.",
                kind="dataset",
                models=models,
            )
