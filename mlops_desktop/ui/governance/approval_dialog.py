"""Approve / Reject…: shows exactly what will be signed, the policy checklist, then signs.

The work is :mod:`mlops_desktop.services.decisions`, as for ``mlops-desktop approve``: the
dialog runs :func:`~mlops_desktop.services.decisions.prepare_decision` in a worker, shows the
in-toto Statement that will be signed and the promotion policy as a checklist (as it would
stand with this decision), and runs :func:`~mlops_desktop.services.decisions.sign_decision`
in a worker with the digest and policy it showed. Any expected problem (wrong passphrase,
unreadable key, read-only governance store, untrusted key) is shown inside the dialog and
nothing is written.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QRadioButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.classification import Classification
from mlops_desktop.core.entities import Catalog, ModelVersion
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.governance_facts import STATUS_REVOKED
from mlops_desktop.services.decisions import (
    APPROVED,
    REJECTED,
    UNKNOWN_SIGNER,
    DecisionContext,
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
from mlops_desktop.services.governance_status import TargetStatus, target_statuses_from
from mlops_desktop.services.session import KeepUnlocked, KeyFile
from mlops_desktop.services.settings import PolicyInForce, VerificationSettings
from mlops_desktop.ui.common.dialogs import TaskDialog
from mlops_desktop.ui.common.keyfield import KeyFileField, passphrase_or_env
from mlops_desktop.ui.common.roles import CHECKED_ROLE
from mlops_desktop.ui.common.settings import signing_key_path, verification_settings
from mlops_desktop.ui.common.status import monospace_font, ok_color, pretty_json
from mlops_desktop.ui.common.widgets import Banner, badge_html, field_label
from mlops_desktop.ui.common.workers import ErrorSink, TaskSlot

if TYPE_CHECKING:
    from mlops_desktop.governance.approvals import ApprovalRecord
    from mlops_desktop.governance.policy import Policy, PolicyResult, RuleResult
    from mlops_desktop.ui.common.settings import GuiSettings

logger = logging.getLogger(__name__)

REGIME_LABELS = {"gdpr": "GDPR", "hipaa": "HIPAA", "eu-ai-act": "EU AI Act"}


# ---------------------------------------------------------------------------- widgets


class PolicyChecklist(QListWidget):
    """The policy's rules, each ticked (✓) or not (✗) with its explanation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("policyChecklist")
        self.setAccessibleName("Policy checklist")
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setUniformItemSizes(False)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setSpacing(2)

    def set_rules(self, rules: Sequence[RuleResult]) -> None:
        self.clear()
        for rule in rules:
            mark = "✓" if rule.satisfied else "✗"
            item = QListWidgetItem(f"{mark}  {rule.rule}\n      {rule.explanation}")
            item.setForeground(ok_color(rule.satisfied))
            item.setData(Qt.ItemDataRole.AccessibleTextRole,
                         f"{'Met' if rule.satisfied else 'Not met'}: {rule.rule}. {rule.explanation}")
            item.setData(CHECKED_ROLE, bool(rule.satisfied))
            item.setToolTip(rule.explanation)
            self.addItem(item)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:
            for i in range(self.count()):
                item = self.item(i)
                ticked = item.data(CHECKED_ROLE)
                if ticked is not None:
                    item.setForeground(ok_color(bool(ticked)))
        super().changeEvent(event)

    def states(self) -> list[tuple[bool, str]]:
        """(ticked, text) per rule, for tests and screen readers."""
        return [(bool(self.item(i).data(CHECKED_ROLE)), self.item(i).text()) for i in range(self.count())]

    def show_message(self, text: str) -> None:
        self.clear()
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.addItem(item)


