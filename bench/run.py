"""Benchmark: synth time and peak memory of our constructs against aws_ecs_patterns, as whole processes.

One command (``make bench``); it writes ``bench/results.json`` and ``bench/results.md``. Timings here are
noisy, so what matters is the ratios measured in the same run: ours / ecs_patterns, and each / the floor
(an empty CDK app: Python, jsii kernel start-up, synth). Never a timed assertion in a test.
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
    ("ours", 1),
    ("patterns", 10),
    ("ours", 10),
    ("patterns", 25),
    ("ours", 25),
]


def run_once(argv: list[str], allow_findings: bool = False) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MiB) of the largest process in the tree, for one run of ``argv``."""
    env = dict(
        os.environ,
        JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
        JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) not in ((0, 1) if allow_findings else (0,)):
        raise SystemExit(f"{' '.join(argv)} failed:\n{stderr[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024


def summarize(samples: list[tuple[float, float]]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(s[0] for s in samples), 3),
        "min_s": round(min(s[0] for s in samples), 3),
        "peak_rss_mib": round(max(s[1] for s in samples), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
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
        }
        template = Path(tmp) / "ours-25" / "BenchOurs25.template.json"
        commands["cli-check-25"] = [sys.executable, "-m", "secure_fargate", "check", str(template)]
        # Round-robin: every case runs once per round, so drift in the machine's speed hits all cases alike.
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for round_number in range(args.runs):
            for name, argv in commands.items():
                samples[name].append(run_once(argv, allow_findings=name == "cli-check-25"))
            print(f"round {round_number + 1}/{args.runs} done", flush=True)
        results = {name: summarize(found) for name, found in samples.items()}
        resources = len(json.loads(template.read_text())["Resources"])

    floor = results["empty"]["median_s"]

    def t(name: str) -> float:
        return results[name]["median_s"]

    marginal = {k: round((t(f"{k}-25") - t(f"{k}-1")) / 24, 3) for k in ("ours", "patterns")}
    ratios = {
        "reference / patterns-1": round(t("reference") / t("patterns-1"), 3),
        "ours-1 / patterns-1": round(t("ours-1") / t("patterns-1"), 3),
        "ours-10 / patterns-10": round(t("ours-10") / t("patterns-10"), 3),
        "ours-25 / patterns-25": round(t("ours-25") / t("patterns-25"), 3),
        "marginal s/service ours": marginal["ours"],
        "marginal s/service patterns": marginal["patterns"],
        "marginal ours / patterns": round(marginal["ours"] / marginal["patterns"], 3),
        **{f"{name} / floor": round(t(name) / floor, 3) for name in results if name != "empty"},
    }
    meta = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "runs": args.runs,
        "resources_in_ours_25": resources,
    }
    (HERE / "results.json").write_text(
        json.dumps({"meta": meta, "results": results, "ratios": ratios}, indent=2) + "\n"
    )
    lines = [
        f"Benchmark of {meta['date']} on {meta['machine']}, Python {meta['python']}, median of {args.runs} runs.",
        "",
        "| case | median s | peak RSS MiB |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {k} | {v['median_s']} | {v['peak_rss_mib']} |" for k, v in results.items()]
    lines += ["", "| ratio | value |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in ratios.items()]
    (HERE / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
