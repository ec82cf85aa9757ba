"""The edition-specific sections (GDPR, HIPAA, EU AI Act, model risk) of a report.

Each ``_edition`` function appends numbered sections to the builder and returns the next
free section number. Only metadata facts appear; documents the metadata merely points at
are "referenced, not assessed"; what metadata cannot show is said so.
"""

from __future__ import annotations

from mlops_desktop.core.classification import is_true
from mlops_desktop.core.diff import diff_versions
from mlops_desktop.core.entities import ModelVersion, RegisteredModel, iso
from mlops_desktop.core.findings import hipaa_identifier_columns
from mlops_desktop.core.governance_facts import ApprovalFact
from mlops_desktop.core.profile import ReportProfile
from mlops_desktop.reports.document import NOT_ASSESSED, NOT_RECORDED, ReportBuilder, esc, fact
from mlops_desktop.reports.governance_sections import hipaa_approval, security_figures
from mlops_desktop.reports.history_section import history_section
from mlops_desktop.reports.model_card import GAP, card_tags, card_value
from mlops_desktop.reports.monitoring_section import monitoring_sections

FIRST = 3  # sections 1 and 2 are the executive summary and scope


def render(b: ReportBuilder) -> int:
    n = monitoring_sections(b, {"gdpr": _gdpr, "hipaa": _hipaa, "eu-ai-act": _ai_act, "model-risk": _model_risk}[b.d.edition](b))
    return history_section(b, n)


def _approvals_line(approvals: list[ApprovalFact]) -> str:
    if not approvals:
        return "none recorded"
    return "; ".join(
        f"{a.decision.lower()} {a.target} by {a.signer_identity or a.key_id[:16]} (signature {a.status})"
        for a in approvals
    )


def external_claims(b: ReportBuilder, model: RegisteredModel) -> None:
    """"External approval claims" of one model: what another registry (SageMaker, DataRobot) says
    of its versions' approval, each as a claim nobody signed; nothing when there are none."""
    claims = [(v, c) for v in model.visible_versions() for c in v.external_approvals]
    if not claims:
        return
    b.h3("External approval claims")
    b.para("Approval states recorded by another registry. Nobody signed them: they are listed as claims and do not "
           "count as approvals unless the promotion policy says so (count_external_claims).", "note")
    b.table(["Version", "Claim", "Evidence"],
            [[f"v{v.version}", c.statement(), c.evidence or NOT_RECORDED] for v, c in claims], [1.2, 4.4, 4.4])


NOT_RECORDED_GAP = "not recorded — gap (report profile)"


def _profile_list(items: tuple[str, ...] | list[str]) -> str:
    return "; ".join(items) + " (report profile)" if items else NOT_RECORDED_GAP


def _processors(prof: ReportProfile, *, ba: bool) -> str:
    chosen = [p for p in prof.processors if p.business_associate or not ba]
    if not chosen:
        return NOT_RECORDED_GAP
    return "; ".join(f"{p.name}" + (f" ({p.service})" if p.service else "")
                     + (f", agreement {p.agreement}" if p.agreement else ", agreement not recorded")
                     for p in chosen)


def profile_note(b: ReportBuilder, *fields: str) -> None:
    """Where the report profile comes from and what of ``fields`` it still lacks."""
    prof = b.d.settings.profile
    src = f"Report profile: {esc(prof.source)}." if prof.source else "No report profile was given (report --profile, or Settings > Report profile)."
    missing = prof.missing_note(*fields)
    b.para(src + (" " + esc(missing) if missing else " Every field this section reads is recorded."), "note")


def _retention_schedule(b: ReportBuilder) -> None:
    prof = b.d.settings.profile
    b.table(["Data", "Retention period", "Basis"], [[r.data, r.period or NOT_RECORDED, r.basis or NOT_RECORDED]
                                                    for r in prof.retention], [4, 2.5, 3.5],
            empty="Retention schedule: " + NOT_RECORDED_GAP + ".")


