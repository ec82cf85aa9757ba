"""``report verify FILE.pdf``: a report checked by a third party from the PDF, its bundle and an anchor.

Checks, in order (docs/BUNDLE.md): the embedded and sidecar bundles agree; the trust list replays
from its statements (each proved in the log) and starts at one of the verifier's anchors; the
checkpoint is signed by a key an anchored administrator certified with role ``log``; every log
entry's inclusion proof; every approval envelope (signature, its log entry, the signer trusted
and anchored at the decision's log position, its policy text carried); the officer's signature
over the bundle; the report record (the PDF's SHA-256 in the log, proved at a later checkpoint
consistent with the report's); the PAdES signature when the PDF has one.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.crypto.dsse import (
    PROMOTION_PREDICATE,
    EnvelopeError,
    parse_envelope,
    parse_statement,
    verify_envelope,
)
from mlops_desktop.crypto.merkle import leaf_hash, verify_consistency, verify_inclusion
from mlops_desktop.governance.anchors import TrustAnchors
from mlops_desktop.governance.offline import (
    Checks,
    EvidenceInputError,
    b64,
    entry_time,
    judge_anchoring,
    judge_checkpoint,
    judge_signer,
    load_keys,
    parse_entry,
    read_statements,
    replay_trust,
)
from mlops_desktop.reports.bundle import (
    BUNDLE_FORMAT,
    BUNDLE_PREDICATE,
    BundleError,
    evidence_digest,
    load_bundle,
    signed_body,
)
from mlops_desktop.reports.export import bundle_path_for

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class ReportVerification:
    pdf: str
    bundle: str | None
    sha256: str = ""
    checks: Checks = field(default_factory=Checks)
    anchors: TrustAnchors = field(default_factory=TrustAnchors)

    @property
    def ok(self) -> bool:
        return self.checks.ok

    @property
    def verdict(self) -> str:
        return self.checks.verdict

    def to_dict(self) -> dict[str, Any]:
        return {"pdf": self.pdf, "bundle": self.bundle, "sha256": self.sha256, "ok": self.ok,
                "verdict": self.verdict, "problems": list(self.checks.problems),
                "unanchored": list(self.checks.unanchored), "checks": list(self.checks.lines),
                "trust_anchors": list(self.anchors.key_ids)}


def _embedded_bundle(pdf: bytes, path: Path) -> bytes | None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(pdf))
        attachments = reader.attachments
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise EvidenceInputError(f"{path} is not a readable PDF ({exc}).", "Give the report's PDF file.") from exc
    for name, items in attachments.items():
        if name.endswith(".evidence.json") and items:
            return bytes(items[0])
    return None


def _load(raw: bytes, what: str) -> dict[str, Any]:
    try:
        return load_bundle(raw)
    except BundleError as exc:
        raise EvidenceInputError(f"{what}: {exc.message}", "Give the FILE.evidence.json written with the report.") from exc


def verify_report(pdf_path: Path | str, bundle_path: Path | str | None, anchors: TrustAnchors) -> ReportVerification:
    """Verify a report file. Bad input raises :class:`EvidenceInputError` (exit 2); every check that
    fails is a named problem (exit 1)."""
    pdf_path = Path(pdf_path)
    try:
        pdf = pdf_path.read_bytes()
    except FileNotFoundError:
        raise EvidenceInputError(f"No such file: {pdf_path}.", "Give the report's PDF file.") from None
    except OSError as exc:
        raise EvidenceInputError(f"Cannot read {pdf_path}: {exc.strerror or exc}.") from exc
    if not pdf.startswith(b"%PDF-"):
        raise EvidenceInputError(f"{pdf_path} is not a PDF file.", "Give the report's PDF file.")
    embedded = _embedded_bundle(pdf, pdf_path)
    sidecar_path = Path(bundle_path) if bundle_path is not None else bundle_path_for(pdf_path)
    sidecar: bytes | None = None
    if bundle_path is not None or sidecar_path.is_file():
        try:
            sidecar = sidecar_path.read_bytes()
        except OSError as exc:
            raise EvidenceInputError(f"Cannot read the bundle {sidecar_path}: {exc.strerror or exc}.",
                                     "Give the FILE.evidence.json written with the report.") from exc
    if embedded is None and sidecar is None:
        raise EvidenceInputError(f"{pdf_path} carries no evidence bundle and none was given.",
                                 "Pass --bundle FILE.evidence.json.")
    out = ReportVerification(str(pdf_path), str(sidecar_path) if sidecar is not None else None,
                             hashlib.sha256(pdf).hexdigest(), anchors=anchors)
    checks = out.checks
    emb_doc = _load(embedded, "the bundle embedded in the PDF") if embedded is not None else None
    side_doc = _load(sidecar, str(sidecar_path)) if sidecar is not None else None
    doc = side_doc or emb_doc
    assert doc is not None
    if doc.get("format") != BUNDLE_FORMAT:
        checks.fail("the bundle is of version 1: it carries no trust statements, so nothing in it can be judged "
                    "against a trust anchor; export the report again")
        return out
    if emb_doc is None:
        checks.fail("the PDF carries no embedded evidence bundle")
    elif side_doc is not None:
        if signed_body(emb_doc) != signed_body(side_doc) or emb_doc.get("signature") != side_doc.get("signature"):
            checks.fail("the sidecar bundle differs from the one embedded in the PDF")
        else:
            checks.ok_line("the sidecar bundle is the one embedded in the PDF")
    unverified = doc.get("unverified_inputs")
    if unverified:  # the report rests on a snapshot that was not verified (its cover says so)
        items = [str(u) for u in unverified] if isinstance(unverified, list) else [str(unverified)]
        checks.fail("the report is not verified: it was made from input that is not verified, used with "
                    "--allow-unverified (" + "; ".join(items) + ")")
    trust, seq = _verify_evidence(doc, checks, anchors, pdf, embedded, out)
    if pdf.find(b"/ByteRange") >= 0:
        _verify_pades(pdf_path, trust, seq, checks)
    return out


def _verify_evidence(doc: dict[str, Any], checks: Checks, anchors: TrustAnchors, pdf: bytes,
                     embedded: bytes | None, out: ReportVerification) -> tuple[Any, int | None]:
    """Everything the bundle proves; returns (the replayed trust list, the checkpoint size)."""
    keys = load_keys(doc.get("public_keys"), checks)
    identities = {str(k): v for k, v in (doc.get("signers") or {}).items()} if isinstance(doc.get("signers"), dict) \
        else {}
    cp_doc = doc.get("checkpoint") if isinstance(doc.get("checkpoint"), dict) else {}
    assert isinstance(cp_doc, dict)
    # the entries, each proved in the tree of the checkpoint (whose key is judged below)
    entries: dict[int, bytes] = {}
    size, root_hex = cp_doc.get("size"), cp_doc.get("root_hash")
    for item in doc.get("log_entries") or []:
        idx = item.get("index") if isinstance(item, dict) else None
        try:
            raw = b64(item.get("entry_b64"), f"log entry {idx}")
            proof = [bytes.fromhex(h) for h in item.get("inclusion_proof") or []]
            root = bytes.fromhex(str(root_hex))
        except (ValueError, TypeError, AttributeError) as exc:
            checks.fail(f"log entry {idx}: {exc}")
            continue
        if isinstance(idx, int) and isinstance(size, int) and verify_inclusion(leaf_hash(raw), idx, size, proof, root):
            entries[idx] = raw
        else:
            checks.fail(f"log entry {idx}: its inclusion proof does not lead to the checkpoint root")
    if entries:
        checks.ok_line(f"{len(entries)} log entries are included in the tree of size {size}")
    statements = read_statements(doc.get("trust_statements"), checks)
    trust = replay_trust(statements, entries, keys, identities, anchors, checks)
    judge_anchoring(trust, checks)
    cp = judge_checkpoint(cp_doc.get("note"), cp_doc.get("log_public_key"), trust, checks,
                          what="the report's checkpoint")
    if cp is not None and (cp.size != size or cp.root.hex() != root_hex):
        checks.fail("the checkpoint's size or root differs from the signed note")
    policies = doc.get("policies") if isinstance(doc.get("policies"), dict) else {}
    assert isinstance(policies, dict)
    for item in doc.get("envelopes") or []:
        _verify_approval(item, entries, keys, trust, policies, checks)
    _verify_witnesses(policies, cp_doc.get("note") if cp is not None else None, cp, entries, checks)
    _verify_officer(doc, keys, trust, cp.size if cp is not None else None, checks)
    _verify_record(doc, trust, cp, pdf, embedded, checks)
    return trust, (cp.size if cp is not None else None)


def _verify_approval(item: Any, entries: dict[int, bytes], keys: dict[str, Any], trust: Any,
                     policies: dict[str, Any], checks: Checks) -> None:
    env_id = item.get("id", "?") if isinstance(item, dict) else "?"
    what = f"approval envelope {env_id}"
    try:
        raw = b64(item.get("envelope_b64"), what)
    except (ValueError, TypeError) as exc:
        checks.fail(str(exc))
        return
    if hashlib.sha256(raw).hexdigest() != env_id:
        checks.fail(f"{what}: its bytes do not hash to its id")
        return
    idx = item.get("log_index")
    entry = parse_entry(entries[idx]) if isinstance(idx, int) and idx in entries else None
    if entry is None:
        checks.fail(f"{what}: its audit-log entry {idx} is not in the evidence (dropped)")
        return
    details = entry.get("details") if isinstance(entry.get("details"), dict) else {}
    assert isinstance(details, dict)
    if entry.get("action") not in ("approval.approve", "approval.reject") or details.get("envelope_sha256") != env_id:
        checks.fail(f"{what}: audit-log entry {idx} does not record it")
        return
    try:
        env = parse_envelope(raw)
        kid = env.signatures[0].keyid  # verify_envelope fails for any signature by another key
        verified = verify_envelope(raw, {kid: keys[kid]} if kid in keys else {})
        st = parse_statement(verified.envelope.payload, (PROMOTION_PREDICATE,))
    except EnvelopeError as exc:
        checks.fail(f"{what}: {exc.message}")
        return
    pred = st.predicate
    model = pred.get("model") or {}
    if pred.get("logIndex") != idx or (pred.get("approver") or {}).get("keyId") != kid \
            or st.subject_name != f"models:/{model.get('name')}/{model.get('version')}":
        checks.fail(f"{what}: its signed statement does not match its log entry")
        return
    at = entry_time(entry)
    if at is None:
        checks.fail(f"{what}: its log entry has no valid time")
        return
    label = f"decision {pred.get('decision')} of {st.subject_name} for {pred.get('target')} (log entry {idx})"
    if not judge_signer(trust, kid, at, idx, label, checks):
        return
    digest = str((pred.get("policy") or {}).get("digest", ""))
    pol = policies.get(digest)
    text = pol.get("text") if isinstance(pol, dict) else None
    if not isinstance(text, str) or hashlib.sha256(text.encode("utf-8")).hexdigest() != digest:
        checks.fail(f"{label}: the bundle does not carry the text of its policy {digest}")
        return
    checks.ok_line(f"{label}: signed by {trust.identity(kid) or kid} (key {kid}), trusted and anchored then")


def _verify_witnesses(policies: dict[str, Any], note: Any, cp: Any, entries: dict[int, bytes],
                      checks: Checks) -> None:
    """What this check does not re-judge, said in its output: each carried policy's
    ``[witnesses]`` quorum (the report's checkpoint is written at export, before a witness can
    cosign it; valid cosignatures it carries are named, a listed witness's line that does not
    verify fails), and the decisions' policy rules (they need the metadata store)."""
    from mlops_desktop.core.errors import UsageError
    from mlops_desktop.governance.policy import witness_rule
    from mlops_desktop.governance.witness import judge_quorum

    for digest in sorted(policies):
        pol = policies[digest]
        text, pid = (pol.get("text"), pol.get("id", digest)) if isinstance(pol, dict) else (None, digest)
        if not isinstance(text, str) or hashlib.sha256(text.encode("utf-8")).hexdigest() != digest:
            continue  # named with the decision that cites it
        try:
            vkeys, required = witness_rule(text, f"policy {pid}")
        except UsageError as exc:
            checks.fail(f"policy {pid}: its [witnesses] cannot be read ({exc.message})")
            continue
        if not required:
            continue
        carried = ""
        if cp is not None and isinstance(note, str):
            verdict = judge_quorum([(cp.size, note)], vkeys, required, 0)
            for problem in verdict.problems:
                checks.fail(f"policy {pid}: {problem}")
            carried = f"; it carries valid cosignatures of: {', '.join(verdict.cosigned_by) or 'none'}"
        checks.note(f"witnesses not re-judged here: policy {pid} requires {required} witness cosignature(s) from "
                    f"{len(set(vkeys))} listed witness(es), and the report's checkpoint is written at export, before "
                    f"a witness can cosign it{carried}. Judge the log the report rests on with 'mlops-desktop audit "
                    "verify --governance URL --policy FILE'")
    if _has_decisions(entries):
        checks.note("policy rules not re-judged here: whether each decision met its policy's rules (approvers, roles, "
                    "separation of duties, regimes, expiry) needs the metadata store; the report shows the verdicts "
                    "as computed when it was made. Judge them again with 'mlops-desktop verify --store URL "
                    "--governance URL --model NAME --version V --target T --policy FILE'")


