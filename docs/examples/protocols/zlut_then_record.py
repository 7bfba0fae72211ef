"""Z-LUT first, then a recording: sweep the focus over bead 0, load the LUT, record.

The sweep (StartZLutSweep) runs in the pipeline manager and loads the new Z-LUT when it
is done; the recording that follows has Z for every tracked bead. The LUT file is
written next to where the session runs (give an absolute path to keep it elsewhere).
"""

steps = [
    SetSaving(on=False),  # no file while sweeping
    StartZLutSweep(start_nm=-1000 * nm, stop_nm=1000 * nm, step_nm=100 * nm,
                   images_per_step=3, bead_id=0, path="zlut-protocol.txt"),
    wait_zlut_sweep(timeout=120 * s),
    wait_motor("focus"),  # back at the sweep's origin
    NewRecording(),
    SetSaving(on=True),
    sleep(2 * s),
]
