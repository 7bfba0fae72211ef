"""Provenance of protocol runs: the runner tells the pipeline, the writers record it.

The runner sends :class:`ProtocolStarted` (the protocol's text), then
:class:`ProtocolStepStarted` for each step and :class:`ProtocolEnded`. The pipeline
manager keeps the runs (:class:`ProtocolRecordHandlers`) and hands them to every writer
it closes, as ``stats["protocols"]``: a list of dicts ``{"run_id", "name", "title",
"path", "text", "started", "ended", "state", "steps": [{"index", "line", "t", "step"},
...]}`` (times in epoch seconds; ``ended`` None while it runs). A writer keeps the runs
that overlap its recording (the HDF5 writer stores them under ``/magscope/protocol``).
"""

from __future__ import annotations

from typing import Any

import attrs

from magscope_core._commands import Command, CommandSpec, Route
from magscope_core._manager import handles

__all__ = [
    "MAX_RUNS_KEPT",
    "PROTOCOL_RECORD_COMMANDS",
    "ProtocolEnded",
    "ProtocolRecordHandlers",
    "ProtocolStarted",
    "ProtocolStepStarted",
]

MAX_RUNS_KEPT = 20
"""Protocol runs a pipeline remembers (the oldest are dropped)."""


@attrs.frozen
class ProtocolStarted(Command):
    """A protocol run began (its whole text, for the recording's provenance)."""

    run_id: str
    name: str
    title: str
    path: str
    text: str
    t: float


@attrs.frozen
class ProtocolStepStarted(Command):
    """Step ``index`` (0-based) of run ``run_id``, from line ``line``, began at ``t``."""

    run_id: str
    index: int
    line: int
    t: float
    step: str


@attrs.frozen
class ProtocolEnded(Command):
    """Run ``run_id`` ended at ``t``: ``state`` is done, stopped or failed."""

    run_id: str
    t: float
    state: str
    error: str = ""


PROTOCOL_RECORD_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(ProtocolStarted, Route.DIRECT, False, "a protocol run began (provenance)"),
    CommandSpec(ProtocolStepStarted, Route.DIRECT, False, "a protocol step began"),
    CommandSpec(ProtocolEnded, Route.DIRECT, False, "a protocol run ended"),
)


class ProtocolRecordHandlers:
    """Keeps protocol runs for the writers; mixed into the pipeline manager."""

    recording: Any
    _protocols: list[dict[str, Any]] | None = None

    def _protocol_runs(self) -> list[dict[str, Any]]:
        if self._protocols is None:
            self._protocols = []
        return self._protocols

    def _publish_protocols(self) -> None:
        recording = getattr(self, "recording", None)
        if recording is not None:
            recording.provenance["protocols"] = self._protocol_runs()

    def _run(self, run_id: str) -> dict[str, Any] | None:
        for run in reversed(self._protocol_runs()):
            if run["run_id"] == run_id:
                found: dict[str, Any] = run
                return found
        return None

    @handles(ProtocolStarted)
    def protocol_started(self, cmd: ProtocolStarted) -> None:
        """Remember a new run."""
        runs = self._protocol_runs()
        runs.append({"run_id": cmd.run_id, "name": cmd.name, "title": cmd.title,
                     "path": cmd.path, "text": cmd.text, "started": cmd.t, "ended": None,
                     "state": "running", "error": "", "steps": []})
        del runs[:-MAX_RUNS_KEPT]
        self._publish_protocols()

    @handles(ProtocolStepStarted)
    def protocol_step(self, cmd: ProtocolStepStarted) -> None:
        """Add a step's start time to its run."""
        run = self._run(cmd.run_id)
        if run is not None:
            run["steps"].append({"index": cmd.index, "line": cmd.line, "t": cmd.t,
                                 "step": cmd.step})

    @handles(ProtocolEnded)
    def protocol_ended(self, cmd: ProtocolEnded) -> None:
        """Close a run."""
        run = self._run(cmd.run_id)
        if run is not None:
            run.update(ended=cmd.t, state=cmd.state, error=cmd.error)
