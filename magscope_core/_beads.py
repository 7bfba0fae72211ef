"""Bead ROI commands, handled by the hub (the single writer of the bead ROI table).

Coordinates in commands are ROI *centres* in pixels (x = column, y = row), as a user
clicks them; the table stores top-left corners. ROIs are square, ``size`` pixels wide,
and must lie inside the camera frame.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from magscope_core._commands import Command, CommandSpec, Route

if TYPE_CHECKING:
    from magscope_core._session import Session

__all__ = [
    "BEAD_COMMANDS",
    "AddBead",
    "AddRandomBeads",
    "BeadHandlers",
    "ClearBeads",
    "GetBeads",
    "MoveBead",
    "ReassignBead",
    "RemoveBead",
    "SetDefaultRoiSize",
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
class AddRandomBeads(Command):
    """Add ``count`` bead ROIs at random positions; returns their ids.

    The ROIs lie inside the frame and overlap neither each other nor existing ROIs;
    ``seed`` makes the positions reproducible. ``size`` 0 uses the session's default
    ROI size. Fewer than ``count`` free places is an error (nothing is added).
    """

    count: int
    seed: int | None = None
    size: int = 0


@attrs.frozen
class SetDefaultRoiSize(Command):
    """Side (px) of new bead ROIs added with ``size`` 0 (existing ROIs keep theirs)."""

    size: int


@attrs.frozen
class GetBeads(Command):
    """Return ``[(bead_id, x0, y0, size), ...]`` (top-left corners)."""


BEAD_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(AddBead, Route.HUB, True, "add a bead ROI at a centre (px); returns its id"),
    CommandSpec(MoveBead, Route.HUB, True, "move a bead ROI to a centre (px)"),
    CommandSpec(RemoveBead, Route.HUB, True, "remove a bead"),
    CommandSpec(ReassignBead, Route.HUB, True, "change a bead's id"),
    CommandSpec(ClearBeads, Route.HUB, True, "remove every bead"),
    CommandSpec(AddRandomBeads, Route.HUB, True,
                "add ROIs at random non-overlapping places; returns their ids"),
    CommandSpec(GetBeads, Route.HUB, True, "list bead ROIs (id, x0, y0, size)"),
    CommandSpec(SetDefaultRoiSize, Route.HUB, True, "size of new bead ROIs (px)"),
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

    def _on_add_random_beads(self, cmd: AddRandomBeads) -> list[int]:
        size = cmd.size or self.roi_size
        if cmd.count < 0:
            raise ValueError(f"AddRandomBeads.count: {cmd.count} is negative; expected >= 0")
        if size < 4:
            raise ValueError(f"AddRandomBeads.size: ROI size must be at least 4 px, got {size}")
        assert self.session is not None
        info = self.session.resources.camera_info
        if info is None:
            raise RuntimeError("AddRandomBeads: no camera is connected (frame size unknown)")
        table = self._bead_table()
        snap = table.snapshot()
        corners = random_corners(cmd.count, size, info.width, info.height,
                                 [(int(r[0]), int(r[1]), int(r[2])) for r in snap.rois],
                                 cmd.seed)
        return [int(table.add(x0, y0, size, None)) for x0, y0 in corners]

    def _on_set_default_roi_size(self, cmd: SetDefaultRoiSize) -> None:
        if cmd.size < 4:
            raise ValueError(f"SetDefaultRoiSize.size: ROI size must be at least 4 px, "
                             f"got {cmd.size}")
        self.roi_size = int(cmd.size)

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
    AddRandomBeads: "_on_add_random_beads",
    SetDefaultRoiSize: "_on_set_default_roi_size",
}


def random_corners(count: int, size: int, width: int, height: int,
                   taken: list[tuple[int, int, int]], seed: int | None = None,
                   ) -> list[tuple[int, int]]:
    """Top-left corners of ``count`` random ``size`` px ROIs inside the frame.

    No two overlap, and none overlaps a ``taken`` ROI ``(x0, y0, size)``. Candidates are
    drawn uniformly; when that does not find room for all, the free places of a
    ``size`` grid are taken in random order instead.

    Raises
    ------
    ValueError
        Fewer than ``count`` places are free.
    """
    rng = np.random.default_rng(seed)
    boxes = list(taken)

    def free(x0: int, y0: int) -> bool:
        return all(x0 + size <= bx or bx + bs <= x0 or y0 + size <= by or by + bs <= y0
                   for bx, by, bs in boxes)

    out: list[tuple[int, int]] = []
    if width < size or height < size:
        if count:
            raise ValueError(f"AddRandomBeads: a {size} px ROI does not fit in the "
                             f"{width}x{height} frame")
        return out
    tries = 0
    while len(out) < count and tries < 200 * max(1, count):
        tries += 1
        x0 = int(rng.integers(0, width - size + 1))
        y0 = int(rng.integers(0, height - size + 1))
        if free(x0, y0):
            out.append((x0, y0))
            boxes.append((x0, y0, size))
    if len(out) < count:  # crowded: start again on a grid of free places, random order
        out, boxes = [], list(taken)
        grid = [(x, y) for y in range(0, height - size + 1, size)
                for x in range(0, width - size + 1, size)]
        for i in rng.permutation(len(grid)):
            if len(out) == count:
                break
            x0, y0 = grid[int(i)]
            if free(x0, y0):
                out.append((x0, y0))
                boxes.append((x0, y0, size))
    if len(out) < count:
        raise ValueError(f"AddRandomBeads: could place only {len(out)} non-overlapping "
                         f"{size} px ROIs in the {width}x{height} frame besides the "
                         f"{len(taken)} existing ones; asked for {count}")
    return out
