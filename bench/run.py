"""Benchmark: synth time and peak memory of our constructs against aws_ecs_patterns, as whole processes.

One command (``make bench``); it writes ``bench/results.json`` and ``bench/results.md``. Timings here are
noisy, so what matters is the ratios measured in the same run: ours / ecs_patterns, and each / the floor
(an empty CDK app: Python, jsii kernel start-up, synth). Never a timed assertion in a test.

Each case is timed twice over: wall time, and CPU time (user + system of the process and of the children it
waited for: Python and its jsii kernel, Node.js). On a shared machine wall time swings with the other processes'
load; CPU time much less, so the ratios are given for both, with the load average before and after the run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CASES = [
    ("empty", 0),
    ("patterns", 1),
    ("reference", 0),
    ("twin", 0),
    ("ours", 1),
    ("patterns", 10),
    ("ours", 10),
    ("patterns", 25),
    ("ours", 25),
]


def run_once(argv: list[str], allow_findings: bool = False) -> tuple[float, float, float]:
    """Wall time (s), peak RSS (MiB) of the largest process in the tree and CPU time (s), for one run of ``argv``."""
    env = dict(
        os.environ,
        JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
        JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as make runs it: compiled modules are kept, not recompiled each run
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) not in ((0, 1) if allow_findings else (0,)):
        raise SystemExit(f"{' '.join(argv)} failed:\n{stderr[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def summarize(samples: list[tuple[float, float, float]]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(s[0] for s in samples), 3),
        "min_s": round(min(s[0] for s in samples), 3),
        "median_cpu_s": round(statistics.median(s[2] for s in samples), 3),
        "peak_rss_mib": round(max(s[1] for s in samples), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--synth-only", action="store_true", help="only empty, patterns-1, reference, twin and ours-1")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            (f"{kind}-{count}" if count else kind): [
                sys.executable,
                str(HERE / "stacks.py"),
                kind,
                str(count),
                str(Path(tmp) / f"{kind}-{count}"),
            ]
            for kind, count in CASES
            if not args.synth_only or count <= 1
        }
        template = Path(tmp) / "ours-25" / "BenchOurs25.template.json"
        if not args.synth_only:
            commands["cli-check-25"] = [sys.executable, "-m", "secure_fargate", "check", str(template)]
        # Round-robin: every case runs once per round, so drift in the machine's speed hits all cases alike.
        samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands}
        load_before = os.getloadavg()
        for round_number in range(args.runs):
            for name, argv in commands.items():
                samples[name].append(run_once(argv, allow_findings=name == "cli-check-25"))
            print(f"round {round_number + 1}/{args.runs} done", flush=True)
        results = {name: summarize(found) for name, found in samples.items()}
        resources = len(json.loads(template.read_text())["Resources"]) if template.exists() else None

    load_after = os.getloadavg()
    floor = results["empty"]["median_s"]

    def t(name: str) -> float:
        return results[name]["median_s"]

    def cpu(name: str) -> float:
        return results[name]["median_cpu_s"]

    ratios: dict[str, float] = {
        "reference / patterns-1": round(t("reference") / t("patterns-1"), 3),
        "reference / patterns-1 (CPU time)": round(cpu("reference") / cpu("patterns-1"), 3),
        "reference / twin": round(t("reference") / t("twin"), 3),
        "reference / twin (CPU time)": round(cpu("reference") / cpu("twin"), 3),
        "ours-1 / patterns-1": round(t("ours-1") / t("patterns-1"), 3),
        "ours-1 / patterns-1 (CPU time)": round(cpu("ours-1") / cpu("patterns-1"), 3),
    }
    if not args.synth_only:
        marginal = {k: round((t(f"{k}-25") - t(f"{k}-1")) / 24, 3) for k in ("ours", "patterns")}
        ratios |= {
            "ours-10 / patterns-10": round(t("ours-10") / t("patterns-10"), 3),
            "ours-25 / patterns-25": round(t("ours-25") / t("patterns-25"), 3),
            "marginal s/service ours": marginal["ours"],
            "marginal s/service patterns": marginal["patterns"],
            "marginal ours / patterns": round(marginal["ours"] / marginal["patterns"], 3),
        }
    ratios |= {f"{name} / floor": round(t(name) / floor, 3) for name in results if name != "empty"}
    meta = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "runs": args.runs,
        "resources_in_ours_25": resources,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
    }
    stem = "results-synth" if args.synth_only else "results"
    (HERE / f"{stem}.json").write_text(
        json.dumps({"meta": meta, "results": results, "ratios": ratios}, indent=2) + "\n"
    )
    lines = [
        f"Benchmark of {meta['date']} on {meta['machine']}, Python {meta['python']}, median of {args.runs} runs; "
        f"load average (1/5/15 min) {meta['load_average_before']} before, {meta['load_average_after']} after.",
        "",
        "| case | median s | median CPU s | peak RSS MiB |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {k} | {v['median_s']} | {v['median_cpu_s']} | {v['peak_rss_mib']} |" for k, v in results.items()]
    lines += ["", "| ratio | value |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in ratios.items()]
    (HERE / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