def _has_decisions(entries: dict[int, bytes]) -> bool:
    """Does the bundle prove at least one approval or rejection entry?"""
    for raw in entries.values():
        obj = parse_entry(raw)
        if isinstance(obj, dict) and obj.get("action") in ("approval.approve", "approval.reject"):
            return True
    return False


def _verify_officer(doc: dict[str, Any], keys: dict[str, Any], trust: Any, seq: int | None, checks: Checks) -> None:
    sig = doc.get("signature")
    if sig is None:
        checks.fail("the bundle is unsigned: no officer key was unlocked when it was exported, so its findings, "
                    "scope and stores are not attested (export again with --sign-key)")
        return
    try:
        raw = b64(sig.get("envelope_b64") if isinstance(sig, dict) else None, "the officer's signature")
        env = parse_envelope(raw)
        kid = env.signatures[0].keyid
        verified = verify_envelope(raw, {kid: keys[kid]} if kid in keys else {})
        st = parse_statement(verified.envelope.payload, (BUNDLE_PREDICATE,))
    except (ValueError, TypeError) as exc:
        checks.fail(str(exc))
        return
    except EnvelopeError as exc:
        checks.fail(f"the officer's signature over the bundle: {exc.message}")
        return
    if st.digest != evidence_digest(doc) or st.predicate.get("reportId") != doc.get("report_id"):
        checks.fail("the officer's signature does not cover this bundle (an envelope, entry, finding or other "
                    "member was added, dropped or changed after signing)")
        return
    from mlops_desktop.core.timestamps import parse_timestamp

    at = parse_timestamp(st.predicate.get("signedAt"), assume_utc=True)
    if at is None:
        checks.fail("the officer's signature has no valid signing time")
        return
    if judge_signer(trust, kid, at, seq, "the bundle", checks, ("approver", "reviewer", "admin")):
        checks.ok_line(f"the bundle is signed by officer {trust.identity(kid) or kid} (key {kid})")


