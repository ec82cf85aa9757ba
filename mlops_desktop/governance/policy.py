"""Promotion policies: which approvals a stage or alias needs, evaluated with explanations.

Policy file (TOML)::

    id = "acme-promotion-2026"

    [defaults]                    # optional: targets without their own table
    approvers = 1

    [targets.Production]
    approvers = 2                 # distinct trusted keys
    roles = ["approver"]          # a counted approval's signer must hold one of these roles
    separation_of_duties = true   # the version's author and run user cannot approve it
    phi_regime = "hipaa"          # lineage carries PHI -> one approval must carry this regime
    pii_regime = "gdpr"           # lineage carries PII -> one approval must carry this regime
    regimes = []                  # regimes always required
    expiry_days = 365             # approvals older than this do not count
    count_external_claims = false # true: another registry's approval claims count as approvers

    [witnesses]                   # optional: the log's newest checkpoint must be cosigned
    required = 1                  # by this many of these witnesses (verify / audit verify fail otherwise)
    keys = ["witness.example.org/ci+1a2b3c4d+BEx..."]   # verifier keys from 'keys create --witness'
    max_age = "7d"                # optional: older cosignatures (their timestamps, against now) do not count

Targets match stage names and aliases case-insensitively.

External approval claims (SageMaker ``ModelApprovalStatus``, DataRobot change-request reviews)
are ignored by default. With ``count_external_claims = true`` each approved claim of a distinct
principal counts towards ``approvers`` as long as the claiming registry's latest word on the
version is an approval; separation of duties and expiry apply to the claim's principal and
time, and a claim whose principal or time is not recorded does not count. Claims carry no
role and no regime, so role requirements do not apply to them and they never satisfy a regime
rule. Every explanation names a counted claim as unsigned.
"""

from __future__ import annotations

import hashlib
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mlops_desktop.core.classification import Classification
from mlops_desktop.core.entities import Catalog, ExternalApproval, ModelVersion
from mlops_desktop.core.errors import UsageError
from mlops_desktop.core.lineage import LineageGraph, shared_graph, version_node_id
from mlops_desktop.crypto.canonical import canonical_json

REGIMES = ("gdpr", "hipaa", "eu-ai-act")
_RULE_KEYS = {"approvers", "roles", "separation_of_duties", "phi_regime", "pii_regime", "regimes", "expiry_days",
              "count_external_claims"}


@dataclass(frozen=True, slots=True)
class TargetRule:
    approvers: int = 1
    roles: tuple[str, ...] = ("approver",)
    separation_of_duties: bool = True
    phi_regime: str | None = "hipaa"
    pii_regime: str | None = "gdpr"
    regimes: tuple[str, ...] = ()
    expiry_days: int | None = 365
    count_external_claims: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "approvers": self.approvers, "roles": list(self.roles),
            "separation_of_duties": self.separation_of_duties, "phi_regime": self.phi_regime,
            "pii_regime": self.pii_regime, "regimes": list(self.regimes), "expiry_days": self.expiry_days}
        if self.count_external_claims:  # only when set: the built-in policy's digest stays what it was
            out["count_external_claims"] = True
        return out


@dataclass(frozen=True, slots=True)
class Policy:
    policy_id: str
    digest: str  # SHA-256 of the policy file bytes (built-in: of its canonical JSON)
    targets: Mapping[str, TargetRule]
    defaults: TargetRule | None = None
    text: str = ""
    witness_keys: tuple[str, ...] = ()  # c2sp.org/signed-note verifier keys of cosignature/v1 witnesses
    required_witnesses: int = 0
    #: ``[witnesses] max_age`` in seconds: a cosignature older than this (its tlog-cosignature
    #: timestamp, judged against now) does not count (None: any age counts)
    witness_max_age: int | None = None

    def rule_for(self, target: str) -> TargetRule | None:
        if target in self.targets:
            return self.targets[target]
        low = target.lower()
        for name, rule in self.targets.items():
            if name.lower() == low:
                return rule
        return self.defaults


