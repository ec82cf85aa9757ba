"""Datasets as the findings engine sees them: tags merged from every place a dataset was
logged, its consumer versions, and the HIPAA identifier heuristic over its columns."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlops_desktop.core.classification import normalise_tags
from mlops_desktop.core.entities import Catalog, ModelVersion, RegisteredModel
from mlops_desktop.core.findings.lineage_view import LineageView

SAFE_HARBOR_VALUES = frozenset({"safe_harbor", "safe-harbor", "safeharbor", "safe harbor"})

#: Column-name patterns that look like the 18 HIPAA safe-harbor identifiers (164.514(b)(2)).
HIPAA_IDENTIFIER_PATTERNS: tuple[tuple[str, str], ...] = (
    ("names", r"(^|_)(first_?|last_?|full_?|sur|given_?|patient_?|maiden_?)?name($|_)"),
    # truncated forms too: the initial three digits of a ZIP code are allowed only for areas of more
    # than 20,000 people (164.514(b)(2)(i)(B)), which the metadata never shows
    ("geographic units below state", r"(^|_)(address|street|city|county|zip|zip_?code|zip_?[0-9]|zip_?prefix|postcode|post_?code_?(area|district|sector|prefix)?|postal_?code|fsa|geo_?loc|geohash|latitude|longitude|lat|lon|lng|census_?(tract|block))($|_)"),
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
    ("other unique identifying numbers", r"(^|_)((patient|person|subject|member|customer|user)_?(id|key|hash|token|uid|uuid|no|number)|national_?id|passport|ssn_?hash)($|_)"),
)
_HIPAA_REGEXES = tuple((label, re.compile(rx)) for label, rx in HIPAA_IDENTIFIER_PATTERNS)


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
    #: The schema's column records when the store gives more than names (OpenLineage: per-column
    #: ``tags`` and the columnLineage ``inputs`` each output column derives from).
    fields: list[dict[str, Any]] = field(default_factory=list)

    def column_sources(self) -> dict[str, list[dict[str, Any]]]:
        """Output column -> the input columns it derives from (``dataset``, ``field``, ``transformations``)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for f in self.fields:
            ins = [i for i in f.get("inputs") or [] if isinstance(i, dict) and i.get("field")]
            if ins:
                out[str(f.get("name"))] = ins
        return out

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
        fields = ds.schema.get("fields") if isinstance(ds.schema, dict) else None
        views[ds_id] = DatasetView(ds_id, ds.name, ds.digest, ds.source, ds.columns, normalise_tags(ds.tags),
                                   fields=[f for f in fields or [] if isinstance(f, dict)])

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
