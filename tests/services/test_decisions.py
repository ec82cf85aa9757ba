"""services.decisions: prepare, preview (statement and policy), sign, against a real store."""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import MlopsError, StoreError, UsageError
from mlops_desktop.governance import audit
from mlops_desktop.governance.approvals import approve, list_approvals
from mlops_desktop.governance.digest import subject_digest
from mlops_desktop.governance.keys import create_key
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer
from mlops_desktop.services.decisions import (
    DecisionDraft,
    DecisionRequest,
    default_target,
    prepare_decision,
    preview_policy,
    preview_statement,
    sign_decision,
    signer_info,
    target_choices,
)
from mlops_desktop.services.session import KeyFile
from mlops_desktop.services.settings import VerificationSettings
from tests.governance.helpers import PASSPHRASE, Team, make_key
from tests.services.conftest import Calls, Cas

DRAFT = DecisionDraft("fraud-detector", "3", "APPROVED", "champion", "validated", ("gdpr",))


def _head(url: str) -> int:
    with open_governance(url) as gov:
        return audit.head(gov)[0]


def test_prepare_decision_gathers_what_the_form_shows(gov_url: str, team: Team, catalog: Catalog, calls: Calls) -> None:
    ctx = prepare_decision(gov_url, catalog, "fraud-detector", "3", VerificationSettings(), progress=calls)
    mv = catalog.find_version("fraud-detector", "3")
    assert mv is not None
    assert ctx.subject == "models:/fraud-detector/3" and ctx.url == gov_url and ctx.read_only_reason is None
    assert ctx.digest == subject_digest(catalog, mv, {})
    assert ctx.existing == [] and ctx.next_log_index == _head(gov_url) == 5  # pin + 4 signers added
    assert ctx.policy.describe() == "Policy in force: the built-in policy mlops-desktop-default/v1."
    assert set(ctx.trust.signers) == {k.key_id for k in (team.admin, team.alice, team.bob, team.carol, team.dan)}
    assert calls.seen == [(0, 3, "Computing the subject digest"),
                          (1, 3, "Reading the trust list and earlier decisions"), (3, 3, "Ready to sign")]


def test_what_is_previewed_is_what_is_signed(gov_url: str, team: Team, catalog: Catalog, tmp_path: Path) -> None:
    info = create_key(tmp_path / "alice.key", "Alice", "alice@example.org", PASSPHRASE)
    with open_governance(gov_url) as gov:
        from mlops_desktop.governance.keys import load_public_key

        add_signer(gov, team.admin, load_public_key(Path(info.public_path)), "alice.file@example.org", ["approver"])
    ctx = prepare_decision(gov_url, catalog, "fraud-detector", "3", VerificationSettings())
    signer = signer_info(info.path, ctx.trust, datetime.now().astimezone())
    assert (signer.key_id, signer.identity, signer.status, signer.roles) == (
        info.key_id, "alice.file@example.org", "valid", ("approver",))
    assert ctx.policy.policy is not None
    statement = preview_statement(ctx, DRAFT, signer, ctx.policy.policy)
    assert statement["predicate"]["signedAt"] == "<the time you sign>"
    assert statement["predicate"]["logIndex"] == f"<next audit-log entry, now {ctx.next_log_index}>"
    request = DecisionRequest(gov_url, catalog, DRAFT, VerificationSettings(), ctx.policy.policy, ctx.digest)
    record = sign_decision(request, KeyFile(info.path, PASSPHRASE).unlock)
    assert record.log_seq == ctx.next_log_index and record.key_id == info.key_id
    signed = json.loads(base64.b64decode(json.loads(record.envelope)["payload"]))
    assert signed["subject"] == statement["subject"]
    only_at_signing = ("signedAt", "logIndex")
    assert {k: v for k, v in signed["predicate"].items() if k not in only_at_signing} == {
        k: v for k, v in statement["predicate"].items() if k not in only_at_signing}
    assert signed["predicate"]["logIndex"] == ctx.next_log_index