def _default_policy() -> Policy:
    prod = TargetRule(approvers=2, roles=("approver",), separation_of_duties=True, phi_regime="hipaa",
                      pii_regime="gdpr", regimes=(), expiry_days=365)
    targets = {"Production": prod, "champion": prod, "production": prod}
    body = {"id": "mlops-desktop-default/v1", "targets": {k: v.to_dict() for k, v in targets.items()},
            "defaults": TargetRule(approvers=1, separation_of_duties=True).to_dict()}
    data = canonical_json(body)
    return Policy("mlops-desktop-default/v1", hashlib.sha256(data).hexdigest(), targets,
                  TargetRule(approvers=1, separation_of_duties=True), data.decode())


#: Built-in default (DESIGN.md): Production / champion / production need two distinct trusted
#: approvers with role approver, neither the author nor the run user; PHI needs a hipaa
#: approval, PII a gdpr one; approvals expire after 365 days. Other targets need one approval.
DEFAULT_POLICY = _default_policy()


def _rule(data: Mapping[str, Any], where: str) -> TargetRule:
    unknown = set(data) - _RULE_KEYS
    if unknown:
        raise UsageError(f"Unknown policy setting {', '.join(sorted(unknown))} in {where}.",
                         f"Known settings: {', '.join(sorted(_RULE_KEYS))}.")
    try:
        approvers = int(data.get("approvers", 1))
        expiry = data.get("expiry_days", 365)
        regimes = tuple(str(r).lower() for r in data.get("regimes", ()))
        roles = tuple(str(r) for r in data.get("roles", ("approver",)))
        phi = data.get("phi_regime", "hipaa")
        pii = data.get("pii_regime", "gdpr")
    except (TypeError, ValueError) as exc:
        raise UsageError(f"Bad value in {where}: {exc}.") from exc
    if approvers < 0 or (expiry is not None and (not isinstance(expiry, int) or expiry <= 0)):
        raise UsageError(f"Bad approvers or expiry_days in {where}.")
    for r in (*regimes, *(x for x in (phi, pii) if x)):
        if r not in REGIMES:
            raise UsageError(f"Unknown regime {r!r} in {where}.", f"Use one of: {', '.join(REGIMES)}.")
    claims = data.get("count_external_claims", False)
    if not isinstance(claims, bool):
        raise UsageError(f"count_external_claims in {where} must be true or false, not {claims!r}.")
    return TargetRule(approvers, roles, bool(data.get("separation_of_duties", True)),
                      phi or None, pii or None, regimes, expiry, claims)


