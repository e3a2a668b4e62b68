"""The whole test suite, as ``make test`` and CI run it: ``python -m tests.run_all [pytest arguments…]``.

Says first, in one line, whether the PostgreSQL tests will run; then runs pytest over ``tests/`` and exits with
its code. No test collected (pytest's 5) is a failure too, as is any non-zero code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests import pgserver

ROOT = Path(__file__).resolve().parent.parent
NO_TESTS_COLLECTED = 5


def postgres_line() -> str:
    url = pgserver.server_url()
    problem = pgserver.probe(url)
    if problem is None:
        return f"PostgreSQL tests: running against {pgserver.shown(url)}"
    if pgserver.required():
        return f"PostgreSQL tests: FAILING — no server at {pgserver.shown(url)} and CARM_REQUIRE_POSTGRES=1"
    return f"PostgreSQL tests: SKIPPED — no server at {pgserver.shown(url)} (CI makes them mandatory)"


def main(argv: list[str]) -> int:
    print(postgres_line(), flush=True)
    code = subprocess.call([sys.executable, "-m", "pytest", "tests", *argv], cwd=ROOT)
    if code == NO_TESTS_COLLECTED:
        print("No tests were collected: failing.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
