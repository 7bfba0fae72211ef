"""Settings of the protocol runner (namespace ``"protocol"``)."""

from __future__ import annotations

import attrs

from magscope_core._settings import setting

__all__ = ["PROTOCOL_NAMESPACE", "ProtocolSettings"]

PROTOCOL_NAMESPACE = "protocol"


@attrs.frozen
class ProtocolSettings:
    """How protocols run (``magscope script run`` and the GUI's Script panel)."""

    safe_force_pn: float = setting(
        0.1,
        minimum=0.0,
        maximum=1000.0,
        unit="pN",
        doc="Force the magnet is sent to when a protocol is stopped or fails (0: leave "
        "the magnet where it is).",
    )
    poll_interval_s: float = setting(
        0.05,
        minimum=0.01,
        maximum=5.0,
        unit="s",
        doc="How often the waits of a protocol check their condition.",
    )

    @property
    def safe_force(self) -> float | None:
        """The safe force, or None when the magnet is to stay where it is."""
        return self.safe_force_pn if self.safe_force_pn > 0 else None
