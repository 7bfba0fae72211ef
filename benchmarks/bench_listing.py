"""How long ``magscope plugins`` and ``magscope settings`` take, and what they import.

Listing reads every plugin's hook module; hook modules name their implementations by import
path, so no heavy module (numba, h5py, scipy, Qt) should be imported. Prints, per command,
the wall time of a cold run and the median of warm runs (fresh processes, files cached),
the heavy modules found in ``sys.modules`` after the listing, and the slowest imports
(``python -X importtime``). Target: under 1 s warm.

    python benchmarks/bench_listing.py [--runs 5]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("numba", "llvmlite", "h5py", "scipy", "tifffile", "PySide6", "pyqtgraph", "superqt")
PROBE = (
    "import contextlib, io, sys\n"
    "from magscope_core.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    main(sys.argv[1:])\n"
    f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
)


def _wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - start


def _slowest_imports(args: list[str], n: int = 5) -> list[tuple[float, str]]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", PROBE, *args],
                          capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|(\s*)(\S+)", line)
        if m and len(m.group(2)) <= 2:  # top-level imports only (cumulative)
            rows.append((int(m.group(1)) / 1e6, m.group(3)))
    return sorted(rows, reverse=True)[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="warm runs per command")
    ns = parser.parse_args()
    script = Path(sys.executable).with_name("magscope")
    with tempfile.TemporaryDirectory() as tmp:
        config = ["--config", str(Path(tmp) / "settings.toml")]
        for name, args in (("plugins", ["plugins"]), ("settings", [*config, "settings"])):
            cold = _wall([str(script), *args])
            warm = [_wall([str(script), *args]) for _ in range(ns.runs)]
            heavy = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                                   text=True, check=True).stdout.strip()
            median = statistics.median(warm)
            print(f"magscope {name:9s} cold {cold:5.2f} s   warm median {median:5.2f} s"
                  f" (min {min(warm):.2f}, max {max(warm):.2f}, {ns.runs} runs)   target < 1 s")
            print(f"  heavy modules imported: {heavy or 'none'}")
            slow = ", ".join(f"{mod} {sec:.2f} s" for sec, mod in _slowest_imports(args))
            print(f"  slowest top-level imports: {slow}")


if __name__ == "__main__":
    main()
