"""magscope-hello: the smallest useful MagScope plugin (see ``plugin.py``)."""

from __future__ import annotations

from magscope_hello.plugin import Greet, HelloManager

__all__ = ["Greet", "HelloManager"]
