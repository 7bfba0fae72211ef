"""Settings edited while a session runs: what applies live, and the commands that do it.

A setting is either *live* (a running session takes the new value now, through a
command) or *start-up only* (``startup_only=True`` in its schema: the store then reports
"restart required", and Preferences and ``magscope settings`` mark it). Live today:

========================  ==============================================================
setting                   applied by
========================  ==============================================================
``core.roi_size``         :class:`~magscope_core._beads.SetDefaultRoiSize` (hub): the size
                          of new bead ROIs; existing ROIs keep theirs
``core.acquisition_mode`` :class:`~magscope_core.SetAcquisitionMode` (pipeline)
``core.output_dir``       :class:`~magscope_core.SetOutputFolder` (pipeline): the files
                          close and new ones start in the new folder
``tracker.<name>.*``      :class:`SetTrackerOptions` (pipeline): the tracker is rebuilt
                          with the new options in the pipeline (checked) and in every
                          tracker worker, between two stacks
``gui.*``                 the GUI itself (its panels listen to ``settings_changed``)
========================  ==============================================================

Writer options (``writer.*``) are read when the writers open their files and are
start-up only; so are the buffer sizes and timings of ``core``.
:func:`apply_live` sends the commands for one namespace; the GUI's Preferences call it
after storing the values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import attrs

from magscope_core._acquisition import SetAcquisitionMode, SetOutputFolder
from magscope_core._beads import SetDefaultRoiSize
from magscope_core._commands import Command, CommandSpec, Route

__all__ = [
    "LIVE_COMMANDS",
    "SetTrackerOptions",
    "apply_live",
    "live_commands",
]

TRACKER_PREFIX = "tracker."


@attrs.frozen
class SetTrackerOptions(Command):
    """Rebuild tracker ``tracker``'s objects with ``options`` (merged over the current).

    Ignored (returns False) when the session runs another tracker; an option the
    tracker rejects is an error and nothing changes.
    """

    tracker: str
    options: dict[str, bool | int | float | str]


LIVE_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(SetTrackerOptions, Route.DIRECT, True,
                "apply tracker options now (pipeline and every tracker worker)"),
)


class _Sender(Protocol):
    def send(self, command: Command) -> object: ...


def live_commands(namespace: str, values: dict[str, Any]) -> list[Command]:
    """Commands that apply ``values`` (changed settings of a namespace) to a session.

    Parameters
    ----------
    namespace
        ``core``, ``tracker.<name>``, ... (other namespaces give no command).
    values
        The changed settings of ``core`` (only those are applied: a new output folder
        starts new files); for a tracker, all its options.
    """
    if namespace == "core":
        out: list[Command] = []
        if "roi_size" in values:
            out.append(SetDefaultRoiSize(int(values["roi_size"])))
        if "acquisition_mode" in values:
            out.append(SetAcquisitionMode(str(values["acquisition_mode"])))
        if "output_dir" in values:
            from magscope_core._settings import default_output_dir

            folder = str(values["output_dir"] or default_output_dir())
            out.append(SetOutputFolder(path=folder))
        return out
    if namespace.startswith(TRACKER_PREFIX):
        return [SetTrackerOptions(namespace[len(TRACKER_PREFIX):], dict(values))]
    return []


def apply_live(hub: _Sender, store: Any, namespace: str,
               keys: Iterable[str] | None = None) -> list[Command]:
    """Send the commands applying ``namespace``'s stored values; return them.

    ``store`` is a :class:`~magscope_core.SettingsStore`; ``keys`` the settings that
    changed (None: all). Start-up-only settings are left out (the store already reports
    them as "restart required"); a tracker always gets all its live options.
    """
    from magscope_core._settings import describe

    current = store.get(namespace)
    wanted = None if keys is None or namespace.startswith(TRACKER_PREFIX) else set(keys)
    live = {i.key: getattr(current, i.key) for i in describe(store.schema(namespace))
            if not i.startup_only and (wanted is None or i.key in wanted)}
    commands = live_commands(namespace, live)
    for command in commands:
        hub.send(command)
    return commands
