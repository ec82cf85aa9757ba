"""``report verify``: listed by ``report --help``, and its output says what it does not re-judge
(the decisions' policy rules, a policy's witness quorum) and where to judge them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_desktop.cli.main import main
from mlops_desktop.core.entities import Catalog
from tests.reports.govfix import SETTINGS, Gov, catalog, governance  # noqa: F401


def test_report_help_lists_verify(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["report", "--help"])
    assert exc.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "'mlops-desktop report verify FILE.pdf [--bundle FILE.evidence.json] [--trust-anchor PUBFILE|KEYID] " \
           "[--format json]' checks a report" in out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "'report verify FILE.pdf' checks one" in " ".join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit):
        main(["report", "verify", "--help"])
    assert "usage: mlops-desktop report verify" in capsys.readouterr().out


def _witness_policy(tmp_path: Path) -> tuple[Path, str]:
    from mlops_desktop.governance import keys
    from tests.governance.helpers import PASSPHRASE

    vkey = keys.create_witness_key(tmp_path / "w.key", "witness.example.org/w1", PASSPHRASE)
    path = tmp_path / "policy.toml"
    path.write_text(f'id = "witnessed"\n[defaults]\napprovers = 1\nseparation_of_duties = false\n'
                    f'[witnesses]\nrequired = 1\nkeys = ["{vkey}"]\n')
    return path, vkey


def test_report_verify_says_what_it_does_not_rejudge(catalog: Catalog, governance: Gov,  # noqa: F811
                                                     mlflow3_db: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from mlops_desktop.governance.approvals import approve
    from mlops_desktop.governance.audit import client_checkpoint_key
    from mlops_desktop.governance.policy import load_policy
    from mlops_desktop.governance.store import open_governance
    from mlops_desktop.governance.trust import add_signer
    from mlops_desktop.reports.jobs import run_report

    policy_file, _ = _witness_policy(tmp_path)
    policy = load_policy(policy_file)
    with open_governance(governance.url) as g:
        approve(g, catalog, "demand-forecast", "3", "champion", "validated", ["gdpr"],
                governance.keys["alice@example.org"], policy=policy)  # type: ignore[arg-type]
        _, key = client_checkpoint_key()
        add_signer(g, governance.keys["admin@example.org"], key.public_key(), "log@example.org",  # type: ignore[arg-type]
                   ["log"])
    pdf = tmp_path / "gdpr.pdf"
    run_report([str(mlflow3_db)], "gdpr", pdf, governance_url=governance.url, settings=SETTINGS,
               sign_key=governance.keys["admin@example.org"])  # type: ignore[arg-type]
    code = main(["report", "verify", str(pdf), "--trust-anchor", governance.key_id("admin@example.org")])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    witness = [line for line in lines if line.startswith("NOTE witnesses not re-judged here: policy witnessed")]
    assert len(witness) == 1
    assert "requires 1 witness cosignature(s) from 1 listed witness(es)" in witness[0]
    assert "it carries valid cosignatures of: none" in witness[0]
    assert "'mlops-desktop audit verify --governance URL --policy FILE'" in witness[0]
    assert any(line.startswith("NOTE policy rules not re-judged here") and "'mlops-desktop verify --store URL" in line
               for line in lines)
    assert lines[-1] == "Verdict: verified"
    main(["report", "verify", str(pdf), "--trust-anchor", governance.key_id("admin@example.org"), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] and sum(c.startswith("NOTE ") for c in doc["checks"]) == 2
    # the store the report rests on: audit verify enforces the quorum and says what to run
    assert main(["audit", "verify", "--governance", governance.url, "--policy", str(policy_file),
                 "--trust-anchor", governance.key_id("admin@example.org")]) == 1
    err = capsys.readouterr().err
    assert "missing: witness.example.org/w1 (1 more needed)" in err
