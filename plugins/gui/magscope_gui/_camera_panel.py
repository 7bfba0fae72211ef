"""Camera Settings panel: one field per camera setting, applied with SetCameraSetting.

When the camera plugin declares its settings (``CameraSpec.settings``, a schema of
``setting()`` fields), each field takes its range, unit and documentation from there;
otherwise the field only knows the value's type.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from magscope_core import GetCameraSettings, SetCameraSetting, SettingInfo, describe
from magscope_gui._context import PanelContext

__all__ = ["CameraPanel", "camera_schema"]

_INT_LIMIT = 2_147_483_647
_FLOAT_LIMIT = 1e12


def camera_schema(context: PanelContext) -> dict[str, SettingInfo]:
    """The declared settings of the session's camera, by name ({} when it declares none).

    The camera is the one of the plugin running the ``camera`` manager whose schema
    declares settings.
    """
    try:
        plugin = context.hub.status()["managers"]["camera"]["plugin"]
    except Exception:
        return {}
    for contrib in context.plugins.cameras.values():
        if contrib.plugin == plugin and contrib.spec.settings is not None:
            return {info.key: info for info in describe(contrib.spec.settings)}
    return {}


def _limits(info: SettingInfo | None, limit: float) -> tuple[float, float]:
    lo = -limit if info is None or info.minimum is None else max(-limit, info.minimum)
    hi = limit if info is None or info.maximum is None else min(limit, info.maximum)
    return lo, hi


class _Field:
    """The editor, type and error label of one setting."""

    def __init__(self, name: str, value: Any, info: SettingInfo | None = None) -> None:
        self.name = name
        self.info = info
        self.row = 0
        self.kind = type(value).__name__ if isinstance(value, bool | int | float | str) else ""
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.editor: QWidget
        if isinstance(value, bool):
            self.editor = QCheckBox()
        elif isinstance(value, int):
            box = QSpinBox()
            lo, hi = _limits(info, _INT_LIMIT)
            box.setRange(int(lo), int(hi))
            self.editor = box
        elif isinstance(value, float):
            dbox = QDoubleSpinBox()
            dbox.setDecimals(4)
            dbox.setRange(*_limits(info, _FLOAT_LIMIT))
            dbox.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
            self.editor = dbox
        elif isinstance(value, str):
            self.editor = QLineEdit()
        else:
            self.editor = QLabel()
        self.editor.setObjectName(f"camera-{name}")
        if isinstance(self.editor, QAbstractSpinBox):
            self.editor.setKeyboardTracking(False)
            self.editor.setMinimumWidth(90)  # not the width of the widest possible value
            if info is not None and info.unit and isinstance(self.editor,
                                                              QSpinBox | QDoubleSpinBox):
                self.editor.setSuffix(f" {info.unit}")
        if info is not None:
            tip = f"{name}: {info.doc} Allowed: {info.allowed}." if info.doc else info.allowed
            self.editor.setToolTip(tip)
        self.set(value)

    def set(self, value: Any) -> None:
        """Show ``value`` without emitting change signals."""
        e = self.editor
        with QSignalBlocker(e):
            if isinstance(e, QCheckBox):
                e.setChecked(bool(value))
            elif isinstance(e, QSpinBox) and isinstance(value, int | float):
                e.setValue(int(value))
            elif isinstance(e, QDoubleSpinBox) and isinstance(value, int | float):
                e.setValue(float(value))
            elif isinstance(e, QLineEdit):
                if not e.hasFocus():
                    e.setText(str(value))
            elif isinstance(e, QLabel):
                e.setText(repr(value))

    def value(self) -> Any:
        """The value in the editor."""
        e = self.editor
        if isinstance(e, QCheckBox):
            return e.isChecked()
        if isinstance(e, QSpinBox | QDoubleSpinBox):
            return e.value()
        if isinstance(e, QLineEdit):
            return e.text()
        return None

    def show_error(self, message: str) -> None:
        """Show (or with ``""`` hide) an error under the field."""
        self.error.setText(message)
        self.error.setVisible(bool(message))


class CameraPanel(QWidget):
    """The camera's settings, built from ``GetCameraSettings``.

    Each setting gets a field for its value type (check box, spin box, text); a
    change is applied at once with ``SetCameraSetting`` and every field is then
    updated from the camera's answer (one setting may change others). A rejected
    value is shown under its field and the field goes back to the camera's value.
    """

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context
        self.fields: dict[str, _Field] = {}
        self.values: dict[str, Any] = {}
        self.schema = camera_schema(context)
        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(1, 1)
        self.stamp = QLabel("never read")
        self.stamp.setProperty("role", "muted")
        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.hide()
        refresh = QPushButton("Refresh")
        refresh.setToolTip("Read the settings from the camera again")
        refresh.clicked.connect(self.refresh)
        bar = QHBoxLayout()
        bar.addWidget(self.stamp, 1)
        bar.addWidget(refresh)
        layout = QVBoxLayout(self)
        layout.addLayout(self.grid)
        layout.addWidget(self.message)
        layout.addLayout(bar)
        self.refresh()

    def refresh(self) -> bool:
        """Read every setting from the camera; return success."""
        try:
            values = self.context.hub.call(GetCameraSettings(), timeout=2.0)
        except Exception as exc:
            self.message.setText(f"cannot read the camera settings: {exc}")
            self.message.show()
            return False
        self.message.hide()
        self._show(dict(values))
        return True

    def apply(self, name: str, value: Any) -> bool:
        """Set camera setting ``name`` to ``value``; return whether the camera took it."""
        field = self.fields.get(name)
        try:
            values = self.context.hub.call(SetCameraSetting(name=name, value=value),
                                           timeout=3.0)
        except Exception as exc:
            text = str(exc)
            if field is not None:
                field.show_error(text)
                field.set(self.values.get(name))
            self.context.notify("warning", f"camera setting {name} = {value!r} refused: {text}")
            return False
        if field is not None:
            field.show_error("")
        self._show(dict(values))
        return True

    def _show(self, values: dict[str, Any]) -> None:
        self.values = values
        for name, value in sorted(values.items()):
            field = self.fields.get(name)
            if field is None or (field.kind and type(value).__name__ != field.kind):
                field = self._add_field(name, value)
            field.set(value)
        self.stamp.setText(f"read {time.strftime('%H:%M:%S')}")

    def _add_field(self, name: str, value: Any) -> _Field:
        old = self.fields.pop(name, None)
        if old is not None:
            r = old.row
            for w in (old.editor, old.error):
                self.grid.removeWidget(w)
                w.deleteLater()
        else:
            r = self.grid.rowCount()
            label = QLabel(name.replace("_", " "))
            label.setToolTip(name)
            self.grid.addWidget(label, r, 0, Qt.AlignmentFlag.AlignVCenter)
        field = _Field(name, value, self.schema.get(name))
        field.row = r
        self.fields[name] = field
        self.grid.addWidget(field.editor, r, 1)
        self.grid.addWidget(field.error, r + 1, 0, 1, 2)
        # bound slots find the setting from the sender: a lambda or partial holding
        # ``self`` connected to a child's signal can crash PySide6 6.11 when the panel
        # is deleted ("shared QObject was deleted directly")
        e = field.editor
        e.setProperty("setting", name)
        if isinstance(e, QCheckBox):
            e.toggled.connect(self._toggled)
        elif isinstance(e, QSpinBox | QDoubleSpinBox | QLineEdit):
            e.editingFinished.connect(self._editing_finished)
        return field

    def _sender_field(self) -> _Field | None:
        sender = self.sender()
        name = sender.property("setting") if sender is not None else None
        field = self.fields.get(str(name)) if name is not None else None
        return field if field is not None and field.editor is sender else None

    def _toggled(self, on: bool) -> None:
        field = self._sender_field()
        if field is not None:
            self.apply(field.name, bool(on))

    def _editing_finished(self) -> None:
        field = self._sender_field()
        if field is not None:
            self._edited(field.name, field)

    def _edited(self, name: str, field: _Field) -> None:
        value = field.value()
        if value != self.values.get(name):
            self.apply(name, value)
