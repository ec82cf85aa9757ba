"""The findings engine: COMPLIANCE.md's catalogue evaluated over a catalog and governance facts.

Qt-free and SQL-free. Inputs are a merged :class:`~mlops_desktop.core.entities.Catalog`,
optionally the :class:`~mlops_desktop.core.governance_facts.GovernanceFacts` the governance
layer derived from its verified envelopes and audit log, and :class:`FindingSettings`
(production stages/aliases, retention years, today's date...). Lineage questions
(effective PHI classification, upstream datasets, MLMD pushed models) go through the
lineage graph API (:mod:`mlops_desktop.core.lineage`).

A finding is evidence, not a legal conclusion: each one names the rule, the object, the
facts that triggered it and what to do.

Layout (each module imports only those above it):

- :mod:`.model` -- :class:`Finding`, severities and helpers over lists of findings;
- :mod:`.catalogue` -- each rule's id, title and default severity, as data;
- :mod:`.settings` -- :class:`FindingSettings`;
- :mod:`.lineage_view` -- what the engine asks the lineage graph;
- :mod:`.datasets` -- datasets with merged tags and consumers, the HIPAA identifier heuristic;
- :mod:`.context` -- what a rule function is given and returns;
- :mod:`.version_rules`, :mod:`.dataset_rules`, :mod:`.audit_rules`, :mod:`.external_rules`,
  :mod:`.monitoring_rules` -- one
  function per rule;
- :mod:`.registry` -- :data:`REGISTRY`, rule id to title, severity and check function(s);
- :mod:`.engine` -- :func:`evaluate`.
"""

from __future__ import annotations

from mlops_desktop.core.findings.catalogue import CATALOGUE, DEFAULT_SEVERITIES, RULES, RuleInfo
from mlops_desktop.core.findings.context import (
    NEGATIVE_VALUES,
    DatasetContext,
    Draft,
    StoreContext,
    VersionContext,
    deployment_targets,
    is_active,
    version_context,
)
from mlops_desktop.core.findings.datasets import (
    HIPAA_IDENTIFIER_PATTERNS,
    SAFE_HARBOR_VALUES,
    DatasetView,
    dataset_views,
    hipaa_identifier_columns,
)
from mlops_desktop.core.findings.engine import evaluate
from mlops_desktop.core.findings.lineage_view import GraphLineage, LineageView, default_lineage
from mlops_desktop.core.findings.model import (
    SEVERITIES,
    Finding,
    at_or_above,
    count_by_severity,
    scope_findings,
    severity_rank,
)
from mlops_desktop.core.findings.registry import REGISTRY, Rule
from mlops_desktop.core.findings.settings import FindingSettings

__all__ = [
    "CATALOGUE",
    "DEFAULT_SEVERITIES",
    "HIPAA_IDENTIFIER_PATTERNS",
    "NEGATIVE_VALUES",
    "REGISTRY",
    "RULES",
    "SAFE_HARBOR_VALUES",
    "SEVERITIES",
    "DatasetContext",
    "DatasetView",
    "Draft",
    "Finding",
    "FindingSettings",
    "GraphLineage",
    "LineageView",
    "Rule",
    "RuleInfo",
    "StoreContext",
    "VersionContext",
    "at_or_above",
    "count_by_severity",
    "dataset_views",
    "default_lineage",
    "deployment_targets",
    "evaluate",
    "hipaa_identifier_columns",
    "is_active",
    "scope_findings",
    "severity_rank",
    "version_context",
]
