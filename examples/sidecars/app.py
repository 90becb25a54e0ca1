#!/usr/bin/env python3
"""All sidecar recipes in one app (``cdk synth --app "python3 -m examples.sidecars.app"``): each passes the
guardrail pack with per-path, reasoned opt-outs only (tests/test_sidecars.py)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_secretsmanager as sm
from constructs import Construct

from examples.sidecars.adot import adot_service
from examples.sidecars.datadog import datadog_service
from examples.sidecars.fluent_bit import fluent_bit_service
from examples.sidecars.web_server import httpd_service, nginx_service
from secure_fargate import ContainerOptions, ImageSource, SecureCluster

APP_IMAGE = "public.ecr.aws/example/app@sha256:" + "1" * 64


def application() -> ContainerOptions:
    """The team's own application container (uid 1000, the library's default, is what its Dockerfile uses)."""
    return ContainerOptions(
        name="app",
        image=ImageSource.from_registry(APP_IMAGE),
        memory_limit_mib=256,
        user="1000:1000",
        container_port=8080,
        writable_paths=["/tmp"],
    )


class SidecarsStack(cdk.Stack):
    """One service per recipe; exposed by name for the tests."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        vpc = ec2.Vpc(self, "Vpc", max_azs=2, nat_gateways=1)
        cluster = SecureCluster(self, "Cluster", vpc=vpc, tags={"team": "observability"}).cluster
        api_key = sm.Secret.from_secret_name_v2(self, "DatadogApiKey", "datadog/api-key")
        self.services = {
            "datadog": datadog_service(self, "Datadog", cluster=cluster, app=application(), api_key=api_key),
            "adot": adot_service(self, "Adot", cluster=cluster, app=application()),
            "fluent_bit": fluent_bit_service(self, "FluentBit", cluster=cluster, app=application()),
            "nginx": nginx_service(self, "Nginx", cluster=cluster),
            "httpd": httpd_service(self, "Httpd", cluster=cluster),
        }


if __name__ == "__main__":
    app = cdk.App()
    SidecarsStack(app, "SecureFargateSidecars")
    app.synth()
