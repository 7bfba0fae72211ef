"""Bead ROI commands, handled by the hub (the single writer of the bead ROI table).

Coordinates in commands are ROI *centres* in pixels (x = column, y = row), as a user
clicks them; the table stores top-left corners. ROIs are square, ``size`` pixels wide,
and must lie inside the camera frame.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import attrs

from magscope_core._commands import Command, CommandSpec, Route

if TYPE_CHECKING:
    from magscope_core._session import Session

__all__ = [
    "BEAD_COMMANDS",
    "AddBead",
    "BeadHandlers",
    "ClearBeads",
    "GetBeads",
    "MoveBead",
    "ReassignBead",
    "RemoveBead",
]


@attrs.frozen
class AddBead(Command):
    """Add a bead ROI centred on ``(x, y)`` px; returns its id.

    ``size`` 0 uses the session's default ROI size; ``bead_id`` None takes the next id.
    """

    x: float
    y: float
    size: int = 0
    bead_id: int | None = None


@attrs.frozen
class MoveBead(Command):
    """Move bead ``bead_id``'s ROI so it is centred on ``(x, y)`` px."""

    bead_id: int
    x: float
    y: float


@attrs.frozen
class RemoveBead(Command):
    """Remove bead ``bead_id``."""

    bead_id: int


@attrs.frozen
class ReassignBead(Command):
    """Give bead ``old_id`` the id ``new_id``."""

    old_id: int
    new_id: int


@attrs.frozen
class ClearBeads(Command):
    """Remove every bead."""


@attrs.frozen
class GetBeads(Command):
    """Return ``[(bead_id, x0, y0, size), ...]`` (top-left corners)."""


BEAD_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(AddBead, Route.HUB, True, "add a bead ROI at a centre (px); returns its id"),
    CommandSpec(MoveBead, Route.HUB, True, "move a bead ROI to a centre (px)"),
    CommandSpec(RemoveBead, Route.HUB, True, "remove a bead"),
    CommandSpec(ReassignBead, Route.HUB, True, "change a bead's id"),
    CommandSpec(ClearBeads, Route.HUB, True, "remove every bead"),
    CommandSpec(GetBeads, Route.HUB, True, "list bead ROIs (id, x0, y0, size)"),
)


class BeadHandlers:
    """Hub-side handlers of the bead commands (a mixin of the hub)."""

    session: Session | None
    roi_size: int

    def _bead_table(self) -> Any:
        assert self.session is not None
        return self.session.resources.rois()

    def _corner(self, x: float, y: float, size: int, what: str = "AddBead") -> tuple[int, int]:
        for name, v in (("x", x), ("y", y)):
            if not math.isfinite(v):
                raise ValueError(f"{what}.{name}: {v!r} is not a position; expected a finite "
                                 "number of pixels")
        x0, y0 = round(x - size / 2), round(y - size / 2)
        assert self.session is not None
        info = self.session.resources.camera_info
        if info is not None and not (
            x0 >= 0 and y0 >= 0 and x0 + size <= info.width and y0 + size <= info.height
        ):
            raise ValueError(
                f"{what}: a {size} px ROI centred on ({x:g}, {y:g}) does not fit in the "
                f"{info.width}x{info.height} frame"
            )
        return x0, y0

    def _on_add_bead(self, cmd: AddBead) -> int:
        size = cmd.size or self.roi_size
        if size < 4:
            raise ValueError(f"AddBead.size: ROI size must be at least 4 px, got {size}")
        x0, y0 = self._corner(cmd.x, cmd.y, size)
        return int(self._bead_table().add(x0, y0, size, cmd.bead_id))

    def _on_move_bead(self, cmd: MoveBead) -> None:
        table = self._bead_table()
        _, _, size = table.get(cmd.bead_id)
        x0, y0 = self._corner(cmd.x, cmd.y, size, "MoveBead")
        table.move(cmd.bead_id, x0, y0)

    def _on_remove_bead(self, cmd: RemoveBead) -> None:
        self._bead_table().remove(cmd.bead_id)

    def _on_reassign_bead(self, cmd: ReassignBead) -> None:
        self._bead_table().reassign(cmd.old_id, cmd.new_id)

    def _on_clear_beads(self, cmd: ClearBeads) -> None:
        self._bead_table().clear()

    def _on_get_beads(self, cmd: GetBeads) -> list[tuple[int, int, int, int]]:
        snap = self._bead_table().snapshot()
        return [(int(i), int(r[0]), int(r[1]), int(r[2])) for i, r in zip(snap.ids, snap.rois,
                                                                            strict=True)]


BEAD_HANDLERS: dict[type[Command], str] = {
    AddBead: "_on_add_bead",
    MoveBead: "_on_move_bead",
    RemoveBead: "_on_remove_bead",
    ReassignBead: "_on_reassign_bead",
    ClearBeads: "_on_clear_beads",
    GetBeads: "_on_get_beads",
}
