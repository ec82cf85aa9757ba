"""What a report is made of: the request, the settings and the assembled, scoped data.

Everything here is plain data; :mod:`mlops_desktop.reports.pdf` renders it and
:mod:`mlops_desktop.reports.bundle` turns the governance part into the evidence bundle.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.entities import Catalog, ModelVersion, RegisteredModel, StoreInfo, iso
from mlops_desktop.core.errors import UsageError
from mlops_desktop.core.findings import (
    DatasetView,
    Finding,
    FindingSettings,
    GraphLineage,
    default_lineage,
    scope_findings,
)
from mlops_desktop.core.governance_facts import ApprovalFact, GovernanceFacts
from mlops_desktop.core.profile import ReportProfile
from mlops_desktop.reports.verdicts import Verdicts

if TYPE_CHECKING:
    from mlops_desktop.core.lineage import LineageGraph

logger = logging.getLogger(__name__)

EDITIONS: dict[str, str] = {
    "gdpr": "GDPR accountability report",
    "hipaa": "HIPAA compliance evidence report",
    "eu-ai-act": "EU AI Act technical documentation (Annex IV)",
    "model-risk": "Model risk management report (SR 11-7, PRA SS1/23)",
}

#: EU AI Act application dates (Art. 113). They are moving (the 2025 "digital omnibus"
#: proposal would postpone the high-risk obligations): a setting, shown in the report.
DEFAULT_AI_ACT_DATES: tuple[tuple[str, str], ...] = (
    ("Prohibited practices and AI literacy (Chapters I-II)", "2025-02-02"),
    ("General-purpose AI models, governance, penalties", "2025-08-02"),
    ("High-risk systems listed in Annex III; most other provisions", "2026-08-02"),
    ("High-risk systems that are safety components of Annex I products (Art. 6(1))", "2027-08-02"),
)


@dataclass(frozen=True, slots=True)
class FindingStatus:
    """Remediation of one finding, as the findings status file records it."""

    owner: str = ""
    due: str = ""
    status: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class ReportSettings:
    findings: FindingSettings = field(default_factory=FindingSettings)
    author: str = ""  # default: the OS user
    organisation: str = ""  # the controller / covered entity named in the report
    #: Fixed generation time (tests, reproducible builds); None means now.
    generated_at: datetime | None = None
    ai_act_dates: tuple[tuple[str, str], ...] = DEFAULT_AI_ACT_DATES
    #: Largest lineage neighbourhood drawn per model (nearest nodes first).
    max_lineage_nodes: int = 36
    #: Metrics charted per model.
    max_metrics: int = 12
    #: What the organisation records about itself (controller, DPO, processors...): core/profile.py.
    profile: ReportProfile = field(default_factory=ReportProfile)
    #: Aliases naming the challenger a deployed version is compared with (model-risk edition).
    challenger_aliases: tuple[str, ...] = ("challenger",)
    #: Remediation state per finding key (the findings status file), shown by the model-risk edition.
    finding_status: Mapping[str, FindingStatus] = field(default_factory=dict)
    #: Inputs used although not verified (--allow-unverified: ALTERED, unsigned or unanchored
    #: snapshots), one line each; the cover carries a banner naming them.
    unverified_inputs: tuple[str, ...] = ()

    def author_name(self) -> str:
        """The preparer: the explicit author, else the officer's name in the profile, else the OS user."""
        if self.author:
            return self.author
        if self.profile.officer_name:
            return self.profile.officer_name
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "unknown"

    def preparer(self) -> str:
        """:meth:`author_name`, saying so when it is only the OS user."""
        name = self.author_name()
        if self.author or self.profile.officer_name:
            return name
        return f"{name} (operating-system user; no officer's name in the report profile)"

    def organisation_name(self) -> str:
        return self.organisation or self.profile.organisation


