"""Where `make test`'s pytest time goes: ``python bench/test_durations.py [--serial]``.

Writes bench/test-durations.md. Runs pytest as make does (the Makefile's ``PYTEST_PARALLEL`` and
``PYTEST_PARALLEL_FAST`` workers; the virtualenv's bin first on PATH, so the jsii kernel runs the virtualenv's
Node.js), once for the whole suite with ``--durations=0`` (every setup, call and teardown timed) and once for the
tests `make test-fast` runs (not ``slow``). For each run: wall time, CPU time (pytest, its workers and every
process they waited for: the jsii kernels, the CDK CLI, mypy...), which the other work on a shared machine changes
much less than wall time, and the load average around it. Then the 30 slowest items, the time per module and the
`slow` / not-`slow` split. Bytecode is kept, as make keeps it (``PYTHONDONTWRITEBYTECODE`` unset).
``--serial`` runs both in one process instead (no workers), for comparison. Measured, never asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
_LINE = re.compile(r"^\s*([\d.]+)s (setup|call|teardown)\s+(\S+)$")


def parallel_options(name: str) -> list[str]:
    """A Makefile variable's pytest-xdist options: PYTEST_PARALLEL (`make test`), PYTEST_PARALLEL_FAST
    (`make test-fast`)."""
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if line.split(":=")[0].strip() == name:
            return shlex.split(line.split(":=", 1)[1])
    raise SystemExit(f"Makefile: no {name}")


def run(args: list[str]) -> tuple[subprocess.CompletedProcess[str], float, float, list[float]]:
    """One pytest run as make runs it: the process, its wall and CPU seconds, and the load average before."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    load = [round(x, 2) for x in os.getloadavg()]
    cpu_before, start = _children_cpu(), time.perf_counter()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return done, time.perf_counter() - start, _children_cpu() - cpu_before, load


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--serial", action="store_true", help="one process, no pytest-xdist workers")
    serial = parser.parse_args().serial
    options = [] if serial else parallel_options("PYTEST_PARALLEL")
    fast_options = [] if serial else parallel_options("PYTEST_PARALLEL_FAST")
    how = "one process" if serial else f"the workers `make test` and `make test-fast` use (`{' '.join(options)}`)"
    whole, wall, cpu, load = run([*options, "--durations=0", "-m", "slow or not slow"])
    fast, fast_wall, fast_cpu, fast_load = run([*fast_options, "-m", "not slow"])
    slow = set(
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only", "-m", "slow"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.splitlines()
    )
    items = [(float(m[1]), m[2], m[3]) for m in map(_LINE.match, whole.stdout.splitlines()) if m]
    per_module: dict[str, float] = defaultdict(float)
    split = {"slow": 0.0, "not slow": 0.0}
    for seconds, _, node in items:
        per_module[node.split("::")[0]] += seconds
        split["slow" if node in slow else "not slow"] += seconds

    def summary(done: subprocess.CompletedProcess[str]) -> str:
        return done.stdout.strip().splitlines()[-1].strip("= ") if done.stdout.strip() else "(no output)"

    lines = [
        f"pytest durations of {date.today().isoformat()}, {os.cpu_count()} cores, {how}.",
        "",
        "| run | result | wall s | CPU s | load average before (1/5/15 min) |",
        "| --- | --- | --- | --- | --- |",
        f"| whole suite (`make test`'s pytest) | {summary(whole)} | {wall:.1f} | {cpu:.1f} | {load} |",
        f"| not `slow` (`make test-fast`'s pytest) | {summary(fast)} | {fast_wall:.1f} | {fast_cpu:.1f} "
        f"| {fast_load} |",
        "",
        f"Timed items of the whole suite add up to {sum(s for s, _, _ in items):.1f} s: `slow` {split['slow']:.1f} s, "
        f"not `slow` {split['not slow']:.1f} s (with workers, items run side by side: the sum exceeds the wall time).",
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
    print("\n".join(lines[:7]))
    sys.exit(whole.returncode or fast.returncode)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
