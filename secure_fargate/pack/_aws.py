"""boto3 sessions that share one botocore data loader per process.

A new ``boto3.session.Session`` brings a new botocore loader, and each client it creates then reads and parses its
service's model, paginators and endpoint rules from botocore's JSON files again: about 80 ms of CPU per client for
ECS, EC2, IAM or Config, so about 0.3 s for a session that reads an account. ``scan`` creates one session; the
Config rule's Lambda creates one per invocation (two for an organisation rule: its own, then the member role's),
so a warm function would pay that on every configuration item. One loader per process keeps the parsed models
(botocore's loader caches them per instance) and leaves everything else per session: credentials, region,
profile, configuration and event handlers.

The data path is resolved per session, after its profile is applied, as botocore resolves it (``AWS_DATA_PATH``
read when the session is made, or the profile's ``data_path``): sessions with the same data path share its loader,
another path gets a loader of its own. Shared models are read-only by contract: a ``service-data-loaded`` handler
that edited one would edit it for every session of the process (nothing in the pack registers one).
Standard library and boto3 only (boto3 is the Lambda runtime's): this module runs in the packaged pack.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_loaders: dict[str | None, Any] = {}


def new_session(**kwargs: Any) -> Any:
    """A ``boto3.session.Session(**kwargs)`` whose clients read service models through the process's loader for
    the session's data path."""
    import boto3.session
    import botocore.loaders
    import botocore.session

    core = botocore.session.get_session()
    session = boto3.session.Session(botocore_session=core, **kwargs)  # profile, credentials, region applied first
    data_path = core.get_config_variable("data_path")
    with _lock:
        loader = _loaders.get(data_path)
        if loader is None:
            loader = _loaders[data_path] = botocore.loaders.create_loader(data_path)
    # Clients take the loader when they are created; boto3's resource models keep the session's own loader.
    core.register_component("data_loader", loader)
    return session
