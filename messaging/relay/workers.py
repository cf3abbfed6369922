"""Starting real `celery worker` processes for one or both sides (benchmark, test helper).

Each side's worker consumes "<side>.async,<side>.sync", as in the Procfile. The processes get
the environment they are given (database, broker, HN_VAR_DIR), log to files, and are
reported ready once Celery logs "ready".
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings

START_TIMEOUT = 60.0


class WorkerStartError(RuntimeError):
    pass


class WorkerProcesses:
    """The running processes by name ("portal", "epj", "beat")."""

    def __init__(self, *, env: dict[str, str], log_dir: Path, concurrency: int = 1, pool: str = "prefork") -> None:
        self.env, self.concurrency, self.pool = env, concurrency, pool
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)

    def _command(self, name: str) -> list[str]:
        celery = [sys.executable, "-m", "celery", "-A", "helsenorge"]
        if name == "beat":
            schedule = self.log_dir / f"beat-{uuid.uuid4().hex[:8]}"
            return celery + ["beat", "-l", "INFO", "-s", str(schedule), "--max-interval", "1"]
        return celery + [
            "worker",
            "-Q",
            f"{name}.async,{name}.sync",
            "-n",
            f"{name}-{uuid.uuid4().hex[:8]}@%h",
            "--concurrency",
            str(self.concurrency),
            "-P",
            self.pool,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
        ]

    def start(self, name: str, *, wait: bool = True) -> None:
        log = self.log_dir / f"{name}-{uuid.uuid4().hex[:8]}.log"
        self.logs[name] = log
        with open(log, "wb") as out:
            self.procs[name] = subprocess.Popen(
                self._command(name),
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=settings.BASE_DIR,
                start_new_session=True,
            )
        if wait and name != "beat":
            self.wait_ready(name)

    def wait_ready(self, name: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                break
            if b" ready." in self.logs[name].read_bytes():
                return
            time.sleep(0.1)
        tail = self.log_tail(name)
        self.stop()
        raise WorkerStartError(f"celery worker {name} did not start:\n{tail}")

    def child_pids(self, name: str) -> list[int]:
        """The pool processes of a worker (its children)."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.procs[name].pid)], capture_output=True, text=True)
        return [int(pid) for pid in out.stdout.split()]

    def kill_child(self, name: str) -> int:
        """SIGKILL the pool process running the worker's task; the worker forks a new one."""
        pid = self.child_pids(name)[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill(self, name: str) -> None:
        """SIGKILL the whole worker (main process and pool) without a warm shutdown."""
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def halt(self, name: str, *, grace: float = 10.0) -> None:
        """Warm shutdown of one worker (SIGTERM: it finishes its task), SIGKILL after `grace` s."""
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the pool children too
        proc.wait(10)

    def restart(self, name: str) -> None:
        self.kill(name)
        self.start(name)

    def stop(self) -> None:
        """Warm shutdown of every worker at once, then SIGKILL whatever is still there."""
        procs = [self.procs.pop(name) for name in list(self.procs)]
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 3
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(deadline - time.monotonic(), 0.01))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the pool children too
            proc.wait(10)

    def log_tail(self, name: str, chars: int = 3000) -> str:
        return self.logs[name].read_bytes()[-chars:].decode(errors="replace")


@contextlib.contextmanager
def worker_processes(
    *,
    env: dict[str, str],
    log_dir: Path,
    sides: Iterable[str] = ("portal", "epj"),
    beat: bool = False,
    concurrency: int = 1,
    pool: str = "prefork",
) -> Iterator[WorkerProcesses]:
    """Start a worker per side (together, then wait for each) and optionally beat; stop on exit."""
    workers = WorkerProcesses(env=env, log_dir=log_dir, concurrency=concurrency, pool=pool)
    try:
        for side in sides:
            workers.start(side, wait=False)
        for side in sides:
            workers.wait_ready(side)
        if beat:
            workers.start("beat")
        yield workers
    finally:
        workers.stop()
