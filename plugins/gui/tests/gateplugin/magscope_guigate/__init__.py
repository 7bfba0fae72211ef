"""A test plugin for ``magscope run`` with the GUI: the gate manager of the GUI tests.

Put on ``PYTHONPATH`` (with ``plugins/gui/tests``, where the manager lives) by the tests
that run the real command; never installed. ``$MAGSCOPE_GUIGATE_FILE`` is the gate file
(empty: open), ``$MAGSCOPE_GUIGATE_FAIL`` the reason its setup fails with (empty: none).
"""

from __future__ import annotations

import os

from magscope_gui_startup_support import gate_entry

from magscope_core import ManagerSpec, hookimpl


@hookimpl
def magscope_managers() -> list[ManagerSpec]:
    gate = os.environ.get("MAGSCOPE_GUIGATE_FILE", "")
    entry = gate_entry(None, os.environ.get("MAGSCOPE_GUIGATE_FAIL", ""))
    return [ManagerSpec(entry.spec.name, entry.spec.factory,
                        options={**entry.spec.options, "gate": gate},
                        restart=entry.spec.restart, description=entry.spec.description)]
