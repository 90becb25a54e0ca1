"""Recipes: nginx and Apache httpd as the application container, non-root, with a read-only root.

Sources (checked, not guessed):

- nginx: ``nginxinc/nginx-unprivileged`` (ECR Public ``nginx/nginx-unprivileged``) runs as uid ``101`` (nginx),
  listens on 8080 and keeps its pid file and temporary paths under ``/tmp``: ``writable_paths=["/tmp"]`` and no
  opt-out at all (the reference stack runs this image).
- httpd: the official image's Dockerfile (docker-library/httpd) rewrites ``User daemon`` to ``User www-data``
  in ``httpd.conf``; on its Debian base ``www-data`` is uid ``33`` (Debian's base-passwd). It starts as root to
  bind port 80, so run as ``www-data`` you need an image of your own with ``Listen 8080`` (one line:
  ``RUN sed -i 's/^Listen 80$/Listen 8080/' conf/httpd.conf``). httpd writes its pid file to
  ``/usr/local/apache2/logs`` (``PidFile logs/httpd.pid``; the access and error logs already go to stdout and
  stderr): a data directory of the package, not one of the system's binary, library or configuration trees
  (SF.MOUNTS), so an ordinary writable path with no opt-out.
"""

from __future__ import annotations

from aws_cdk import aws_ecs as ecs
from constructs import Construct

from secure_fargate import ContainerOptions, ImageSource, SecureFargateService

NGINX_IMAGE = "public.ecr.aws/nginx/nginx-unprivileged@sha256:" + "b" * 64
#: Your image FROM httpd with ``Listen 8080`` (see the module docstring), pinned by digest.
HTTPD_IMAGE = "public.ecr.aws/example/httpd-8080@sha256:" + "c" * 64


def nginx_service(scope: Construct, construct_id: str, *, cluster: ecs.ICluster) -> SecureFargateService:
    return SecureFargateService(
        scope,
        construct_id,
        cluster=cluster,
        container=ContainerOptions(
            name="nginx",
            image=ImageSource.from_registry(NGINX_IMAGE),
            memory_limit_mib=256,
            user="101:101",  # nginx-unprivileged's nginx user
            container_port=8080,
            writable_paths=["/tmp"],
        ),
    )


def httpd_service(scope: Construct, construct_id: str, *, cluster: ecs.ICluster) -> SecureFargateService:
    return SecureFargateService(
        scope,
        construct_id,
        cluster=cluster,
        container=ContainerOptions(
            name="httpd",
            image=ImageSource.from_registry(HTTPD_IMAGE),
            memory_limit_mib=256,
            user="www-data",  # uid 33 on the official image's Debian base
            container_port=8080,
            writable_paths=["/usr/local/apache2/logs"],  # its pid file: a data directory, not a system path
        ),
    )
