"""Intake's worker processes die with the process that started them, even when it is SIGKILLed and cannot tell
them to stop (a worker left behind would go on posting for nobody, holding its connection and leases)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")

#: A parent that starts intake's worker pool, has each worker note its pid and then wait (as a worker busy with
#: a large batch does), and waits itself. With "watch-thread", the workers run as on a system without prctl.
PARENT = textwrap.dedent("""
    import os, sys, time, types
    from pipeline.intake import run
    from pipeline.intake.run import worker_pool

    if sys.argv[2] == "watch-thread":
        run.sys = types.SimpleNamespace(platform="darwin")

    def busy(notes):
        with open(notes, "a") as handle:
            handle.write(f"{os.getpid()}\\n")
        time.sleep(120)

    if __name__ == "__main__":
        pool = worker_pool(2)
        for _ in range(2):
            pool.submit(busy, sys.argv[1])
        time.sleep(120)
""")


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie waiting for a reaper has exited."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def wait_until(condition, seconds: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.parametrize("how", ["prctl", "watch-thread"])
def test_workers_exit_when_their_parent_is_killed(how: str, tmp_path: Path) -> None:
    script, notes = tmp_path / "parent.py", tmp_path / "workers.txt"
    script.write_text(PARENT)
    notes.touch()
    root = Path(__file__).resolve().parents[1]
    parent = subprocess.Popen([sys.executable, str(script), str(notes), how], cwd=root,
                              env={**os.environ, "PYTHONPATH": str(root)})
    workers: list[int] = []
    try:
        assert wait_until(lambda: len(notes.read_text().split()) == 2, 60), "the workers did not start"
        workers = [int(pid) for pid in notes.read_text().split()]
        assert all(alive(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        assert wait_until(lambda: not any(alive(pid) for pid in workers), 5), [p for p in workers if alive(p)]
    finally:
        parent.kill()
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)  # only the workers this test started
