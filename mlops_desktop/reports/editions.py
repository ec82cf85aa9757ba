"""The edition-specific sections (GDPR, HIPAA, EU AI Act) of a report.

Each ``_edition`` function appends numbered sections to the builder and returns the next
free section number. Only metadata facts appear; documents the metadata merely points at
are "referenced, not assessed"; what metadata cannot show is said so.
"""

from __future__ import annotations

from mlops_desktop.core.classification import is_true
from mlops_desktop.core.entities import ModelVersion, RegisteredModel, iso
from mlops_desktop.core.findings import hipaa_identifier_columns
from mlops_desktop.core.governance_facts import ApprovalFact
from mlops_desktop.reports.document import NOT_ASSESSED, NOT_RECORDED, ReportBuilder, esc, fact

FIRST = 3  # sections 1 and 2 are the executive summary and scope


def render(b: ReportBuilder) -> int:
    return {"gdpr": _gdpr, "hipaa": _hipaa, "eu-ai-act": _ai_act}[b.d.edition](b)


def _approvals_line(approvals: list[ApprovalFact]) -> str:
    if not approvals:
        return "none recorded"
    return "; ".join(
        f"{a.decision.lower()} {a.target} by {a.signer_identity or a.key_id[:16]} ({a.status})" for a in approvals
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


def _security_summary(b: ReportBuilder) -> str:
    audit = b.d.facts.audit
    approvals = b.d.approvals()
    valid = sum(1 for a in approvals if a.valid)
    log = "not verified (no governance store)" if audit is None else (
        f"verified, {audit.size} entries" if audit.ok and not audit.problems else "INCONSISTENT")
    return f"{valid}/{len(approvals)} signed decisions verify; audit log {log}"


# ------------------------------------------------------------------------------------------ GDPR


def _gdpr(b: ReportBuilder) -> int:
    d = b.d
    n = FIRST
    b.h1(f"{n}. Records of processing (Art. 30)")
    b.para(
        "One record per model, compiled from classification tags on the model, its versions and the datasets that "
        "trained them. Fields the metadata does not hold are marked “not recorded”."
    )
    if not b.nothing_in_scope():
        for model in d.models:
            version = b.key_version(model)
            if version is None:
                continue
            cls = b.classification(model, version)
            ds = [x.name for x in version.datasets]
            b.h2(f"{n}.{d.models.index(model) + 1} {model.name}")
            b.add(
                b.kv(
                    [
                        ("Controller", d.settings.organisation or NOT_RECORDED),
                        ("Purposes", fact(cls, "purpose", fact(cls, "purposes"))),
                        ("Data-subject categories", fact(cls, "data_subject_categories")),
                        ("Data categories", ", ".join(
                            [*(["personal data"] if cls.pii else []), *(["health data (PHI)"] if cls.phi else []),
                             *cls.special_categories]) or "no personal data recorded"),
                        ("Recipients", fact(cls, "recipients")),
                        ("Third-country transfers", fact(cls, "third_country_transfer", "none recorded")
                         + (f" (safeguard: {fact(cls, 'transfer_safeguard')})" if cls.facts.get("third_country_transfer") else "")),
                        ("Erasure limits", f"retention_until {fact(cls, 'retention_until')}"),
                        ("Security measures", _security_summary(b)),
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
    b.para(esc(_security_summary(b)) + ". Approvals are ECDSA P-256 signatures over DSSE envelopes; the audit log "
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
    n += 1
    b.h1(f"{n}. Models using PHI and their approvals")
    rows = []
    for m, v in d.versions():
        if not b.classification(m, v).phi:
            continue
        appr = d.approvals_for(v)
        hipaa = [a for a in appr if a.valid and "hipaa" in {r.lower() for r in a.regimes}]
        rows.append([v.uri, ", ".join(b.targets(m, v)) or "not deployed", _approvals_line(appr),
                     "yes" if hipaa else "NO"])
    b.table(["Version", "Deployed as", "Decisions on record", "Valid HIPAA approval"], rows, [3, 1.8, 4, 1.4],
            empty="No model version in scope uses PHI by lineage.")
    b.findings_note("F11", "F1")
    n += 1
    b.h1(f"{n}. Access control and authentication (164.312(a), (d))")
    approvals = d.approvals()
    signers = sorted({(a.signer_identity or NOT_RECORDED, a.key_id, a.role or NOT_RECORDED) for a in approvals})
    b.para("Person or entity authentication of approvers is by ECDSA P-256 signatures checked against the trust list. "
           "Access control of the stores themselves is " + NOT_ASSESSED + ".")
    b.table(["Signer", "Key fingerprint", "Role"], [[s, k, r] for s, k, r in signers], [3, 5.5, 1.5],
            empty="No signers appear in the decisions on record.")
    n += 1
    b.h1(f"{n}. Audit controls and activity review (164.312(b), 164.308(a)(1)(ii)(D))")
    b.para(esc(_security_summary(b)) + ". The verification transcript is in Appendix C.")
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
    b.table(["Dataset", "Digest", "Source"], [[v.name, v.digest, v.source] for v in sorted(b.views.values(), key=lambda x: x.name)],
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
    run = d.catalog.runs.get(v.run_id or "")
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
