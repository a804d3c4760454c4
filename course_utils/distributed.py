"""Launching ``torchrun`` jobs from a notebook or a test, and ending their workers cleanly.

Notebook 12 teaches data parallelism; this module holds the process machinery it needs, tested in
``tests/test_distributed.py``:

- :func:`launch` runs one or more commands (usually ``torchrun ...``) in parallel, each in its own
  process group, with a timeout; it returns their logs, raises with the first traceback and a hint
  when one fails, and leaves no process behind in every case (success, failure, timeout, Ctrl-C).
- :func:`run_worker` is how a worker script ends: it runs the script's body, tears the process group
  down and leaves with ``os._exit``, so that the interpreter's finalization never races with gloo's
  threads (the cause of the "terminate called without an active exception" aborts, see its docstring).
- :func:`worker_device` picks a worker's backend and device: NCCL on a GPU of its own, else gloo.
- :func:`free_port`, :func:`port_is_free`, :func:`processes_mentioning`, :func:`stop`, :func:`explain`.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

TORCHRUN: list[str] = [sys.executable, "-m", "torch.distributed.run"]
LAUNCH_ID = "COURSE_LAUNCH_ID"  # set in the environment of every process a launch starts, and of their children
PROCS_ON_HOST = "COURSE_PROCS_ON_HOST"  # set by a launch that starts several torchrun agents on one machine


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free now on ``host`` (the OS picks it). Another process can still take it
    before yours binds it: prefer ``torchrun --standalone``, which binds port 0 itself."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether ``port`` can be bound on ``host`` right now."""
    with socket.socket() as s:
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def loopback_env() -> dict[str, str]:
    """``{"GLOO_SOCKET_IFNAME": <the loopback interface>}`` for jobs that stay on this machine, else ``{}``.

    Without it gloo picks its network interface by resolving the host name, which in containers and on
    laptops often resolves to an address that is not reachable, or to none."""
    try:
        names = [name for _, name in socket.if_nameindex()]
    except OSError:
        return {}
    loopback = next((n for n in ("lo", "lo0") if n in names), None)
    return {"GLOO_SOCKET_IFNAME": loopback} if loopback else {}


def _environ_has(pid: int, marker: str) -> bool:
    try:
        return marker.encode() in Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False


def processes_mentioning(text: str) -> list[tuple[int, str]]:
    """Live processes (other than this one) whose command line, or on Linux whose environment, contains
    ``text``; read from /proc, or from ``ps`` where there is no /proc (environment not searched)."""
    found = []
    if Path("/proc").is_dir():
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                state = next((line for line in (entry / "status").read_text().splitlines() if line.startswith("State:")), "")
            except OSError:
                continue
            if "Z" in state.split(":", 1)[-1][:3]:  # a zombie is already dead: it only waits for its parent to reap it
                continue
            if text in cmd or _environ_has(int(entry.name), text):
                found.append((int(entry.name), cmd))
    else:
        listing = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, timeout=30).stdout
        for line in listing.splitlines():
            pid, _, cmd = line.strip().partition(" ")
            if text in cmd and int(pid) != os.getpid():
                found.append((int(pid), cmd))
    return found


def stop(procs: Sequence[subprocess.Popen], sweep: str | None = None, grace: float = 5.0) -> None:
    """SIGTERM each process's group, SIGKILL what is left after ``grace`` seconds, then kill every process
    that mentions ``sweep`` (see :func:`processes_mentioning`) and wait until they are gone.

    The sweep matters: ``torchrun`` starts each worker in a session of its own, so killing torchrun's
    group does not reach a worker whose agent was killed before it could stop it."""
    for p in procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
    if sweep:
        for pid, _ in processes_mentioning(sweep):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while processes_mentioning(sweep) and time.monotonic() < deadline:  # SIGKILL is asynchronous
            time.sleep(0.05)


def explain(log: str) -> str:
    """A hint that names the fix for the launch failures met most often."""
    if "EADDRINUSE" in log or "address already in use" in log.lower():
        return (
            "the port is in use (another run, or a run left over): use torchrun --standalone, which picks a free port "
            "itself, or pass a free one (free_port()) as --master-port / --rdzv-endpoint"
        )
    if m := re.search(r"(\d+)/(\d+) clients joined", log):
        return (
            f"only {m[1]} of {m[2]} processes joined: the world size does not match the processes started; under torchrun "
            "do not pass rank/world_size to init_process_group, and start every node"
        )
    if "must be started by torchrun" in log:
        return "start the script with torchrun (python -m torch.distributed.run ...), not with python"
    if "has not been initialized" in log:
        return "call dist.init_process_group() before DDP, collectives or DistributedSampler"
    if "terminate called without an active exception" in log:
        return (
            "a worker aborted while Python shut down with gloo's threads still working: end the worker with "
            "course_utils.distributed.run_worker (see its docstring)"
        )
    return "read the log above (the first traceback is the one that matters)"


