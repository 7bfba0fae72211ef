"""The camera contract: what a camera plugin implements and what it publishes.

A camera is a plain Python object living in the camera manager's process. The manager
calls :meth:`Camera.connect` once, sizes nothing from the class, and publishes the returned
:class:`CameraInfo` record to every other process (fixing the reference system's habit of
reading metadata off the camera *class*).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Camera", "CameraError", "CameraInfo"]

_DTYPE_BITS = {"uint8": 8, "uint16": 16, "uint32": 32}


def _check_bits(instance: CameraInfo, attribute: attrs.Attribute[int], value: int) -> None:
    limit = _DTYPE_BITS[instance.dtype]
    if not 1 <= value <= limit:
        raise ValueError(
            f"CameraInfo.bits={value} does not fit dtype {instance.dtype!r} (1..{limit} bits)"
        )


@attrs.frozen
class CameraInfo:
    """Metadata a camera publishes when it connects.

    Parameters
    ----------
    width, height
        Frame size in pixels (frames are row-major ``(height, width)`` arrays).
    dtype
        Pixel type: ``"uint8"``, ``"uint16"`` or ``"uint32"``.
    bits
        Significant bits per pixel (e.g. 12 for a 12-bit sensor stored as uint16).
    nm_per_px
        Pixel pitch in the sample plane, in nanometres (magnification included).
    fps
        Nominal frame rate in frames per second.
    model, serial
        Free-text identification, written into file metadata.
    """

    width: int = attrs.field(validator=[attrs.validators.instance_of(int), attrs.validators.ge(1)])
    height: int = attrs.field(
        validator=[attrs.validators.instance_of(int), attrs.validators.ge(1)]
    )
    dtype: str = attrs.field(validator=attrs.validators.in_(tuple(_DTYPE_BITS)))
    bits: int = attrs.field(validator=[attrs.validators.instance_of(int), _check_bits])
    nm_per_px: float = attrs.field(converter=float, validator=attrs.validators.gt(0.0))
    fps: float = attrs.field(converter=float, validator=attrs.validators.gt(0.0))
    model: str = ""
    serial: str = ""

    @property
    def shape(self) -> tuple[int, int]:
        """Frame shape ``(height, width)``."""
        return (self.height, self.width)


class CameraError(RuntimeError):
    """A camera failed to connect, grab or apply a setting."""


@runtime_checkable
class Camera(Protocol):
    """What a camera plugin's object must provide.

    The object is created in the camera manager's process by the factory of its
    :class:`~magscope_core.CameraSpec`, so it may open SDK handles freely.
    """

    def connect(self) -> CameraInfo:
        """Open the device and return its metadata (size, dtype, bits, nm/px, fps)."""
        ...

    def grab_into(self, out: np.ndarray, timeout: float) -> float | None:
        """Wait up to ``timeout`` seconds for the next frame and write it into ``out``.

        ``out`` is a writable ``(height, width)`` view straight into a shared-memory ring
        slot, so a frame is copied at most once. Return the frame's timestamp (seconds since
        the epoch) or ``None`` on timeout. Pacing (frame rate) is the camera's job: block
        until the frame is due rather than spinning.
        """
        ...

    def disconnect(self) -> None:
        """Release the device. Called once, also after errors."""
        ...

    def get_settings(self) -> dict[str, Any]:
        """Current values of every camera setting, by name."""
        ...

    def set_setting(self, name: str, value: Any) -> None:
        """Apply one setting; raise :class:`CameraError` (or ValueError) naming the problem."""
        ...


# Optional member (not part of the runtime-checked protocol): ``frames_lost() -> int``,
# the frames the device or its SDK dropped since ``connect`` (e.g. no free buffer, a gap
# in its frame counter). The camera manager adds each increase to the session's
# ``frames_dropped`` counter, so drops before MagScope ever saw a frame are counted too.
#
# Optional member: ``grab_many_into(out, timeout) -> numpy array | None``. ``out`` is a
# writable ``(k, height, width)`` view of ``k`` consecutive ring slots; the camera writes
# the frames it has (at least one, at most ``k``: those already due, a replay's burst, a
# high-speed camera's buffered frames) into ``out[:n]`` and returns their ``n`` timestamps,
# or None on timeout. The camera manager then publishes all ``n`` with one commit, so a
# kHz camera pays the manager's per-frame cost once per batch (``core.camera_batch_frames``
# caps ``k``; ADR 0015).