def _expert_determination(b: ReportBuilder) -> None:
    """The Expert Determination record (164.514(b)(1)) for datasets that claim it."""
    claimed = sorted(v.name for v in b.views.values()
                     if (v.tags.get("hipaa_deidentified") or "").strip().lower() == "expert_determination")
    ed = b.d.settings.profile.expert_determination
    b.h3("Expert Determination (164.514(b)(1))")
    b.add(b.kv([
        ("Datasets claiming it", ", ".join(claimed) or "none in scope"),
        ("Expert", ed.expert or NOT_RECORDED_GAP),
        ("Date of determination", ed.date or NOT_RECORDED_GAP),
        ("Method", ed.method or NOT_RECORDED_GAP),
    ]))
    b.para("The determination itself (that the risk of re-identification is very small) is " + NOT_ASSESSED + ".",
           "note")


def _security_sentence(b: ReportBuilder) -> str:
    """:func:`_security_summary` opening a sentence of its own."""
    text = _security_summary(b)
    return text[:1].upper() + text[1:]


def _security_summary(b: ReportBuilder) -> str:
    audit = b.d.facts.audit
    approvals = b.d.approvals()
    valid = sum(1 for a in approvals if a.valid)
    log = "not verified (no governance store)" if audit is None else (
        f"verified, {audit.size} entries" if audit.ok and not audit.problems else "INCONSISTENT")
    if b.d.governance is None:
        return "signed decisions not read (no governance store was given — gap); audit log " + log
    counted = sum(1 for a in approvals if (v := b.d.governance.verdicts.decisions.get(a.envelope_id)) and v.counts)
    return (f"across the models in scope, {valid} of {len(approvals)} signed decisions have a valid signature and "
            f"{counted} count toward their target (per model: Appendix A); audit log {log}")


# ------------------------------------------------------------------------------------------ GDPR


