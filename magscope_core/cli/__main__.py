"""``python -m magscope_core.cli``."""

from __future__ import annotations

import sys

from magscope_core.cli import main

sys.exit(main())
