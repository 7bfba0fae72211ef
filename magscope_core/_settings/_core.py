"""The core's own settings schema (namespace ``"core"``)."""

from __future__ import annotations

from pathlib import Path

import attrs

from ._paths import default_output_dir
from ._records import SettingsError
from ._schema import setting

CORE_NAMESPACE = "core"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@attrs.frozen
class CoreSettings:
    """Settings of the MagScope core, stored in the ``[core]`` table.

    Buffer sizes and process timings are read once at start-up: changing them while
    MagScope runs is stored and reported as "restart required".

    Raises
    ------
    SettingsError
        If a value is out of range or ``heartbeat_timeout_s`` is less than twice
        ``heartbeat_interval_s``.
    """

    n_stacks: int = setting(
        10,
        minimum=2,
        maximum=1_000,
        unit="stacks",
        startup_only=True,
        doc="Stacks in the shared video ring. Ring memory = n_stacks x stack_size x frame size.",
    )
    stack_size: int = setting(
        10,
        minimum=1,
        maximum=10_000,
        unit="frames",
        startup_only=True,
        doc="Frames per stack; a stack is the unit handed to the trackers and the recorders.",
    )
    tracks_capacity: int = setting(
        1_000_000,
        minimum=1_000,
        maximum=100_000_000,
        unit="rows",
        startup_only=True,
        doc="Rows of the shared tracks table (one row per bead per frame) before it wraps.",
    )
    max_beads: int = setting(
        10_000,
        minimum=1,
        maximum=1_000_000,
        unit="beads",
        startup_only=True,
        doc="Most beads that can be selected at once; sizes the shared bead table.",
    )
    profile_length: int = setting(
        2560,
        minimum=8,
        maximum=65_536,
        unit="bins",
        startup_only=True,
        doc="Length of each row of the shared radial-profile buffer; longer profiles are cut.",
    )
    heartbeat_interval_s: float = setting(
        0.5,
        minimum=0.01,
        maximum=60.0,
        unit="s",
        startup_only=True,
        doc="How often every process tells the hub it is alive.",
    )
    heartbeat_timeout_s: float = setting(
        10.0,
        minimum=0.1,
        maximum=3_600.0,
        unit="s",
        startup_only=True,
        doc=(
            "Silence after which the hub reports a process as hung; at least twice "
            "heartbeat_interval_s."
        ),
    )
    join_timeout_s: float = setting(
        10.0,
        minimum=0.1,
        maximum=600.0,
        unit="s",
        startup_only=True,
        doc="How long shutdown waits for the processes to exit before terminating them.",
    )
    log_level: str = setting(
        "INFO",
        choices=LOG_LEVELS,
        startup_only=True,
        doc="Lowest level of log messages recorded by all processes.",
    )
    default_camera: str = setting(
        "",
        startup_only=True,
        doc="Camera plugin to start (name as listed by the plugins command); empty = automatic.",
    )
    output_dir: str = setting(
        "",
        doc="Folder for new recordings; empty = the user data folder's 'recordings' folder.",
    )
    default_tracker: str = setting(
        "",
        startup_only=True,
        doc="Tracker plugin to use (name as listed by the plugins command); empty = automatic.",
    )
    tracker_workers: int = setting(
        2,
        minimum=1,
        maximum=64,
        unit="processes",
        startup_only=True,
        doc="Tracker worker processes; stacks go to whichever is idle.",
    )
    tracker_task_timeout_s: float = setting(
        0.0,
        minimum=0.0,
        maximum=3_600.0,
        unit="s",
        startup_only=True,
        doc=(
            "A stack still not tracked after this long counts as failed and its worker is "
            "replaced; 0 = automatic (20 x the slowest recent stack, at least 5 s; a "
            "worker's first 3 stacks get 60 s)."
        ),
    )
    writer_batch_s: float = setting(
        0.1,
        minimum=0.0,
        maximum=5.0,
        unit="s",
        startup_only=True,
        doc=(
            "Tracks batches wait up to this long to be written together (one file "
            "transaction for many stacks; the shared tracks table is not delayed); "
            "0 = each stack at once."
        ),
    )
    camera_batch_frames: int = setting(
        256,
        minimum=1,
        maximum=10_000,
        unit="frames",
        startup_only=True,
        doc=(
            "Most frames a camera that can deliver several at once (grab_many_into) "
            "writes into the ring per call; 1 = one frame per call."
        ),
    )
    roi_size: int = setting(
        64,
        minimum=8,
        maximum=512,
        unit="px",
        doc="Side of new bead ROIs (applies at once to beads added afterwards).",
    )
    acquisition_mode: str = setting(
        "track",
        choices=("track", "track+video-rois", "track+video-full", "video-rois", "video-full"),
        doc="What is tracked and saved: Track, Track and Video (ROIs/Full), Video (ROIs/Full).",
    )

    def __attrs_post_init__(self) -> None:
        """Check the rules that involve more than one setting."""
        if self.heartbeat_timeout_s < 2 * self.heartbeat_interval_s:
            raise SettingsError(
                f"heartbeat_timeout_s = {self.heartbeat_timeout_s!r} rejected: it must be at "
                f"least twice heartbeat_interval_s = {self.heartbeat_interval_s!r}, or a "
                "single late heartbeat would be reported as a hung process."
            )

    def resolved_output_dir(self) -> Path:
        """Return `output_dir` as a path, or the default recordings folder if empty."""
        return Path(self.output_dir).expanduser() if self.output_dir else default_output_dir()