def load_policy(path: Path | str) -> Policy:
    """Read a policy TOML file; raises UsageError with the file and problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"Cannot read policy file {path}: {exc.strerror or exc}.") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"Policy file {path} is not valid TOML: {exc}.") from exc
    unknown = set(data) - {"id", "defaults", "targets", "witnesses"}
    if unknown:
        raise UsageError(f"Unknown policy section {', '.join(sorted(unknown))} in {path}.",
                         "Use id, [defaults], [targets.NAME] and [witnesses].")
    witness_keys, required_witnesses = _witnesses(data.get("witnesses", {}), path)
    witness_max_age = _max_age(data.get("witnesses", {}), path)
    targets_raw = data.get("targets", {})
    if not isinstance(targets_raw, dict):
        raise UsageError(f"[targets] in {path} must be a table of stage or alias tables.")
    targets = {str(k): _rule(v, f"{path} [targets.{k}]") for k, v in targets_raw.items() if isinstance(v, dict)}
    defaults = _rule(data["defaults"], f"{path} [defaults]") if isinstance(data.get("defaults"), dict) else None
    policy_id = str(data.get("id") or path.stem)
    return Policy(policy_id, hashlib.sha256(raw).hexdigest(), targets, defaults, raw.decode("utf-8"),
                  witness_keys, required_witnesses, witness_max_age)


_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _max_age(data: Any, path: Path) -> int | None:
    """``[witnesses] max_age``: "7d", "12h", "30m", "90s", "2w" (or whole seconds); None when absent."""
    raw = data.get("max_age") if isinstance(data, dict) else None
    if raw is None:
        return None
    hint = 'Write it as a whole number and a unit: max_age = "7d" (s, m, h, d or w).'
    if isinstance(raw, int) and not isinstance(raw, bool):
        seconds = raw
    elif isinstance(raw, str) and raw.strip()[:-1].isdigit() and raw.strip()[-1:].lower() in _AGE_UNITS:
        text = raw.strip()
        seconds = int(text[:-1]) * _AGE_UNITS[text[-1].lower()]
    else:
        raise UsageError(f"max_age in {path} [witnesses] is not a duration: {raw!r}.", hint)
    if seconds <= 0:
        raise UsageError(f"max_age in {path} [witnesses] must be more than zero, not {raw!r}.", hint)
    return seconds


def _witnesses(data: Any, path: Path) -> tuple[tuple[str, ...], int]:
    """``[witnesses]``: ``required`` (cosignatures the newest checkpoint needs) and ``keys``."""
    from mlops_desktop.crypto.checkpoint import CheckpointError, parse_witness_vkey

    if not isinstance(data, dict):
        raise UsageError(f"[witnesses] in {path} must be a table with required and keys.")
    unknown = set(data) - {"required", "keys", "max_age"}
    if unknown:
        raise UsageError(f"Unknown setting {', '.join(sorted(unknown))} in {path} [witnesses].",
                         "Known settings: keys, max_age, required.")
    required, vkeys = data.get("required", 0), data.get("keys", [])
    if not isinstance(required, int) or isinstance(required, bool) or required < 0:
        raise UsageError(f"required in {path} [witnesses] must be a whole number, not {required!r}.")
    if not isinstance(vkeys, list) or not all(isinstance(v, str) for v in vkeys):
        raise UsageError(f"keys in {path} [witnesses] must be a list of witness verifier keys.")
    for v in vkeys:
        try:
            parse_witness_vkey(v)
        except CheckpointError as exc:
            raise UsageError(f"Bad witness key {v!r} in {path} [witnesses]: {exc}.",
                             "Copy the verifier key 'keys create --witness NAME' printed.") from exc
    if required > len(set(vkeys)):
        raise UsageError(f"{path} [witnesses] requires {required} cosignatures but names {len(set(vkeys))} witness keys.")
    return tuple(vkeys), required


def witness_rule(text: str, where: str) -> tuple[tuple[str, ...], int]:
    """``[witnesses]`` (verifier keys, required count) of a policy's text, as carried in an
    evidence bundle; the built-in policy requires none. Raises UsageError for unreadable text."""
    if text == DEFAULT_POLICY.text:
        return (), 0
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"The policy text of {where} is not valid TOML: {exc}.") from exc
    return _witnesses(data.get("witnesses", {}), Path(where))


def lineage_graph(catalog: Catalog) -> LineageGraph:
    """The catalog's lineage graph (:func:`~mlops_desktop.core.lineage.shared_graph`: built once)."""
    return shared_graph(catalog)


def version_classification(catalog: Catalog, version: ModelVersion) -> Classification:
    """PII/PHI of a version as its lineage carries it (propagated through the lineage graph)."""
    graph = lineage_graph(catalog)
    node = version_node_id(version.model_name, version.version)
    if graph.g.has_node(node):
        return graph.effective_classification(node)
    model = catalog.model(version.model_name)
    return version.classification(model.tags if model else None)


# ---------------------------------------------------------------------------- evaluation


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule: str
    satisfied: bool
    explanation: str

    def __post_init__(self) -> None:
        # tens of thousands of versions are judged with the same few sentences ("Only 0 of 2
        # required approvals count (none)."): one string each, not one per version
        object.__setattr__(self, "rule", sys.intern(self.rule))
        object.__setattr__(self, "explanation", sys.intern(self.explanation))

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "satisfied": self.satisfied, "explanation": self.explanation}


