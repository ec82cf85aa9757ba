"""The "Promotion history" section of every edition: per model in scope, each change the
registry journal observed that put a version into a stage or alias, with its window and the
decisions that covered it (``PromotionFact``, judged by the governance layer on the decisions
recorded by the end of the change's window; F20 names those that were not covered).

Where no governance store was given, or the journal holds no observation of a model's
registry, the section says "not recorded": a registry keeps only its current state, so the
history exists only from the journal's first observation on.
"""

from __future__ import annotations

from mlops_desktop.core.entities import RegisteredModel
from mlops_desktop.core.governance_facts import ApprovalFact, PromotionFact
from mlops_desktop.reports.document import NOT_RECORDED, ReportBuilder, esc


def _registry_of(b: ReportBuilder, model: RegisteredModel) -> str:
    """The registry label (``kind:id``) of the store a model was read from ("" when not recorded)."""
    for s in b.d.catalog.stores:
        if s.url == model.store and s.registry is not None:
            return s.registry.label
    return ""


def _approvals_text(ids: tuple[str, ...], by_id: dict[str, ApprovalFact]) -> str:
    if not ids:
        return "none"
    parts = []
    for envelope_id in ids:
        a = by_id.get(envelope_id)
        if a is None:
            parts.append(f"decision {envelope_id[:12]}")
            continue
        when = a.signed_at.isoformat().replace("+00:00", "Z") if a.signed_at else "time not recorded"
        parts.append(f"{a.signer_identity or a.key_id[:16]} ({a.decision.lower()} {a.target}, {when}, "
                     f"envelope {envelope_id[:12]})")
    return "; ".join(parts)


def _policy_text(p: PromotionFact) -> str:
    if p.satisfied:
        return "met" if p.satisfied_before_window else "met by the end of the window (a decision falls within it)"
    return "NOT MET: " + (p.explanation or "no decision for that target was recorded by then")


def history_section(b: ReportBuilder, n: int) -> int:
    """Append the section numbered ``n``; returns the next free number (nothing in scope: no section)."""
    if not b.d.models:
        return n
    b.h1(f"{n}. Promotion history (registry journal)")
    ev = b.d.governance
    if ev is None:
        b.para(f"Promotion history: {NOT_RECORDED}. No governance store was given, so no registry journal was "
               "read; the registry itself keeps only the current stage and aliases.", "note")
        b.findings_note("F20")
        return n + 1
    b.para("Each change the registry journal observed that put a version into a stage or an alias, with the "
           "tightest window the data allows: a stage change ends at the version's last_updated_time; an alias "
           "change is known only between two observations (the registry records no time for it). The decisions "
           "listed are those valid for the target and recorded by the end of the window; F20 names the "
           "promotions they did not cover.")
    coverage = ev.journal_coverage
    b.table(["Registry", "Observations", "First", "Last"],
            [[reg, str(count), first, last] for reg, (first, last, count) in sorted(coverage.items())],
            [3.6, 1.3, 2.6, 2.6], empty=f"Registry journal: {NOT_RECORDED} (no observation of these registries).")
    by_id = {a.envelope_id: a for a in b.d.facts.approvals}
    for m in b.d.models:
        b.h2(m.name)
        reg = _registry_of(b, m)
        seen = coverage.get(reg)
        changes = [p for p in b.d.facts.promotions if p.model_name == m.name and (not reg or p.registry == reg)]
        if not changes:
            if seen is None:
                b.para(f"Promotion history: {NOT_RECORDED}. The journal holds no observation of this model's "
                       "registry.", "note")
            elif seen[2] < 2:
                b.para(esc(f"Promotion history: {NOT_RECORDED} before {seen[0]}, the journal's first observation of "
                           "this model's registry; changes are seen from its next observation on."), "note")
            else:
                b.para(esc(f"No promotion observed between {seen[0]} and {seen[1]}."), "note")
            continue
        rows = [[f"v{p.version}", p.target, p.change, _approvals_text(p.counted, by_id), _policy_text(p)]
                for p in sorted(changes, key=lambda p: (p.before_time, p.version, p.target))]
        b.table(["Version", "Into", "Change and window", "Approvals that covered it", "Policy"], rows,
                [0.9, 1.1, 4.0, 3.0, 2.0])
    b.findings_note("F20")
    return n + 1
