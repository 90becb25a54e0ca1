"""Benchmark: the AWS Config rule's handler judging 10,000 configuration items in one periodic invocation.

The items are a realistic mix by type (an estate records many task-definition revisions per service): about 70 %
task definitions, 15 % services, 3 % task sets, 2 % clusters, 10 % ECR repositories. Their contents come from the
pack's case corpus (every case with a live form, so roughly one item in three fails something) and from an
"application" revision of three containers (app, log router, tracing sidecar) with 25 variables and 5 secrets.
Each item arrives as GetResourceConfigHistory returns it (configuration as JSON text) and goes through the whole
path: parse, model, tag acknowledgements, verdict, annotation, PutEvaluations batching. AWS is not called: the
reader answers from memory, so the figure is the function's own CPU cost; the AWS reads per item are counted
and reported beside it (IAM reads are cached per invocation).

Reports items per second (median of ``--rounds``), CPU seconds, peak Python heap (tracemalloc, one extra round)
and the process's peak RSS (ru_maxrss, boto3 imported as the Lambda runtime imports it), and from them the
Lambda memory size to configure. Writes ``bench/config_results.json``. Never a timed assertion in a test.

    PYTHONPATH=. .venv/bin/python bench/config_bench.py
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import boto3  # noqa: E402,F401  (the Lambda runtime's; imported so the RSS figure includes it)

from secure_fargate.pack import config_rule as cr  # noqa: E402
from tests.controls.casebook import all_cases, baseline, c0, task  # noqa: E402
from tests.helpers import LiveForm, change_event  # noqa: E402

#: Share of each type among the items.
MIX = {
    "AWS::ECS::TaskDefinition": 0.70,
    "AWS::ECS::Service": 0.15,
    "AWS::ECS::TaskSet": 0.03,
    "AWS::ECS::Cluster": 0.02,
    "AWS::ECR::Repository": 0.10,
}
#: Share of task-definition items that are deregistered (INACTIVE) revisions: Config keeps recording them, and a
#: family that deploys daily piles them up.
INACTIVE_SHARE = 0.3
#: Lambda gives a function one full vCPU at 1,769 MB and a proportional share below.
FULL_VCPU_MB = 1769


def application_revision() -> dict[str, Any]:
    """A production-like revision: app, log router and tracing sidecar; 25 variables, 5 secrets."""
    body = baseline()
    app = c0(body)
    app["Environment"] = [{"Name": f"SETTING_{i}", "Value": f"value-{i}"} for i in range(25)]
    app["Secrets"] = [{"Name": f"SECRET_{i}", "ValueFrom": app["Secrets"][0]["ValueFrom"]} for i in range(5)]
    router = {**copy.deepcopy(app), "Name": "log-router", "Environment": [], "Secrets": [],
              "FirelensConfiguration": {"Type": "fluentbit"}}  # fmt: skip
    tracer = {**copy.deepcopy(app), "Name": "xray", "Environment": [], "Secrets": []}
    task(body)["ContainerDefinitions"] = [app, router, tracer]
    return body


class BenchReader:
    """Answers the handler's reads from the live forms of the corpus, and counts them."""

    def __init__(self, pool: list[tuple[dict[str, Any], LiveForm]], count: int) -> None:
        self.warnings: list[str] = []
        self.reads: Counter[str] = Counter()
        self.put_calls = 0
        self._form: LiveForm = pool[0][1]
        self._plan = self._mix(pool, count)

    @staticmethod
    def _mix(
        pool: list[tuple[dict[str, Any], LiveForm]], count: int
    ) -> dict[str, list[tuple[dict[str, Any], LiveForm]]]:
        by_type: dict[str, list[tuple[dict[str, Any], LiveForm]]] = {t: [] for t in MIX}
        for item, form in pool:
            by_type[item["resourceType"]].append((item, form))
        plan = {}
        for rtype, share in MIX.items():
            wanted, source = round(count * share), by_type[rtype]
            plan[rtype] = [source[i % len(source)] for i in range(wanted)]
        definitions = plan["AWS::ECS::TaskDefinition"]
        for index in range(0, len(definitions), round(1 / INACTIVE_SHARE)):
            item, form = definitions[index]
            inactive = {**item, "configuration": {**item["configuration"], "Status": "INACTIVE"}}
            definitions[index] = (inactive, form)
        return plan

    def __len__(self) -> int:
        return sum(len(v) for v in self._plan.values())

    def items(self, resource_type: str) -> Iterator[dict[str, Any]]:
        for item, form in self._plan.get(resource_type, []):
            self._form = form
            self.reads["config:GetResourceConfigHistory"] += 1
            yield {**item, "configuration": json.dumps(item["configuration"])}

    def roles(self, arns: Any) -> dict[str, Any]:
        self.reads["iam (roles, before the per-invocation cache)"] += len(arns)
        return self._form.roles(arns)

    def task_definition(self, arn: str) -> Any:
        self.reads["ecs:DescribeTaskDefinition"] += 1
        return self._form.task_definition(arn)

    def security_groups(self, ids: set[str]) -> dict[str, Any]:
        self.reads["ec2:DescribeSecurityGroups"] += 1 if ids else 0
        return self._form.security_groups(ids)

    def aws_managed_key(self, key: str) -> bool:
        self.reads["kms:DescribeKey"] += 1
        return False

    def registry_scanning(self) -> dict[str, Any]:
        return self._form.registry_scanning()

    def item(self, resource_type: str, resource_id: str, later_time: Any) -> dict[str, Any] | None:
        raise AssertionError("a periodic run reads items through items()")

    def put(self, evaluations: Any, token: str) -> list[Any]:
        self.put_calls += (len(evaluations) + 99) // 100
        return []