@dataclass(slots=True)
class GovernanceEvidence:
    """What the governance store contributes to a report, already verified by governance.

    ``envelopes`` maps an envelope id to the stored envelope bytes (verbatim);
    ``public_keys`` a key id to its PEM; ``entries`` a log index to the canonical entry
    bytes; ``proofs`` a log index to its inclusion proof (hex hashes) at the checkpoint.
    """

    facts: GovernanceFacts = field(default_factory=GovernanceFacts)
    store_url: str = ""
    envelopes: dict[str, bytes] = field(default_factory=dict)
    public_keys: dict[str, str] = field(default_factory=dict)
    signers: dict[str, str] = field(default_factory=dict)  # key id -> identity
    checkpoint: str | None = None  # the signed checkpoint note the report was made at
    checkpoint_size: int | None = None
    checkpoint_root: str | None = None  # hex
    log_public_key: str | None = None  # PEM of the key that signs checkpoints
    log_origin: str | None = None
    entries: dict[int, bytes] = field(default_factory=dict)
    proofs: dict[int, list[str]] = field(default_factory=dict)
    transcript: list[str] = field(default_factory=list)  # audit verification, line by line
    access_report: list[dict[str, Any]] = field(default_factory=list)  # recent log entries (who did what)
    #: Each decision's signature and whether it counts toward its target, and each target's policy verdict.
    verdicts: Verdicts = field(default_factory=Verdicts)
    #: The registry journal per registry label: (first observed_at, last observed_at, observations).
    journal_coverage: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    #: For the evidence bundle: every trust statement before the checkpoint, all public keys and
    #: identities, the stored policies by digest and the checkpoint key id (governance_bridge).
    trust_evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ReportData:
    """The scoped inputs of one report edition."""

    edition: str
    catalog: Catalog
    models: list[RegisteredModel]  # in scope, sorted by name
    findings: list[Finding]  # in scope, sorted most severe first
    #: Findings over every model of the stores; None when the engine ran for the models in scope only.
    all_findings: int | None
    lineage: GraphLineage
    governance: GovernanceEvidence | None
    settings: ReportSettings
    generated_at: datetime
    scope_names: tuple[str, ...] = ()  # the --models given (empty: all)
    report_id: str = ""
    store_hashes: dict[str, str] = field(default_factory=dict)  # store url -> "sha256:<hex>" (file stores)
    #: Every dataset of the catalog with its consumers (core/findings dataset_views over ``lineage``),
    #: when the caller has them already (the findings engine read the same); None: built on demand.
    dataset_views: Mapping[str, DatasetView] | None = None

    @property
    def title(self) -> str:
        return EDITIONS[self.edition]

    @property
    def graph(self) -> LineageGraph:
        return self.lineage.graph

    @property
    def facts(self) -> GovernanceFacts:
        return self.governance.facts if self.governance is not None else GovernanceFacts()

    def versions(self) -> list[tuple[RegisteredModel, ModelVersion]]:
        return [(m, v) for m in self.models for v in m.visible_versions()]

    def approvals(self) -> list[ApprovalFact]:
        names = {m.name for m in self.models}
        out = [a for a in self.facts.approvals if a.model_name in names]
        return sorted(out, key=lambda a: (a.model_name, a.version, a.target, a.log_index or 0, a.envelope_id))

    def approvals_for(self, version: ModelVersion) -> list[ApprovalFact]:
        """The decisions made on this version in its own registry (a merged catalog may hold the
        same model name in several registries; decisions count only for theirs)."""
        ref = self.catalog.registry_of(version)
        return self.facts.approvals_for(version.model_name, version.version, ref.label if ref else "")

    def cited_envelopes(self) -> list[str]:
        """Envelope ids the report cites: every approval of an in-scope model."""
        ids: list[str] = []
        for a in self.approvals():
            if a.envelope_id not in ids:
                ids.append(a.envelope_id)
        for f in self.findings:
            for e in f.approvals:
                if e not in ids:
                    ids.append(e)
        return ids