def _gdpr(b: ReportBuilder) -> int:
    d = b.d
    n = FIRST
    b.h1(f"{n}. Records of processing (Art. 30)")
    b.para(
        "One record per model, compiled from classification tags on the model, its versions and the datasets that "
        "trained them. Fields the metadata does not hold are marked “not recorded”."
    )
    prof = d.settings.profile
    profile_note(b, "controller", "dpo_contact", "purposes", "recipients", "processors", "technical_measures",
                 "organisational_measures", "retention")
    if not b.nothing_in_scope():
        unversioned = [m.name for m in d.models if b.key_version(m) is None]
        if unversioned:
            b.para("Registered without any version (no processing recorded, no record below): "
                   + esc(", ".join(unversioned)) + ".", "note")
        numbered = [(m, v) for m in d.models if (v := b.key_version(m)) is not None]
        for i, (model, version) in enumerate(numbered, start=1):
            cls = b.classification(model, version)
            ds = [x.name for x in version.datasets]
            b.h2(f"{n}.{i} {model.name}")
            b.add(
                b.kv(
                    [
                        ("Controller", prof.controller or d.settings.organisation_name() or NOT_RECORDED_GAP),
                        ("DPO contact", prof.dpo_contact or NOT_RECORDED_GAP),
                        ("Purposes", fact(cls, "purpose", fact(cls, "purposes", "")) or _profile_list(prof.purposes)),
                        ("Data-subject categories", fact(cls, "data_subject_categories")),
                        ("Data categories", ", ".join(
                            [*(["personal data"] if cls.pii else []), *(["health data (PHI)"] if cls.phi else []),
                             *cls.special_categories]) or "no personal data recorded"),
                        ("Recipients", fact(cls, "recipients", "") or _profile_list(prof.recipients)),
                        ("Processors (Art. 28)", _processors(prof, ba=False)),
                        ("Third-country transfers", fact(cls, "third_country_transfer", "none recorded")
                         + (f" (safeguard: {fact(cls, 'transfer_safeguard')})" if cls.facts.get("third_country_transfer") else "")),
                        ("Erasure limits", f"retention_until {fact(cls, 'retention_until')}"),
                        ("Security measures", security_figures(b, model)),
                        ("Technical and organisational measures (Art. 32(1))",
                         _profile_list((*prof.technical_measures, *prof.organisational_measures))),
                        ("Datasets (version " + version.version + ")", ", ".join(ds) or NOT_RECORDED),
                    ]
                )
            )
    n += 1
    b.h1(f"{n}. Lawful basis and special categories (Art. 6, 9)")
    rows = []
    for dv in sorted(b.views.values(), key=lambda x: (x.name, x.digest)):
        t = dv.tags
        if not (is_true(t.get("pii")) or is_true(t.get("phi")) or t.get("special_categories")):
            continue
        special = t.get("special_categories") or ("health (phi)" if is_true(t.get("phi")) else "—")
        rows.append([dv.name, t.get("lawful_basis") or "MISSING", special,
                     t.get("art9_condition") or ("MISSING" if special != "—" else "—")])
    b.table(["Dataset", "Lawful basis (Art. 6(1))", "Special categories", "Art. 9(2) condition"], rows,
            [3.0, 2.2, 2.4, 2.4], empty="No personal-data datasets feed the models in scope.")
    b.findings_note("F3", "F4")
    n += 1
    b.h1(f"{n}. Principles (Art. 5)")
    b.h2(f"{n}.1 Purpose limitation (Art. 5(1)(b))")
    b.findings_note("F9")
    b.h2(f"{n}.2 Data minimisation (Art. 5(1)(c))")
    b.para("Columns used per dataset are listed for review; necessity is " + NOT_ASSESSED + ".", "note")
    b.table(["Dataset", "Columns"], [[v.name, ", ".join(v.columns) or NOT_RECORDED]
                                     for v in sorted(b.views.values(), key=lambda x: x.name)], [3, 7],
            empty="No datasets.")
    b.h2(f"{n}.3 Storage limitation (Art. 5(1)(e))")
    _retention_schedule(b)
    b.table(["Dataset", "retention_until", "Feeds"],
            [[v.name, v.tags.get("retention_until") or "not recorded", "\n".join(sorted({mv.uri for _, mv in v.consumers})[:5])]
             for v in sorted(b.views.values(), key=lambda x: x.name) if is_true(v.tags.get("pii")) or v.tags.get("retention_until")],
            [3, 2, 5], empty="No personal-data datasets.")
    b.findings_note("F5", "F6")
    n += 1
    b.h1(f"{n}. Automated decisions (Art. 13-15, 22)")
    rows = []
    for m, v in d.versions():
        f = b.classification(m, v).facts
        if f.get("automated_decision") or f.get("legal_effect"):
            rows.append([v.uri, f.get("automated_decision", "—"), f.get("legal_effect", "—"), f.get("human_review", NOT_RECORDED)])
    b.table(["Version", "automated_decision", "legal_effect", "human_review"], rows, [4, 2, 2, 2],
            empty="No version records an automated decision (tags automated_decision / legal_effect).")
    b.findings_note("F7")
    n += 1
    b.h1(f"{n}. DPIA register (Art. 35)")
    rows = []
    for m in d.models:
        kv = b.key_version(m)
        if kv is None:
            continue
        c = b.classification(m, kv)
        reasons = [r for r, on in (("special categories", bool(c.special_categories) or c.phi),
                                   ("automated decision", is_true(c.facts.get("automated_decision"))),
                                   ("high risk tier", c.facts.get("risk_tier", "").lower() == "high")) if on]
        ref = c.facts.get("dpia_reference")
        rows.append([m.name, ", ".join(reasons) or "none", f"{ref} ({NOT_ASSESSED})" if ref else "none"])
    b.table(["Model", "Why a DPIA is expected", "DPIA reference"], rows, [3, 3.5, 3.5], empty="No models in scope.")
    b.findings_note("F8")
    n += 1
    b.h1(f"{n}. Data protection by design and by default (Art. 25)")
    deid = [v for v in b.views.values() if v.tags.get("hipaa_deidentified") not in (None, "", "false")]
    b.para(
        f"{len(deid)} datasets in the lineage record a de-identification or pseudonymisation step"
        + (": " + esc(", ".join(sorted(v.name for v in deid))) if deid else "")
        + ". Design choices beyond these tags are " + NOT_ASSESSED + "."
    )
    n += 1
    b.h1(f"{n}. Security of processing (Art. 32)")
    b.para(esc(_security_sentence(b)) + ". Approvals are ECDSA P-256 signatures over DSSE envelopes; the audit log "
           "is an RFC 9162 Merkle tree with signed checkpoints (Appendix B, C). Infrastructure security is "
           + NOT_ASSESSED + ".")
    b.findings_note("F15", "F18")
    n += 1
    b.h1(f"{n}. Accountability (Art. 5(2))")
    b.para("Signed approvals, separation of duties between authors and approvers, and recorded lineage of deployed "
           "versions.")
    b.findings_note("F1", "F2", "F17")
    return n + 1


