"""Every panel of the GUI plugin passes the kit's panel contract (dogfood).

The build test runs on the shared simulated session (``sim_hub``); the stop test starts
a session of its own (the kit's pattern camera and the pipeline) and stops it under the
panels.
"""

from __future__ import annotations

import pytest
from magscope_gui import plugin

from magscope_core import Hub, PanelSpec
from magscope_core.testing import PanelContract


class TestGuiPanels(PanelContract):
    @pytest.fixture
    def panel_specs(self) -> list[PanelSpec]:
        return plugin.magscope_panels()

    @pytest.fixture(scope="class")
    @classmethod
    def panel_hub(cls, sim_hub: Hub) -> Hub:
        return sim_hub
