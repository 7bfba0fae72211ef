"""The radial profile monitor on a real simulated session (profiles published by the pipeline)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from magscope_gui import PanelContext
from magscope_gui._profile_panel import ProfilePanel, load_zlut_matrix, nearest_plane

from magscope_core import GetBeads, GetZLut, Hub, LoadZLut, UnloadZLut
from magscope_core.testing import wait_ticking

pytestmark = pytest.mark.integration


@pytest.fixture
def panel(qtbot, context: PanelContext) -> ProfilePanel:
    p = ProfilePanel(context)
    qtbot.addWidget(p)
    p.resize(500, 300)
    yield p
    p.close_panel()


def _ids(hub: Hub) -> list[int]:
    return sorted(int(b[0]) for b in hub.call(GetBeads()))


def _write_lut(path: Path, z: np.ndarray, profiles: np.ndarray) -> None:
    """Reference layout: row 0 z, rows 1.. bins, one column per plane."""
    np.savetxt(path, np.vstack([z[None, :], profiles.T]), header="test Z-LUT")


def test_publishes_and_shows_the_selected_bead(qtbot, panel: ProfilePanel,
                                               context: PanelContext, sim_hub: Hub) -> None:
    counters = context.resources.counters()
    bead, other = _ids(sim_hub)[:2]
    context.selected_bead = bead
    assert counters.get("live_profile_enabled") == 0  # hidden: nothing asked
    panel.show()
    qtbot.waitExposed(panel)
    assert counters.get("live_profile_enabled") == 1
    assert counters.get("live_profile_bead") == bead
    wait_ticking(qtbot, context, lambda: panel.samples is not None, timeout=10000)
    read = context.resources.profile().read()
    assert read.bead_id == bead
    assert panel.samples.size >= 4 and np.all(np.isfinite(panel.samples))
    x, y = panel.curve.getOriginalDataset()
    np.testing.assert_array_equal(x, np.arange(panel.samples.size))
    np.testing.assert_array_equal(y, panel.samples)
    assert panel.info.text().startswith(f"bead {bead}: {panel.samples.size} bins")

    context.selected_bead = other  # the pipeline follows the selection
    assert counters.get("live_profile_bead") == other
    assert panel.samples is None
    wait_ticking(qtbot, context, lambda: panel.samples is not None, timeout=10000)
    assert context.resources.profile().read().bead_id == other

    panel.hide()
    assert counters.get("live_profile_enabled") == 0


def test_nearest_zlut_plane(qtbot, panel: ProfilePanel, context: PanelContext, sim_hub: Hub,
                            tmp_path: Path) -> None:
    context.selected_bead = _ids(sim_hub)[0]
    panel.show()
    wait_ticking(qtbot, context, lambda: panel.samples is not None, timeout=10000)
    p = panel.samples.copy()
    z = np.array([-300.0, -100.0, 100.0, 300.0])
    lut = tmp_path / "lut.txt"
    _write_lut(lut, z, np.stack([0.5 * p, 0.9 * p + 1e-3, 1.6 * p, 2.5 * p]))
    assert sim_hub.call(GetZLut()) is None
    try:  # loaded in the pipeline: the panel finds it through GetZLut
        sim_hub.call(LoadZLut(path=str(lut)), timeout=10.0)
        panel.check_zlut()
        assert panel.zlut_path == str(lut)
        wait_ticking(qtbot, context, lambda: panel.lut_plane is not None, timeout=10000)
        assert panel.lut_plane == nearest_plane(panel.zlut[1], panel.samples)
        assert "nearest Z-LUT plane z = " in panel.info.text()
        _, y = panel.lut_curve.getOriginalDataset()
        np.testing.assert_allclose(y, panel.zlut[1][panel.lut_plane])
        panel.show_lut.setChecked(False)
        assert panel.lut_curve.getOriginalDataset()[0] is None or \
            len(panel.lut_curve.getOriginalDataset()[0]) == 0
    finally:
        sim_hub.call(UnloadZLut())
    panel.check_zlut()
    assert panel.zlut is None and "no Z-LUT loaded" in panel.info.text()


def test_zlut_helpers(tmp_path: Path) -> None:
    z = np.array([-1.0, 0.0, 1.0])
    prof = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    path = tmp_path / "lut.txt"
    _write_lut(path, z, prof)
    z2, prof2 = load_zlut_matrix(str(path))
    np.testing.assert_array_equal(z2, z)
    np.testing.assert_array_equal(prof2, prof)
    assert nearest_plane(prof2, np.array([3.2, 3.9])) == 1
    (tmp_path / "bad.txt").write_text("1 2 3\nx y z\n")
    with pytest.raises(ValueError, match=r"bad\.txt"):
        load_zlut_matrix(str(tmp_path / "bad.txt"))
    with pytest.raises(ValueError, match="z row"):
        (tmp_path / "one.txt").write_text("1 2 3\n")
        load_zlut_matrix(str(tmp_path / "one.txt"))


def test_unreadable_zlut_is_reported(qtbot, panel: ProfilePanel, context: PanelContext,
                                     tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []
    context.events.notify.connect(lambda level, msg: seen.append((level, msg)))
    panel.set_zlut_file(str(tmp_path / "missing.txt"))
    assert panel.zlut is None and seen and seen[0][0] == "warning"
    assert "missing.txt" in seen[0][1]
    assert panel.save_state() == {"show_lut": True}
    panel.restore_state({"show_lut": False})
    assert not panel.show_lut.isChecked()