# ------------------------------------------------------------------------------------------ HIPAA


def _hipaa(b: ReportBuilder) -> int:
    d = b.d
    n = FIRST
    b.h1(f"{n}. PHI inventory and de-identification (164.514)")
    rows = []
    for dv in sorted(b.views.values(), key=lambda x: (x.name, x.digest)):
        t = dv.tags
        if not (is_true(t.get("phi")) or t.get("hipaa_deidentified")):
            continue
        ids = hipaa_identifier_columns(dv.columns)
        rows.append([dv.name, t.get("phi", "—"), t.get("hipaa_deidentified") or "not claimed",
                     ", ".join(c for c, _ in ids) or "none", ", ".join(dv.model_names)])
    b.table(["Dataset", "phi", "De-identification", "Identifier-like columns", "Models"], rows,
            [2.6, 0.7, 1.8, 2.5, 2.4], empty="No PHI or de-identified datasets feed the models in scope.")
    b.findings_note("F12")
    _expert_determination(b)
    n += 1
    b.h1(f"{n}. Models using PHI and their approvals")
    rows = []
    for m, v in d.versions():
        if not b.classification(m, v).phi:
            continue
        appr = d.approvals_for(v)
        rows.append([v.uri, ", ".join(b.targets(m, v)) or "not deployed", _approvals_line(appr),
                     hipaa_approval(b, m, v)])
    b.table(["Version", "Deployed as", "Decisions on record", "HIPAA approval that counts"], rows, [2.6, 1.5, 3.4, 2.7],
            empty="No model version in scope uses PHI by lineage.")
    b.findings_note("F11", "F1")
    n += 1
    b.h1(f"{n}. Access control and authentication (164.312(a), (d))")
    approvals = d.approvals()
    signers = sorted({(a.signer_identity or NOT_RECORDED, a.key_id, a.role or NOT_RECORDED) for a in approvals})
    b.h3("Business associates (164.502(e), 164.308(b))")
    b.para(esc(_processors(d.settings.profile, ba=True)) + ". Whether each agreement meets 164.504(e) is "
           + NOT_ASSESSED + ".")
    b.para("Person or entity authentication of approvers is by ECDSA P-256 signatures checked against the trust list. "
           "Access control of the stores themselves is " + NOT_ASSESSED + ".")
    b.table(["Signer", "Key fingerprint", "Role"], [[s, k, r] for s, k, r in signers], [3, 5.5, 1.5],
            empty="No signers appear in the decisions on record.")
    n += 1
    b.h1(f"{n}. Audit controls and activity review (164.312(b), 164.308(a)(1)(ii)(D))")
    b.para(esc(_security_sentence(b)) + ". The verification transcript is in Appendix C.")
    gov = d.governance
    if gov is not None and gov.access_report:
        b.h2(f"{n}.1 Access report (from the audit log)")
        b.table(["Seq", "Time", "Actor", "Action", "Object"],
                [[e.get("seq"), e.get("time"), e.get("actor"), e.get("action"), e.get("object")] for e in gov.access_report],
                [0.6, 2.0, 2.4, 1.6, 3.4])
    else:
        b.para("No access report: " + ("the audit log has no entries." if gov else "no governance store was given."), "note")
    b.findings_note("F15")
    n += 1
    b.h1(f"{n}. Integrity (164.312(c))")
    b.para("Dataset digests as recorded by the stores, approval subject digests (checked at report time) and the audit "
           "log's Merkle root.")
    b.table(["Dataset", "Digest", "Source"], [[v.name, v.digest or NOT_RECORDED, v.source] for v in sorted(b.views.values(), key=lambda x: x.name)],
            [3, 3, 4], empty="No datasets.")
    b.findings_note("F18")
    n += 1
    b.h1(f"{n}. Transmission security (164.312(e))")
    recorded = [(m.name, m.tags.get("transmission_security")) for m in d.models if m.tags.get("transmission_security")]
    if recorded:
        b.table(["Model", "transmission_security"], recorded, [4, 6])
    else:
        b.para("Not assessable from metadata: no transmission-security facts are recorded.", "note")
    n += 1
    b.h1(f"{n}. Retention (164.316(b)(2), {b.settings.retention_years} years)")
    b.para(f"Documentation must be kept {b.settings.retention_years} years from creation or last effective date. "
           f"Evaluation date: {b.settings.current_date().isoformat()}.")
    profile_note(b, "retention")
    _retention_schedule(b)
    b.findings_note("F16", "F5")
    return n + 1


