"""The launcher of course_utils.distributed, with real torchrun jobs on gloo: a job that succeeds, a
worker that raises, a worker that hangs, a busy port, and no process left behind in every case."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from course_utils import distributed as cud

pytestmark = pytest.mark.xdist_group("torchrun")  # the launches run one after another, on one worker

WORKER = textwrap.dedent(
    """
    import json, os, sys, time
    import torch
    import torch.distributed as dist
    from course_utils.distributed import run_worker

    MODE = sys.argv[1]


    def main():
        dist.init_process_group("gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
        t = torch.tensor([float(rank + 1)])
        dist.all_reduce(t)
        everyone = [None] * world
        dist.all_gather_object(everyone, {"rank": rank, "sum": t.item()})  # the collective whose work outlived Python
        if MODE == "raise" and rank == 1:
            raise ValueError("boom on rank 1")
        if MODE == "hang" and rank == 1:
            time.sleep(600)
        if rank == 0:
            with open(os.path.join(sys.argv[2], "result.json"), "w") as fh:
                json.dump(everyone, fh)


    run_worker(main)
    """
)


@pytest.fixture
def worker(tmp_path: Path) -> Path:
    path = tmp_path / "worker.py"
    path.write_text(WORKER)
    return path


def _torchrun(worker: Path, mode: str) -> list[str]:
    return [*cud.TORCHRUN, "--standalone", "--nproc_per_node", "2", str(worker), mode, str(worker.parent)]


def _nothing_left(tmp_path: Path) -> None:
    assert cud.processes_mentioning(str(tmp_path)) == [], "a process of the launch is still running"


def test_a_job_that_succeeds_returns_its_logs_and_results(worker, tmp_path):
    logs = cud.launch(_torchrun(worker, "ok"), cwd=tmp_path, timeout=120, env=cud.loopback_env())
    assert len(logs) == 1
    result = (tmp_path / "result.json").read_text()
    assert '"sum": 3.0' in result and '"rank": 1' in result
    _nothing_left(tmp_path)


def test_a_worker_that_raises_fails_the_launch_with_its_traceback(worker, tmp_path):
    with pytest.raises(cud.LaunchError) as err:
        cud.launch(_torchrun(worker, "raise"), cwd=tmp_path, timeout=120, env=cud.loopback_env())
    message = str(err.value)
    assert "exited with code 1" in message and "First traceback:" in message and "ValueError: boom on rank 1" in message
    assert err.value.returncodes == [1]
    _nothing_left(tmp_path)


def test_a_worker_that_hangs_is_stopped_at_the_timeout(worker, tmp_path):
    t0 = time.monotonic()
    with pytest.raises(TimeoutError, match="did not finish in 25 s"):
        cud.launch(_torchrun(worker, "hang"), cwd=tmp_path, timeout=25, env=cud.loopback_env())
    assert time.monotonic() - t0 < 60
    _nothing_left(tmp_path)


def test_a_busy_port_is_refused_before_anything_starts(worker, tmp_path):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        busy = blocker.getsockname()[1]
        assert not cud.port_is_free(busy)
        with pytest.raises(OSError, match=f"port {busy} on 127.0.0.1 is in use"):
            cud.launch([*cud.TORCHRUN, "--master-port", str(busy), str(worker), "ok", str(tmp_path)], ports=(busy,))
    assert cud.port_is_free(busy)
    _nothing_left(tmp_path)


def test_a_launcher_killed_alone_leaves_an_orphan_that_stop_sweeps(tmp_path):
    agent = tmp_path / "agent.py"  # a stand-in for torchrun: its 'worker' runs in a session of its own
    agent.write_text(
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', sys.argv[0]], start_new_session=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, str(agent)], start_new_session=True)
    try:
        for _ in range(200):
            if len(cud.processes_mentioning(str(agent))) >= 2:
                break
            time.sleep(0.05)
        proc.kill()
        proc.wait()
        assert len(cud.processes_mentioning(str(agent))) == 1, "the orphan should outlive its killed launcher"
    finally:
        cud.stop([proc], sweep=str(agent))
    assert cud.processes_mentioning(str(agent)) == []


def test_launch_stops_descendants_by_their_environment_marker(tmp_path):
    token = f"time.sleep({600 + int(time.time() * 1000) % 100000 / 1e5})"  # a command line that names nothing but itself
    agent = tmp_path / "agent.py"  # the child's command line does not mention tmp_path: only the environment marks it
    agent.write_text(
        f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', 'import time; {token}'], start_new_session=True)\n"
        "time.sleep(600)\n"
    )
    with pytest.raises(TimeoutError):
        cud.launch([sys.executable, str(agent)], timeout=3)
    assert cud.processes_mentioning(token) == []


@pytest.mark.parametrize(
    ("body", "code", "stderr"),
    [("pass", 0, ""), ("1 / 0", 1, "ZeroDivisionError"), ("sys.exit(3)", 3, ""), ("sys.exit('no data')", 1, "no data")],
)
def test_run_worker_exit_status(body, code, stderr):
    script = f"import sys\nfrom course_utils.distributed import run_worker\n\ndef main():\n    {body}\n\n"
    script += "run_worker(main)\nprint('unreachable')\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == code and stderr in done.stderr and "unreachable" not in done.stdout


def test_one_failed_command_stops_the_others_at_once(tmp_path):
    t0 = time.monotonic()
    with pytest.raises(cud.LaunchError, match="exited with code 2") as err:
        cud.launch([sys.executable, "-c", "import sys; sys.exit(2)"], [sys.executable, "-c", "import time; time.sleep(600)", str(tmp_path)])
    assert time.monotonic() - t0 < 30 and err.value.returncodes[0] == 2 and err.value.returncodes[1] < 0
    _nothing_left(tmp_path)


def test_launch_on_free_port_retries_only_a_taken_port(capsys):
    calls = []

    def build(port):
        calls.append(port)
        code = "print('EADDRINUSE'); raise SystemExit(1)" if len(calls) == 1 else "print('ok')"
        return [[sys.executable, "-c", code]]

    port, logs = cud.launch_on_free_port(build)
    assert len(calls) == 2 and port == calls[1] and logs == ["ok\n"]
    assert "was taken by another process" in capsys.readouterr().out
    with pytest.raises(cud.LaunchError):  # any other failure is not retried
        cud.launch_on_free_port(lambda port: [[sys.executable, "-c", "raise SystemExit(1)"]])


def test_explain_names_the_fix():
    assert "--standalone" in cud.explain("RuntimeError: EADDRINUSE")
    assert "only 1 of 3" in cud.explain("Timed out after 3 seconds waiting for clients. 1/3 clients joined.")
    assert "run_worker" in cud.explain("terminate called without an active exception")
    assert "first traceback" in cud.explain("something else")
    log = 'noise\nTraceback (most recent call last):\n  File "w.py", line 3, in <module>\n    f()\nValueError: bad\nmore noise'
    assert cud.first_traceback(log).splitlines()[-1] == "ValueError: bad" and cud.first_traceback("none") == ""


def test_loopback_env_names_a_loopback_interface():
    env = cud.loopback_env()
    names = {name for _, name in socket.if_nameindex()}
    assert env == {} or env["GLOO_SOCKET_IFNAME"] in names


def test_worker_device_gives_each_process_of_a_host_its_own_gpu_or_gloo():
    from course_utils.distributed import worker_device

    one_node = {"LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"}
    assert worker_device(one_node, gpus=2) == ("nccl", torch.device("cuda", 1))
    assert worker_device(one_node, gpus=1)[0] == "gloo"  # two processes, one GPU
    assert worker_device(one_node, gpus=0) == ("gloo", torch.device("cpu"))
    # two agents ("nodes") of one process each on one machine: both have LOCAL_RANK 0
    node = {"LOCAL_RANK": "0", "LOCAL_WORLD_SIZE": "1", "COURSE_PROCS_ON_HOST": "2"}
    assert worker_device({**node, "GROUP_RANK": "0"}, gpus=1)[0] == "gloo"  # not cuda:0 twice (NCCL: duplicate GPU)
    assert worker_device({**node, "GROUP_RANK": "1"}, gpus=2) == ("nccl", torch.device("cuda", 1))
    assert worker_device({**node, "GROUP_RANK": "0"}, gpus=2) == ("nccl", torch.device("cuda", 0))
    assert worker_device({}, gpus=1) == ("nccl", torch.device("cuda", 0))  # a plain single process
    two_per_agent = {"LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2", "COURSE_PROCS_ON_HOST": "4", "GROUP_RANK": "1"}
    assert worker_device(two_per_agent, gpus=4) == ("nccl", torch.device("cuda", 3))  # agent 1's second process
    with pytest.raises(ValueError, match="fewer than this agent's own LOCAL_WORLD_SIZE"):
        worker_device({**two_per_agent, "COURSE_PROCS_ON_HOST": "1"}, gpus=4)  # a miscount, not a silent gloo
