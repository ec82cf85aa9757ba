"""What the governance pages and dialogs share that is not a widget: one governance store
opened per worker task and the promotion policy in force."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlops_desktop.governance.db import Governance
    from mlops_desktop.governance.policy import Policy
    from mlops_desktop.ui.common.settings import GuiSettings

#: The shortcut of Governance > Approve / Reject… (shown in page hints).
APPROVE_SHORTCUT = "Ctrl+Shift+A"


@contextmanager
def gov_session(url: str | None, *, create: bool = True) -> Iterator[Governance]:
    """Open the governance store for one task and close it afterwards (call in a worker)."""
    from mlops_desktop.governance.store import open_governance

    gov = open_governance(url, create=create)
    try:
        yield gov
    finally:
        gov.close()



# ---------------------------------------------------------------------------- policy in force

POLICY_SETTING_HINT = "Fix the file, or clear Settings > General > Promotion policy to use the built-in policy."


@dataclass(frozen=True)
class PolicyInForce:
    """The promotion policy the GUI decides and verifies with, or why there is none.

    ``path`` is the policy file set in Settings ("" = the built-in policy). When that file
    cannot be used, ``policy`` is None and ``error`` says why: the built-in policy is never
    put in its place silently, so nothing is signed until the file is fixed or the setting
    cleared.
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


def policy_file_setting(settings: GuiSettings | None) -> str:
    """The policy file set in Settings ("" = the built-in policy)."""
    prefs = getattr(settings, "prefs", None)
    value = getattr(prefs, "policy_file", "")
    return value.strip() if isinstance(value, str) else ""


def resolve_policy(path: str) -> PolicyInForce:
    """Read the policy file (call in a worker); the built-in policy for "". Never raises for a
    bad file: the problem is returned so the page or dialog can show it."""
    from mlops_desktop.core.errors import MlopsError
    from mlops_desktop.governance.policy import DEFAULT_POLICY, load_policy

    path = path.strip()
    if not path:
        return PolicyInForce("", DEFAULT_POLICY)
    try:
        return PolicyInForce(path, load_policy(Path(path).expanduser()))
    except MlopsError as exc:
        return PolicyInForce(path, None, exc.message + (f" {exc.hint}" if exc.hint else ""))

