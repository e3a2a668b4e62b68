"""Stopping a whole tree of processes started in its own session, and a watchdog that does it when its owner dies.

``make airflow`` starts ``airflow standalone`` with ``start_new_session=True``: the standalone process, the
components it starts (scheduler, DAG processor, triggerer, API server), the executor's workers and the task
runners all share that session, although task runners move to process groups of their own (so one process
group is not enough to reach them all). ``stop_session`` signals every process of the session (SIGTERM, a
bounded wait, then SIGKILL). Linux only reaches the session through ``/proc``; elsewhere the session leader's
process group is signalled.

A process killed outright (SIGKILL, the OOM killer) cannot stop anything, and ``PR_SET_PDEATHSIG`` on the
standalone process would kill only that process, not its components. So the owner starts a watchdog
(``python -m pipeline.orchestration.process_session SID``, in a session of its own) whose stdin is a pipe the
owner holds open: when the owner dies, however it dies, the pipe reaches end of file and the watchdog stops the
session.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

#: How long processes get to exit after SIGTERM before they are SIGKILLed (seconds).
GRACE = 20.0
_PROC = Path("/proc")


def session_members(session: int) -> list[int]:
    """The live (not zombie) processes of ``session``; empty when there are none or they cannot be listed."""
    if not _PROC.is_dir():
        try:
            os.killpg(session, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [session]
    members = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        # pid (comm) state ppid pgrp session ...: comm may hold spaces and parentheses, so split after the last ")".
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 3 and fields[0] != "Z" and int(fields[3]) == session:
            members.append(int(entry.name))
    return members


def signal_session(session: int, sig: signal.Signals) -> None:
    """Send ``sig`` to every process of ``session`` (and to the leader's process group)."""
    for pid in session_members(session):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.killpg(session, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_session(session: int, *, grace: float = GRACE, reap: Callable[[], object] | None = None) -> list[str]:
    """SIGTERM every process of ``session``, wait up to ``grace`` seconds, SIGKILL what is left; the commands
    that had to be killed (empty: all exited on SIGTERM). ``reap``: called while waiting (e.g. ``Popen.poll``),
    so the caller's own child does not linger as a zombie."""
    signal_session(session, signal.SIGTERM)
    if _wait_until_gone(session, grace, reap):
        return []
    stubborn = [command_of(pid) for pid in session_members(session)]
    signal_session(session, signal.SIGKILL)
    _wait_until_gone(session, 5.0, reap)
    return stubborn


def command_of(pid: int) -> str:
    """A process's command line, short: without the interpreter, the program without its folder."""
    try:
        words = (_PROC / str(pid) / "cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return str(pid)
    words = [word for word in words if word]
    if len(words) > 1 and Path(words[0]).name.startswith("python"):
        words = words[1:]
    if not words:
        return str(pid)
    return " ".join([Path(words[0]).name, *words[1:]])[:60]


def _wait_until_gone(session: int, timeout: float, reap: Callable[[], object] | None) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if reap is not None:
            reap()
        if not session_members(session):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def start_watchdog(session: int, log: Path) -> subprocess.Popen:
    """A watchdog that stops ``session`` once the calling process is gone: keep the returned handle (its stdin
    is the pipe) for as long as the session should live."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline.orchestration.process_session", str(session)],
            stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            cwd=Path(__file__).resolve().parents[2],
        )


def _watch(session: int) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # only the end of the pipe ends the watch
    while sys.stdin.buffer.read(4096):
        pass
    if session_members(session):
        print(f"[carm watchdog] the process that started Airflow is gone: stopping session {session}", flush=True)
        stop_session(session)
    return 0


if __name__ == "__main__":
    sys.exit(_watch(int(sys.argv[1])))
