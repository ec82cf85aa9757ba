"""Edit > Settings… (Ctrl+,): every :class:`~mlops_desktop.ui.common.settings.Preferences` a person sets."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.findings import DEFAULT_SEVERITIES, RULES, SEVERITIES
from mlops_desktop.core.profile import (
    ExpertDetermination,
    Processor,
    ReportProfile,
    RetentionRule,
    save_profile,
)
from mlops_desktop.ui.common.settings import RANGES, GuiSettings
from mlops_desktop.ui.settings.anchors_tab import TrustAnchorsTab

THEME_TITLES = {"system": "Follow the system", "light": "Light", "dark": "Dark"}


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


class SettingsDialog(QDialog):
    """Changes are written when the dialog is accepted (``sig`` ``accepted``)."""

    sig_manage_keys = Signal()  # the window opens the Signing keys dialog

    def __init__(self, settings: GuiSettings, parent: QWidget | None = None, *,
                 roots_in_force: Mapping[str, str] | None = None) -> None:
        """``roots_in_force``: the window's artifact-root mapping (Settings' merged with the command
        line's or the demo's); those not saved here are listed read-only on the Artifact roots tab."""
        super().__init__(parent)
        self.setObjectName("SettingsDialog")
        self.setWindowTitle("Settings")
        self.resize(680, 520)
        self.settings = settings
        p = settings.prefs
        self.tabs = QTabWidget()

        # General
        general = QWidget()
        form = QFormLayout(general)
        self.theme_combo = QComboBox()
        for key, title in THEME_TITLES.items():
            self.theme_combo.addItem(title, key)
        self.theme_combo.setCurrentIndex(list(THEME_TITLES).index(p.theme))
        form.addRow("&Theme:", self.theme_combo)
        self.restore_check = QCheckBox("Reopen the stores that were open when I quit")
        self.restore_check.setChecked(p.restore_stores)
        form.addRow("", self.restore_check)
        self.governance_edit = QLineEdit(p.governance_url)
        self.governance_edit.setPlaceholderText("default: governance.db in your data folder; or postgresql://…")
        form.addRow("Default &governance store:", self.governance_edit)
        self.key_edit = QLineEdit(p.key_path)
        self.key_edit.setPlaceholderText("your signing key (written by 'mlops-desktop keys create')")
        key_browse = QPushButton("Browse…")
        key_browse.clicked.connect(self._on_key_browse_clicked)
        self.manage_keys_button = QPushButton("Signing keys…")
        self.manage_keys_button.setToolTip("Create, import or export keys and see their fingerprints "
                                           "(Edit > Signing keys…)")
        self.manage_keys_button.clicked.connect(self.sig_manage_keys)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(key_browse)
        key_row.addWidget(self.manage_keys_button)
        key_label = QLabel("Signing &key:")
        key_label.setBuddy(self.key_edit)
        form.addRow(key_label, key_row)
        self.key_fingerprint = QLabel()
        self.key_fingerprint.setObjectName("keyFingerprint")
        self.key_fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_fingerprint.setAccessibleName("Fingerprint of the signing key")
        form.addRow("", self.key_fingerprint)
        self.key_edit.textChanged.connect(self._on_key_edit_changed)
        self._on_key_edit_changed(self.key_edit.text())
        self.policy_edit = QLineEdit(p.policy_file)
        self.policy_edit.setObjectName("policyFileEdit")
        self.policy_edit.setAccessibleName("Promotion policy file")
        self.policy_edit.setPlaceholderText("empty: the built-in policy (two approvers for production)")
        self.policy_edit.setToolTip("A TOML promotion policy, as 'mlops-desktop verify --policy FILE'. The "
                                    "Approve / Reject dialog and the Approvals page decide and verify with it.")
        self.policy_browse = QPushButton("Browse…")
        self.policy_browse.setAccessibleName("Browse for the promotion policy file")
        self.policy_browse.clicked.connect(self._on_policy_browse_clicked)
        policy_row = QHBoxLayout()
        policy_row.addWidget(self.policy_edit, 1)
        policy_row.addWidget(self.policy_browse)
        policy_label = QLabel("Promotion &policy:")
        policy_label.setBuddy(self.policy_edit)
        form.addRow(policy_label, policy_row)
        self.ca_edit = QLineEdit(p.ca_file)
        self.ca_edit.setObjectName("caFileEdit")
        self.ca_edit.setAccessibleName("Organisation CA certificates file")
        self.ca_edit.setPlaceholderText("empty: MLOPS_DESKTOP_ORG_CA if set, else signer certificates are not checked")
        self.ca_edit.setToolTip("PEM file of the organisation CA certificates, as 'mlops-desktop verify --ca FILE'. "
                                "Signer certificates on the trust list must be issued by it; the Approvals page, "
                                "the Approve / Reject dialog and the trust list check them.")
        self.ca_browse = QPushButton("Browse…")
        self.ca_browse.setAccessibleName("Browse for the organisation CA certificates file")
        self.ca_browse.clicked.connect(self._on_ca_browse_clicked)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_edit, 1)
        ca_row.addWidget(self.ca_browse)
        ca_label = QLabel("Organisation &CA:")
        ca_label.setBuddy(self.ca_edit)
        form.addRow(ca_label, ca_row)
        self.clear_recent_button = QPushButton(f"Forget {len(p.recent_stores)} recent store{'s' if len(p.recent_stores) != 1 else ''}")
        self.clear_recent_button.clicked.connect(self._on_clear_recent_clicked)
        if not p.recent_stores:
            self.clear_recent_button.setText("No recent stores")
            self.clear_recent_button.setEnabled(False)
        self._clear_recent = False
        form.addRow("Recent stores:", self.clear_recent_button)
        self.tabs.addTab(general, "&General")

        # Artifact roots
        roots = QWidget()
        rl = QVBoxLayout(roots)
        rl.addWidget(QLabel("Artifact locations recorded by training (<code>/srv/…</code>, <code>s3://…</code>) "
                            "and the local folder holding the same files, so artifact digests can be computed."))
        self.roots_table = QTableWidget(0, 2)
        self.roots_table.setAccessibleName("Artifact-root mappings")
        self.roots_table.setHorizontalHeaderLabels(["Recorded prefix", "Local folder"])
        self.roots_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.roots_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for prefix, folder in p.artifact_roots.items():
            self._add_root_row(prefix, folder)
        add = QPushButton("Add mapping")
        add.clicked.connect(lambda: self._add_root_row("", ""))
        remove = QPushButton("Remove selected")
        remove.clicked.connect(self._on_remove_root_clicked)
        buttons_row = QHBoxLayout()
        buttons_row.addWidget(add)
        buttons_row.addWidget(remove)
        buttons_row.addStretch(1)
        rl.addWidget(self.roots_table, 1)
        rl.addLayout(buttons_row)
        given = {k: v for k, v in (roots_in_force or {}).items() if p.artifact_roots.get(k) != v}
        self.roots_in_force_label = QLabel()
        self.roots_in_force_label.setObjectName("rootsInForce")
        self.roots_in_force_label.setWordWrap(True)
        self.roots_in_force_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if given:
            items = "".join(f"<li><code>{_esc(k)}</code> → <code>{_esc(v)}</code></li>" for k, v in sorted(given.items()))
            self.roots_in_force_label.setText(
                "Also in force for the open window (given on the command line or by the demo, not saved "
                f"here; OK keeps them):<ul>{items}</ul>")
        self.roots_in_force_label.setVisible(bool(given))
        rl.addWidget(self.roots_in_force_label)
        self.tabs.addTab(roots, "&Artifact roots")

        # Findings
        findings = QWidget()
        fl = QVBoxLayout(findings)
        fform = QFormLayout()
        self.stages_edit = QLineEdit(", ".join(p.production_stages))
        fform.addRow("Production &stages:", self.stages_edit)
        self.aliases_edit = QLineEdit(", ".join(p.production_aliases))
        fform.addRow("Production &aliases:", self.aliases_edit)
        # the ranges GuiSettings accepts: a saved value is never clamped by the widget
        self.approvals_spin = QSpinBox(minimum=RANGES["min_approvals"][0], maximum=RANGES["min_approvals"][1],
                                       value=p.min_approvals)
        fform.addRow("Approvals a deployment &needs:", self.approvals_spin)
        self.retention_spin = QSpinBox(minimum=RANGES["retention_years"][0], maximum=RANGES["retention_years"][1],
                                       value=p.retention_years, suffix=" years")
        fform.addRow("&Retention duty:", self.retention_spin)
        fl.addLayout(fform)
        fl.addWidget(QLabel("Severity of each finding (reports, findings list):"))
        ids = sorted(DEFAULT_SEVERITIES, key=lambda f: int(f[1:]))
        self.severity_table = QTableWidget(len(ids), 2)
        self.severity_table.setAccessibleName("Finding severities")
        self.severity_table.setHorizontalHeaderLabels(["Finding", "Severity"])
        self.severity_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.severity_combos: dict[str, QComboBox] = {}
        for r, fid in enumerate(ids):
            item = QTableWidgetItem(f"{fid}: {RULES.get(fid, '')}")
            self.severity_table.setItem(r, 0, item)
            combo = QComboBox()
            combo.setAccessibleName(f"Severity of {fid}")
            combo.addItems(list(SEVERITIES))
            combo.setCurrentText(p.severities.get(fid, DEFAULT_SEVERITIES[fid]))
            self.severity_table.setCellWidget(r, 1, combo)
            self.severity_combos[fid] = combo
        fl.addWidget(self.severity_table, 1)
        self.tabs.addTab(findings, "&Findings")

        self._build_profile_tab(settings)
        self.anchors_tab = TrustAnchorsTab()
        self.tabs.addTab(self.anchors_tab, "T&rust anchors")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                                        | QDialogButtonBox.StandardButton.RestoreDefaults)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        defaults = self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        defaults.setText("Default severities")
        defaults.clicked.connect(self._on_defaults_clicked)
        self.findings_tab = findings
        # the button restores the Findings tab's severities: shown with that tab only
        self.tabs.currentChanged.connect(lambda _i: defaults.setVisible(self.tabs.currentWidget() is findings))
        defaults.setVisible(self.tabs.currentWidget() is findings)
        self.error_label = QLabel()
        self.error_label.setObjectName("settingsError")
        self.error_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        #: what the fields showed when opened: OK writes only the settings changed here, so a value
        #: changed elsewhere meanwhile (Edit > Signing keys' "Sign with this key") is kept
        self._shown = self.values()

    # -- report profile --------------------------------------------------------------

    def _build_profile_tab(self, settings: GuiSettings) -> None:
        """Settings > Report profile: what reports need and metadata cannot hold (core/profile.py)."""
        prof = settings.report_profile()
        self._profile_loaded = dataclasses.replace(prof, source="")
        self._profile_path_loaded = settings.prefs.report_profile.strip()
        self.profile_tab = QWidget()
        self.profile_tab.setObjectName("reportProfileTab")
        form = QFormLayout(self.profile_tab)
        self.profile_path_edit = QLineEdit(settings.prefs.report_profile)
        self.profile_path_edit.setAccessibleName("Report profile file")
        self.profile_path_edit.setPlaceholderText(f"empty: {settings.report_profile_path()}")
        form.addRow("Profile &file:", self.profile_path_edit)
        self.profile_edits: dict[str, QLineEdit] = {}

        def line(key: str, label: str, value: str, hint: str = "") -> None:
            edit = QLineEdit(value)
            edit.setObjectName(f"profile_{key}")
            edit.setAccessibleName(label.replace("&", "").rstrip(":"))
            if hint:
                edit.setPlaceholderText(hint)
            self.profile_edits[key] = edit
            form.addRow(label, edit)

        line("organisation", "&Organisation:", prof.organisation)
        line("controller", "&Controller:", prof.controller, "name and address of the controller / covered entity")
        line("dpo_contact", "&DPO contact:", prof.dpo_contact, "e-mail or address of the data protection officer")
        line("officer_name", "Officer's &name:", prof.officer_name,
             "shown as preparer and in the audit log beside the OS user")
        sep = "; "
        line("purposes", "&Purposes:", sep.join(prof.purposes), "separate with ;")
        line("recipients", "&Recipients:", sep.join(prof.recipients), "separate with ;")
        line("processors", "Processors / &BAs:", sep.join(
            f"{p.name} | {p.service} | {p.agreement} | {'BA' if p.business_associate else ''}".rstrip(" |")
            for p in prof.processors), "name | service | agreement | BA; next one…")
        line("technical_measures", "&Technical measures:", sep.join(prof.technical_measures), "separate with ;")
        line("organisational_measures", "Or&ganisational measures:", sep.join(prof.organisational_measures),
             "separate with ;")
        ed = prof.expert_determination
        line("ed_expert", "Expert Determination: &expert:", ed.expert)
        line("ed_date", "Expert Determination: da&te:", ed.date, "YYYY-MM-DD")
        line("ed_method", "Expert Determination: &method:", ed.method)
        line("retention", "Retention &schedule:", sep.join(
            f"{r.data} | {r.period} | {r.basis}".rstrip(" |") for r in prof.retention),
             "data | period | basis; next one…")
        #: what each field showed when opened: a field left as it was keeps the loaded value exactly
        #: (its text form cannot hold an item with "; " or "|" in it)
        self._profile_shown = {k: w.text() for k, w in self.profile_edits.items()}
        self.profile_missing = QLabel()
        self.profile_missing.setWordWrap(True)
        self.profile_missing.setObjectName("profileMissing")
        form.addRow(self.profile_missing)
        for edit in self.profile_edits.values():
            edit.textChanged.connect(self._on_profile_edited)
        self._on_profile_edited()
        self.tabs.addTab(self.profile_tab, "&Report profile")

    def profile_values(self) -> ReportProfile:
        """The profile as the tab's fields say it."""
        e = {k: w.text().strip() for k, w in self.profile_edits.items()}

        def items(text: str) -> tuple[str, ...]:
            return tuple(part.strip() for part in text.split(";") if part.strip())

        processors = []
        for entry in items(e["processors"]):
            parts = [x.strip() for x in entry.split("|")] + ["", "", "", ""]
            processors.append(Processor(parts[0], parts[1], parts[2], parts[3].upper() in ("BA", "YES", "TRUE")))
        retention = []
        for entry in items(e["retention"]):
            parts = [x.strip() for x in entry.split("|")] + ["", ""]
            retention.append(RetentionRule(parts[0], parts[1], parts[2]))
        typed = ReportProfile(
            organisation=e["organisation"], controller=e["controller"], dpo_contact=e["dpo_contact"],
            officer_name=e["officer_name"], purposes=items(e["purposes"]), recipients=items(e["recipients"]),
            processors=tuple(processors), technical_measures=items(e["technical_measures"]),
            organisational_measures=items(e["organisational_measures"]),
            expert_determination=ExpertDetermination(e["ed_expert"], e["ed_date"], e["ed_method"]),
            retention=tuple(retention),
        )
        shown = getattr(self, "_profile_shown", None)
        if shown is None:
            return typed
        unchanged = {k for k, w in self.profile_edits.items() if w.text() == shown[k]}
        loaded = self._profile_loaded
        keep = {k: getattr(loaded, k) for k in unchanged if not k.startswith("ed_")}
        ed = typed.expert_determination
        ed = ExpertDetermination(
            loaded.expert_determination.expert if "ed_expert" in unchanged else ed.expert,
            loaded.expert_determination.date if "ed_date" in unchanged else ed.date,
            loaded.expert_determination.method if "ed_method" in unchanged else ed.method)
        return dataclasses.replace(typed, expert_determination=ed, **keep)

    def _on_profile_edited(self) -> None:
        missing = self.profile_values().missing()
        self.profile_missing.setText("Reports will name these as not recorded: " + ", ".join(missing) + "."
                                     if missing else "Every field reports read is filled.")

    # -- values ----------------------------------------------------------------------

    def values(self) -> dict[str, object]:
        roots: dict[str, str] = {}
        for r in range(self.roots_table.rowCount()):
            prefix = (self.roots_table.item(r, 0) or QTableWidgetItem()).text().strip()
            folder = (self.roots_table.item(r, 1) or QTableWidgetItem()).text().strip()
            if prefix and folder:
                roots[prefix] = folder
        severities = {fid: c.currentText() for fid, c in self.severity_combos.items()
                      if c.currentText() != DEFAULT_SEVERITIES[fid]}
        values: dict[str, object] = {
            "theme": self.theme_combo.currentData(),
            "restore_stores": self.restore_check.isChecked(),
            "governance_url": self.governance_edit.text().strip(),
            "key_path": self.key_edit.text().strip(),
            "policy_file": self.policy_edit.text().strip(),
            "ca_file": self.ca_edit.text().strip(),
            "artifact_roots": roots,
            "production_stages": _split(self.stages_edit.text()),
            "production_aliases": _split(self.aliases_edit.text()),
            "min_approvals": self.approvals_spin.value(),
            "retention_years": self.retention_spin.value(),
            "severities": severities,
            "report_profile": self.profile_path_edit.text().strip(),
        }
        if self._clear_recent:
            values["recent_stores"] = []
        return values

    def accept(self) -> None:
        values = self.values()
        if not values["production_stages"] and not values["production_aliases"]:
            self.error_label.setText("Name at least one production stage or alias (e.g. Production, champion).")
            self.tabs.setCurrentIndex(2)
            return
        problem = self._policy_problem(str(values["policy_file"]))
        if problem:
            self.error_label.setText(problem)
            self.tabs.setCurrentIndex(0)
            self.policy_edit.setFocus()
            return
        problem = self._ca_problem(str(values["ca_file"]))
        if problem:
            self.error_label.setText(problem)
            self.tabs.setCurrentIndex(0)
            self.ca_edit.setFocus()
            return
        self.settings.update(**{k: v for k, v in values.items() if k not in self._shown or v != self._shown[k]})
        try:
            profile = self.profile_values()
            path_changed = values["report_profile"] != self._profile_path_loaded
            if profile != self._profile_loaded or (path_changed and not self.settings.report_profile_path().exists()):
                save_profile(profile, self.settings.report_profile_path())
        except MlopsError as exc:
            self.error_label.setText(f"{exc.message} {exc.hint}".strip())
            self.tabs.setCurrentWidget(self.profile_tab)
            return
        super().accept()

    def _ca_problem(self, path: str) -> str:
        """Why a changed CA file cannot be used ("" when it reads, is unchanged or empty)."""
        if not path or path == self.settings.prefs.ca_file:
            return ""
        from mlops_desktop.core.errors import MlopsError
        from mlops_desktop.services.settings import VerificationSettings

        try:
            VerificationSettings(ca_file=path).ca_roots()
        except MlopsError as exc:
            return f"{exc.message}{' ' + exc.hint if exc.hint else ''} Choose another file or leave it empty."
        return ""

    def _policy_problem(self, path: str) -> str:
        """Why a changed policy file cannot be used ("" when it reads, is unchanged or empty)."""
        if not path or path == self.settings.prefs.policy_file:
            return ""
        from pathlib import Path

        from mlops_desktop.core.errors import MlopsError
        from mlops_desktop.governance.policy import load_policy

        try:
            load_policy(Path(path).expanduser())
        except MlopsError as exc:
            return f"{exc.message}{' ' + exc.hint if exc.hint else ''} Choose another file or leave it empty."
        return ""

    # -- handlers --------------------------------------------------------------------

    def _add_root_row(self, prefix: str, folder: str) -> None:
        r = self.roots_table.rowCount()
        self.roots_table.insertRow(r)
        self.roots_table.setItem(r, 0, QTableWidgetItem(prefix))
        self.roots_table.setItem(r, 1, QTableWidgetItem(folder))

    def _on_remove_root_clicked(self) -> None:
        for r in sorted({i.row() for i in self.roots_table.selectedIndexes()}, reverse=True):
            self.roots_table.removeRow(r)

    def follow_signing_key(self) -> None:
        """Show the signing key chosen elsewhere while the dialog is open (unless edited here)."""
        if self.key_edit.text().strip() == self._shown["key_path"]:
            self.key_edit.setText(self.settings.prefs.key_path)
            self._shown["key_path"] = self.settings.prefs.key_path

    def _on_key_edit_changed(self, text: str) -> None:
        """The chosen key's full fingerprint, read from its public key (or why it cannot be)."""
        from mlops_desktop.services.keys import fingerprint_of

        path = text.strip()
        if not path:
            self.key_fingerprint.setText("Signing dialogs start with the newest key of Edit > Signing keys.")
            return
        try:
            self.key_fingerprint.setText(f"Fingerprint: <code>{fingerprint_of(path)}</code>")
        except MlopsError as exc:
            self.key_fingerprint.setText(f"{exc.message}{' ' + exc.hint if exc.hint else ''}".replace("<", "&lt;"))

    def _on_key_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Signing key", self.key_edit.text(), "Key files (*);;All files (*)")
        if path:
            self.key_edit.setText(path)

    def _on_policy_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Promotion policy", self.policy_edit.text(),
                                              "Policy files (*.toml);;All files (*)")
        if path:
            self.policy_edit.setText(path)

    def _on_ca_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Organisation CA certificates", self.ca_edit.text(),
                                              "Certificates (*.pem *.crt);;All files (*)")
        if path:
            self.ca_edit.setText(path)

    def _on_clear_recent_clicked(self) -> None:
        self._clear_recent = True
        self.clear_recent_button.setText("Recent stores will be forgotten")
        self.clear_recent_button.setEnabled(False)

    def _on_defaults_clicked(self) -> None:
        for fid, combo in self.severity_combos.items():
            combo.setCurrentText(DEFAULT_SEVERITIES[fid])
