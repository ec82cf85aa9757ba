"""Report parts about signed decisions, per model: approval certificates, the per-model
governance section (each target's policy verdict, rule by rule), per-model security figures and
the HIPAA approval column. Every figure is about the model it is printed for.

The wording keeps the signature apart from whether a decision counts (:mod:`.verdicts`).
"""

from __future__ import annotations

from reportlab.platypus import KeepTogether, Spacer

from mlops_desktop.core.entities import ModelVersion, RegisteredModel, iso
from mlops_desktop.core.governance_facts import ApprovalFact
from mlops_desktop.reports.document import NOT_RECORDED, ReportBuilder, esc
from mlops_desktop.reports.verdicts import DecisionVerdict, TargetVerdict, signature_word

NO_GOVERNANCE = "not assessed: no governance store was given — gap"


def _verdict(b: ReportBuilder, a: ApprovalFact) -> DecisionVerdict | None:
    gov = b.d.governance
    return gov.verdicts.decisions.get(a.envelope_id) if gov is not None else None


def model_approvals(b: ReportBuilder, model: RegisteredModel) -> list[ApprovalFact]:
    return [a for a in b.d.approvals() if a.model_name == model.name]


def security_figures(b: ReportBuilder, model: RegisteredModel) -> str:
    """Signed decisions of this model (how many verify, how many count) and the store-wide audit log."""
    if b.d.governance is None:
        return "Signed decisions: " + NO_GOVERNANCE
    approvals = model_approvals(b, model)
    audit = b.d.facts.audit
    log = "not verified" if audit is None else (
        f"verified, {audit.size} entries" if audit.ok and not audit.problems else "INCONSISTENT")
    if not approvals:
        own = f"no signed decisions on record for {model.name}"
    else:
        valid = sum(1 for a in approvals if a.valid)
        counted = sum(1 for a in approvals if (v := _verdict(b, a)) is not None and v.counts)
        own = (f"{valid} of {len(approvals)} signed decisions on {model.name} have a valid signature, "
               f"{counted} count toward their target")
    return f"{own}; audit log (store-wide): {log}"


def hipaa_approval(b: ReportBuilder, model: RegisteredModel, version: ModelVersion) -> str:
    """"yes (...)" only when a decision that counts toward a target carries the hipaa regime; else "NO: why"."""
    if b.d.governance is None:
        return "NO: " + NO_GOVERNANCE
    approvals = b.d.approvals_for(version)
    carrying = [a for a in approvals if "hipaa" in {r.lower() for r in a.regimes}]
    counting = [a for a in carrying if (v := _verdict(b, a)) is not None and v.counts]
    if counting:
        return "yes (" + "; ".join(f"{a.target} by {a.signer_identity or a.key_id[:16]}" for a in counting) + ")"
    if not carrying:
        return "NO: no decision carries the hipaa regime"
    why = []
    for a in carrying:
        v = _verdict(b, a)
        why.append(f"{a.decision.lower()} by {a.signer_identity or a.key_id[:16]} does not count"
                   + (f" ({v.because})" if v is not None else ""))
    return "NO: " + "; ".join(why)


def _decision_rows(b: ReportBuilder, approvals: list[ApprovalFact]) -> list[list[object]]:
    rows: list[list[object]] = []
    for a in approvals:
        v = _verdict(b, a)
        rows.append([a.target, a.decision.lower(), a.signer_identity or a.key_id[:16],
                     ", ".join(v.roles) if v and v.roles else (a.role or NOT_RECORDED),
                     ", ".join(a.regimes) or "none", (v.reason if v and v.reason else NOT_RECORDED),
                     signature_word(a.status), v.counts_text if v else "not evaluated"])
    return rows


def governance_section(b: ReportBuilder, model: RegisteredModel, version: ModelVersion) -> None:
    """Per-model governance: the policy verdict of each target the version holds or was decided for,
    rule by rule as ``verify`` explains it, and each decision with its signature and whether it counts."""
    b.h3(f"Governance of version {version.version}")
    gov = b.d.governance
    if gov is None:
        b.para("Signed decisions and the promotion policy: " + NO_GOVERNANCE + ".", "note")
        return
    targets: list[TargetVerdict] = gov.verdicts.for_version(model.name, version.version, version.store)
    approvals = [a for a in model_approvals(b, model) if a.version == version.version]
    if not targets and not approvals:
        b.para(f"No signed decision is on record for version {esc(version.version)}, and it holds no target the "
               "promotion policy covers.", "note")
        return
    for t in targets:
        word = "met" if t.satisfied else "NOT MET"
        b.para(f"<b>Policy {esc(t.policy_id)} for {esc(t.target)}: {word}</b>")
        b.table(["Rule", "Holds", "Explanation"], [[r.rule, "yes" if r.satisfied else "no", r.explanation]
                                                   for r in t.rules], [3.2, 0.7, 6.1])
    if approvals:
        b.table(["Target", "Decision", "Signer", "Roles", "Regimes", "Reason", "Signature", "Counts toward target"],
                _decision_rows(b, approvals), [1.0, 0.9, 1.6, 0.9, 0.9, 1.6, 1.1, 2.6])


