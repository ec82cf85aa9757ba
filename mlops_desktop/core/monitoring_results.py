"""The monitoring result records (:class:`MonitoringResult` and its parts), on their own so that
:mod:`mlops_desktop.core.entities` can name them in ``Catalog.monitoring`` without an import
cycle: this module imports nothing of the project. :mod:`mlops_desktop.core.monitoring` re-exports
them with the linking and status code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

DRIFT = "drift"
DATA_QUALITY = "data-quality"


def iso(value: datetime | None) -> str | None:
    """RFC 3339 UTC with a ``Z`` suffix (as :func:`mlops_desktop.core.entities.iso`)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    """One feature's drift in one result: its score, the threshold and the tool's verdict."""

    feature: str
    score: float
    threshold: float | None
    drifted: bool
    method: str = ""

    @property
    def comparison(self) -> str:
        """How the score stands to the threshold: ``<`` for a p-value under it, else ``>=`` / ``<``."""
        if self.threshold is None:
            return ""
        return "<" if self.score < self.threshold else ">="

    def as_json(self) -> dict[str, Any]:
        return {"feature": self.feature, "score": self.score, "threshold": self.threshold,
                "drifted": self.drifted, "method": self.method}


@dataclass(frozen=True, slots=True)
class QualityCheck:
    """One data-quality check (an expectation, an assertion, a constraint) and its outcome."""

    name: str
    success: bool
    column: str | None = None
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "success": self.success, "column": self.column, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class MonitoringResult:
    """One monitoring check at one time, with what it names (see the module docstring)."""

    id: str  # file name in the folder, ``mlflow:<run id>``, ``openlineage:<run id>:<dataset>``
    tool: str  # evidently | great_expectations | sagemaker-model-monitor | openlineage | mlflow
    kind: str  # drift | data-quality
    at: datetime | None
    digest: str  # sha256: of the file bytes (of the canonical run record for MLflow)
    source: str = ""  # the store URL it came from
    title: str = ""
    model_name: str | None = None
    version: str | None = None
    dataset: str | None = None
    endpoint: str | None = None
    drift: tuple[FeatureDrift, ...] = ()
    checks: tuple[QualityCheck, ...] = ()
    #: which convention linked it (set by :func:`link_results`), or why it is unlinked
    link: str = ""
    linked_versions: tuple[tuple[str, str], ...] = ()
    linked_dataset: str | None = None  # the dataset node id it was linked to

    @property
    def linked(self) -> bool:
        return bool(self.linked_versions or self.linked_dataset)

    def with_links(self, link: str, versions: tuple[tuple[str, str], ...], dataset: str | None) -> MonitoringResult:
        """A copy with its links set (what :func:`dataclasses.replace` does, at a third of the cost:
        linking builds one per result). The fields in their declared order (a test compares it
        with ``replace`` on a result with every field set)."""
        return MonitoringResult(self.id, self.tool, self.kind, self.at, self.digest, self.source, self.title,
                                self.model_name, self.version, self.dataset, self.endpoint, self.drift, self.checks,
                                link, versions, dataset)

    @property
    def drifted_features(self) -> list[FeatureDrift]:
        return [d for d in self.drift if d.drifted]

    @property
    def has_drift(self) -> bool:
        return any(d.drifted for d in self.drift)

    @property
    def failed_checks(self) -> list[QualityCheck]:
        return [c for c in self.checks if not c.success]

    @property
    def pass_rate(self) -> float | None:
        """Share of checks that passed (None: the result has no checks)."""
        if not self.checks:
            return None
        return sum(1 for c in self.checks if c.success) / len(self.checks)

    @property
    def names(self) -> str:
        """What the result names, in words."""
        parts = []
        if self.model_name:
            parts.append(f"model {self.model_name}" + (f" v{self.version}" if self.version else ""))
        if self.dataset:
            parts.append(f"dataset {self.dataset}")
        if self.endpoint:
            parts.append(f"endpoint {self.endpoint}")
        return ", ".join(parts) or "nothing"

    def summary(self) -> str:
        if self.kind == DRIFT:
            drifted = self.drifted_features
            if drifted:
                return f"drift in {len(drifted)} of {len(self.drift)} features (" + ", ".join(
                    f"{d.feature} {d.score:.3g}" + (f" {d.comparison} {d.threshold:.3g}" if d.threshold is not None else "")
                    for d in drifted[:4]) + ("…" if len(drifted) > 4 else "") + ")"
            return f"no drift in {len(self.drift)} features"
        failed = self.failed_checks
        if not self.checks:
            return "metrics only (no checks)"
        if failed:
            return f"{len(failed)} of {len(self.checks)} checks failed (" + ", ".join(
                c.name for c in failed[:4]) + ("…" if len(failed) > 4 else "") + ")"
        return f"all {len(self.checks)} checks passed"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "tool": self.tool, "kind": self.kind, "at": iso(self.at), "digest": self.digest,
            "source": self.source, "title": self.title,
            "names": {"model": self.model_name, "version": self.version, "dataset": self.dataset,
                      "endpoint": self.endpoint},
            "linked": [f"{m}/{v}" for m, v in self.linked_versions],
            "linked_dataset": self.linked_dataset, "link": self.link, "summary": self.summary(),
            "drift": [d.as_json() for d in self.drift], "checks": [c.as_json() for c in self.checks],
            "pass_rate": self.pass_rate,
        }
