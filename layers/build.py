"""Build the recognition Lambda layer (OpenCV, numpy, pillow) for Lambda's platform.

Wheels are chosen for the function runtime (python3.11 on x86_64, manylinux2014), not for this
machine. `make package` checks that the layer plus the function package stay under Lambda's
250 MB unzipped limit (infra/package.py).

Usage: python -m layers.build --output layers/build/recognition-layer.zip
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "layers" / "requirements.txt"
# Not needed at run time; removing them keeps the layer small.
PRUNED_DIRECTORIES = {"tests", "__pycache__", "include"}


def install(target: Path, platform: str, python_version: str) -> None:
    subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
         "--platform", platform, "--implementation", "cp", "--python-version", python_version,
         "--only-binary=:all:", "--target", str(target), "-r", str(REQUIREMENTS)],
        check=True)


def prune(site: Path) -> None:
    for path in sorted(site.rglob("*"), reverse=True):
        if path.is_dir() and path.name in PRUNED_DIRECTORIES:
            shutil.rmtree(path)


def tree_size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def build(output: Path, platform: str, python_version: str) -> int:
    staging = output.parent / "layer"
    if staging.exists():
        shutil.rmtree(staging)
    site = staging / "python"
    install(site, platform, python_version)
    prune(site)
    layer_bytes = tree_size(staging)
    print(f"layer: {layer_bytes / 2**20:.1f} MB unzipped")
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(staging.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(staging))
    print(f"layer: wrote {output} ({output.stat().st_size / 2**20:.1f} MB zipped)")
    return layer_bytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--platform", default="manylinux2014_x86_64")
    parser.add_argument("--python-version", default="3.11")
    args = parser.parse_args(argv)
    build(args.output, args.platform, args.python_version)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