class ApprovalDialog(TaskDialog):
    """Sign an approval or rejection of one model version."""

    sig_decided = Signal(object)  # ApprovalRecord
    sig_key_unlocked = Signal(object)  # the SigningKey that signed it (in memory; the passphrase is not kept)

    def __init__(
        self,
        version: ModelVersion,
        catalog: Catalog,
        *,
        governance_url: str | None = None,
        artifact_roots: Mapping[str, str] | None = None,
        notifier: ErrorSink | None = None,
        gui_settings: GuiSettings | None = None,
        verification: VerificationSettings | None = None,
        policy: Policy | None = None,
        policy_file: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``verification`` is what the decision is verified with (CA roots, policy file,
        artifact roots), by default built from ``gui_settings`` and ``artifact_roots``;
        ``policy_file`` replaces its policy file, and ``policy`` (a governance Policy) is used
        as given."""
        super().__init__(parent)
        self.setObjectName("ApprovalDialog")
        self.setAccessibleName("Approve or reject a model version")
        self.setWindowTitle(f"Approve / Reject — {version.model_name} version {version.version}")
        self.resize(1000, 640)  # fits a 1280x800 screen with room for a title bar and a panel
        self.version = version
        self.catalog = catalog
        self.governance_url = governance_url
        self.notifier = notifier
        self.gui_settings = gui_settings
        settings = verification if verification is not None else verification_settings(gui_settings, artifact_roots)
        if policy_file is not None:
            settings = replace(settings, policy_file=policy_file)
        self.verification = settings
        self.artifact_roots = dict(settings.artifact_roots)
        #: The policy given to the dialog; None: the settings' policy file is read when preparing.
        self.policy_override = PolicyInForce("", policy) if policy is not None else None
        self.policy_in_force: PolicyInForce | None = None
        self.policy: Policy | None = None  # in force (None: not read yet, or the file is unusable)
        self.context: DecisionContext | None = None
        self.record: ApprovalRecord | None = None
        self.policy_result: PolicyResult | None = None
        self.signer = UNKNOWN_SIGNER
        #: the targets the version holds, as the decisions verified so far leave them
        self.held: dict[str, TargetStatus] = {}
        self._target_touched = False
        self._unlock: KeepUnlocked | None = None  # the unlock of the signing in progress
        self.slot = TaskSlot("approval", None, self)
        self.slot.sig_progress.connect(self._on_slot_progress)
        self._regimes_touched = False

        model = catalog.model(version.model_name)
        quick = version.classification(model.tags if model else None)
        stage = f" — {html.escape(version.stage)}" if version.stage and version.stage != "None" else ""
        aliases = "".join(f" &nbsp;@{html.escape(a)}" for a in version.aliases)
        self.header = QLabel()
        self.header.setObjectName("approvalHeader")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._header_base = (f"<span style='font-size:large'><b>{html.escape(version.model_name)}</b> version "
                             f"{html.escape(str(version.version))}</span>{stage}{aliases}")
        self._set_badges(quick.badges)

        # decision
        self.approve_radio = QRadioButton("&Approve")
        self.reject_radio = QRadioButton("Re&ject")
        self.approve_radio.setChecked(True)
        self.decision_group = QButtonGroup(self)
        self.decision_group.addButton(self.approve_radio)
        self.decision_group.addButton(self.reject_radio)
        decision_row = QHBoxLayout()
        decision_row.addWidget(self.approve_radio)
        decision_row.addWidget(self.reject_radio)
        decision_row.addStretch(1)

        self.target_combo = QComboBox()
        self.target_combo.setEditable(True)
        self.target_combo.setAccessibleName("Target stage or alias")
        line = self.target_combo.lineEdit()
        if line is not None:  # the editable part is what a screen reader meets on Tab
            line.setAccessibleName("Target stage or alias")
        self.target_combo.addItems(target_choices(version, catalog))
        self.target_combo.setCurrentText(default_target(version, catalog))
        self.target_combo.setMinimumWidth(220)
        self.targets_label = field_label(name="heldTargets")
        self.targets_label.setTextFormat(Qt.TextFormat.RichText)
        self.targets_label.setWordWrap(True)

        self.regime_checks: dict[str, QCheckBox] = {}
        regimes_row = QHBoxLayout()
        for regime, label in REGIME_LABELS.items():
            check = QCheckBox(label)
            check.setAccessibleName(f"Regime {label}")
            self.regime_checks[regime] = check
            regimes_row.addWidget(check)
        regimes_row.addStretch(1)
        self._tick_regimes(quick)

        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setObjectName("reasonEdit")
        self.reason_edit.setAccessibleName("Reason")
        self.reason_edit.setPlaceholderText("Why (required; part of the signed record)")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setFixedHeight(58)

        self.key_field = KeyFileField("Key file")
        self.key_field.set_path(signing_key_path(gui_settings))
        self.signer_label = field_label(name="signerLabel")
        self.signer_label.setTextFormat(Qt.TextFormat.RichText)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Decision:", decision_row)
        form.addRow("&Target:", self.target_combo)
        form.addRow("Held targets:", self.targets_label)
        form.addRow("Regimes:", regimes_row)
        form.addRow("&Reason:", self.reason_edit)
        form.addRow("&Key file:", self.key_field)
        form.addRow("Signer:", self.signer_label)

        # what will be signed | policy
        self.statement_view = QPlainTextEdit()
        self.statement_view.setObjectName("statementView")
        self.statement_view.setAccessibleName("What will be signed")
        self.statement_view.setReadOnly(True)
        self.statement_view.setFont(monospace_font())
        self.statement_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.statement_view.setPlainText("Computing the subject digest…")
        signed_box = QGroupBox("What will be signed (in-toto Statement)")
        sb = QVBoxLayout(signed_box)
        self.digest_label = QLabel()
        self.digest_label.setObjectName("digestLabel")
        self.digest_label.setWordWrap(True)
        self.digest_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        sb.addWidget(self.digest_label)
        sb.addWidget(self.statement_view, 1)

        self.policy_box = QGroupBox("Policy")
        pb = QVBoxLayout(self.policy_box)
        self.policy_source = field_label("Reading the promotion policy…", name="policySource")
        self.policy_summary = QLabel("Reading the trust list and earlier decisions…")
        self.policy_summary.setObjectName("policySummary")
        self.policy_summary.setWordWrap(True)
        self.checklist = PolicyChecklist()
        pb.addWidget(self.policy_source)
        pb.addWidget(self.policy_summary)
        pb.addWidget(self.checklist, 1)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        split.addWidget(signed_box)
        split.addWidget(self.policy_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([560, 400])

        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setObjectName("passphraseEdit")
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.setAccessibleName("Passphrase of the key")
        self.passphrase_edit.setPlaceholderText("passphrase of your key (it is never stored)")
        self.passphrase_edit.returnPressed.connect(self.sign)
        pass_form = QFormLayout()
        pass_form.addRow("&Passphrase:", self.passphrase_edit)

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setMaximumHeight(10)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setAccessibleName("Working")
        self.banner = Banner(name="approvalStatus")
        self.banner.show_message("info", "Computing the subject digest and reading the governance store…")

        self.buttons = QDialogButtonBox()
        self.sign_button = self.buttons.addButton("Sign approval", QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_button.setObjectName("signButton")
        self.sign_button.setAutoDefault(False)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.close_button.setAutoDefault(False)
        self.sign_button.clicked.connect(self.sign)
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(form)
        layout.addWidget(split, 1)
        layout.addLayout(pass_form)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.buttons)

        for check in self.regime_checks.values():
            check.toggled.connect(self._on_regime_toggled)
        self.approve_radio.toggled.connect(self._on_form_changed)
        self.target_combo.currentTextChanged.connect(self._on_form_changed)
        self.target_combo.activated.connect(self._on_target_activated)
        line_edit = self.target_combo.lineEdit()
        if line_edit is not None:
            line_edit.textEdited.connect(self._on_target_activated)
        self.reason_edit.textChanged.connect(self._on_form_changed)
        self.key_field.sig_changed.connect(self._on_key_changed)
        self.sign_button.setEnabled(False)
        self._set_tab_order()
        self._on_key_changed(self.key_field.path())
        self.start_preparing()

    def _set_tab_order(self) -> None:
        """Tab follows the form: decision, target, regimes, reason, key file, Browse…, passphrase,
        Sign, Cancel; then the statement and the checklist, to read them."""
        chain: list[QWidget] = [self.approve_radio, self.reject_radio, self.target_combo,
                                *self.regime_checks.values(), self.reason_edit, self.key_field.edit,
                                self.key_field.browse_button, self.passphrase_edit, self.sign_button,
                                self.close_button, self.statement_view, self.checklist]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    # -- helpers --------------------------------------------------------------------------

    def _set_badges(self, badges: Sequence[str]) -> None:
        self.header.setText(f"{self._header_base} &nbsp; {badge_html(list(badges))}"
                            f"<br><span>Subject: models:/{html.escape(self.version.model_name)}/"
                            f"{html.escape(str(self.version.version))}</span>")
        self.header.setAccessibleName(f"{self.version.model_name} version {self.version.version}"
                                      + (f", data: {', '.join(badges)}" if badges else ""))

    def _tick_regimes(self, cls: Classification) -> None:
        if self._regimes_touched:
            return
        for regime, check in self.regime_checks.items():
            check.blockSignals(True)
            check.setChecked((regime == "gdpr" and cls.pii) or (regime == "hipaa" and cls.phi))
            check.blockSignals(False)

    def decision(self) -> str:
        return APPROVED if self.approve_radio.isChecked() else REJECTED

    def regimes(self) -> list[str]:
        return [r for r, c in self.regime_checks.items() if c.isChecked()]

    def target(self) -> str:
        return self.target_combo.currentText().strip()

    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()

    def draft(self) -> DecisionDraft:
        """The decision as the form stands."""
        return DecisionDraft(self.version.model_name, str(self.version.version), self.decision(), self.target(),
                             self.reason(), tuple(self.regimes()))

    def is_running(self) -> bool:
        return self.slot.is_running()

    # -- preparing ----------------------------------------------------------------------------

    def start_preparing(self) -> None:
        self.progress_bar.setVisible(True)
        self.slot.start(partial(prepare_decision, policy=self.policy_override), self.governance_url, self.catalog,
                        self.version.model_name, str(self.version.version), self.verification,
                        label="Preparing the decision",
                        on_done=self._on_prepared, on_error=self._on_prepare_error)

    def _on_prepared(self, ctx: DecisionContext) -> None:
        self.context = ctx
        self.progress_bar.setVisible(False)
        self._set_badges(ctx.classification.badges)
        self._tick_regimes(ctx.classification)
        sd = ctx.digest
        how = (f"model artifacts ({sd.files} file{'s' if sd.files != 1 else ''} under {sd.location})"
               if sd.method.startswith("model-signing") else
               "the version's metadata record (artifacts not reachable here)")
        self.digest_label.setText(f"Subject digest: SHA-256 of {how}\n{sd.digest}")
        self.policy_in_force = ctx.policy
        self.policy = ctx.policy.policy
        if self.policy is not None:
            self.held = target_statuses_from(self.policy, self.catalog, self.version, ctx.existing,
                                             datetime.now().astimezone(), ctx.classification)
            first = next((t for t in self.held.values() if t.status in ("unmet", "rejected")), None)
            if first is not None and not self._target_touched:
                self.target_combo.blockSignals(True)
                self.target_combo.setCurrentText(first.target)
                self.target_combo.blockSignals(False)
        self.policy_source.setText(ctx.policy.describe())
        if not ctx.policy.ok:
            problem = ctx.policy.problem()
            self.banner.show_message("error", f"<b>Nothing can be signed:</b> {html.escape(problem)}")
            self.policy_box.setTitle("No policy in force")
            self.policy_summary.setText("")
            self.checklist.show_message("No checklist: no promotion policy is in force (the reason is below).")
            self.statement_view.setPlainText("Nothing can be signed while no promotion policy is in force.")
        elif ctx.read_only_reason:
            self.banner.show_message("error", html.escape(ctx.read_only_reason))
        self._on_key_changed(self.key_field.path())  # the ready banner, or why this key cannot sign

    def _on_prepare_error(self, exc: BaseException) -> bool:
        self.progress_bar.setVisible(False)
        self.statement_view.setPlainText("Nothing can be signed.")
        self.checklist.show_message("The policy could not be evaluated.")
        self.policy_summary.setText("")
        return self._show_error(exc, "Cannot prepare the decision")

    # -- live updates ---------------------------------------------------------------------------

    def _on_regime_toggled(self, _checked: bool) -> None:
        self._regimes_touched = True
        self._on_form_changed()

    def _on_target_activated(self, *_args: object) -> None:
        self._target_touched = True

    def still_unapproved(self) -> list[str]:
        """The held targets that stay unapproved once this decision is recorded (the chosen target
        as the policy would stand with it; the others as they stand)."""
        chosen = self.target()
        out = []
        for name, status in self.held.items():
            if name == chosen and self.policy_result is not None:
                if not self.policy_result.satisfied:
                    out.append(name)
            elif status.status in ("unmet", "rejected"):
                out.append(name)
        return out

    def _show_held_targets(self) -> None:
        if not self.held:
            self.targets_label.setText("This version holds no stage or alias." if self.context is not None else "")
            return
        now = ", ".join(html.escape(t.label) for t in self.held.values())
        left = self.still_unapproved()
        if left:
            after = (f"<b style='color:{ok_color(False).name()}'>Still unapproved after this decision: "
                     f"{html.escape(', '.join(left))}</b>")
        else:
            after = f"<b style='color:{ok_color(True).name()}'>Every held target approved after this decision</b>"
        self.targets_label.setText(f"Now: {now}. {after}.")
        self.targets_label.setAccessibleName(f"Held targets: {self.targets_label.text()}")

    def _on_key_changed(self, path: str) -> None:
        trust = self.context.trust if self.context is not None else None
        self.signer = signer_info(path, trust, datetime.now().astimezone())
        s = self.signer
        if s.key_id is None:
            text = html.escape(s.detail)
        else:
            who = html.escape(s.identity or "unknown identity")
            roles = f", role {html.escape(', '.join(s.roles))}" if s.roles else ""
            if s.status == "valid":
                verdict = f"<b style='color:{ok_color(True).name()}'>✓ trusted</b>"
            elif s.status == "unknown":
                verdict = html.escape(s.detail)
            else:  # decide() refuses such a key (CRYPTO.md: only a trusted key's signature counts)
                verdict = (f"<b style='color:{ok_color(False).name()}'>✗ cannot sign: "
                           f"{html.escape(s.detail or s.status)}</b>")
            text = f"{who} — key <code>{s.key_id[:16]}</code>{roles} — {verdict}"
        self.signer_label.setText(text)
        self._show_ready_banner()
        self._on_form_changed()

    def _show_ready_banner(self) -> None:
        """Once the context is ready to sign: what to do next, or why the chosen key cannot sign
        (instead of inviting a passphrase for a Sign button that stays disabled)."""
        ctx = self.context
        if ctx is None or not ctx.policy.ok or ctx.read_only_reason or self.record is not None \
                or self.slot.is_running():
            return
        refusal = self.signer_refusal()
        if refusal:
            self.banner.show_message("warning", html.escape(refusal))
        else:
            self.banner.show_message("info", "Check what will be signed, type your passphrase and sign. "
                                             "The record is written only when the signature is made.")

    def signer_refusal(self) -> str | None:
        """Why the chosen key cannot sign here (revoked, not on the trust list, lacking the role,
        outside its validity), or None: the store refuses such a key, so the dialog does not offer
        to sign with it. A key whose id is known only after unlocking is left to the signing step."""
        s = self.signer
        if s.key_id is None or s.status in ("valid", "unknown"):
            return None
        remedy = ("Choose another key file." if s.status == STATUS_REVOKED else
                  "Ask a trust administrator to grant it ('trust add'), or choose another key file.")
        return f"Key {s.key_id[:16]} cannot sign decisions: {s.detail or s.status}. {remedy}"

    def _update_sign_button(self, running: bool | None = None) -> None:
        ctx = self.context
        refusal = self.signer_refusal()
        busy = self.slot.is_running() if running is None else running
        self.sign_button.setEnabled(not busy and self.record is None and ctx is not None
                                    and not ctx.read_only_reason and self.policy is not None and refusal is None)
        self.sign_button.setToolTip(refusal or "")

    def _on_form_changed(self, *_args: object) -> None:
        decision = self.decision()
        self.sign_button.setText("Sign approval" if decision == APPROVED else "Sign rejection")
        ctx = self.context
        if ctx is None or self.record is not None or self.policy is None:
            return
        draft = self.draft()
        statement = preview_statement(ctx, draft, self.signer, self.policy)
        self.statement_view.setPlainText(pretty_json(statement))
        target = draft.target
        self.policy_box.setTitle(f"Policy {self.policy.policy_id} for {target or '…'}")
        if target:
            preview = preview_policy(ctx, self.catalog, self.version, draft, self.signer,
                                     datetime.now().astimezone(), self.policy)
            result, note = preview.result, preview.note
            self.policy_result = result
            verdict = "satisfied" if result.satisfied else "not satisfied"
            self.policy_summary.setText(f"<b style='color:{ok_color(result.satisfied).name()}'>"
                                        f"{'✓' if result.satisfied else '✗'} {verdict}</b> {html.escape(note)}")
            self.checklist.set_rules(result.rules)
        else:
            self.policy_summary.setText("Choose a target stage or alias.")
            self.checklist.clear()
            self.policy_result = None
        self._show_held_targets()
        self._update_sign_button()

    # -- signing ----------------------------------------------------------------------------------

    def sign(self) -> bool:
        """Validate the form and sign in a worker; False (with the reason shown) when not started."""
        if self.slot.is_running() or self.record is not None:
            return False
        ctx = self.context
        problem = None
        if ctx is None:
            problem = "Wait until the subject digest is computed."
        elif self.policy is None:
            problem = ctx.policy.problem()
        elif ctx.read_only_reason:
            problem = ctx.read_only_reason
        elif not self.target():
            problem = "Choose the target stage or alias."
        elif not self.reason():
            problem = "Give a reason: it is part of the signed record."
        elif not self.key_field.path():
            problem = "Choose your key file."
        elif refusal := self.signer_refusal():
            problem = refusal
        if problem is None:
            try:
                passphrase = passphrase_or_env(self.passphrase_edit.text())
            except MlopsError as exc:
                problem = exc.message
        if problem is not None:
            self.banner.show_message("error", html.escape(problem))
            return False
        assert ctx is not None
        self.passphrase_edit.clear()
        self._set_running(True)
        self.banner.show_message("info", "Unlocking the key and signing…")
        request = DecisionRequest(self.governance_url, self.catalog, self.draft(), self.verification, self.policy,
                                  ctx.digest)
        unlock = self._unlock = KeepUnlocked(KeyFile(self.key_field.path(), passphrase).unlock)
        self.slot.start(partial(sign_decision, create=False), request, unlock, label="Signing the decision",
                        on_done=self._on_signed, on_error=self._on_sign_error)
        return True

    def _set_running(self, running: bool) -> None:
        self.progress_bar.setVisible(running)
        for w in (self.approve_radio, self.reject_radio, self.target_combo, self.reason_edit, self.key_field,
                  self.passphrase_edit, *self.regime_checks.values()):
            w.setEnabled(not running and self.record is None)
        self._update_sign_button(running)

    def _on_signed(self, record: ApprovalRecord) -> None:
        self.record = record
        self._set_running(False)
        if self.gui_settings is not None:
            self.gui_settings.remember_signing_key(self.key_field.path())
        word = "Approval" if record.decision == APPROVED else "Rejection"
        self.banner.show_message(
            "ok", f"<b>{word} signed and recorded</b> at audit-log entry {record.log_seq} "
                  f"(key {html.escape(record.key_id[:16])}).<br>Envelope id {html.escape(record.id)}")
        self.close_button.setText("Close")
        self.sig_decided.emit(record)
        if self._unlock is not None and self._unlock.key is not None:
            self.sig_key_unlocked.emit(self._unlock.key)
        self._unlock = None

    def _on_sign_error(self, exc: BaseException) -> bool:
        self._unlock = None  # a key unlocked for a decision that was not recorded is not kept
        self._set_running(False)
        self.passphrase_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        return self._show_error(exc, "Not signed")

    def _show_error(self, exc: BaseException, prefix: str) -> bool:
        if isinstance(exc, MlopsError):
            hint = exc.hint or ""
            if "Nothing was written" not in hint:
                hint = f"{hint} Nothing was written."
            self.banner.show_message("error", f"<b>{html.escape(prefix)}:</b> {html.escape(exc.message)}"
                                              f"<br>{html.escape(hint.strip())}")
            return True
        self.banner.show_message("error", f"<b>{html.escape(prefix)}:</b> internal error "
                                          f"({html.escape(type(exc).__name__)}).")
        if self.notifier is not None:
            self.notifier.show_error(exc)
            return True
        return False

    def _on_slot_progress(self, _done: int, _total: int, message: str) -> None:
        self.progress_bar.setToolTip(message)

    # -- closing ---------------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "banner"):
            self._on_key_changed(self.key_field.path())  # the ✓/✗ colours follow the theme
        super().changeEvent(event)

