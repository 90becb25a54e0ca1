"""Benchmark: ``secure-fargate scan`` over 1,000 Fargate services registered in a moto server on loopback.

Each service runs its own task-definition revision (the scanner's worst case: one DescribeTaskDefinition per
service), in 10 clusters, with 100 task/execution role pairs. The moto server runs in its own process so it does
not share the scanner's interpreter lock. Reports services per second (median of the rounds) and writes
``bench/scan_results.json``. Nothing leaves loopback; the credentials are dummies. What it measures is the
scanner plus moto's speed; against AWS the figure is bounded by API latency and throttling instead.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

REGION = "us-east-1"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "a" * 64
ASSUME = {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
TRUST = json.dumps({"Statement": [ASSUME]})


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("moto server did not start")


def loopback_env(url: str) -> None:
    empty = tempfile.mkdtemp()
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[key]
    os.environ.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=f"{empty}/config",
        AWS_SHARED_CREDENTIALS_FILE=f"{empty}/credentials",
        HTTPS_PROXY="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
        NO_PROXY="localhost,127.0.0.1",
    )


def register(services: int) -> None:
    import boto3

    session = boto3.session.Session(region_name=REGION)
    ecs, ec2, iam = (session.client(s) for s in ("ecs", "ec2", "iam"))
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="svc", Description="svc", VpcId=vpc)["GroupId"]
    roles = [
        tuple(iam.create_role(RoleName=f"r{i}-{kind}", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"] for kind in "te")
        for i in range(100)
    ]
    clusters = [
        ecs.create_cluster(clusterName=f"c{i}", settings=[{"name": "containerInsights", "value": "enabled"}])[
            "cluster"
        ]["clusterArn"]
        for i in range(10)
    ]
    for i in range(services):
        task = ecs.register_task_definition(
            family=f"f{i % 100}",
            taskRoleArn=roles[i % 100][0],
            executionRoleArn=roles[i % 100][1],
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[
                {
                    "name": "app",
                    "image": IMAGE,
                    "memory": 256,
                    "user": "1000:1000",
                    "readonlyRootFilesystem": True,
                    "linuxParameters": {"capabilities": {"drop": ["ALL"]}},
                    "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/app"}},
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(
            cluster=clusters[i % 10],
            serviceName=f"s{i}",
            taskDefinition=task,
            desiredCount=1,
            launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}},
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server, url = start_moto()
    try:
        loopback_env(url)
        start = time.perf_counter()
        register(args.services)
        registered_s = time.perf_counter() - start
        import boto3

        from secure_fargate.pack.scan import DEFAULT_WORKERS, scan_account

        times, findings = [], []
        for _ in range(args.rounds):
            start = time.perf_counter()
            findings, code, warnings = scan_account(boto3.session.Session(region_name=REGION), [REGION])
            times.append(time.perf_counter() - start)
            assert not warnings, warnings
    finally:
        server.terminate()
        server.wait()
    median = statistics.median(times)
    result = {
        "services": args.services,
        "task_definitions": args.services,
        "rounds": args.rounds,
        "workers_per_region": DEFAULT_WORKERS,
        "scan_median_s": round(median, 2),
        "services_per_second": round(args.services / median, 1),
        "open_findings": sum(1 for f in findings if not f.acknowledged),
        "exit_code": code,
        "registration_s": round(registered_s, 1),
        "cpus": os.cpu_count(),
    }
    (HERE / "scan_results.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