# ------------------------------------------------------------------------------------------ EU AI Act


def _ai_act(b: ReportBuilder) -> int:
    d = b.d
    n = FIRST
    high = [m for m in d.models if (m.tags.get("risk_tier") or "").strip().lower() == "high"]
    b.h1(f"{n}. Systems in scope and applicable dates")
    b.para(
        f"{len(high)} of {len(d.models)} models in scope are tagged risk_tier=high; Annex IV documentation below covers "
        "them. Whether a system is high-risk under Art. 6 and Annex III is " + NOT_ASSESSED + ": the tag is the "
        "provider's own classification."
    )
    b.table(["Model", "risk_tier"], [[m.name, m.tags.get("risk_tier") or NOT_RECORDED] for m in d.models], [6, 4],
            empty="No models in scope.")
    b.h3("Application dates (a setting: the dates are moving in 2026; check the current text)")
    b.table(["Provisions", "Applies from"], [list(x) for x in d.settings.ai_act_dates], [7, 3])
    points = [
        ("1", "General description of the AI system"),
        ("2", "Development process and data"),
        ("3", "Monitoring, functioning and control"),
        ("4", "Performance metrics"),
        ("5", "Risk management system (Art. 9)"),
        ("6", "Changes through the lifecycle"),
        ("7", "Harmonised standards applied"),
        ("8", "EU declaration of conformity"),
        ("9", "Post-market monitoring plan (Art. 72)"),
    ]
    gaps: list[tuple[str, str, str]] = []
    for point, title in points:
        n += 1
        b.h1(f"{n}. Annex IV point {point}: {title}")
        if not high:
            b.para("No high-risk system is in scope.", "note")
            continue
        for m in high:
            v = b.key_version(m)
            b.h2(f"{n}.{high.index(m) + 1} {m.name}")
            _annex_point(b, point, m, v, gaps)
    n += 1
    b.h1(f"{n}. Record keeping (Art. 12) and human oversight (Art. 14)")
    b.para("Record keeping: " + esc(_security_summary(b)) + ". Logging inside the deployed system is "
           + NOT_ASSESSED + ".")
    rows = []
    for m in high:
        v = b.key_version(m)
        c = b.classification(m, v) if v else None
        rows.append([m.name, (c.facts.get("human_review") if c else None) or NOT_RECORDED,
                     _approvals_line(d.approvals_for(v)) if v else "—"])
    b.table(["Model", "human_review", "Signed decisions"], rows, [3, 2, 5], empty="No high-risk system in scope.")
    b.findings_note("F7", "F1", "F2")
    n += 1
    b.h1(f"{n}. Gaps in the technical documentation")
    b.table(["Model", "Annex IV point", "Gap"], gaps, [3, 2, 5],
            empty="No gaps were found for the high-risk systems in scope.")
    return n + 1


