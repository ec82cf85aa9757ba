"""The selected registered model's own facts on the Models page: description, tags, aliases."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from mlops_desktop.core.entities import RegisteredModel
from mlops_desktop.ui.catalog.elided_tips import install_elided_tooltips
from mlops_desktop.ui.common.widgets import make_table
from mlops_desktop.ui.models.base import format_time
from mlops_desktop.ui.models.catalog import KeyValueModel


class ModelInfoWidget(QWidget):
    """Fill with :meth:`set_model`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ModelInfoWidget")
        self.setAccessibleName("Registered model details")
        self.facts = QLabel()
        self.facts.setObjectName("modelFacts")
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.description = QLabel()
        self.description.setObjectName("modelDescription")
        self.description.setTextFormat(Qt.TextFormat.PlainText)
        self.description.setWordWrap(True)
        self.description.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tags_model = KeyValueModel("Tag", "Value", self)
        self.tags_view = make_table(self.tags_model)
        self.tags_view.setObjectName("modelTags")
        self.tags_view.setAccessibleName("Model tags")
        install_elided_tooltips(self.tags_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.facts)
        layout.addWidget(QLabel("<b>Description</b>"))
        layout.addWidget(self.description)
        layout.addWidget(QLabel("<b>Model tags</b>"))
        layout.addWidget(self.tags_view, 1)
        self.set_model(None)

    def set_model(self, model: RegisteredModel | None) -> None:
        if model is None:
            self.facts.setText("<i>Select a model to see its description and tags.</i>")
            self.description.setText("")
            self.tags_model.set_rows([])
            return
        aliases = ", ".join(f"@{html.escape(a)} → v{html.escape(v)}" for a, v in sorted(model.aliases.items()))
        rows = [f"<b>{html.escape(model.name)}</b>"]
        if model.created_at:
            rows.append(f"created {format_time(model.created_at)} UTC")
        if model.updated_at:
            rows.append(f"last updated {format_time(model.updated_at)} UTC")
        self.facts.setText(" · ".join(rows) + (f"<br>Aliases: {aliases}" if aliases else ""))
        self.description.setText(model.description or "No description recorded in the registry.")
        self.tags_model.set_mapping(dict(model.tags))
        self.tags_view.resizeColumnToContents(0)
