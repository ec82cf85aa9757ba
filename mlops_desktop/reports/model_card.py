"""Model cards from the store's own metadata, in the shape of SageMaker model cards.

Sections follow the SageMaker model card content schema (model overview, intended uses,
training details, evaluation details, additional information); values come from the
registered model's description and the documented tag names below (docs/MODEL_CARD_TAGS.md),
the version's tags overriding the model's. A field the metadata does not hold is named as a
gap with the tag that would fill it. Plain data: :mod:`.pdf` and :mod:`.editions` lay it out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from mlops_desktop.core.entities import (
    Catalog,
    DatasetInput,
    ModelVersion,
    RegisteredModel,
    Run,
    iso,
)

GAP = "not recorded — gap"

#: field -> the tag names read, first found wins (keys are case-insensitive).
CARD_TAGS: dict[str, tuple[str, ...]] = {
    "owner": ("model_owner", "owner", "team"),
    "purpose": ("purpose", "purpose_of_model"),
    "intended_use": ("intended_use", "intended_uses", "sagemaker.model_card.intended_uses"),
    "out_of_scope_use": ("out_of_scope_use", "out_of_scope_uses"),
    "limitations": ("limitations",),
    "ethical_considerations": ("ethical_considerations",),
    "caveats": ("caveats", "caveats_and_recommendations"),
    "risk_rating": ("risk_rating", "risk_tier", "sagemaker.model_card.risk_rating"),
    "risk_rating_reason": ("risk_rating_reason", "risk_tier_reason", "explanations_for_risk_rating"),
    "methodology": ("methodology", "algorithm", "model_type"),
    "monitoring_plan": ("monitoring_plan",),
    "validation_status": ("validation_status", "validation"),
    "validated_by": ("validated_by", "validator"),
    "validation_date": ("validation_date",),
    "validation_report": ("validation_report", "validation_reference"),
}

EVALUATION_CONTEXTS = frozenset({"eval", "evaluation", "test", "validation", "holdout"})


def card_tags(model: RegisteredModel, version: ModelVersion | None) -> dict[str, str]:
    """The model's tags overridden by the version's, keys lower-cased."""
    out = {k.lower(): v for k, v in model.tags.items()}
    if version is not None:
        out.update({k.lower(): v for k, v in version.tags.items()})
    return out


def card_value(tags: Mapping[str, str], name: str) -> tuple[str, str]:
    """(value, tag it came from) for card field ``name``; ("", preferred tag) when absent."""
    for key in CARD_TAGS[name]:
        value = (tags.get(key) or "").strip()
        if value:
            return value, key
    return "", CARD_TAGS[name][0]


@dataclass(slots=True)
class CardSection:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class ModelCard:
    model: str
    version: str
    sections: list[CardSection] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)  # "intended use (tag intended_use)"

    def value(self, section: str, label: str) -> str:
        for s in self.sections:
            if s.title == section:
                for k, v in s.rows:
                    if k == label:
                        return v
        raise KeyError((section, label))


def _datasets(items: list[DatasetInput], evaluation: bool) -> list[DatasetInput]:
    return [d for d in items if ((d.context or "").strip().lower() in EVALUATION_CONTEXTS) == evaluation]


def build_card(catalog: Catalog, model: RegisteredModel, version: ModelVersion | None,
               read_run: Callable[[ModelVersion], Run | None] | None = None) -> ModelCard:
    """``read_run``: the version's run with its params and metrics (default: ``catalog.full_run``)."""
    tags = card_tags(model, version)
    card = ModelCard(model.name, version.version if version else "")

    def tagged(label: str, name: str) -> tuple[str, str]:
        value, key = card_value(tags, name)
        if value:
            return label, value
        card.gaps.append(f"{label.lower()} (tag {key})")
        return label, f"{GAP} (tag {key})"

    overview = CardSection("Model overview")
    if model.description.strip():
        overview.rows.append(("Description", model.description.strip()))
    else:
        card.gaps.append("description (registered model description)")
        overview.rows.append(("Description", f"{GAP} (registered model description)"))
    overview.rows.append(tagged("Model owner", "owner"))
    overview.rows.append(tagged("Methodology", "methodology"))
    if version is not None:
        overview.rows.append(("Version", f"{version.version} (created {iso(version.created_at) or 'not recorded'})"))
        overview.rows.append(("Artifact", version.source or "not recorded"))
    card.sections.append(overview)

    uses = CardSection("Intended uses")
    uses.rows.append(tagged("Purpose of the model", "purpose"))
    uses.rows.append(tagged("Intended use", "intended_use"))
    uses.rows.append(tagged("Out-of-scope use", "out_of_scope_use"))
    uses.rows.append(tagged("Risk rating", "risk_rating"))
    uses.rows.append(tagged("Reason for the risk rating", "risk_rating_reason"))
    card.sections.append(uses)

    run = (read_run(version) if read_run is not None else catalog.full_run(version.run_id)) if version else None
    inputs = list(version.datasets) if version and version.datasets else (list(run.inputs) if run else [])
    training = CardSection("Training details")
    train = _datasets(inputs, evaluation=False)
    training.rows.append(("Training run", (version.run_id if version and version.run_id else GAP + " (no run)")
                          + (f" by {run.user}" if run and run.user else "")))
    training.rows.append(("Training data", "; ".join(f"{d.name} ({d.context or 'context not recorded'})"
                                                      for d in train) or f"{GAP} (no training dataset input)"))
    if not train:
        card.gaps.append("training data (run dataset inputs)")
    training.rows.append(("Parameters", f"{len(run.params)} recorded" if run and run.params else "none recorded"))
    card.sections.append(training)

    evaluation = CardSection("Evaluation details")
    ev = _datasets(inputs, evaluation=True)
    evaluation.rows.append(("Evaluation data", "; ".join(d.name for d in ev) or "none recorded (no input with an "
                                                                              "evaluation context)"))
    metrics = sorted(run.metrics.values(), key=lambda m: m.key) if run else []
    evaluation.rows.append(("Metrics", ", ".join(f"{m.key}={m.value:.4g}" for m in metrics[:12]) or "none recorded"))
    if not metrics:
        card.gaps.append("evaluation metrics (run metrics)")
    card.sections.append(evaluation)

    extra = CardSection("Additional information")
    extra.rows.append(tagged("Limitations", "limitations"))
    extra.rows.append(tagged("Ethical considerations", "ethical_considerations"))
    extra.rows.append(tagged("Caveats and recommendations", "caveats"))
    card.sections.append(extra)
    return card


__all__ = ["CARD_TAGS", "GAP", "CardSection", "ModelCard", "build_card", "card_tags", "card_value"]