def _annex_point(b: ReportBuilder, point: str, m: RegisteredModel, v: ModelVersion | None, gaps: list[tuple[str, str, str]]) -> None:
    d = b.d
    if v is None:
        b.para("The model has no versions.", "note")
        gaps.append((m.name, point, "no model version"))
        return
    c = b.classification(m, v)
    run = b.run(v)
    tags = {**{k.lower(): val for k, val in m.tags.items()}, **{k.lower(): val for k, val in v.tags.items()}}

    def doc_ref(key: str, what: str) -> None:
        ref = tags.get(key)
        if ref:
            b.para(f"{esc(what)}: {esc(ref)} ({NOT_ASSESSED}).")
        else:
            b.para(f"Gap: no {esc(what.lower())} is referenced (tag {key}).", "note")
            gaps.append((m.name, point, f"no {what.lower()} referenced ({key})"))

    if point == "1":
        b.add(b.kv([("Intended purpose", c.facts.get("purpose") or NOT_RECORDED),
                    ("Description", m.description or NOT_RECORDED),
                    ("Version documented", f"{v.version} ({', '.join(b.targets(m, v)) or 'not deployed'})"),
                    ("Artifact", v.source or NOT_RECORDED)]))
        if not c.facts.get("purpose"):
            gaps.append((m.name, point, "intended purpose not recorded (tag purpose)"))
    elif point == "2":
        b.add(b.kv([("Training run", f"{v.run_id or NOT_RECORDED}" + (f" by {run.user}" if run and run.user else "")),
                    ("Code version", (run.code_version if run else None) or NOT_RECORDED),
                    ("Parameters", ", ".join(f"{k}={val}" for k, val in sorted(run.params.items())[:30]) if run and run.params else NOT_RECORDED),
                    ("Datasets", "; ".join(f"{x.name} [{x.context or 'unspecified'}] digest {x.digest}" for x in v.datasets) or NOT_RECORDED),
                    ("Data classification", " ".join(c.badges) or "no PII/PHI recorded")]))
        b.para("The lineage figure is in Appendix A.", "note")
        if not v.datasets:
            gaps.append((m.name, point, "training data not recorded"))
    elif point == "3":
        b.add(b.kv([("Human review", c.facts.get("human_review") or NOT_RECORDED),
                    ("Deployment", ", ".join(b.targets(m, v)) or "not deployed")]))
        if not c.facts.get("human_review"):
            gaps.append((m.name, point, "human oversight measures not recorded (human_review)"))
    elif point == "4":
        metrics = sorted(run.metrics.values(), key=lambda x: x.key) if run else []
        if metrics:
            b.table(["Metric", "Latest value", "Step"], [[x.key, f"{x.value:.6g}", x.step] for x in metrics[:40]], [5, 3, 2])
        else:
            b.para("Gap: no performance metrics recorded for this version's run.", "note")
            gaps.append((m.name, point, "no performance metrics"))
    elif point == "5":
        fs = [f for f in d.findings if m.name in f.models]
        b.para(f"risk_tier={esc(c.facts.get('risk_tier') or NOT_RECORDED)}. {len(fs)} findings concern this model "
               "(findings register). The risk management system itself is " + NOT_ASSESSED + ".")
        doc_ref("risk_management_reference", "Risk management document")
    elif point == "6":
        rows = [[x.version, x.stage or "—", iso(x.created_at) or "—", x.author or NOT_RECORDED,
                 _approvals_line(d.approvals_for(x))] for x in m.visible_versions()]
        b.table(["Version", "Stage", "Created", "Author", "Signed decisions"], rows, [0.8, 1.2, 2.2, 2.2, 3.6])
    elif point == "7":
        doc_ref("standards", "Harmonised standards or specifications")
    elif point == "8":
        doc_ref("declaration_of_conformity", "EU declaration of conformity")
    elif point == "9":
        doc_ref("post_market_monitoring", "Post-market monitoring plan")


# ------------------------------------------------------------------------------------------ model risk


def _challenger(b: ReportBuilder, m: RegisteredModel, champion: ModelVersion) -> ModelVersion | None:
    for alias in b.d.settings.challenger_aliases:
        ver = m.aliases.get(alias)
        if ver is not None and str(ver) != champion.version:
            found = m.version(str(ver))
            if found is not None and not found.deleted:
                return found
    return None