def first_traceback(log: str, limit: int = 40) -> str:
    """The first Python traceback in ``log`` (up to ``limit`` lines), or '' if there is none."""
    lines = log.splitlines()
    start = next((i for i, line in enumerate(lines) if "Traceback (most recent call last)" in line), None)
    if start is None:
        return ""
    end = start + 1
    while end < len(lines) and end - start < limit and (lines[end].startswith((" ", "\t")) or end == start + 1):
        end += 1
    return "\n".join(lines[start : min(end + 1, len(lines))])


class LaunchError(RuntimeError):
    """A launched command failed; ``returncodes`` and ``logs`` hold every command's exit status and output."""

    def __init__(self, message: str, returncodes: list[int | None], logs: list[str]):
        super().__init__(message)
        self.returncodes, self.logs = returncodes, logs


def launch(
    *commands: Sequence[str],
    cwd: str | Path | None = None,
    timeout: float = 240.0,
    ports: Sequence[int] = (),
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """Run ``commands`` in parallel, each in its own process group; return their logs (stdout and stderr).

    Raises ``OSError`` before starting anything if a port in ``ports`` is taken on 127.0.0.1,
    ``TimeoutError`` after ``timeout`` seconds, :class:`LaunchError` if a command exits non-zero (with
    its first traceback and a hint). In every case, Ctrl-C included, every process the launch started,
    workers of workers too, is gone when it returns: each carries a fresh ``COURSE_LAUNCH_ID`` in its
    environment, which :func:`stop` sweeps for.
    """
    if not commands:
        raise ValueError("launch needs at least one command")
    for port in ports:
        if not port_is_free(port):
            raise OSError(
                f"port {port} on 127.0.0.1 is in use (another job, or a run left over): use torchrun --standalone, "
                f"or pick a free one with free_port(); `ss -ltnp | grep {port}` shows its owner"
            )
    marker = f"{LAUNCH_ID}={uuid.uuid4().hex}"
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", **(env or {})}
    full_env[LAUNCH_ID] = marker.split("=", 1)[1]
    log_dir = Path(tempfile.mkdtemp(prefix="course_launch_"))
    logs = [log_dir / f"command_{i}.log" for i in range(len(commands))]
    procs: list[subprocess.Popen] = []
    try:
        for cmd, log in zip(commands, logs):
            with open(log, "w") as fh:
                procs.append(
                    subprocess.Popen(
                        [str(c) for c in cmd], stdout=fh, stderr=subprocess.STDOUT, env=full_env, cwd=cwd, start_new_session=True
                    )
                )
        deadline = time.monotonic() + timeout
        # Wait until every command has ended, or one has failed (the others would wait for it until their
        # own timeouts: a node whose peer died waits at the rendezvous), or the time is up.
        while any(p.poll() is None for p in procs) and not any(p.poll() not in (None, 0) for p in procs):
            if time.monotonic() > deadline:
                stop(procs, sweep=marker)
                text = "\n".join(log.read_text()[-1500:] for log in logs)
                raise TimeoutError(
                    f"the launch did not finish in {timeout:.0f} s; its processes were stopped. Hint: {explain(text)}\n{text}"
                )
            time.sleep(0.05)
    finally:
        stop(procs, sweep=marker)
        texts = [log.read_text() if log.exists() else "" for log in logs]
        for log in logs:
            log.unlink(missing_ok=True)
        log_dir.rmdir()
    codes = [p.returncode for p in procs]
    failed = [p for p in procs if p.returncode != 0]
    if failed:
        # The command that failed by itself (a positive exit code) first; the others were stopped by us (negative).
        p = min(failed, key=lambda q: q.returncode < 0)
        text = texts[procs.index(p)]
        tb = first_traceback(text)
        raise LaunchError(
            f"{' '.join(map(str, p.args[:6]))} ... exited with code {p.returncode}. Hint: {explain(text)}\n"
            + (f"First traceback:\n{tb}\n" if tb else "")
            + f"Log (end):\n{text[-3000:]}",
            codes,
            texts,
        )
    return texts


def launch_on_free_port(build: Callable[[int], Sequence[Sequence[str]]], attempts: int = 3, **kwargs) -> tuple[int, list[str]]:
    """``launch(*build(port), **kwargs)`` on a port from :func:`free_port`; return the port and the logs.

    For launches that must name a port in advance (a multi-node rendezvous endpoint): between
    ``free_port()`` and the bind another process can take the port. That case, and only that one
    (the log says EADDRINUSE), is tried again on a fresh port, at most ``attempts`` times, each retry
    printed; any other failure is raised at once."""
    for attempt in range(1, attempts + 1):
        port = free_port()
        try:
            return port, launch(*build(port), **kwargs)
        except LaunchError as err:
            taken = any("EADDRINUSE" in log or "address already in use" in log.lower() for log in err.logs)
            if not taken or attempt == attempts:
                raise
            print(
                f"port {port} was taken by another process before the launch bound it; launching again on a fresh port "
                f"(attempt {attempt + 1} of {attempts})"
            )
    raise AssertionError("unreachable")


def worker_device(env: Mapping[str, str] | None = None, gpus: int | None = None) -> tuple[str, object]:
    """The backend and device of a torchrun worker: ``("nccl", cuda:i)`` when every process on this machine
    has a GPU of its own, else ``("gloo", cpu)``. ``gpus`` defaults to ``torch.cuda.device_count()``.

    torchrun's ``LOCAL_RANK`` and ``LOCAL_WORLD_SIZE`` count the processes of one agent. Several agents on
    one machine (notebook 12's two "nodes" on one host) each start at ``LOCAL_RANK`` 0, so they would all
    take cuda:0, which NCCL refuses as a duplicate GPU. A launch that starts such agents says how many
    processes share the host in ``COURSE_PROCS_ON_HOST``; each then takes GPU
    ``GROUP_RANK * LOCAL_WORLD_SIZE + LOCAL_RANK``, or gloo when the host has fewer GPUs than processes.
    """
    import torch

    env = os.environ if env is None else env
    gpus = torch.cuda.device_count() if gpus is None else gpus
    local_rank, local_world = int(env.get("LOCAL_RANK", 0)), int(env.get("LOCAL_WORLD_SIZE", 1))
    on_host = int(env.get(PROCS_ON_HOST, local_world))
    if on_host < local_world:
        raise ValueError(
            f"{PROCS_ON_HOST}={on_host} is fewer than this agent's own LOCAL_WORLD_SIZE={local_world}: "
            "it counts every process on the host, of all agents"
        )
    if gpus >= on_host:
        first = int(env.get("GROUP_RANK", 0)) * local_world if on_host > local_world else 0
        return "nccl", torch.device("cuda", first + local_rank)
    return "gloo", torch.device("cpu")


def run_worker(main: Callable[[], object]) -> NoReturn:
    """Run a distributed worker's body, then leave the process with ``os._exit``: status 0 if ``main``
    returned, 1 (after printing its traceback) if it raised, the code of a ``SystemExit``.

    Why not simply return and let Python exit: gloo runs each collective on a thread of its own
    (``pt_gloo_runloop``), which drops its last reference to the finished work (and to the tensors in
    it) *after* the caller has been told the work is done. If the main thread has meanwhile reached
    interpreter finalization, that thread's decref needs the GIL, ``take_gil`` ends the thread during
    finalization, the forced unwind meets a ``noexcept`` destructor and ``std::terminate`` aborts the
    process (SIGABRT, "terminate called without an active exception"), although all the work is done.
    Measured on 2 cores with torch 2.14.1: about one 2-process launch in seven;
    ``destroy_process_group()`` and a barrier do not close the window. Leaving with ``os._exit`` after
    the group is destroyed and the output flushed skips finalization, as ``multiprocessing`` does for
    its child processes; so write and close every file in ``main``.
    """
    code = 0
    try:
        main()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        if exit_.code is not None and not isinstance(exit_.code, int):
            print(exit_.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001  (KeyboardInterrupt too: report it, exit non-zero)
        traceback.print_exc()
        code = 1
    finally:
        try:
            import torch.distributed as dist

            if dist.is_available() and dist.is_initialized():
                dist.destroy_process_group()
        except Exception:  # noqa: BLE001
            traceback.print_exc()
            code = code or 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