def _verify_record(doc: dict[str, Any], trust: Any, cp: Any, pdf: bytes, embedded: bytes | None,
                   checks: Checks) -> None:
    rec = doc.get("report_record")
    if not isinstance(rec, dict):
        checks.fail("the report's SHA-256 is not proved to be in the audit log: the bundle carries no report record "
                    "(give the sidecar FILE.evidence.json with --bundle)")
        return
    rec_cp_doc = rec.get("checkpoint") if isinstance(rec.get("checkpoint"), dict) else {}
    assert isinstance(rec_cp_doc, dict)
    rcp = judge_checkpoint(rec_cp_doc.get("note"), rec_cp_doc.get("log_public_key"), trust, checks,
                           origin=cp.origin if cp is not None else None, what="the report record's checkpoint")
    if rcp is None:
        return
    try:
        raw = b64(rec.get("entry_b64"), "the report record")
        proof = [bytes.fromhex(h) for h in rec.get("inclusion_proof") or []]
        cons = [bytes.fromhex(h) for h in rec.get("consistency_proof") or []]
    except (ValueError, TypeError) as exc:
        checks.fail(str(exc))
        return
    idx = rec.get("index")
    if not (isinstance(idx, int) and verify_inclusion(leaf_hash(raw), idx, rcp.size, proof, rcp.root)):
        checks.fail("the report record's inclusion proof does not lead to its checkpoint's root")
        return
    if cp is not None and not (rec.get("consistency_from") == cp.size
                               and verify_consistency(cp.size, rcp.size, cp.root, rcp.root, cons)):
        checks.fail(f"the log at size {rcp.size} is not proved consistent with the report's checkpoint "
                    f"at size {cp.size}")
        return
    entry = parse_entry(raw)
    details = entry.get("details") if entry is not None and isinstance(entry.get("details"), dict) else None
    if entry is None or details is None or entry.get("action") != "report.export" or entry.get("seq") != idx:
        checks.fail(f"log entry {idx} does not record a report export")
        return
    if details.get("sha256") != hashlib.sha256(pdf).hexdigest():
        checks.fail(f"the PDF's SHA-256 is not the one recorded in audit-log entry {idx} (the PDF was changed)")
        return
    if details.get("evidence_sha256") != evidence_digest(doc) or details.get("report_id") != doc.get("report_id"):
        checks.fail(f"audit-log entry {idx} records another evidence bundle")
        return
    if embedded is not None and details.get("bundle_sha256") != hashlib.sha256(embedded).hexdigest():
        checks.fail(f"audit-log entry {idx} records another embedded bundle")
        return
    checks.ok_line(f"the PDF's SHA-256 is recorded in audit-log entry {idx}, included at checkpoint size {rcp.size}")


