"""Notebook 12's Slurm batch script is one sbatch accepts: its shebang, its directives, its shell syntax, and a
torchrun command line that torchrun's own parser reads (issue 20: it once started with `!/bin/bash`)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "12_scaling_out.ipynb"
SBATCH_OPTIONS = {"nodes", "ntasks-per-node", "gpus-per-node", "cpus-per-task", "time", "job-name", "partition", "output", "mem"}


def slurm_script() -> str:
    """The ```bash block of notebook 12 that holds #SBATCH directives."""
    for cell in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            for block in re.findall(r"```bash\n(.*?)```", "".join(cell["source"]), re.S):
                if "#SBATCH" in block:
                    return block
    raise AssertionError("notebook 12 has no ```bash block with #SBATCH directives")


def test_the_script_starts_with_a_shebang_and_its_directives_come_first():
    lines = slurm_script().splitlines()
    assert lines[0] in ("#!/bin/bash", "#!/usr/bin/env bash"), f"sbatch needs a shebang on the first line, got {lines[0]!r}"
    body = [ln for ln in lines[1:] if ln.strip()]
    first_command = next(i for i, ln in enumerate(body) if not ln.startswith("#"))
    assert all(not ln.startswith("#SBATCH") for ln in body[first_command:]), "sbatch ignores #SBATCH lines after the first command"
    directives = dict(re.match(r"#SBATCH --([a-z-]+)=(\S+)", ln).groups() for ln in body[:first_command] if ln.startswith("#SBATCH"))
    assert set(directives) <= SBATCH_OPTIONS, f"unknown sbatch options: {set(directives) - SBATCH_OPTIONS}"
    assert {"nodes", "ntasks-per-node"} <= set(directives)
    assert directives["ntasks-per-node"] == "1", "one torchrun per node: it starts the workers itself"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_script_is_valid_shell():
    result = subprocess.run(["bash", "-n"], input=slurm_script(), text=True, capture_output=True)
    assert result.returncode == 0, result.stderr


def test_torchrun_parses_the_srun_command_line():
    from torch.distributed.run import get_args_parser

    script = slurm_script()
    directives = dict(re.findall(r"#SBATCH --([a-z-]+)=(\S+)", script))
    command = " ".join(ln.rstrip("\\").strip() for ln in script.splitlines() if not ln.startswith("#"))
    command = command[command.index("srun ") :]
    env = {"SLURM_NNODES": directives["nodes"], "SLURM_JOB_ID": "4242", "head": "node001"}
    words = [re.sub(r"\$\{?(\w+)\}?", lambda m: env[m.group(1)], w) for w in shlex.split(command)]
    assert words[:4] == ["srun", "python", "-m", "torch.distributed.run"], words[:4]
    args = get_args_parser().parse_args(words[4:])
    assert args.nnodes == directives["nodes"]
    assert args.nproc_per_node == directives["gpus-per-node"], "one worker per GPU of the node"
    assert args.rdzv_backend == "c10d" and args.rdzv_endpoint == "node001:29500" and args.rdzv_id == "4242"
    assert args.training_script == "train.py"
