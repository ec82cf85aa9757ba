"""Evidence bundles judged by a third party: the genuine report verifies from an anchor, a forged
one and one with an envelope or a log entry dropped do not (docs/BUNDLE.md)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from mlops_desktop.cli.main import main
from mlops_desktop.core.entities import Catalog
from tests.reports.govfix import SETTINGS, Gov, approve


def _certify_log_key(gov: Gov) -> None:
    from mlops_desktop.governance.audit import client_checkpoint_key
    from mlops_desktop.governance.store import open_governance
    from mlops_desktop.governance.trust import add_signer

    _, key = client_checkpoint_key()
    with open_governance(gov.url) as g:
        add_signer(g, gov.keys["admin@example.org"], key.public_key(), "log@example.org", ["log"])  # type: ignore[arg-type]


def _report(gov: Gov, catalog: Catalog, db: Path, out: Path, *, officer: bool = True) -> Path:
    from mlops_desktop.reports.jobs import run_report

    approve(gov, catalog, "alice@example.org", "demand-forecast", "3", "champion")
    approve(gov, catalog, "bob@example.org", "demand-forecast", "3", "champion")
    _certify_log_key(gov)
    key = gov.keys["admin@example.org"] if officer else None
    result = run_report([str(db)], "gdpr", out, governance_url=gov.url, settings=SETTINGS,
                        sign_key=key)  # type: ignore[arg-type]
    assert result.sealed and (result.bundle_signed_by is not None) == officer
    from mlops_desktop.governance.anchors import anchors_path

    anchors_path().unlink(missing_ok=True)  # verified on a third party's client: it pinned nothing
    return out


@pytest.fixture
def report(catalog: Catalog, governance: Gov, mlflow3_db: Path, tmp_path: Path) -> tuple[Path, Gov]:
    return _report(governance, catalog, mlflow3_db, tmp_path / "gdpr.pdf"), governance


def _verify(pdf: Path, *args: str) -> int:
    return main(["report", "verify", str(pdf), *args])


def test_genuine_report_verifies_from_the_admin_anchor(report: tuple[Path, Gov], capsys: pytest.CaptureFixture[str]) -> None:
    pdf, gov = report
    Path(gov.url).unlink()  # no database from here on
    assert _verify(pdf, "--trust-anchor", gov.key_id("admin@example.org"), "--format", "json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["verdict"] == "verified" and doc["problems"] == [] and doc["unanchored"] == []
    assert any("PAdES: VALID" in line for line in doc["checks"])
    assert any("recorded in audit-log entry" in line for line in doc["checks"])


def test_without_an_anchor_it_is_unanchored(report: tuple[Path, Gov], capsys: pytest.CaptureFixture[str]) -> None:
    pdf, gov = report
    assert _verify(pdf) == 1
    err = capsys.readouterr().err
    assert f"unanchored: signed by key {gov.key_id('admin@example.org')} claiming admin@example.org" in err


def test_forged_bundle_with_attacker_keys_fails(catalog: Catalog, governance: Gov, mlflow3_db: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from tests.reports.govfix import _key

    genuine_admin = governance.key_id("admin@example.org")
    # the attacker's own governance store: own admin, approvers, log key and officer, all consistent
    from mlops_desktop.governance.store import open_governance
    from mlops_desktop.governance.trust import add_signer, init_trust

    keys = {i: _key(i) for i in ("admin@example.org", "alice@example.org", "bob@example.org")}
    forged = Gov(str(tmp_path / "forged.db"), keys)
    with open_governance(forged.url) as g:
        init_trust(g, [keys["admin@example.org"]])  # type: ignore[list-item]
        for ident in ("alice@example.org", "bob@example.org"):
            add_signer(g, keys["admin@example.org"], keys[ident].public_key, ident, ["approver"])  # type: ignore[arg-type, attr-defined]
    pdf = _report(forged, catalog, mlflow3_db, tmp_path / "forged.pdf")
    assert _verify(pdf) == 1  # the forged report is self-consistent: only unanchored without an anchor
    assert "unanchored" in capsys.readouterr().err
    assert _verify(pdf, "--trust-anchor", genuine_admin) == 1
    err = capsys.readouterr().err
    assert "which is not a trust anchor of this client" in err and keys["admin@example.org"].key_id in err  # type: ignore[attr-defined]


def _rewrite(path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    doc = json.loads(path.read_text("utf-8"))
    change(doc)
    out = path.with_name("edited.evidence.json")
    out.write_text(json.dumps(doc), "utf-8")
    return out


def test_dropping_an_envelope_or_a_log_entry_fails(report: tuple[Path, Gov], capsys: pytest.CaptureFixture[str]) -> None:
    pdf, gov = report
    anchor = ["--trust-anchor", gov.key_id("admin@example.org")]
    sidecar = pdf.with_name("gdpr.evidence.json")
    no_env = _rewrite(sidecar, lambda d: d["envelopes"].pop())
    assert _verify(pdf, "--bundle", str(no_env), *anchor) == 1
    assert "officer's signature does not cover this bundle" in capsys.readouterr().err
    no_entry = _rewrite(sidecar, lambda d: d["log_entries"].pop(0))
    assert _verify(pdf, "--bundle", str(no_entry), *anchor) == 1
    assert "FAIL" in capsys.readouterr().out
    # the same drop in the embedded copy is caught too: it differs from the sidecar
    assert _verify(pdf, *anchor) == 0
    capsys.readouterr()
    pdf.write_bytes(pdf.read_bytes() + b"\n%edited\n")
    assert _verify(pdf, *anchor) == 1
    assert "PDF's SHA-256 is not the one recorded" in capsys.readouterr().err


def test_unsigned_bundle_is_not_verified(catalog: Catalog, governance: Gov, mlflow3_db: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    pdf = _report(governance, catalog, mlflow3_db, tmp_path / "u.pdf", officer=False)
    assert _verify(pdf, "--trust-anchor", governance.key_id("admin@example.org")) == 1
    assert "the bundle is unsigned" in capsys.readouterr().err


def test_bad_input_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _verify(tmp_path / "missing.pdf") == 2
    assert "No such file" in capsys.readouterr().err
    notpdf = tmp_path / "x.pdf"
    notpdf.write_text("hello")
    assert _verify(notpdf) == 2
    assert "is not a PDF file" in capsys.readouterr().err
    from mlops_desktop.core.entities import StoreInfo
    from mlops_desktop.reports.archival import finish
    from mlops_desktop.reports.export import export_report
    from mlops_desktop.reports.pdf import doc_info

    empty = Catalog(stores=[StoreInfo("mlflow", "empty.db", "abc123", identity="sha256:00")])
    result = export_report(empty, "gdpr", tmp_path / "e.pdf", settings=SETTINGS)
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(result.path.read_bytes())))
    writer._root_object.pop("/Names", None)  # noqa: SLF001 - a PDF without its attachment
    bare = tmp_path / "bare.pdf"
    with bare.open("wb") as fh:
        writer.write(fh)
    result.bundle_path.unlink()
    assert _verify(bare) == 2
    assert "carries no evidence bundle" in capsys.readouterr().err
    bad = tmp_path / "bad.evidence.json"
    bad.write_text("{not json")
    assert _verify(result.path, "--bundle", str(bad)) == 2
    err = capsys.readouterr().err
    assert "not valid JSON" in err and len(err.strip().splitlines()) == 1
    del finish, doc_info


# ---------------------------------------------------------------------------- an independent verifier
# Written from docs/BUNDLE.md alone: no project imports (cryptography, rfc8785 and hashlib only).


def _independent_verify(pdf_bytes: bytes, bundle: dict, anchor: str) -> list[str]:  # type: ignore[type-arg]
    import rfc8785
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    def kid(pub) -> str:  # type: ignore[no-untyped-def]
        return hashlib.sha256(pub.public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest()

    keys = {}
    for k, pem in bundle["public_keys"].items():
        pub = serialization.load_pem_public_key(pem.encode())
        assert kid(pub) == k
        keys[k] = pub

    def dsse(raw: bytes) -> tuple[str, dict]:  # type: ignore[type-arg]
        env = json.loads(raw)
        payload = base64.b64decode(env["payload"])
        t = env["payloadType"].encode()
        pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)
        (sig,) = env["signatures"]
        keys[sig["keyid"]].verify(base64.b64decode(sig["sig"]), pae, ec.ECDSA(hashes.SHA256()))
        return sig["keyid"], json.loads(payload)

    def leaf(b: bytes) -> bytes:
        return hashlib.sha256(b"\x00" + b).digest()

    def node(a: bytes, b: bytes) -> bytes:
        return hashlib.sha256(b"\x01" + a + b).digest()

    def included(entry: bytes, index: int, size: int, proof: list[str], root: bytes) -> bool:
        fn, sn, r = index, size - 1, leaf(entry)
        for p in (bytes.fromhex(h) for h in proof):
            if fn & 1 or fn == sn:
                r = node(p, r)
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
            else:
                r = node(r, p)
            fn >>= 1
            sn >>= 1
        return sn == 0 and r == root

    def checkpoint(cp: dict) -> tuple[int, bytes, str]:  # type: ignore[type-arg]
        body, _, sigs = cp["note"].partition("\n\n")
        line = sigs.splitlines()[0].split(" ")
        pub = serialization.load_pem_public_key(cp["log_public_key"].encode())
        pub.verify(base64.b64decode(line[2])[4:], (body + "\n").encode(), ec.ECDSA(hashes.SHA256()))
        origin, size, root = body.split("\n")
        return int(size), base64.b64decode(root), kid(pub)

    size, root, log_kid = checkpoint(bundle["checkpoint"])
    entries = {}
    for e in bundle["log_entries"]:
        raw = base64.b64decode(e["entry_b64"])
        assert included(raw, e["index"], size, e["inclusion_proof"], root)
        entries[e["index"]] = json.loads(raw)
    # the trust list, replayed from the anchor: pins, then adds by anchored admins
    admins, granted = set(), {}
    for st in bundle["trust_statements"]:
        raw = base64.b64decode(st["envelope_b64"])
        entry = entries[st["log_index"]]
        assert entry["details"]["envelope_sha256"] == hashlib.sha256(raw).hexdigest()
        signer, statement = dsse(raw)
        pred = statement["predicate"]
        assert pred["logIndex"] == st["log_index"]
        if st["kind"] == "pin" and signer == anchor:
            admins.add(signer)
        elif st["kind"] == "add" and signer in admins:
            granted[pred["signer"]["keyId"]] = set(pred["signer"]["roles"])
            if "admin" in pred["signer"]["roles"]:
                admins.add(pred["signer"]["keyId"])
    assert "log" in granted.get(log_kid, set()), "checkpoint key not certified"
    approvers = []
    for item in bundle["envelopes"]:
        raw = base64.b64decode(item["envelope_b64"])
        assert entries[item["log_index"]]["details"]["envelope_sha256"] == hashlib.sha256(raw).hexdigest()
        signer, statement = dsse(raw)
        assert "approver" in granted[signer]
        approvers.append(signer)
    signer, statement = dsse(base64.b64decode(bundle["signature"]["envelope_b64"]))
    body = {k: v for k, v in bundle.items() if k not in ("signature", "report_record")}
    assert statement["subject"][0]["digest"]["sha256"] == hashlib.sha256(rfc8785.dumps(body)).hexdigest()
    assert signer in admins or signer in granted
    rec = bundle["report_record"]
    rsize, rroot, rkid = checkpoint(rec["checkpoint"])
    assert rkid == log_kid
    raw = base64.b64decode(rec["entry_b64"])
    assert included(raw, rec["index"], rsize, rec["inclusion_proof"], rroot)
    assert json.loads(raw)["details"]["sha256"] == hashlib.sha256(pdf_bytes).hexdigest()
    return approvers


def test_independent_verifier_accepts_the_genuine_bundle(report: tuple[Path, Gov]) -> None:
    pdf, gov = report
    bundle = json.loads(pdf.with_name("gdpr.evidence.json").read_text("utf-8"))
    approvers = _independent_verify(pdf.read_bytes(), bundle, gov.key_id("admin@example.org"))
    assert sorted(approvers) == sorted([gov.key_id("alice@example.org"), gov.key_id("bob@example.org")])
    with pytest.raises((AssertionError, KeyError)):  # from another anchor, nothing is granted
        _independent_verify(pdf.read_bytes(), bundle, "0" * 64)


def test_officer_off_the_trust_list_fails(catalog: Catalog, governance: Gov, mlflow3_db: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from mlops_desktop.reports.jobs import run_report
    from tests.reports.govfix import _key

    approve(governance, catalog, "alice@example.org", "demand-forecast", "3", "champion")
    _certify_log_key(governance)
    stranger = _key("mallory@example.org")
    out = tmp_path / "m.pdf"
    run_report([str(mlflow3_db)], "gdpr", out, governance_url=governance.url, settings=SETTINGS,
               sign_key=stranger)  # type: ignore[arg-type]
    assert _verify(out, "--trust-anchor", governance.key_id("admin@example.org")) == 1
    err = capsys.readouterr().err
    assert f"the officer's signature over the bundle: Envelope is signed by unknown key {stranger.key_id[:16]}" in err  # type: ignore[attr-defined]
    assert "the PDF's PAdES signature" in err and "not on the trust list" in err
