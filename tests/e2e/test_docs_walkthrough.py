"""docs/integration.md's walkthrough, run as written: a real `guard serve`, the doc's own shell
blocks, and the answers it says the reader will see (a two-parcel order and a combined shipment
declared, labelled and handed over)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from support.processes import guard_env, serve

DOC = Path(__file__).resolve().parents[2] / "docs" / "integration.md"


def walkthrough_blocks() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### Walkthrough", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def test_the_walkthrough_runs_as_written(tmp_path):
    if shutil.which("curl") is None:
        raise AssertionError("curl is needed to run the walkthrough as a reader would")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "guard"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m guard.cli "$@"\n')
    wrapper.chmod(0o755)
    env = guard_env()
    process, base = serve(tmp_path, env)
    try:
        script = "set -eu\n" + "\n".join(walkthrough_blocks())
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env={**env, "GUARD": base, "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    labels = [a for a in answers if "label_id" in a]
    assert [(a["order_id"], a["parcel_id"], a["tracking_number"]) for a in labels] == [
        ("AE-1001", "1", "LP1001A"),
        ("AE-1001", "2", "LP1001B"),
        ("AE-2001", "1", "LP2000BOX"),
    ]
    dock = answers[-5:]
    assert dock[0]["error"]["code"] == "CODE_AMBIGUOUS"
    assert (dock[1]["verdict"], dock[1]["parcel_id"]) == ("clear", "1")
    assert (dock[2]["verdict"], dock[2]["parcel_id"]) == ("clear", "2")
    assert dock[3]["shipment_id"] == "BOX-77"
    assert {(p["order_id"], p["parcel_id"]) for p in dock[3]["parcels"]} == {("AE-2001", "1"), ("AE-2002", "1")}
    assert dock[4]["error"]["code"] == "ALREADY_HANDED_OVER"
