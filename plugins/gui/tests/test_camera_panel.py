"""Camera Settings panel against the simulated camera in its own process."""

from __future__ import annotations

import pytest
from magscope_gui import PanelContext
from magscope_gui._camera_panel import CameraPanel
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QLineEdit, QSpinBox

from magscope_core import GetCameraSettings, Hub, SetCameraSetting

pytestmark = pytest.mark.integration


@pytest.fixture
def panel(qtbot, context: PanelContext, sim_hub: Hub):
    before = sim_hub.call(GetCameraSettings())
    p = CameraPanel(context)
    qtbot.addWidget(p)
    p.show()
    yield p
    for name in ("exposure_ms", "gain"):  # leave the shared camera as it was
        if name in before:
            sim_hub.call(SetCameraSetting(name=name, value=before[name]))


def test_fields_match_the_camera_settings(panel: CameraPanel, sim_hub: Hub) -> None:
    settings = sim_hub.call(GetCameraSettings())
    assert set(panel.fields) == set(settings)
    for name, value in settings.items():
        editor = panel.fields[name].editor
        if isinstance(value, bool):
            assert isinstance(editor, QCheckBox) and editor.isChecked() == value
        elif isinstance(value, int):
            assert isinstance(editor, QSpinBox) and editor.value() == value
        elif isinstance(value, float):
            assert isinstance(editor, QDoubleSpinBox)
            assert editor.value() == pytest.approx(value, abs=1e-4)
        elif isinstance(value, str):
            assert isinstance(editor, QLineEdit) and editor.text() == value
    assert panel.stamp.text().startswith("read ")


def test_editing_a_field_changes_the_camera(qtbot, panel: CameraPanel, sim_hub: Hub) -> None:
    box = panel.fields["exposure_ms"].editor
    assert isinstance(box, QDoubleSpinBox)
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "4.5")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: sim_hub.call(GetCameraSettings())["exposure_ms"] == 4.5,
                    timeout=20000)
    assert panel.values["exposure_ms"] == 4.5
    assert not panel.fields["exposure_ms"].error.isVisible()


def test_a_refused_value_is_shown_at_its_field(qtbot, panel: CameraPanel, sim_hub: Hub,
                                              context: PanelContext) -> None:
    notes: list[str] = []
    context.events.notify.connect(lambda level, msg: notes.append(msg))
    width = sim_hub.call(GetCameraSettings())["width"]
    assert not panel.apply("width", width + 64)  # geometry is fixed while connected
    field = panel.fields["width"]
    assert field.error.isVisible() and "while connected" in field.error.text()
    assert field.value() == width  # back to the camera's value
    assert notes and "width" in notes[-1]
    too_long = 1000.0 / sim_hub.call(GetCameraSettings())["fps"] + 50
    assert not panel.apply("exposure_ms", too_long)
    assert "exposure_ms" in panel.fields["exposure_ms"].error.text()
    assert panel.apply("exposure_ms", 3.0)  # a good value clears the message
    assert not panel.fields["exposure_ms"].error.isVisible()


def test_refresh_picks_up_changes_made_elsewhere(panel: CameraPanel, sim_hub: Hub) -> None:
    sim_hub.call(SetCameraSetting(name="exposure_ms", value=2.25))
    assert panel.fields["exposure_ms"].value() != 2.25
    assert panel.refresh()
    assert panel.fields["exposure_ms"].value() == pytest.approx(2.25)


def test_fields_use_the_limits_the_camera_declares(panel: CameraPanel) -> None:
    from magscope_sim import SETTINGS

    assert set(panel.schema) >= set(SETTINGS)  # found from the session's camera plugin
    fps = panel.fields["fps"].editor
    assert isinstance(fps, QDoubleSpinBox)
    assert (fps.minimum(), fps.maximum()) == (SETTINGS["fps"].minimum, SETTINGS["fps"].maximum)
    assert fps.suffix() == " Hz" and "Frame rate" in fps.toolTip()
    bits = panel.fields["bits"].editor
    assert isinstance(bits, QSpinBox) and (bits.minimum(), bits.maximum()) == (8, 16)
    seed = panel.fields["seed"].editor  # 0 .. 2**63-1, clipped to what a spin box holds
    assert isinstance(seed, QSpinBox) and (seed.minimum(), seed.maximum()) == (0, 2**31 - 1)
    exposure = panel.fields["exposure_ms"].editor
    assert isinstance(exposure, QDoubleSpinBox) and exposure.minimum() == 0.001
    assert exposure.suffix() == " ms"
