"""VerificationSettings (CA roots, policy, artifact roots), the policy in force, key unlocking,
the preselected key, and the layering rule that services import no Qt."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from mlops_desktop.core.errors import UsageError
from mlops_desktop.governance.keys import CertificateError, KeyFileError, create_key
from mlops_desktop.governance.policy import DEFAULT_POLICY
from mlops_desktop.services.session import KeyFile, preselected_key
from mlops_desktop.services.settings import (
    ORG_CA_ENV,
    VerificationSettings,
    ca_file_or_env,
    resolve_policy,
)
from tests.services.conftest import Cas

PASSPHRASE = "correct staple horse battery 42"
ONE_APPROVER = 'id = "one-approver"\n[targets.champion]\napprovers = 1\n'


def test_defaults_verify_with_the_built_in_policy_and_no_ca() -> None:
    s = VerificationSettings()
    assert s.ca_roots() == [] and s.policy() is DEFAULT_POLICY and s.roots() == {} and s.trust_anchors == ()
    assert s.policy_in_force().describe() == "Policy in force: the built-in policy mlops-desktop-default/v1."
    assert s.with_ca_loaded() is s


def test_ca_file_and_loaded_certificates(tmp_path: Path, cas: Cas) -> None:
    both = tmp_path / "both.pem"
    both.write_bytes(cas.org.public_bytes(serialization.Encoding.PEM) + cas.rogue.public_bytes(serialization.Encoding.PEM))
    s = VerificationSettings(ca_file=str(both), ca_certificates=(cas.org,))
    assert s.ca_roots() == [cas.org, cas.org, cas.rogue]
    loaded = VerificationSettings(ca_file=str(both)).with_ca_loaded()
    assert loaded.ca_file == "" and loaded.ca_certificates == (cas.org, cas.rogue)
    assert VerificationSettings(ca_file=str(both)) == VerificationSettings(ca_file=str(both))  # pages compare them


def test_unreadable_ca_file_is_an_error_not_a_skipped_check(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("hello\n", encoding="utf-8")
    with pytest.raises(CertificateError, match=f"^{junk} holds no readable PEM certificates.$"):
        VerificationSettings(ca_file=str(junk)).ca_roots()
    with pytest.raises(CertificateError, match="Cannot read CA file"):
        VerificationSettings(ca_file=str(tmp_path / "missing.pem")).with_ca_loaded()


def test_ca_file_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ORG_CA_ENV, raising=False)
    assert ca_file_or_env("") == "" and ca_file_or_env(None) == ""
    monkeypatch.setenv(ORG_CA_ENV, "/etc/org-ca.pem")
    assert ca_file_or_env("") == "/etc/org-ca.pem"
    assert ca_file_or_env(" /mine.pem ") == "/mine.pem"


def test_policy_file_in_force_or_why_not(tmp_path: Path) -> None:
    good = tmp_path / "one.toml"
    good.write_text(ONE_APPROVER, encoding="utf-8")
    s = VerificationSettings(policy_file=str(good))
    assert s.policy().policy_id == "one-approver"
    assert s.policy_in_force().describe() == f"Policy in force: one-approver from {good}."
    bad = tmp_path / "bad.toml"
    bad.write_text("[targets\n", encoding="utf-8")
    in_force = resolve_policy(str(bad))
    assert not in_force.ok and in_force.policy is None
    assert in_force.describe() == f"No policy in force: the policy file {bad} cannot be used."
    assert "is not valid TOML" in (in_force.error or "")
    assert in_force.problem().endswith("Nothing is decided under the built-in policy instead. Fix the file, or clear "
                                       "Settings > General > Promotion policy to use the built-in policy.")
    with pytest.raises(UsageError, match="is not valid TOML"):
        VerificationSettings(policy_file=str(bad)).policy()


def test_key_file_unlocks_in_the_service(tmp_path: Path) -> None:
    info = create_key(tmp_path / "alice.key", "Alice", "alice@example.org", PASSPHRASE)
    key = KeyFile(info.path, PASSPHRASE).unlock()
    assert key.key_id == info.key_id and key.identity == "Alice <alice@example.org>"
    assert PASSPHRASE not in repr(KeyFile(info.path, PASSPHRASE))
    with pytest.raises(UsageError) as refused:
        KeyFile("  ", PASSPHRASE, "administrator key").unlock()
    assert refused.value.message == "Choose the administrator key file."
    with pytest.raises(KeyFileError, match="Wrong passphrase"):
        KeyFile(info.path, "not the passphrase at all").unlock()


def test_preselected_key_is_the_setting_else_the_newest_existing_key(tmp_path: Path) -> None:
    assert preselected_key("") == ""
    older = create_key(tmp_path / "older.key", "A", "a@example.org", PASSPHRASE)
    newer = create_key(tmp_path / "newer.key", "B", "b@example.org", PASSPHRASE)
    assert preselected_key("") == newer.path
    assert preselected_key(" /keys/mine.key ") == "/keys/mine.key"
    os.remove(newer.path)
    assert preselected_key("") == older.path


def test_services_import_no_qt() -> None:
    from tests.test_layering import PACKAGE, forbidden_imports

    files = sorted((PACKAGE / "services").rglob("*.py"))
    assert len(files) >= 8
    assert [p for f in files for p in forbidden_imports(f)] == []
