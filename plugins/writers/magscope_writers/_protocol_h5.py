"""Protocol provenance in tracking files: ``/magscope/protocol``.

When a protocol ran during a recording (see :mod:`magscope_core._protocol_record`), every
file of that recording gets, when the writer closes:

==========================  ===========================================================
``/magscope/protocol``      group (a second run in the same recording: ``protocol_2``, ...)
attributes                  ``name`` (file name), ``title`` (its docstring's first line),
                            ``path``, ``run_id``, ``state`` (``done``, ``stopped``,
                            ``failed`` or ``running`` when the recording ended first),
                            ``error``, ``started`` and ``ended`` (epoch s; NaN: not yet)
``text``                    string dataset: the protocol file's whole text
``steps``                   compound dataset, one row per step begun: ``index`` (0-based),
                            ``line`` (in the file), ``t`` (epoch s), ``step`` (description)
==========================  ===========================================================
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import h5py
import numpy as np

__all__ = ["read_protocols", "runs_for_recording", "write_protocols"]

_STEP_DTYPE = np.dtype([("index", np.int32), ("line", np.int32), ("t", np.float64),
                        ("step", h5py.string_dtype())])


def runs_for_recording(runs: list[dict[str, Any]], start_s: float | None) -> list[dict[str, Any]]:
    """The runs that overlap a recording begun at ``start_s`` (epoch s; None: all)."""
    if start_s is None:
        return list(runs)
    return [r for r in runs if r.get("ended") is None or float(r["ended"]) >= start_s]


def write_protocols(group: h5py.Group, runs: list[dict[str, Any]]) -> None:
    """Write ``runs`` under ``group`` (the file's ``/magscope``), replacing older copies."""
    for key in [k for k in group if k == "protocol" or k.startswith("protocol_")]:
        del group[key]
    for n, run in enumerate(runs, 1):
        g = group.create_group("protocol" if n == 1 else f"protocol_{n}")
        for key in ("name", "title", "path", "run_id", "state", "error"):
            g.attrs[key] = str(run.get(key) or "")
        for key in ("started", "ended"):
            value = run.get(key)
            g.attrs[key] = np.float64(math.nan if value is None else value)
        g.create_dataset("text", data=str(run.get("text", "")), dtype=h5py.string_dtype())
        steps = run.get("steps", [])
        table = np.array([(s["index"], s["line"], s["t"], s["step"]) for s in steps],
                         dtype=_STEP_DTYPE)
        g.create_dataset("steps", data=table, maxshape=(None,))


def read_protocols(path: str | Path) -> list[dict[str, Any]]:
    """The protocol runs recorded in a tracking file, in the order they ran."""
    out: list[dict[str, Any]] = []
    with h5py.File(path, "r") as h5:
        m = h5.get("magscope")
        if m is None:
            return out
        keys = sorted((k for k in m if k == "protocol" or k.startswith("protocol_")),
                      key=lambda k: 1 if k == "protocol" else int(k.split("_")[1]))
        for key in keys:
            g = m[key]
            run: dict[str, Any] = {k: (v.decode() if isinstance(v, bytes) else v)
                                   for k, v in g.attrs.items()}
            for k in ("started", "ended"):
                run[k] = None if math.isnan(float(run[k])) else float(run[k])
            text = g["text"][()]
            run["text"] = text.decode() if isinstance(text, bytes) else str(text)
            run["steps"] = [
                {"index": int(r["index"]), "line": int(r["line"]), "t": float(r["t"]),
                 "step": r["step"].decode() if isinstance(r["step"], bytes) else str(r["step"])}
                for r in g["steps"][()]
            ]
            out.append(run)
    return out