def corpus_pool() -> list[tuple[dict[str, Any], LiveForm]]:
    bodies = [case.body() for case in all_cases()] + [application_revision()] * 20
    pool = []
    for body in bodies:
        form = LiveForm(body)
        if form.has_live_form():
            pool += [(item, form) for item in form.config_items()]
    return pool


def run_once(pool: list[tuple[dict[str, Any], LiveForm]], count: int) -> tuple[float, float, dict[str, Any]]:
    reader = BenchReader(pool, count)
    event = change_event(None, message_type="ScheduledNotification", awsAccountId="123456789012")
    wall, cpu = time.perf_counter(), time.process_time()
    summary = cr.handle(event, reader, {})  # type: ignore[arg-type]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    summary.update(items=len(reader), reads=dict(reader.reads), put_calls=reader.put_calls)
    summary["warnings"] = len(summary["warnings"])
    return wall, cpu, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", default=str(HERE / "config_results.json"))
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    pool = corpus_pool()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rounds = [run_once(pool, args.items) for _ in range(args.rounds)]
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    run_once(pool, args.items)
    heap_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    wall = statistics.median(r[0] for r in rounds)
    cpu = statistics.median(r[1] for r in rounds)
    summary = rounds[0][2]
    # What the function needs: the interpreter with the pack and boto3, plus what one run holds, with headroom;
    # Lambda sizes are 128 MB to 10,240 MB in 1 MB steps, so round up to a tidy multiple of 128.
    needed = rss_after * 1.5
    memory_mb = max(256, int(-(-needed // 128) * 128))
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "items": summary["items"],
        "mix": MIX,
        "evaluations": summary["evaluations"],
        "aws_reads": summary["reads"],
        "put_evaluations_calls": summary["put_calls"],
        "wall_seconds_median": round(wall, 2),
        "cpu_seconds_median": round(cpu, 2),
        "items_per_second_wall": round(summary["items"] / wall),
        "items_per_second_cpu": round(summary["items"] / cpu),
        "python_heap_peak_mb": round(heap_peak, 1),
        "rss_before_run_mb": round(rss_before, 1),
        "rss_peak_mb": round(rss_after, 1),
        "lambda_memory_mb": memory_mb,
        "cpu_seconds_for_10k_items_at_memory_mb": {
            mb: round(cpu * 10_000 / summary["items"] * max(1.0, FULL_VCPU_MB / mb), 1) for mb in (256, 512, 1024, 1769)
        },
    }
    Path(args.output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
