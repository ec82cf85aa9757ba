"""Data classification tags (COMPLIANCE.md): parse them the same way everywhere."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

TRUE_VALUES = frozenset({"true", "yes", "1", "y", "t"})

#: Classification keys the app reads; keys are case-insensitive.
KNOWN_KEYS = (
    "pii",
    "phi",
    "special_categories",
    "art9_condition",
    "lawful_basis",
    "purpose",
    "purposes",
    "retention_until",
    "data_subject_categories",
    "dpia_reference",
    "hipaa_deidentified",
    "automated_decision",
    "legal_effect",
    "human_review",
    "risk_tier",
    "third_country_transfer",
    "transfer_safeguard",
)


def normalise_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Lower-case the keys (the convention is case-insensitive) and strip the values."""
    return {str(k).strip().lower(): str(v).strip() for k, v in tags.items() if v is not None}


def is_true(value: str | None) -> bool:
    return value is not None and value.strip().lower() in TRUE_VALUES


@dataclass(frozen=True, slots=True)
class Classification:
    pii: bool = False
    phi: bool = False
    special_categories: tuple[str, ...] = ()
    facts: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, bool]:
        return {"pii": self.pii, "phi": self.phi}

    @property
    def badges(self) -> list[str]:
        out = []
        if self.pii:
            out.append("PII")
        if self.phi:
            out.append("PHI")
        return out


def classify(tag_sets: Iterable[Mapping[str, str]]) -> Classification:
    """Fold several tag dictionaries (dataset inputs, version, model) into one classification."""
    pii = phi = False
    special: list[str] = []
    facts: dict[str, str] = {}
    for tags in tag_sets:
        norm = normalise_tags(tags)
        pii = pii or is_true(norm.get("pii"))
        phi = phi or is_true(norm.get("phi"))
        for cat in norm.get("special_categories", "").split(","):
            cat = cat.strip()
            if cat and cat not in special:
                special.append(cat)
        for key in KNOWN_KEYS:
            if key in norm and key not in facts:
                facts[key] = norm[key]
    return Classification(pii=pii, phi=phi, special_categories=tuple(special), facts=facts)
