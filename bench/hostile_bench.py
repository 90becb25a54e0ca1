"""Benchmark: ``secure-fargate check`` on deployable 1 MB templates built to make the pack's patterns slow.

Each template holds about 1 MB (CloudFormation's template-body limit) of task definitions, each under the 64 KiB
ECS limit on a task definition, whose environment values, commands, labels and log options repeat a prefix of
one secret-value pattern without ever completing it (the input that makes a backtracking pattern quadratic).
Reports seconds per template (best of ``--rounds``) for ``check`` in-process and for the hook handler's judging,
and writes ``bench/hostile_results.json``. The target is under 2 s each. Never a timed assertion in a test.

    PYTHONPATH=. .venv/bin/python bench/hostile_bench.py
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from secure_fargate.pack import cli  # noqa: E402
from secure_fargate.pack.loader import parse_template  # noqa: E402
from secure_fargate.pack.verdict import verdict  # noqa: E402

#: Prefixes of the secret-value shapes, each repeated until a value is ~8 KiB.
PAYLOADS = {
    "letters": "a",
    "scheme": "a+",
    "url-userinfo": "x://a:",
    "openai": "sk-",
    "slack": "xoxa-",
    "gitlab": "glpat-",
    "github": "ghp_",
    "jwt": "eyJaaaaaaaaa.",
    "pem": "-----BEGIN A ",
    "bearer": "bearer ",
    "aws-key": "AKIA",
    "option": "--a=",
    "assignment": "A=",
    "colons": ":",
    "dynamic-reference": "{{resolve:secretsmanager:",
}
VALUE_BYTES = 8 * 1024
TEMPLATE_BYTES = 1024 * 1024


def container(payload: str, index: int) -> dict[str, object]:
    value = (payload * (VALUE_BYTES // len(payload) + 1))[:VALUE_BYTES]
    return {
        "Name": f"app{index}",
        "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "a" * 64,
        "Essential": True,
        "User": "1000",
        "ReadonlyRootFilesystem": True,
        "LinuxParameters": {"Capabilities": {"Drop": ["ALL"]}},
        "Environment": [{"Name": f"V{i}", "Value": value} for i in range(2)],
        "Command": [value],
        "DockerLabels": {"note": value},
        "LogConfiguration": {"LogDriver": "awslogs", "Options": {"awslogs-group": "g", "tag": value}},
    }


def template(payload: str) -> dict[str, object]:
    resources: dict[str, object] = {}
    task = {
        "Type": "AWS::ECS::TaskDefinition",
        "Properties": {
            "Cpu": "256",
            "Memory": "512",
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "RuntimePlatform": {"OperatingSystemFamily": "LINUX"},
            "ContainerDefinitions": [container(payload, 0), container(payload, 1)],
        },
    }
    size = len(json.dumps(task))
    for i in range(max(1, TEMPLATE_BYTES // size)):
        resources[f"Task{i}"] = copy.deepcopy(task)
    return {"Resources": resources}


def best(rounds: int, run: object) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", help="one payload name")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        for name, payload in PAYLOADS.items():
            if args.only and name != args.only:
                continue
            body = json.dumps(template(payload))
            path = Path(directory) / f"{name}.template.json"
            path.write_text(body, encoding="utf-8")
            argv = ["check", str(path), "--format", "json", "-o", str(path) + ".out"]
            check = best(args.rounds, lambda argv=argv: cli.main(argv))
            hook = best(args.rounds, lambda body=body: verdict([parse_template(body, "stack")], None))
            results[name] = {"bytes": len(body), "check_s": round(check, 3), "hook_judge_s": round(hook, 3)}
            print(f"{name:<18} {len(body) / 1e6:5.2f} MB  check {check:6.2f} s  hook {hook:6.2f} s", flush=True)
    (HERE / "hostile_results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    worst = max(r["check_s"] for r in results.values()) if results else 0.0
    print(f"worst check: {worst:.2f} s (target < 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
