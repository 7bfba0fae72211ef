"""Force ramp: a constant loading rate from 0.5 to 5 pN and back (log scale on the way down).

The ramps run inside the magnet manager (RampForce), which moves the magnet along the
calibration so that the force follows the ramp; the protocol only waits for its end.
"""

LOADING_RATE = 2.0 * pN / s

steps = [
    SetSaving(on=True),
    SetForce(force_pn=0.5 * pN),
    wait_motor("magnet"),
    sleep(0.5 * s),
    RampForce(stop_pn=5 * pN, rate_pn_s=LOADING_RATE),  # linear: 2.25 s
    sleep(0.5 * s),
    RampForce(stop_pn=0.5 * pN, rate_pn_s=LOADING_RATE, scale="log"),
]
