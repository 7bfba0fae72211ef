"""Build the wheels and sdists of the core and every plugin (``make dist``).

Each distribution is built with ``python -m build --no-isolation``: the build backend
(setuptools) comes from the running environment, so nothing is downloaded. By default the
sdist is built first and the wheel is built from the unpacked sdist, which proves the sdist
holds everything the package needs.

    python scripts/build_dist.py                 # everything into dist/
    python scripts/build_dist.py --out DIR --wheel-only magscope-core magscope-sim
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def projects() -> dict[str, Path]:
    """Distribution name -> project folder, the core first."""
    found = {}
    for pyproject in [ROOT / "pyproject.toml", *sorted(ROOT.glob("plugins/*/pyproject.toml"))]:
        with pyproject.open("rb") as f:
            found[tomllib.load(f)["project"]["name"]] = pyproject.parent
    return found


def build(folder: Path, out: Path, *, wheel_only: bool = False) -> list[Path]:
    """Build one distribution into ``out``; return the files made.

    Raises
    ------
    RuntimeError
        With the build's own output, if it fails.
    """
    cmd = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out)]
    if wheel_only:
        cmd.append("--wheel")
    done = subprocess.run([*cmd, str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"building {folder} failed:\n{done.stdout}\n{done.stderr}")
    with (folder / "pyproject.toml").open("rb") as f:
        project = tomllib.load(f)["project"]
    stem = f"{project['name'].replace('-', '_')}-{project['version']}"
    return sorted(p for p in out.glob(f"{stem}[-.]*") if not wheel_only or p.suffix == ".whl")


def main(argv: list[str] | None = None) -> int:
    """Build the distributions named (all by default); 1 if one fails, 2 on an unknown name."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="distributions to build (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument("--wheel-only", action="store_true", help="wheels only, no sdists")
    args = parser.parse_args(argv)
    available = projects()
    unknown = [n for n in args.names if n not in available]
    if unknown:
        print(f"error: unknown distribution {unknown[0]!r}; known: {', '.join(available)}",
              file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names or list(available):
        start = time.perf_counter()
        try:
            made = build(available[name], args.out, wheel_only=args.wheel_only)
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        files = ", ".join(p.name for p in made)
        print(f"{name}: {files} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
