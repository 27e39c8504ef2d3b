"""测量每章 notebook 的执行时间（以及可选的整个 make test 的时间）。

Performance is measured here, not asserted in tests. Usage:

    .venv/bin/python scripts/benchmark.py              # each chapter, 3 runs, median
    .venv/bin/python scripts/benchmark.py --make-test  # also time one full `make test`

The figures in the README come from this script.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def time_notebook(path: Path) -> float:
    """Execute a copy of the notebook in a fresh kernel; return wall-clock seconds
    (kernel start-up included, as a reader would experience it)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--make-test", action="store_true", help="also time one `make test`")
    args = parser.parse_args()

    print(
        f"机器：{platform.processor() or platform.machine()}，{os.cpu_count()} 核，"
        f"Python {platform.python_version()}"
    )
    for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
        runs = [time_notebook(nb) for _ in range(args.runs)]
        print(
            f"{nb.relative_to(ROOT)}：中位数 {statistics.median(runs):.1f} s"
            f"（{args.runs} 次：{', '.join(f'{r:.1f}' for r in runs)}）"
        )
    if args.make_test:
        start = time.perf_counter()
        result = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True, text=True)
        took = time.perf_counter() - start
        print(f"make test：{took:.0f} s（退出码 {result.returncode}）")
        if result.returncode:
            print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
            return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