def compute_report_id(data: ReportData) -> str:
    """Deterministic id: same inputs (stores, scope, edition, findings, checkpoint) -> same id."""
    material = {
        "edition": data.edition,
        "stores": [[s.kind, s.url, s.schema, s.identity] for s in data.catalog.stores],
        "scope": [m.name for m in data.models],
        "findings": [f.key for f in data.findings],
        "approvals": data.cited_envelopes(),
        "checkpoint": data.governance.checkpoint_root if data.governance else None,
        "time": iso(data.generated_at) if data.settings.generated_at else None,
    }
    digest = hashlib.sha256(json.dumps(material, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return "R-" + digest[:16]


def assemble(
    catalog: Catalog,
    edition: str,
    findings: Sequence[Finding],
    *,
    models: Sequence[str] | None = None,
    governance: GovernanceEvidence | None = None,
    settings: ReportSettings | None = None,
    lineage: GraphLineage | None = None,
    whole_catalog: bool = True,
    store_hashes: Mapping[str, str] | None = None,
    dataset_views: Mapping[str, DatasetView] | None = None,
) -> ReportData:
    """Scope the catalog and findings to ``models`` (all when empty) for ``edition``.

    ``whole_catalog`` says ``findings`` were evaluated over every model of the stores (so the report
    can count them); False when the engine ran for the models in scope only. ``store_hashes`` (from
    :func:`store_content_hashes`) and ``dataset_views`` (:func:`~mlops_desktop.core.findings.dataset_views`
    over the same catalog and lineage) are computed here unless given."""
    if edition not in EDITIONS:
        raise UsageError(f"Unknown report edition {edition!r}.", f"Use one of: {', '.join(EDITIONS)}.")
    settings = settings or ReportSettings()
    wanted = [m for m in (models or []) if m]
    if wanted:
        missing = [m for m in wanted if catalog.model(m) is None]
        if missing:
            known = ", ".join(sorted(m.name for m in catalog.models)[:8]) or "none"
            raise UsageError(
                f"No registered model named {', '.join(repr(m) for m in missing)} in the stores.",
                f"Known models: {known}.",
            )
        scoped = sorted((m for m in catalog.models if m.name in set(wanted)), key=lambda m: m.name)
    else:
        scoped = sorted(catalog.models, key=lambda m: m.name)
    generated = settings.generated_at or datetime.now(UTC)
    data = ReportData(
        edition=edition,
        catalog=catalog,
        models=scoped,
        findings=scope_findings(findings, wanted or None),
        all_findings=len(findings) if whole_catalog or not wanted else None,
        lineage=lineage if lineage is not None else default_lineage(catalog),
        governance=governance,
        settings=settings,
        generated_at=generated,
        scope_names=tuple(wanted),
        store_hashes=dict(store_hashes) if store_hashes is not None else store_content_hashes(catalog.stores),
        dataset_views=dataset_views,
    )
    data.report_id = compute_report_id(data)
    return data


#: a file store's SHA-256 by its identity and state (device, inode, size, modified and changed times
#: in ns): a process writing several reports hashes an unchanged store once. Any write to the file
#: changes its ctime, which no program can set back, so a changed store is hashed again. The clock
#: the file times come from ticks in milliseconds, so a digest is kept only once the file's last
#: change is over a second old (a write in the same tick as the read would leave the times as they were).
_file_hashes: dict[tuple[str, int, int, int, int, int], str] = {}
_file_hashes_lock = threading.Lock()


def _file_sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    with _file_hashes_lock:
        known = _file_hashes.get(key)
    if known is not None:
        return known
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    after = path.stat()
    digest = h.hexdigest()
    settled = time.time_ns() - max(after.st_mtime_ns, after.st_ctime_ns) > 1_000_000_000
    if settled and (after.st_size, after.st_mtime_ns, after.st_ctime_ns) == (st.st_size, st.st_mtime_ns,
                                                                             st.st_ctime_ns):
        with _file_hashes_lock:  # kept only when the file did not change while it was read
            for old in [k for k in _file_hashes if k[0] == key[0]]:
                del _file_hashes[old]  # the file's earlier states
            _file_hashes[key] = digest
    return digest


def store_content_hashes(stores: Sequence[StoreInfo]) -> dict[str, str]:
    """SHA-256 of each file store's bytes (a folder: over its files' names and hashes), so a
    reader can check the report was made from the same files. Server stores are not hashed. A
    file store unchanged since this process last hashed it is not read again (:data:`_file_hashes`)."""
    out: dict[str, str] = {}
    for s in stores:
        path = Path(s.identity) if s.identity and "://" not in s.identity else None
        if path is None or not path.exists():
            continue
        if path.is_file():
            out[s.url] = "sha256:" + _file_sha256(path)
            continue
        h = hashlib.sha256()
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if path.is_dir():
                h.update(f.relative_to(path).as_posix().encode() + b"\0")
            with f.open("rb") as fh:
                while block := fh.read(1 << 20):
                    h.update(block)
        out[s.url] = "sha256:" + h.hexdigest()
    return out
