"""boto3 sessions that share one botocore data loader per process.

A new ``boto3.session.Session`` brings a new botocore loader, and each client it creates then reads and parses its
service's model, paginators and endpoint rules from botocore's JSON files again: about 80 ms of CPU per client for
ECS, EC2, IAM or Config, so about 0.3 s for a session that reads an account. ``scan`` creates one session; the
Config rule's Lambda creates one per invocation (two for an organisation rule: its own, then the member role's),
so a warm function would pay that on every configuration item. One loader per process keeps the parsed models
(botocore's loader caches them per instance) and leaves everything else per session: credentials, region,
profile, configuration and event handlers.

Only botocore's own data is shared; ``AWS_DATA_PATH`` is read when the loader is first made, as botocore does.
Standard library and boto3 only (boto3 is the Lambda runtime's): this module runs in the packaged pack.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_loader: Any = None


def new_session(**kwargs: Any) -> Any:
    """A ``boto3.session.Session(**kwargs)`` whose clients read service models through the process's loader."""
    import boto3.session
    import botocore.loaders
    import botocore.session

    global _loader
    with _lock:
        core = botocore.session.get_session()
        if _loader is None:
            _loader = botocore.loaders.create_loader(core.get_config_variable("data_path"))
        core.register_component("data_loader", _loader)
        session = boto3.session.Session(botocore_session=core, **kwargs)
        # boto3 appends its own data directory to the loader's search path on each new session: keep it once.
        paths = _loader.search_paths
        paths[:] = list(dict.fromkeys(paths))
    return session