@dataclass(slots=True)
class PolicyResult:
    target: str
    policy_id: str
    policy_digest: str
    satisfied: bool
    rules: list[RuleResult] = field(default_factory=list)
    counted_key_ids: list[str] = field(default_factory=list)
    #: statements of the external approval claims counted (``count_external_claims``), all unsigned
    counted_claims: list[str] = field(default_factory=list)

    def unmet(self) -> list[RuleResult]:
        return [r for r in self.rules if not r.satisfied]

    def to_dict(self) -> dict[str, Any]:
        out = {"target": self.target, "policy_id": self.policy_id, "policy_digest": self.policy_digest,
               "satisfied": self.satisfied, "rules": [r.to_dict() for r in self.rules],
               "counted_key_ids": list(self.counted_key_ids)}
        if self.counted_claims:
            out["counted_external_claims"] = [{"statement": c, "signed": False} for c in self.counted_claims]
        return out


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policy needs to know about one verified approval envelope."""

    key_id: str
    identity: str | None
    roles: tuple[str, ...]
    decision: str  # APPROVED | REJECTED
    target: str
    regimes: tuple[str, ...]
    decided_at: datetime  # audit-log time of the decision
    log_index: int
    status: str  # governance_facts STATUS_*
    status_detail: str = ""


def same_person(identity: str | None, user: str | None) -> bool:
    """E-mail/user-name match: equal, or the e-mail's local part is the user name."""
    if not identity or not user:
        return False
    a, b = identity.strip().lower(), user.strip().lower()
    if "<" in a and a.endswith(">"):
        a = a[a.index("<") + 1:-1]
    if "<" in b and b.endswith(">"):
        b = b[b.index("<") + 1:-1]
    if a == b:
        return True
    return a.split("@", 1)[0] == b if "@" not in b else b.split("@", 1)[0] == a


def _who(d: Decision) -> str:
    return f"{d.identity or 'unknown'} (key {d.key_id[:12]})"


def _external_claims(
    version: ModelVersion, rule: TargetRule, authors: Sequence[str], signers: Sequence[Decision],
    expired_cut: datetime | None,
) -> tuple[list[ExternalApproval], list[str]]:
    """The approval claims of other registries that count under ``count_external_claims``, and why
    each other approved claim does not (module docstring)."""
    counted: list[ExternalApproval] = []
    not_counted: list[str] = []
    by_system: dict[str, list[ExternalApproval]] = {}
    for claim in version.external_approvals:
        by_system.setdefault(claim.system, []).append(claim)
    for system in sorted(by_system):
        claims = sorted(by_system[system], key=lambda c: (c.at is not None, c.at or datetime.min.replace(tzinfo=UTC)))
        latest = claims[-1]
        for claim in (c for c in claims if c.approved):
            what = f"{claim.statement()} (unsigned external claim)"
            if not latest.approved:
                not_counted.append(f"{what}: superseded by {latest.statement()}")
            elif not claim.principal:
                not_counted.append(f"{what}: its principal is not recorded")
            elif claim.at is None:
                not_counted.append(f"{what}: its time is not recorded")
            elif expired_cut is not None and claim.at < expired_cut:
                not_counted.append(f"{what}: older than {rule.expiry_days} days")
            elif rule.separation_of_duties and any(same_person(claim.principal, u) for u in authors):
                not_counted.append(f"{what}: by the version's author or run user")
            elif any(same_person(claim.principal, c.principal) for c in counted) or any(
                    same_person(d.identity, claim.principal) for d in signers):
                not_counted.append(f"{what}: the same person counts once")
            else:
                counted.append(claim)
    return counted, not_counted


