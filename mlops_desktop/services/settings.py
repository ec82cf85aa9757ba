"""Everything that changes a verification verdict, in one frozen object.

The CLI builds :class:`VerificationSettings` from ``--ca``, ``--policy`` and
``--artifact-root`` (and their environment variables); the GUI builds the same object from
its Settings (``GuiSettings.verification_settings``). Every service that verifies takes it,
so the two faces cannot drift apart: a signer certificate checked by ``verify --ca`` is
checked on the Approvals page too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_desktop.core.errors import MlopsError

if TYPE_CHECKING:
    from cryptography import x509

    from mlops_desktop.governance.anchors import TrustAnchors
    from mlops_desktop.governance.policy import Policy

#: Organisation CA certificates (PEM) when neither ``--ca`` nor the GUI setting names a file.
ORG_CA_ENV = "MLOPS_DESKTOP_ORG_CA"
POLICY_SETTING_HINT = "Fix the file, or clear Settings > General > Promotion policy to use the built-in policy."


@dataclass(frozen=True)
class VerificationSettings:
    """What a verifier holds, as opposed to what the governance store says.

    - ``ca_file``: PEM file of organisation CA roots ("" = none); signer certificates on the
      trust list must chain to one of them (and to ``ca_certificates``, roots already loaded).
    - ``policy_file``: promotion policy TOML ("" = the built-in policy).
    - ``artifact_roots``: recorded artifact-root prefix -> local folder, for subject digests.
    - ``trust_anchors``: trust anchors (full key ids, or public key files) this verification adds to
      those the client holds (its anchors file, ``MLOPS_DESKTOP_TRUST_ANCHORS``, its own keys and
      the admins it pinned): :meth:`anchors` is the union every verifying service judges by.
    """

    ca_file: str = ""
    ca_certificates: tuple[x509.Certificate, ...] = ()
    policy_file: str = ""
    artifact_roots: Mapping[str, str] = field(default_factory=dict)
    trust_anchors: tuple[str, ...] = ()

    def ca_roots(self) -> list[x509.Certificate]:
        """The organisation CA roots: the loaded ones, then those in ``ca_file``.

        Raises :class:`~mlops_desktop.governance.keys.CertificateError` for an unreadable file:
        a CA that cannot be read never silently turns the certificate check off."""
        roots = list(self.ca_certificates)
        if self.ca_file.strip():
            from mlops_desktop.governance.keys import load_certificates

            roots.extend(load_certificates(Path(self.ca_file.strip()).expanduser()))
        return roots

    def with_ca_loaded(self) -> VerificationSettings:
        """The same settings with the CA file read into ``ca_certificates`` (raises now, for an
        unreadable file, rather than in the middle of a task)."""
        if not self.ca_file.strip():
            return self
        return replace(self, ca_file="", ca_certificates=tuple(self.ca_roots()))

    def policy(self) -> Policy:
        """The promotion policy (the built-in one without a file); raises for a bad file."""
        from mlops_desktop.governance.policy import DEFAULT_POLICY, load_policy

        path = self.policy_file.strip()
        return load_policy(Path(path).expanduser()) if path else DEFAULT_POLICY

    def policy_in_force(self) -> PolicyInForce:
        """The policy, or why the file cannot be used (never raises for a bad file)."""
        return resolve_policy(self.policy_file)

    def anchors(self) -> TrustAnchors:
        """The trust anchors a verdict is judged by (raises AnchorError for an unreadable one)."""
        from mlops_desktop.governance.anchors import load_anchors

        return load_anchors(self.trust_anchors)

    def roots(self) -> dict[str, str]:
        """``artifact_roots`` as a plain dict (what the governance functions take)."""
        return dict(self.artifact_roots)


def ca_file_or_env(value: str | None) -> str:
    """The CA file given (``--ca`` or the GUI setting), else :data:`ORG_CA_ENV`, else ""."""
    text = (value or "").strip()
    return text or os.environ.get(ORG_CA_ENV, "").strip()


@dataclass(frozen=True)
class PolicyInForce:
    """The promotion policy a decision is made and verified with, or why there is none.

    ``path`` is the policy file ("" = the built-in policy). When that file cannot be used,
    ``policy`` is None and ``error`` says why: the built-in policy is never put in its place
    silently, so nothing is signed until the file is fixed or the setting cleared.
    """

    path: str
    policy: Policy | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.policy is not None

    def describe(self) -> str:
        """One line naming the policy in force (plain text)."""
        from mlops_desktop.governance.policy import DEFAULT_POLICY

        if self.policy is None:
            return f"No policy in force: the policy file {self.path} cannot be used."
        if self.path:
            return f"Policy in force: {self.policy.policy_id} from {self.path}."
        if self.policy is DEFAULT_POLICY:
            return f"Policy in force: the built-in policy {self.policy.policy_id}."
        return f"Policy in force: {self.policy.policy_id}."

    def problem(self) -> str:
        """The full message for a file that cannot be used (plain text)."""
        return (f"The promotion policy file set in Settings cannot be used: {self.error} "
                f"Nothing is decided under the built-in policy instead. {POLICY_SETTING_HINT}")


def resolve_policy(path: str) -> PolicyInForce:
    """Read the policy file; the built-in policy for "". Never raises for a bad file: the
    problem is returned so the page or dialog can show it."""
    from mlops_desktop.governance.policy import DEFAULT_POLICY, load_policy

    path = path.strip()
    if not path:
        return PolicyInForce("", DEFAULT_POLICY)
    try:
        return PolicyInForce(path, load_policy(Path(path).expanduser()))
    except MlopsError as exc:
        return PolicyInForce(path, None, exc.message + (f" {exc.hint}" if exc.hint else ""))
