"""Real sessions for tests: a hub running managers in spawned processes.

:class:`HubFactory` starts hubs and stops every one of them when the test (or the
fixture scope) ends, also when the test fails. :func:`camera_entries` gives the two
managers a session needs to move frames: a camera manager and the pipeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from magscope_core._camera_manager import CameraManager
from magscope_core._commands import CommandSpec
from magscope_core._hub import Hub, HubConfig
from magscope_core._hub_child import ManagerEntry
from magscope_core._pipeline import PipelineManager
from magscope_core._specs import CameraSpec, ManagerSpec
from magscope_core.testing._pattern_camera import PatternCamera

__all__ = ["HubFactory", "camera_entries", "pattern_camera_spec", "start_hub"]

SMALL_HUB = HubConfig(n_stacks=6, stack_size=5, tracks_capacity=20_000, max_beads=64,
                      profile_length=256)
"""A hub sized for tests: small rings, little shared memory."""


def pattern_camera_spec(**options: Any) -> CameraSpec:
    """The kit's :class:`~magscope_core.testing.PatternCamera` as a camera spec.

    Parameters
    ----------
    **options
        Camera options (``width``, ``height``, ``fps``, ``n_beads``, ...).
    """
    return CameraSpec(name="pattern", factory=PatternCamera,
                      options={"width": 256, "height": 256, "fps": 50.0, **options},
                      description="the test kit's synthetic bead camera")


def camera_entries(camera: CameraSpec | None = None, *, plugin: str = "under-test",
                   distribution: str = "under-test",
                   pipeline: bool = True) -> list[ManagerEntry]:
    """A camera manager for ``camera`` (default: the pattern camera) and the pipeline.

    Parameters
    ----------
    camera
        The camera spec; its ``manager`` (or the standard camera manager) runs it.
    plugin, distribution
        Names used in the hub's error reports.
    pipeline
        Also run the pipeline manager (no tracker, no writers).
    """
    cam = camera or pattern_camera_spec()
    manager = cam.manager or CameraManager
    entries = [ManagerEntry(ManagerSpec("camera", manager, options={
        "camera_factory": cam.factory, "camera_options": dict(cam.options)}),
        plugin, distribution, kind="camera")]
    if pipeline:
        entries.append(ManagerEntry(ManagerSpec("pipeline", PipelineManager)))
    return entries


@contextmanager
def start_hub(managers: Sequence[ManagerEntry],
              commands: Iterable[tuple[CommandSpec, str, str]] = (),
              config: HubConfig | None = None) -> Iterator[Hub]:
    """Start a hub with these managers (each its own spawned process); stop it on exit.

    Raises
    ------
    AssertionError
        If a manager failed to start (naming it and its error).
    """
    hub = Hub(managers, commands, config or SMALL_HUB)
    try:
        hub.start()
        if hub.config_errors:
            raise AssertionError("session did not start: "
                                 + "; ".join(str(e.error) for e in hub.config_errors))
        yield hub
    finally:
        hub.stop()


class HubFactory:
    """Starts hubs for a test and stops them all at the end (the ``magscope_hub`` fixture).

    Examples
    --------
    ::

        def test_focus_in_a_session(magscope_hub):
            hub = magscope_hub.start([ManagerEntry(ManagerSpec("focus", MyFocus))])
            assert hub.call(GetFocus())["moving"] is False
    """

    def __init__(self, tmp_path: Path | None = None) -> None:
        self._stack: list[Any] = []
        self.tmp_path = tmp_path

    def start(self, managers: Sequence[ManagerEntry],
              commands: Iterable[tuple[CommandSpec, str, str]] = (),
              config: HubConfig | None = None) -> Hub:
        """Start a hub (see :func:`start_hub`); it is stopped by :meth:`close`."""
        cm = start_hub(managers, commands, config)
        hub = cm.__enter__()
        self._stack.append(cm)
        return hub

    def camera(self, camera: CameraSpec | None = None, *,
               extra: Sequence[ManagerEntry] = (),
               commands: Iterable[tuple[CommandSpec, str, str]] = ()) -> Hub:
        """A session of a camera (default: the pattern camera), the pipeline and ``extra``."""
        return self.start([*camera_entries(camera), *extra], commands)

    def plan(self, **plan_kwargs: Any) -> Hub:
        """A session planned like ``magscope run`` from the installed plugins.

        Keyword arguments go to :func:`~magscope_core.plan_session` (``camera``,
        ``camera_options``, ``tracker``, ``n_workers``, ``saving``, ...); ``out_dir``
        defaults to a temporary folder.
        """
        from magscope_core._app import plan_session
        from magscope_core._core_plugin import CorePlugin
        from magscope_core._plugins import load_plugins

        plugins = load_plugins(builtins=[(CorePlugin(), "core", "magscope-core")])
        if "out_dir" not in plan_kwargs and self.tmp_path is not None:
            plan_kwargs["out_dir"] = self.tmp_path / "session-out"
        plan_kwargs.setdefault("saving", False)
        plan_kwargs.setdefault("n_workers", 1)
        plan = plan_session(plugins, **plan_kwargs)
        return self.start(plan.managers, plan.commands, plan.config)

    def close(self) -> None:
        """Stop every hub started here (newest first)."""
        while self._stack:
            self._stack.pop().__exit__(None, None, None)
