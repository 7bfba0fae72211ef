"""Force-extension curve: force steps 0.1 -> 10 pN (log spaced), then back down.

Each step sets the force, waits until the magnet is there and holds a plateau while the
tracker records the extension (Z). Stepping back down checks for hysteresis. The
plateaus are short so that the example runs in a test; a measurement uses 30-120 s.
"""

PLATEAU = 1.5 * s  # 30-120 s in a real experiment
FORCES = np.geomspace(0.1, 10, 5) * pN  # 0.1, 0.32, 1, 3.2, 10 pN

steps = [SetSaving(on=True)]
for force in [*FORCES, *FORCES[-2::-1]]:  # up, then back down
    steps += [
        SetForce(force_pn=force),
        wait_motor("magnet", timeout=60 * s),
        sleep(PLATEAU),
    ]
