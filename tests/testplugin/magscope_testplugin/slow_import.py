"""A manager whose module takes a while to import (``MAGSCOPE_TEST_IMPORT_DELAY`` s).

Stands for a plugin importing a heavy SDK on a loaded machine: slow, but not hung.
"""

from __future__ import annotations

import os
import time

from magscope_core import ManagerProcess

time.sleep(float(os.environ.get("MAGSCOPE_TEST_IMPORT_DELAY", "0")))


class SlowImportManager(ManagerProcess):
    """Does nothing; its import is what is slow."""
