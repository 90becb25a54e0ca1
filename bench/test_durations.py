"""Where `make test`'s pytest time goes: ``python bench/test_durations.py [pytest args]``.

Writes bench/test-durations.md. Runs pytest once with ``--durations=0`` (every setup, call and teardown timed) and
lists the 30 slowest items, the time per module, the `slow` / not-`slow` split, the load average around the run,
and the run's CPU time (pytest and the processes it waited for: the jsii kernel, the CDK CLI, mypy...), which the
other work on a shared machine changes much less than wall time. Measured, never asserted.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
_LINE = re.compile(r"^\s*([\d.]+)s (setup|call|teardown)\s+(\S+)$")


def main() -> None:
    load_before = os.getloadavg()
    cpu_before = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--durations=0",
            "-m",
            "slow or not slow",
            *sys.argv[1:],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    cpu = _children_cpu() - cpu_before
    load_after = os.getloadavg()
    slow = set(
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only", "-m", "slow"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.splitlines()
    )
    items = [(float(m[1]), m[2], m[3]) for m in map(_LINE.match, done.stdout.splitlines()) if m]
    per_module: dict[str, float] = defaultdict(float)
    split = {"slow": 0.0, "not slow": 0.0}
    for seconds, _, node in items:
        per_module[node.split("::")[0]] += seconds
        split["slow" if node in slow else "not slow"] += seconds
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "(no output)"
    lines = [
        f"pytest durations of {date.today().isoformat()}, {os.cpu_count()} cores, one process; load average "
        f"(1/5/15 min) {[round(x, 2) for x in load_before]} before, {[round(x, 2) for x in load_after]} after.",
        f"Result: {summary.strip('= ')}; wall time of the run {wall:.1f} s, CPU time {cpu:.1f} s (user + system).",
        "",
        f"Timed items add up to {sum(s for s, _, _ in items):.1f} s: `slow` {split['slow']:.1f} s, "
        f"not `slow` (`make test-fast`) {split['not slow']:.1f} s.",
        "",
        "| seconds | phase | test |",
        "| --- | --- | --- |",
        *[f"| {s:.2f} | {phase} | `{node}` |" for s, phase, node in sorted(items, reverse=True)[:30]],
        "",
        "| seconds | module |",
        "| --- | --- |",
        *[f"| {s:.1f} | `{m}` |" for m, s in sorted(per_module.items(), key=lambda kv: -kv[1])],
    ]
    (HERE / "test-durations.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:5]))
    sys.exit(done.returncode)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