def test_policy_preview_counts_the_signers_decision(gov_url: str, team: Team, catalog: Catalog) -> None:
    with open_governance(gov_url) as gov:
        approve(gov, catalog, "fraud-detector", "3", "champion", "first", ["gdpr"], team.alice)
    ctx = prepare_decision(gov_url, catalog, "fraud-detector", "3", VerificationSettings())
    mv = catalog.find_version("fraud-detector", "3")
    assert mv is not None and ctx.policy.policy is not None and [v.status for v in ctx.existing] == ["valid"]
    now = datetime.now().astimezone()
    bob = signer_info("", ctx.trust, now)
    assert (bob.key_id, bob.detail) == (None, "no key file chosen")
    from mlops_desktop.services.decisions import SignerInfo

    with_bob = SignerInfo(team.bob.key_id, "bob@example.org", "valid", "", ("approver",))
    preview = preview_policy(ctx, catalog, mv, DRAFT, with_bob, now, ctx.policy.policy)
    assert preview.note == "with your approval" and preview.result.satisfied
    alone = preview_policy(ctx, catalog, mv, DRAFT, bob, now, ctx.policy.policy)
    assert alone.note == "as it stands (choose your key to include your decision)" and not alone.result.satisfied
    erin = SignerInfo(team.erin.key_id, None, "untrusted", "not on the trust list")
    assert preview_policy(ctx, catalog, mv, DRAFT, erin, now, ctx.policy.policy).note == (
        "as it stands: your key would not count")


def test_cli_path_announces_the_digest_before_unlocking(gov_url: str, team: Team, catalog: Catalog) -> None:
    order: list[str] = []

    def unlock():  # noqa: ANN202 - a fake key source
        order.append("unlock")
        return team.bob

    request = DecisionRequest(gov_url, catalog, DRAFT, log_access=True)
    record = sign_decision(request, unlock, announce=lambda what: order.append(f"announce {what.subject}"))
    assert order == ["announce models:/fraud-detector/3", "unlock"]
    with open_governance(gov_url) as gov:
        assert [r.id for r in list_approvals(gov)] == [record.id]
        actions = [e.action for e in audit.read_entries(gov, start=record.log_seq)]
    assert actions == ["approval.approve", "store.open"]


def test_read_only_store_asks_for_no_key(gov_url: str, team: Team, catalog: Catalog) -> None:
    os.chmod(gov_url, 0o444)
    unlocked: list[bool] = []
    with pytest.raises(StoreError, match="read-only"):
        sign_decision(DecisionRequest(gov_url, catalog, DRAFT), lambda: unlocked.append(True) or team.bob)
    assert unlocked == []


def test_ca_roots_refuse_a_signer_certified_by_another_ca(gov_url: str, team: Team, catalog: Catalog, cas: Cas) -> None:
    from tests.governance.test_keys import issue

    frank = make_key("frank@example.org")
    with open_governance(gov_url) as gov:
        add_signer(gov, team.admin, frank.public_key, "frank@example.org", ["approver"],
                   certificate=issue(cas.rogue_key, cas.rogue, frank.public_key, "frank@example.org"),
                   ca_roots=[cas.rogue])
    size = _head(gov_url)
    org = VerificationSettings(ca_file=str(cas.org_file))
    ctx = prepare_decision(gov_url, catalog, "fraud-detector", "3", org)
    assert ctx.trust.status_at(frank.key_id, datetime.now().astimezone())[0] == "untrusted"
    with pytest.raises(UsageError) as refused:
        sign_decision(DecisionRequest(gov_url, catalog, DRAFT, org), lambda: frank)
    assert refused.value.message == f"Key {frank.key_id[:16]} cannot sign decisions: signer {frank.key_id[:16]} is not on the trust list."
    assert _head(gov_url) == size
    record = sign_decision(DecisionRequest(gov_url, catalog, DRAFT), lambda: frank)  # no CA configured: it counts
    assert record.log_seq == size


def test_bad_policy_file_signs_nothing(gov_url: str, team: Team, catalog: Catalog, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[targets\n", encoding="utf-8")
    settings = VerificationSettings(policy_file=str(bad))
    assert not prepare_decision(gov_url, catalog, "fraud-detector", "3", settings).policy.ok
    with pytest.raises(MlopsError, match="is not valid TOML"):
        sign_decision(DecisionRequest(gov_url, catalog, DRAFT, settings), lambda: team.bob)
    assert _head(gov_url) == 5


def test_targets_follow_the_registry(catalog: Catalog) -> None:
    sepsis = catalog.find_version("sepsis-alert", "3")
    assert sepsis is not None
    assert default_target(sepsis, catalog) == "champion"
    assert target_choices(sepsis, catalog)[:4] == ["Production", "Staging", "champion", "challenger"]
