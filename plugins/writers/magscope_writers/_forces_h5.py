"""Force per magnet plateau in tracking files: ``/magscope/forces``.

With ``forces=True`` the HDF5 writer follows the magnet's telemetry and the tracks (see
:mod:`magscope_writers._plateau_forces`); when a plateau's analysis completes, its rows
are appended to the file being written: one row per magnet plateau, tethered bead,
method and lateral axis, as equal-length 1-D datasets named after
:data:`~magscope_writers._plateau_forces.FORCE_COLUMNS` (``plateau``, ``t_start``,
``t_end``, ``n_frames``, ``magnet_force_pn``, ``turns``, ``bead_id``, ``reference_bead``,
``method``, ``axis``, ``force_pn``, ``sigma_pn``, ``extension_nm``, ``corner_hz``). The
group's ``columns`` attribute is JSON of each column's unit. Read them back with
:func:`~magscope_writers.read_forces`.
"""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np

from magscope_writers._jsonable import to_json
from magscope_writers._plateau_forces import FORCE_COLUMNS, PlateauRow

__all__ = ["append_forces"]

_FORCE_UNITS = {"t_start": "s (epoch)", "t_end": "s (epoch)", "magnet_force_pn": "pN",
                "force_pn": "pN", "sigma_pn": "pN", "extension_nm": "nm", "corner_hz": "Hz",
                "turns": "turns"}


def append_forces(group: h5py.Group, rows: list[PlateauRow]) -> None:
    """Append :class:`PlateauRow` rows to ``group/forces`` (one 1-D dataset per column)."""
    forces = group.require_group("forces")
    if "columns" not in forces.attrs:
        forces.attrs["columns"] = to_json({c: _FORCE_UNITS.get(c, "") for c in FORCE_COLUMNS})
    for col in FORCE_COLUMNS:
        values = [getattr(r, col) for r in rows]
        if isinstance(values[0], str):
            data = np.array(values, dtype=object)
            dtype: Any = h5py.string_dtype()
        else:
            data = np.asarray(values)
            dtype = data.dtype
        if col not in forces:
            forces.create_dataset(col, shape=(0,), maxshape=(None,), dtype=dtype, chunks=(256,))
        ds = forces[col]
        n = ds.shape[0]
        ds.resize((n + len(values),))
        ds[n:] = data
