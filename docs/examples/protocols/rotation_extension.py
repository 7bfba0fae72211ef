"""Rotation-extension ("hat") curve: turn the magnet -20 -> +20 turns at a fixed force.

Below about 1 pN a torsionally constrained DNA tether buckles both ways: its extension
stays flat near 0 turns and falls linearly past the buckling point on either side (the
slope shrinks as the force rises). Each step rotates the magnet, waits until the
rotation is done and holds a plateau while the tracker records the extension (Z); at the
end the magnet turns back to 0. The holds are short so that the example runs in a test;
a measurement uses 10-60 s per step and a finer step near the buckling points.
"""

FORCE = 0.5 * pN
TURNS = np.arange(-20, 21, 4) * turns  # -20, -16, ..., +16, +20
HOLD = 2 * s  # 10-60 s in a real experiment

steps = [
    SetSaving(on=True),
    SetForce(force_pn=FORCE),
    wait_motor("magnet", timeout=60 * s),
]
for n in TURNS:
    steps += [
        RotateMagnet(turns=n),
        wait_motor("magnet", timeout=60 * s),
        sleep(HOLD),
    ]
steps += [RotateMagnet(turns=0), wait_motor("magnet", timeout=60 * s)]
