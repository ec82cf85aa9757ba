"""What a report says about each signed decision and each promotion target, as plain data.

Two things are said separately, never folded into one word:

- the **signature**: does the envelope verify, and does its signer's chain reach this client's
  trust anchors (``valid`` / ``invalid`` / ``unanchored`` / ...), the governance layer's check;
- whether the decision **counts toward** its target under the promotion policy, and why
  (``yes`` / ``no, because <rule>``), with the same rule-by-rule explanation ``verify`` prints.

A self-approval can have a perfectly valid signature and still not count: a certificate that
printed only "VALID" would say the opposite of the policy. :mod:`mlops_desktop.reports.governance_bridge`
fills these records from the governance store; the PDF only prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mlops_desktop.core.governance_facts import ApprovalFact

#: How each verification status reads as a statement about the signature.
SIGNATURE_WORDS: dict[str, str] = {
    "valid": "valid",
    "invalid": "invalid",
    "unanchored": "unanchored",
    "untrusted": "valid signature, signer not trusted",
    "revoked": "valid signature, signer revoked",
    "expired": "valid, decision expired",
    "evidence_changed": "valid, subject digest no longer matches the store",
    "other_registry": "valid, made on another registry",
    "registry_not_recorded": "valid, names no registry",
}


def signature_word(status: str) -> str:
    return SIGNATURE_WORDS.get(status, status)


@dataclass(frozen=True, slots=True)
class RuleLine:
    """One rule of the promotion policy for one target, as ``verify`` explains it."""

    rule: str
    satisfied: bool
    explanation: str


@dataclass(frozen=True, slots=True)
class TargetVerdict:
    """The promotion policy evaluated for one version and one target."""

    model: str
    version: str
    target: str
    policy_id: str
    satisfied: bool
    rules: tuple[RuleLine, ...] = ()
    counted_key_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DecisionVerdict:
    """One signed decision: its signature, whether it counts toward its target and why, and the
    roles, reason and regimes it carries."""

    envelope_id: str
    signature: str  # SIGNATURE_WORDS value
    signature_detail: str
    counts: bool
    because: str  # "counted by the rule ..." or the rule it fails, in verify's words
    roles: tuple[str, ...] = ()
    reason: str = ""
    regimes: tuple[str, ...] = ()

    @property
    def counts_text(self) -> str:
        return ("yes, " if self.counts else "no, because ") + self.because


@dataclass(slots=True)
class Verdicts:
    """Every decision's verdict (by envelope id) and every evaluated target (by model, version, target
    and the store the version was read from: two merged registries may both hold "fraud-detector" v3)."""

    decisions: dict[str, DecisionVerdict] = field(default_factory=dict)
    targets: dict[tuple[str, str, str, str], TargetVerdict] = field(default_factory=dict)

    #: (model, version) -> its targets in key order; rebuilt when ``targets`` has changed size.
    _by_version: dict[tuple[str, str], list[tuple[str, TargetVerdict]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    _indexed: int = field(default=-1, init=False, repr=False, compare=False)

    def for_version(self, model: str, version: str, store: str | None = None) -> list[TargetVerdict]:
        """The targets evaluated for one version (of one store, when given), in key order."""
        if self._indexed != len(self.targets):
            index: dict[tuple[str, str], list[tuple[str, TargetVerdict]]] = {}
            for (m, v, _, s), t in sorted(self.targets.items()):
                index.setdefault((m, v), []).append((s, t))
            self._by_version, self._indexed = index, len(self.targets)
        return [t for s, t in self._by_version.get((model, version), []) if store is None or s == store]


def _clause(explanation: str, key_id: str) -> str | None:
    """The clause of ``explanation`` that names ``key_id`` (verify names a signer as
    ``identity (key <12 hex>)``)."""
    mark = f"(key {key_id[:12]})"
    if mark not in explanation:
        return None
    text = explanation.replace("Not counted: ", "; ")
    for part in (p.strip(" .") for chunk in text.split("; ") for p in chunk.split(". ")):
        if mark in part:
            return part
    return None


def decision_verdict(fact: ApprovalFact, target: TargetVerdict | None, roles: tuple[str, ...], reason: str,
                     latest_of_key: bool) -> DecisionVerdict:
    """The verdict on one decision given its target's policy evaluation (None: no policy evaluated,
    e.g. the version is no longer in the stores)."""
    def verdict(counts: bool, because: str) -> DecisionVerdict:
        return DecisionVerdict(fact.envelope_id, signature_word(fact.status), fact.status_detail, counts, because,
                               roles, reason, tuple(fact.regimes))

    if fact.decision.upper() != "APPROVED":
        standing = ""
        if target is not None and latest_of_key and fact.status == "valid":
            standing = "; as the signer's latest decision it holds the target back (rule: no trusted signer's " \
                       "latest decision is a rejection)"
        return verdict(False, f"it is a rejection{standing}")
    if fact.status not in ("valid", "expired"):
        detail = f": {fact.status_detail}" if fact.status_detail else ""
        return verdict(False, f"the signature check says {fact.status}{detail}")
    if target is None:
        return verdict(False, "the version is not in the stores read, so no policy was "
                               "evaluated")
    if fact.key_id in target.counted_key_ids and latest_of_key:
        first = target.rules[0] if target.rules else None
        rule = f"counted by the rule '{first.rule}' of policy {target.policy_id}" if first else "counted"
        return verdict(True, rule)
    for line in target.rules:
        clause = _clause(line.explanation, fact.key_id)
        if clause is not None:
            return verdict(False, f"{line.rule}: {clause}")
    if not latest_of_key:
        return verdict(False, "a later decision by the same key supersedes it")
    return verdict(False, f"policy {target.policy_id} does not count it")