def _card_or_gap(tags: dict[str, str], name: str) -> str:
    value, key = card_value(tags, name)
    return value or f"{GAP} (tag {key})"


def _model_risk(b: ReportBuilder) -> int:
    """SR 11-7 / PRA SS1/23: inventory and tier, purpose and use, conceptual soundness and data,
    performance against the challenger, limitations, monitoring, validation, findings."""
    d = b.d
    n = FIRST
    in_scope = [(m, b.key_version(m)) for m in d.models]
    b.h1(f"{n}. Model inventory and tiering (SR 11-7 V; SS1/23 Principle 1)")
    b.para("One row per model: the version in use (deployed, else the latest), its owner and risk tier as the "
           "metadata records them. The tier is the owner's classification; whether it is right is " + NOT_ASSESSED
           + ".")
    rows = []
    for m, v in in_scope:
        tags = card_tags(m, v)
        rows.append([m.name, f"v{v.version}" if v else "no version", ", ".join(b.targets(m, v)) or "not deployed"
                     if v else "—", _card_or_gap(tags, "owner"), _card_or_gap(tags, "risk_rating"),
                     _card_or_gap(tags, "risk_rating_reason"), _card_or_gap(tags, "validation_status")])
    b.table(["Model", "Version", "In use as", "Owner", "Risk tier", "Reason for the tier", "Validation"], rows,
            [2.0, 0.8, 1.4, 1.3, 1.2, 2.2, 1.3], empty="No models in scope.")
    n += 1
    b.h1(f"{n}. Purpose and use")
    for i, (m, v) in enumerate(in_scope, start=1):
        tags = card_tags(m, v)
        b.h2(f"{n}.{i} {m.name}")
        b.add(b.kv([("Purpose", _card_or_gap(tags, "purpose")), ("Intended use", _card_or_gap(tags, "intended_use")),
                    ("Out-of-scope use", _card_or_gap(tags, "out_of_scope_use")),
                    ("Description", m.description or f"{GAP} (registered model description)")]))
    n += 1
    b.h1(f"{n}. Conceptual soundness and data (SR 11-7 V.1; SS1/23 Principle 4)")
    b.para("What the metadata records of the method and the data; the soundness of the method itself is "
           + NOT_ASSESSED + ".", "note")
    for i, (m, v) in enumerate(in_scope, start=1):
        b.h2(f"{n}.{i} {m.name}")
        if v is None:
            b.para("The model has no versions: nothing to assess.", "note")
            continue
        tags = card_tags(m, v)
        run = b.run(v)
        cls = b.classification(m, v)
        inputs = list(v.datasets) or (list(run.inputs) if run else [])
        b.add(b.kv([
            ("Methodology", _card_or_gap(tags, "methodology")),
            ("Training run", (v.run_id or f"{GAP} (no run)") + (f" by {run.user}" if run and run.user else "")),
            ("Code version", (run.code_version if run else None) or NOT_RECORDED),
            ("Parameters", ", ".join(f"{k}={val}" for k, val in sorted(run.params.items())[:30])
             if run and run.params else NOT_RECORDED),
            ("Data", "; ".join(f"{x.name} [{x.context or 'context not recorded'}] digest {x.digest or '—'}"
                               for x in inputs) or f"{GAP} (no dataset inputs)"),
            ("Data classification", " ".join(cls.badges) or "no PII/PHI recorded"),
        ]))
    n += 1
    b.h1(f"{n}. Performance against the challenger (SR 11-7 V.2 outcomes analysis)")
    b.para("The version in use compared with the version holding a challenger alias ("
           + esc(", ".join(d.settings.challenger_aliases)) + "), latest metric values of each version's run "
           "(the diff service, as `mlops-desktop diff`). Whether the differences are material is " + NOT_ASSESSED
           + ".")
    for i, (m, v) in enumerate(in_scope, start=1):
        b.h2(f"{n}.{i} {m.name}")
        if v is None:
            b.para("No version.", "note")
            continue
        ch = _challenger(b, m, v)
        if ch is None:
            b.para(f"Not recorded — gap: no challenger alias ({esc(', '.join(d.settings.challenger_aliases))}) "
                   f"points at another version of {esc(m.name)}.", "note")
            continue
        diff = diff_versions(d.catalog, m.name, ch.version, v.version, graph=d.graph, read_run=b.run)
        metric_rows = [[r.key, r.new or "—", r.old or "—", r.note or ("same" if r.status == "same" else r.status)]
                       for r in diff.section("metric")]
        b.para(f"In use: v{esc(v.version)}; challenger: v{esc(ch.version)}.")
        b.table(["Metric", f"v{v.version} (in use)", f"v{ch.version} (challenger)", "Difference"], metric_rows,
                [3.5, 2, 2, 2.5], empty="Not recorded — gap: neither run records metrics.")
        data_rows = [[r.key, r.status, r.note] for r in diff.section("dataset") if r.status != "same"]
        if data_rows:
            b.table(["Dataset input", "Change", "Note"], data_rows, [4, 1.5, 4.5])
    n += 1
    b.h1(f"{n}. Limitations and compensating controls (SR 11-7 V.3; SS1/23 Principle 4.5)")
    rows = []
    for m, v in in_scope:
        tags = card_tags(m, v)
        rows.append([m.name, _card_or_gap(tags, "limitations"), _card_or_gap(tags, "caveats")])
    b.table(["Model", "Limitations", "Caveats and recommendations"], rows, [2.4, 3.8, 3.8], empty="No models in scope.")
    n += 1
    b.h1(f"{n}. Ongoing monitoring (SR 11-7 V.2; SS1/23 Principle 4.4)")
    rows = []
    for m, v in in_scope:
        tags = card_tags(m, v)
        rows.append([m.name, _card_or_gap(tags, "monitoring_plan")])
    b.table(["Model", "Monitoring plan"], rows, [3, 7], empty="No models in scope.")
    b.findings_note("F24", "F25", "F26")
    n += 1
    b.h1(f"{n}. Validation outcome and validator sign-off (SR 11-7 VI; SS1/23 Principle 4.3)")
    b.para("The validation outcome each version records (tags validation_status / validation, validated_by, "
           "validation_date, validation_report), and the signed decisions on it. A deployed version whose "
           "validation failed is finding F19.")
    rows = []
    for m, v in d.versions():
        tags = card_tags(m, v)
        targets = ", ".join(b.targets(m, v))
        who, date = card_value(tags, "validated_by")[0], card_value(tags, "validation_date")[0]
        signoff = (f"{who}, {date or 'date not recorded'}" if who else
                   f"{GAP} (tags validated_by, validation_date)")
        rows.append([v.uri, targets or "not deployed", _card_or_gap(tags, "validation_status"), signoff,
                     card_value(tags, "validation_report")[0] or NOT_RECORDED,
                     _approvals_line(d.approvals_for(v))])
    b.table(["Version", "In use as", "Outcome", "Validator sign-off", "Report", "Signed decisions"], rows,
            [2.4, 1.3, 1.1, 2.4, 1.1, 2.2], empty="No versions in scope.")
    b.findings_note("F19", "F1", "F2")
    n += 1
    b.h1(f"{n}. Findings and remediation (SS1/23 Principle 5)")
    status = d.settings.finding_status
    rows = []
    for f in d.findings:
        st = status.get(f.key) if status else None
        rows.append([f.key, f.severity, f.object, f.rule,
                     (st.owner if st and st.owner else NOT_RECORDED), (st.due if st and st.due else NOT_RECORDED),
                     (st.status if st and st.status else "open")])
    b.para("Each finding by its stable key, with the remediation owner, due date and status from the findings "
           "status file" + ("" if status else " (none was given: owner and due date are not recorded)") + ".", "note")
    b.table(["Key", "Severity", "Object", "Rule", "Owner", "Due", "Status"], rows,
            [1.75, 0.85, 2.05, 2.3, 1.1, 1.1, 1.05], style_cells=b.severity_style(1),
            empty="No findings were raised for the models in scope.")
    return n + 1
