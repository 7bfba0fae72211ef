"""Preferences dialog, generated from every settings schema in ``context.settings``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from magscope_core import SettingInfo, SettingsError, apply_live, describe
from magscope_gui._context import PanelContext
from magscope_gui._theme import valid_color

__all__ = ["PreferencesDialog", "SettingEditor"]

_INT_LIMIT = 2_147_483_647
_TITLES = {"core": "MagScope", "gui": "Interface"}


class SettingEditor(QWidget):
    """The editor of one setting: a widget for its type, its limits, doc and errors."""

    def __init__(self, namespace: str, info: SettingInfo, value: Any) -> None:
        super().__init__()
        self.namespace, self.info, self.dirty = namespace, info, False
        self.input: QWidget
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        t = info.type_name
        if t == "bool":
            self.input = QCheckBox()
            self.input.toggled.connect(self._changed)
        elif info.choices is not None:
            combo = QComboBox()
            for choice in info.choices:
                combo.addItem(str(choice), choice)
            combo.currentIndexChanged.connect(self._changed)
            self.input = combo
        elif t in ("int", "float"):
            box: QSpinBox | QDoubleSpinBox
            if t == "int":
                box = QSpinBox()
                box.setRange(int(info.minimum if info.minimum is not None else -_INT_LIMIT),
                             int(info.maximum if info.maximum is not None else _INT_LIMIT))
            else:
                box = QDoubleSpinBox()
                box.setDecimals(6)
                box.setRange(info.minimum if info.minimum is not None else -1e12,
                             info.maximum if info.maximum is not None else 1e12)
                box.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
            if info.unit:
                box.setSuffix(f" {info.unit}")
            box.setKeyboardTracking(False)
            box.setMinimumWidth(110)  # not the width of the widest possible value
            box.valueChanged.connect(self._changed)
            self.input = box
        else:
            edit = QLineEdit()
            edit.textEdited.connect(self._changed)
            self.input = edit
        self.input.setObjectName(f"setting-{namespace}.{info.key}")
        self.input.setToolTip(f"{namespace}.{info.key}: {info.allowed}")
        row.addWidget(self.input, 1)
        if t == "path" or (t == "str" and info.key.endswith(("_color", "_colour"))):
            pick = QPushButton("…")
            pick.setFixedWidth(28)
            pick.setToolTip("Choose a folder" if t == "path" else "Choose a colour")
            pick.clicked.connect(self._pick)
            row.addWidget(pick)
        if info.startup_only:
            badge = QLabel("restart required")
            badge.setProperty("role", "badge")
            badge.setToolTip("Read once when MagScope starts: a change applies after a restart")
            row.addWidget(badge)
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addLayout(row)
        if info.doc:
            doc = QLabel(info.doc)
            doc.setWordWrap(True)
            doc.setProperty("role", "muted")
            layout.addWidget(doc)
        layout.addWidget(self.error)
        self.set_value(value)

    def set_value(self, value: Any) -> None:
        """Show ``value`` (not marked as changed)."""
        w = self.input
        with QSignalBlocker(w):
            if isinstance(w, QCheckBox):
                w.setChecked(bool(value))
            elif isinstance(w, QComboBox):
                index = w.findData(value)
                w.setCurrentIndex(max(index, 0))
            elif isinstance(w, QSpinBox):
                w.setValue(int(value))
            elif isinstance(w, QDoubleSpinBox):
                w.setValue(float(value))
            elif isinstance(w, QLineEdit):
                w.setText("" if value is None else str(value))
        self.dirty = False
        self.show_error("")

    def value(self) -> Any:
        """The value in the editor (text for strings and paths)."""
        w = self.input
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QSpinBox | QDoubleSpinBox):
            return w.value()
        assert isinstance(w, QLineEdit)
        return w.text()

    def set_text(self, text: str) -> None:
        """Type ``text`` into a text field (as a user would); marks it changed."""
        assert isinstance(self.input, QLineEdit)
        self.input.setText(text)
        self._changed()

    def show_error(self, message: str) -> None:
        """Show (or with ``""`` hide) a validation message under the field."""
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def check(self) -> str:
        """GUI-side checks the schema cannot express (colours); ``""`` when fine."""
        key = f"{self.namespace}.{self.info.key}"
        if self.info.key.endswith(("_color", "_colour")):
            value = str(self.value()).strip()
            if not valid_color(value):
                return (f"{key} = {value!r} rejected: not a colour. Allowed: '#rrggbb' or "
                        "a colour name such as 'orange'.")
        return ""

    def _changed(self, *_: Any) -> None:
        self.dirty = True

    def _pick(self) -> None:
        if self.info.type_name == "path":
            path = QFileDialog.getExistingDirectory(self, self.info.key, str(self.value()))
            if path:
                self.set_text(path)
            return
        colour = QColorDialog.getColor(QColor(str(self.value())), self, self.info.key)
        if colour.isValid():
            self.set_text(colour.name())


class PreferencesDialog(QDialog):
    """Every settings namespace on its own page, with per-field validation.

    Changes are applied to ``context.settings`` by Apply or Save (Save also writes the
    settings file). A rejected value keeps the stored one and shows the reason under
    its field. Start-up-only settings are marked "restart required".
    ``events.settings_changed`` is emitted for each namespace that changed.
    """

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setObjectName("preferences")
        self.resize(760, 560)
        self.context = context
        self.store = context.settings
        self.editors: dict[str, dict[str, SettingEditor]] = {}
        self.sections = QListWidget()
        self.sections.setFixedWidth(170)
        self.pages = QStackedWidget()
        for ns in self.store.namespaces:
            self._add_page(ns)
        self.sections.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.sections.setCurrentRow(0)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        # bound methods taking no argument (clicked's ``checked`` is not passed to them);
        # a lambda holding ``self`` connected to a child's signal can crash PySide6 6.11
        actions: list[tuple[str, Callable[[], object]] | None] = [
            ("Reset section", self._reset_current_section), ("Reset all", self.reset_all),
            ("Import…", self._ask_import), ("Export…", self._ask_export), None,
            ("Apply", self.apply), ("Save", self.save), ("Close", self.reject)]
        for entry in actions:
            if entry is None:
                buttons.addStretch(1)
                continue
            text, slot = entry
            b = QPushButton(text)
            b.setObjectName(f"prefs-{text.lower().rstrip('…').replace(' ', '-')}")
            b.clicked.connect(slot)
            buttons.addWidget(b)
        body = QHBoxLayout()
        body.addWidget(self.sections)
        body.addWidget(self.pages, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

    def _add_page(self, ns: str) -> None:
        contrib = self.context.plugins.settings.get(ns)
        owner = f" ({contrib.plugin})" if contrib is not None and contrib.plugin != "core" else ""
        self.sections.addItem(_TITLES.get(ns, ns) + owner)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        editors: dict[str, SettingEditor] = {}
        for info in describe(self.store.schema(ns)):
            editor = SettingEditor(ns, info, self.store.value(ns, info.key))
            editors[info.key] = editor
            label = QLabel(info.key.replace("_", " "))
            label.setToolTip(f"{ns}.{info.key}")
            form.addRow(label, editor)
        self.editors[ns] = editors
        page = QWidget()
        page.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(page)
        self.pages.addWidget(scroll)

    # ------------------------------------------------------------------ access
    def editor(self, namespace: str, key: str) -> SettingEditor:
        """The editor of ``namespace.key``."""
        return self.editors[namespace][key]

    def show_section(self, namespace: str) -> None:
        """Show the page of ``namespace``."""
        self.sections.setCurrentRow(list(self.editors).index(namespace))

    def current_namespace(self) -> str:
        """The namespace of the page shown."""
        return list(self.editors)[max(0, self.sections.currentRow())]

    # ------------------------------------------------------------------ actions
    def apply(self) -> bool:
        """Store every changed value; return True when none was rejected."""
        ok, notes = True, []
        changed: dict[str, list[str]] = {}
        for ns, editors in self.editors.items():
            for key, ed in editors.items():
                if not ed.dirty:
                    continue
                problem = ed.check()
                if problem:
                    ed.show_error(problem)
                    ok = False
                    continue
                try:
                    result = self.store.set(ns, key, ed.value(), running=True)
                except SettingsError as exc:
                    ed.show_error(str(exc))
                    ok = False
                    continue
                ed.set_value(result.new)
                if result.changed:
                    changed.setdefault(ns, []).append(key)
                    notes.append(result.message)
        for ns in sorted(changed):
            if self._changed(ns, changed[ns]):
                notes.append(f"{_TITLES.get(ns, ns)}: applied to the running session")
        if notes:
            self.context.notify("info", "; ".join(notes))
        self._say(("; ".join(notes) or "nothing changed") if ok else
                  "some values were rejected: see the messages under the fields", not ok)
        return ok

    def _values(self, namespace: str) -> dict[str, Any]:
        current = self.store.get(namespace)
        return {i.key: getattr(current, i.key) for i in describe(self.store.schema(namespace))}

    def _changed(self, namespace: str, keys: list[str] | None) -> bool:
        """Tell the panels, and apply the live settings to the session (True if any).

        Start-up-only settings are only stored: their editors carry the "restart
        required" badge and the store's message says so.
        """
        self.context.events.settings_changed.emit(namespace)
        try:
            return bool(apply_live(self.context, self.store, namespace, keys))
        except Exception as exc:  # a session that stopped, a refused command
            self.context.notify("error", f"{namespace}: could not apply the settings to "
                                f"the running session: {exc}")
            return False

    def save(self) -> bool:
        """Apply, then write the settings file; return success."""
        if not self.apply():
            return False
        if self.store.path is None:
            self._say("applied (this session has no settings file to save to)")
            return True
        try:
            result = self.store.save()
        except (OSError, SettingsError) as exc:
            self._say(f"could not save the settings: {exc}", True)
            self.context.notify("error", f"could not save the settings: {exc}")
            return False
        extra = f" (the unreadable old file was kept as {result.backup})" if result.backup else ""
        self._say(f"saved to {result.path}{extra}")
        return True

    def reset_section(self, namespace: str | None = None) -> None:
        """Return one namespace (default: the page shown) to its defaults."""
        ns = namespace or self.current_namespace()
        results = self.store.reset(ns, running=True)
        self._reload(ns)
        if results:
            self._changed(ns, [r.key for r in results if r.changed])
        self._say(f"{_TITLES.get(ns, ns)}: {len(results)} setting(s) back to defaults")

    def _reset_current_section(self) -> None:
        self.reset_section()

    def reset_all(self) -> None:
        """Return every namespace to its defaults."""
        n = 0
        for ns in self.editors:
            results = self.store.reset(ns, running=True)
            n += len(results)
            self._reload(ns)
            if results:
                self._changed(ns, [r.key for r in results if r.changed])
        self._say(f"{n} setting(s) back to defaults")

    def import_file(self, path: str | Path) -> list[str]:
        """Apply the settings of a file; return the problems (also shown)."""
        before = {ns: self._values(ns) for ns in self.editors}
        try:
            problems = [str(p) for p in self.store.import_(path, running=True)]
        except SettingsError as exc:
            problems = [str(exc)]
        for ns in self.editors:
            self._reload(ns)
            after = self._values(ns)
            keys = [k for k, v in after.items() if before[ns].get(k) != v]
            if keys:
                self._changed(ns, keys)
        self._say("imported " + str(path) + ("" if not problems else
                  ", with problems:\n" + "\n".join(problems)), bool(problems))
        return problems

    def export_file(self, path: str | Path) -> bool:
        """Write every current value (defaults included) to ``path``."""
        try:
            self.store.export(path)
        except (OSError, SettingsError) as exc:
            self._say(f"could not export to {path}: {exc}", True)
            return False
        self._say(f"exported to {path}")
        return True

    def _ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import settings", "", "TOML (*.toml)")
        if path:
            self.import_file(path)

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export settings", "magscope-settings.toml",
                                              "TOML (*.toml)")
        if path:
            self.export_file(path)

    def _reload(self, ns: str) -> None:
        for key, ed in self.editors[ns].items():
            ed.set_value(self.store.value(ns, key))

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("role", "error" if error else "muted")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