def evaluate_policy(
    policy: Policy,
    catalog: Catalog,
    version: ModelVersion,
    target: str,
    decisions: Sequence[Decision],
    now: datetime,
    classification: Classification | None = None,
) -> PolicyResult:
    """Evaluate ``policy`` for promoting ``version`` to ``target`` given verified decisions.

    Each rule comes back with its text, whether it holds and why, in words."""
    rule = policy.rule_for(target)
    result = PolicyResult(target, policy.policy_id, policy.digest, True)
    if rule is None:
        result.rules.append(RuleResult(f"No rule for target {target}", True,
                                       f"Policy {policy.policy_id} sets no requirement for {target}."))
        return result
    cls = classification or version_classification(catalog, version)
    relevant = sorted((d for d in decisions if d.target.lower() == target.lower()), key=lambda d: d.log_index)
    # Each signer's latest decision for this target counts (a later approval overrides a rejection).
    latest: dict[str, Decision] = {}
    for d in relevant:
        if d.status in ("valid", "expired"):
            latest[d.key_id] = d
    authors = [u for u in (version.user_id, version.run_user) if u]
    expired_cut = now - timedelta(days=rule.expiry_days) if rule.expiry_days else None

    counted: list[Decision] = []
    not_counted: list[str] = []
    sod_violations: list[str] = []
    expired: list[str] = []
    seen_keys: set[str] = set()
    for d in relevant:
        if d.decision != "APPROVED":
            continue
        if d.status not in ("valid", "expired"):
            not_counted.append(f"{_who(d)}: {d.status_detail or d.status}")
            continue
        if latest.get(d.key_id) is not d:
            if d.key_id in seen_keys or latest.get(d.key_id, d).decision == "APPROVED":
                not_counted.append(f"{_who(d)} again: the same key counts once")
            else:
                not_counted.append(f"{_who(d)}: superseded by a later rejection")
            seen_keys.add(d.key_id)
            continue
        seen_keys.add(d.key_id)
        if d.status == "expired" or (expired_cut is not None and d.decided_at < expired_cut):
            expired.append(f"{_who(d)} approved on {d.decided_at:%Y-%m-%d}")
            continue
        if rule.roles and not set(d.roles) & set(rule.roles):
            not_counted.append(f"{_who(d)}: has role {', '.join(d.roles) or 'none'}, needs {' or '.join(rule.roles)}")
            continue
        if rule.separation_of_duties and any(same_person(d.identity, u) for u in authors):
            sod_violations.append(f"{_who(d)} is the version's author or run user")
            continue
        counted.append(d)
    result.counted_key_ids = [d.key_id for d in counted]
    claims: list[ExternalApproval] = []
    if rule.count_external_claims:
        claims, claims_not = _external_claims(version, rule, authors, counted, expired_cut)
        not_counted.extend(claims_not)
        result.counted_claims = [c.statement() for c in claims]
    need = rule.approvers
    total = len(counted) + len(claims)
    roles_text = " or ".join(rule.roles) if rule.roles else "any role"
    text = f"{need} distinct trusted approver{'s' if need != 1 else ''} with role {roles_text}"
    if rule.count_external_claims:
        text += " (external approval claims count, unsigned)"
    have = ", ".join([*(_who(d) for d in counted), *(f"{c.statement()} (unsigned external claim)" for c in claims)])
    have = have or "none"
    expl = f"{total} of {need} counted: {have}."
    if not_counted:
        expl += " Not counted: " + "; ".join(not_counted) + "."
    if total < need:
        expl = f"Only {total} of {need} required approvals count ({have})." + (
            " Not counted: " + "; ".join(not_counted) + "." if not_counted else "")
    result.rules.append(RuleResult(text, total >= need, expl))
    enough = total >= need

    if rule.separation_of_duties:
        who = " / ".join(authors) or "unknown"
        result.rules.append(RuleResult(
            "Separation of duties: no approver is the version's author or run user",
            not sod_violations or enough,
            ("Approval by " + "; ".join(sod_violations) + f" (author/run user: {who}); it does not count.")
            if sod_violations else f"No approval comes from the author or run user ({who}).",
        ))
    regime_needs: list[tuple[str, str]] = []
    if cls.phi and rule.phi_regime:
        regime_needs.append((rule.phi_regime, "the version's lineage carries PHI"))
    if cls.pii and rule.pii_regime:
        regime_needs.append((rule.pii_regime, "the version's lineage carries PII"))
    regime_needs.extend((r, "the policy always requires it") for r in rule.regimes)
    for regime, why in regime_needs:
        carriers = [d for d in counted if regime in d.regimes]
        result.rules.append(RuleResult(
            f"One counted approval carries the {regime} regime ({why})",
            bool(carriers),
            f"Approved under {regime} by {', '.join(_who(d) for d in carriers)}." if carriers
            else f"No counted approval carries the {regime} regime, and {why}.",
        ))
    if rule.expiry_days:
        result.rules.append(RuleResult(
            f"Approvals are younger than {rule.expiry_days} days",
            not expired or enough,
            ("Expired and not counted: " + "; ".join(expired) + ".") if expired else "No counted approval has expired.",
        ))
    rejections = [d for d in latest.values() if d.decision == "REJECTED" and d.status == "valid"]
    result.rules.append(RuleResult(
        "No trusted signer's latest decision is a rejection",
        not rejections,
        ("Rejected by " + "; ".join(_who(d) for d in rejections) + ".") if rejections else "No standing rejection.",
    ))
    result.satisfied = all(r.satisfied for r in result.rules)
    return result
