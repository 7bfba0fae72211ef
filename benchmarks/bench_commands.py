"""Command round-trip latency: request/response from the hub to a manager process.

    python benchmarks/bench_commands.py [--n 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "testplugin"))

from magscope_testplugin import COMMANDS, Echo, EchoManager

from magscope_core import Hub, ManagerEntry, ManagerSpec, Ping


def _measure(fn, n: int) -> np.ndarray:
    out = np.empty(n)
    for i in range(n):
        t = time.perf_counter()
        fn()
        out[i] = time.perf_counter() - t
    return out * 1e6


def _row(name: str, us: np.ndarray) -> str:
    p50, p99 = np.percentile(us, [50, 99])
    return f"  {name:<34} p50 {p50:8.1f} us   p99 {p99:8.1f} us   ({1e6 / us.mean():8.0f}/s)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args()
    entries = [ManagerEntry(ManagerSpec("echo", EchoManager), "testplugin", "testplugin")]
    commands = [(c, "testplugin", "testplugin") for c in COMMANDS]
    with Hub(entries, commands) as hub:
        for _ in range(100):
            hub.call(Echo(text="warm"))
        hub_only = _measure(lambda: hub.call(Ping(payload=1)), args.n)
        roundtrip = _measure(lambda: hub.call(Echo(text="x")), args.n)
    print(f"command round trip, {args.n} calls each")
    print(_row("Ping (handled in the hub thread)", hub_only))
    print(_row("Echo (hub -> manager process -> hub)", roundtrip))


if __name__ == "__main__":
    main()
