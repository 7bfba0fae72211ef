"""Which settings apply live (and through which command) and which need a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from magscope_core import (
    CoreSettings,
    SetAcquisitionMode,
    SetDefaultRoiSize,
    SetOutputFolder,
    SettingsStore,
    SetTrackerOptions,
    apply_live,
    describe,
)
from magscope_core._live_settings import live_commands


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[object] = []

    def send(self, command: object) -> None:
        self.sent.append(command)


def test_every_live_core_setting_has_a_command() -> None:
    """A core setting not marked start-up only must be applied by a command."""
    defaults = {i.key: i.default for i in describe(CoreSettings)}
    for info in describe(CoreSettings):
        if not info.startup_only:
            assert live_commands("core", {info.key: defaults[info.key]}), info.key


def test_core_commands_follow_only_the_keys_that_changed(tmp_path: Path) -> None:
    store = SettingsStore({"core": CoreSettings}, tmp_path / "s.toml")
    hub = _Recorder()
    store.set("core", "roi_size", 48, running=True)
    assert apply_live(hub, store, "core", ["roi_size"]) == [SetDefaultRoiSize(48)]
    assert hub.sent == [SetDefaultRoiSize(48)]
    store.set("core", "output_dir", str(tmp_path / "rec"), running=True)
    store.set("core", "acquisition_mode", "video-rois", running=True)
    sent = apply_live(hub, store, "core", ["output_dir", "acquisition_mode"])
    assert sent == [SetAcquisitionMode("video-rois"), SetOutputFolder(str(tmp_path / "rec"))]
    # start-up-only keys give no command (the store flags them instead)
    assert store.set("core", "n_stacks", 20, running=True).restart_required
    assert apply_live(hub, store, "core", ["n_stacks"]) == []


def test_tracker_options_go_whole_and_writers_are_startup_only(tmp_path: Path) -> None:
    tracker = pytest.importorskip("magscope_tracker.plugin")
    writers = pytest.importorskip("magscope_writers._settings")
    schemas = {"tracker.cpu": tracker.TrackerSettings,
               "writer.hdf5": writers.Hdf5WriterSettings,
               "writer.tiff": writers.TiffWriterSettings,
               "writer.telemetry": writers.TelemetryWriterSettings}
    store = SettingsStore(schemas, tmp_path / "s.toml")
    assert not store.set("tracker.cpu", "min_quality", 0.7, running=True).restart_required
    (cmd,) = apply_live(_Recorder(), store, "tracker.cpu", ["min_quality"])
    assert isinstance(cmd, SetTrackerOptions) and cmd.tracker == "cpu"
    assert cmd.options == {"mode": "precise", "n_xy_iterations": 3, "z_fit": "interpolate",
                           "min_quality": 0.7}
    for ns in ("writer.hdf5", "writer.tiff", "writer.telemetry"):
        for info in describe(store.schema(ns)):
            assert info.startup_only, f"{ns}.{info.key}"
        assert apply_live(_Recorder(), store, ns) == []
    assert store.set("writer.tiff", "frames_per_file", 10, running=True).restart_required
