"""A newcomer's setup, timed: a fresh ``git clone`` of this repository into /tmp, then the README's two commands.

    python3 bench/fresh_clone.py                 # uv's download cache as this machine has it
    python3 bench/fresh_clone.py --cold-cache    # an empty uv cache: every package downloaded from the registry

Needs nothing but Python 3 and git (it runs before any virtualenv exists). Each step is timed as wall time and as CPU
time (user + system of every process it ran): on a shared machine the wall time depends on the others' load, the
CPU time much less. Writes bench/fresh-clone.md, the figure the README quotes; the clone and its logs stay in /tmp.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent


def timed(argv: list[str], cwd: Path, log: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one command (and everything it waited for); its output goes to ``log``."""
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed: see {log}")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-cache", action="store_true", help="an empty uv cache (every package downloaded)")
    args = parser.parse_args()
    clone = Path(tempfile.mkdtemp(prefix="secure-fargate-clone."))
    env = dict(os.environ)
    cache = "uv's download cache as found on this machine"
    if args.cold_cache:
        env["UV_CACHE_DIR"] = str(clone) + ".uv-cache"
        cache = "an empty uv cache (every package downloaded)"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=SOURCE, capture_output=True, text=True)
    load_before = os.getloadavg()
    steps = {
        "git clone": timed(
            ["git", "clone", "--quiet", str(SOURCE), str(clone)], SOURCE, clone.with_suffix(".log"), env
        ),
        "make synth (virtualenv, install, synth, check)": timed(["make", "synth"], clone, clone / "synth.log", env),
        "make test (ruff, mypy, pytest)": timed(["make", "test"], clone, clone / "test.log", env),
    }
    load_after = os.getloadavg()
    result = (clone / "test.log").read_text().strip().splitlines()[-1].strip("= ")
    wall, cpu = sum(w for w, _ in steps.values()), sum(c for _, c in steps.values())
    lines = [
        f"Fresh clone of {commit.stdout.strip()} on {date.today().isoformat()}, {os.cpu_count()} cores, {cache}; "
        f"load average (1/5/15 min) {[round(x, 2) for x in load_before]} before, "
        f"{[round(x, 2) for x in load_after]} after. pytest: {result}.",
        "",
        "| step | wall s | CPU s |",
        "| --- | --- | --- |",
        *[f"| {name} | {w:.0f} | {c:.0f} |" for name, (w, c) in steps.items()],
        f"| **total** | **{wall:.0f}** | **{cpu:.0f}** |",
    ]
    (HERE / "fresh-clone.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