def pades_judging_time(signing_time: str | None) -> datetime:
    """The moment a PAdES signature's signer is judged at. CMS signingTime names a whole second:
    it is judged at that second's last instant, so a report signed in the second its signer was
    granted is not dated before the grant (the report record's log order still decides what came
    first, and an expiry within that same second counts against the signature)."""
    if not signing_time:
        return datetime.now(UTC)
    at = datetime.fromisoformat(signing_time)
    return at + timedelta(microseconds=999_999) if at.microsecond == 0 else at


def _verify_pades(pdf_path: Path, trust: Any, seq: int | None, checks: Checks) -> None:
    """The PAdES signature: intact and unmodified (pyHanko's bottom line), by a key the bundle's
    anchored trust list holds. Without pyHanko it cannot be checked: a failure, never a pass."""
    try:
        from mlops_desktop.reports import pades

        pades.require_pyhanko()
        signers = _pdf_signer_certs(pdf_path)
        result = pades.verify_pdf(pdf_path, signers)
    except MlopsError as exc:
        checks.fail(f"the PDF's PAdES signature cannot be checked: {exc.message}")
        return
    if not result.ok:
        checks.fail(f"PAdES: {result.verdict}")
        return
    for sig in result.signatures:  # who signed: a key the anchored trust list holds, like the officer's
        at = pades_judging_time(sig.signing_time)
        if sig.key_id is None or not judge_signer(trust, sig.key_id, at, seq, f"the PDF's PAdES signature "
                                                  f"{sig.field_name}", checks, ("approver", "reviewer", "admin")):
            return
    checks.ok_line(f"PAdES: {result.verdict}")


def _pdf_signer_certs(pdf_path: Path) -> list[Any]:
    """The signers' own certificates (the PAdES check proves integrity; who signed is judged apart)."""
    from cryptography import x509
    from pyhanko.pdf_utils.reader import PdfFileReader

    out = []
    with pdf_path.open("rb") as fh:
        for sig in PdfFileReader(fh, strict=False).embedded_signatures:
            if sig.signer_cert is not None:
                out.append(x509.load_der_x509_certificate(sig.signer_cert.dump()))
    return out
