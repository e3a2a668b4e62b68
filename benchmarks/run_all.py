"""Run every benchmark in turn with its defaults, printing their figures (``make bench``).

Each benchmark is also one command of its own: ``benchmarks/parse.py`` (50 MB EDIFACT and XML, next to
pydifact), ``benchmarks/assess.py`` (1,000,000 lines), ``benchmarks/intake.py`` (10,000 CADs inbound to answers),
``benchmarks/close_period.py`` (5,000 importers, 1,000,000 postings). Figures depend on the machine and its load:
the script prints the load average before each.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("assess.py", "intake.py", "close_period.py", "parse.py")


def main() -> int:
    failures = 0
    for name in BENCHMARKS:
        print(f"\n=== {name} (load average {os.getloadavg()[0]:.1f}) ===", flush=True)
        failures += subprocess.call([sys.executable, str(HERE / name), *sys.argv[1:]]) != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