def certificates(b: ReportBuilder) -> None:
    """Appendix B: one certificate per decision, the signature and the policy count said separately."""
    d = b.d
    b.h1("Appendix B. Approval certificates")
    approvals = d.approvals()
    if d.governance is None:
        b.para("No governance store was given: signed decisions were not read for this report — gap.", "note")
        return
    if not approvals:
        b.para("No signed approvals or rejections are recorded for the models in scope.", "note")
        return
    b.para(
        "Each decision is a DSSE envelope over an in-toto Statement, signed with ECDSA P-256 by the signer's key. "
        "The key fingerprint is the SHA-256 of the key's DER SubjectPublicKeyInfo. Two results are given apart: "
        "the signature (envelope, trust list, anchors, validity window, subject digest, checked at report time) "
        "and whether the decision counts toward its target under the promotion policy, with the rule that decides."
    )
    for n, a in enumerate(approvals, start=1):
        v = _verdict(b, a)
        sig = signature_word(a.status) + (f" — {a.status_detail}" if a.status_detail else "")
        sig_colour = "#1a7f37" if a.valid else "#b00020"
        counts = v.counts_text if v is not None else "not evaluated"
        count_colour = "#1a7f37" if v is not None and v.counts else "#b00020"
        b.add(
            KeepTogether(
                [
                    b.p(f"Certificate B.{n}: {esc(a.model_name)} v{esc(a.version)} → {esc(a.target)}", "h3"),
                    b.kv(
                        [
                            ("Decision", a.decision),
                            ("Reason (signed)", (v.reason if v and v.reason else NOT_RECORDED)),
                            ("Regimes", ", ".join(a.regimes) or "none"),
                            ("Signer", a.signer_identity or NOT_RECORDED),
                            ("Roles (trust list at the decision)",
                             ", ".join(v.roles) if v and v.roles else (a.role or NOT_RECORDED)),
                            ("Key fingerprint", a.key_id),
                            ("Signed at (signer's claim)", iso(a.signed_at) or NOT_RECORDED),
                            ("Audit-log index", "—" if a.log_index is None else str(a.log_index)),
                            ("Envelope id", a.envelope_id),
                            ("Signature", b.p(f'<font color="{sig_colour}"><b>{esc(sig)}</b></font>', "cell")),
                            (f"Counts toward {a.target}",
                             b.p(f'<font color="{count_colour}"><b>{esc(counts)}</b></font>', "cell")),
                        ],
                        mono_keys=("Key fingerprint", "Envelope id"),
                    ),
                    Spacer(1, 6),
                ]
            )
        )


TRAINING_CONTEXTS = frozenset({"training", "train"})
EVALUATION_CONTEXTS = frozenset({"evaluation", "eval", "validation", "test", "testing", "holdout"})


def inputs_by_role(version: ModelVersion) -> tuple[str, str, str]:
    """(training, evaluation, unspecified) dataset inputs of a version, by the context the store
    records for each input (MLflow's ``mlflow.data.context`` input tag); "—" where there are none."""
    def names(ctx: frozenset[str] | None) -> str:
        picked = [x for x in version.datasets
                  if (ctx is None and (x.context or "").lower() not in TRAINING_CONTEXTS | EVALUATION_CONTEXTS)
                  or (ctx is not None and (x.context or "").lower() in ctx)]
        return ", ".join(x.name + (f" ({x.context})" if ctx is None and x.context else "") for x in picked) or "—"

    return names(TRAINING_CONTEXTS), names(EVALUATION_CONTEXTS), names(None)


def remediation_cell(status: object | None) -> str:
    """Owner, due date and status of one finding (a findings status entry), "open" when none."""
    if status is None:
        return "open; owner and due date not recorded"
    owner = getattr(status, "owner", "") or "owner not recorded"
    due = getattr(status, "due", "") or "no due date"
    state = getattr(status, "status", "") or "open"
    note = getattr(status, "note", "")
    return f"{owner}; due {due}; {state}" + (f" ({note})" if note else "")


def deleted_versions(b: ReportBuilder, number: str) -> None:
    """The versions the registry deleted (MLflow ``Deleted_Internal``), with the F16 finding where
    they held classified data within the retention duty."""
    rows = []
    f16 = {f.object: f for f in b.d.findings if f.id == "F16"}
    for m in b.d.models:
        for v in m.versions:
            if not v.deleted:
                continue
            finding = f16.get(v.uri)
            rows.append([v.uri, iso(v.created_at) or NOT_RECORDED, iso(v.updated_at) or NOT_RECORDED,
                         finding.key if finding else "—",
                         finding.evidence if finding else "nothing recorded says it held classified data"])
    if not rows:
        return
    b.h2(f"{number} Deleted versions")
    b.para("Versions the registry deleted; their run id and source are redacted by the store. Each one that held "
           "classified data within the retention duty is finding F16.", "note")
    b.table(["Version", "Created", "Last updated", "Finding", "What it held"], rows, [2.2, 1.7, 1.7, 1.2, 4.2])
