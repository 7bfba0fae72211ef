"""The python-microscope plugin's tests: helpers in ``microscope_testkit.py`` beside this file.

Its folder is appended to ``sys.path`` so the test modules (and spawned processes) can
import it by name.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.append(_HERE)
