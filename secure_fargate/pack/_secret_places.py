"""Where else a container definition carries a secret in plaintext (ECS.8, issue 21 class 4), besides
``Environment`` and the command line.

- CloudFormation dynamic references ``{{resolve:secretsmanager:...}}`` / ``{{resolve:ssm-secure:...}}`` in any
  field: CloudFormation resolves them into the task definition, where every ``ecs:DescribeTaskDefinition`` caller
  reads the plaintext.
- Log driver options (a Datadog ``apikey`` in FireLens options, a ``splunk-token``) and docker labels with a
  secret-looking key and a value (a deploy-time one too, as in ``Environment``), or a credential-shaped value.
- Environment files: a file asset of the cloud assembly (``asset.<hash>.env`` beside the template) is read at
  synth time and each variable judged like ``Environment``; a file in a bucket cannot be read here (not judged).
- Secrets read from an ``AWS::SSM::Parameter`` declared in the same template: CloudFormation can only create
  ``String``/``StringList`` parameters, so the value sits in the template text.

Each finding's item names the place (``LogConfiguration.Options.apikey``, ``DockerLabels.api-key``, the variable
of an environment file, the secret's name), so an acknowledgement names it as it names an ECS.8 variable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from ._template import JSON, Template, is_intrinsic, items, judged_template, objects, partial_strings

Items = list[tuple[str | None, str]]
NameCheck = Callable[[str], bool]
ValueCheck = Callable[[object], "str | None"]

#: A dynamic reference that resolves a secret (the SSM SecureString and Secrets Manager kinds).
DYNAMIC_SECRET = re.compile(r"\{\{resolve:(secretsmanager|ssm-secure):")
#: A content hash CDK names file assets by (``<hash>.env`` in the bucket, ``asset.<hash>.env`` in cdk.out).
_ASSET_HASH = re.compile(r"([0-9a-f]{64})(\.[A-Za-z0-9]{1,16})?")
#: Largest environment file read (ECS's own limit on an environment file is 5 MiB... of which we read 1 MiB).
MAX_ENV_FILE_BYTES = 1024 * 1024
_ENV_LINE = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*=(.*)")


def _leaves(value: JSON, path: str) -> Iterator[tuple[str, str]]:
    """Every string of ``value`` (keys included) with where it is; list items of ``{"Name": ...}`` objects are
    named by their literal name."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            name = item.get("Name") if isinstance(item, dict) else None
            yield from _leaves(item, f"{path}.{name}" if isinstance(name, str) else f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield path, str(key)
            yield from _leaves(item, path if is_intrinsic(value) else f"{path}.{key}" if path else str(key))


def dynamic_reference_problems(container: Mapping[str, JSON]) -> Items:
    """(field, message) for each field holding ``{{resolve:secretsmanager:...}}`` or ``{{resolve:ssm-secure:...}}``."""
    found: Items = []
    for path, text in _leaves(container, ""):
        match = DYNAMIC_SECRET.search(text)
        if match and all(item != path for item, _ in found):
            found.append(
                (
                    path,
                    f"{path} holds a {{{{resolve:{match.group(1)}:...}}}} dynamic reference: CloudFormation writes the "
                    "plaintext into the task definition; inject it with Secrets (ValueFrom the secret's ARN)",
                )
            )
    return found


def _non_empty(values: list[str]) -> bool:
    """A value is set (a deploy-time one too: a ``NoEcho`` parameter in a label is still plaintext in the task
    definition, as in ``Environment``)."""
    return any(values)


def option_problems(container: Mapping[str, JSON], secret_name: NameCheck, secret_value: ValueCheck) -> Items:
    """(``LogConfiguration.Options.<key>`` / ``DockerLabels.<key>``, message) for each secret-looking key with a
    value, or credential-shaped value, among log driver options and docker labels."""
    found: Items = []
    places = [
        ("LogConfiguration.Options", o, "SecretOptions")
        for config in objects(container.get("LogConfiguration"))
        for o in objects(config.get("Options"))
    ] + [
        ("DockerLabels", labels, "Secrets (an environment variable)")
        for labels in objects(container.get("DockerLabels"))
    ]
    for place, mapping, instead in places:
        for key, raw in mapping.items():
            values = partial_strings(raw)
            shape = next((p for p in map(secret_value, values) if p), None)
            if shape or (secret_name(key) and _non_empty(values)):
                item = f"{place}.{key}"
                why = shape or "has a secret-looking name and a value"
                if all(i != item for i, _ in found):
                    found.append((item, f"{item} {why}; pass it through {instead} from Secrets Manager"))
    return found


def environment_file_problems(
    container: Mapping[str, JSON], variable_problem: Callable[[str, list[str]], str | None]
) -> Items:
    """(variable, message) for each secret in an environment file that is an asset of the judged cloud assembly."""
    template = judged_template()
    directory = Path(template.name).parent if template is not None else None
    found: Items = []
    for entry in items(container.get("EnvironmentFiles")):
        for text in partial_strings(entry.get("Value")) if isinstance(entry, dict) else []:
            for match in _ASSET_HASH.finditer(text):
                path = _asset_file(directory, match.group(1), match.group(2) or "")
                for name, value in _variables(path):
                    problem = variable_problem(name, [value])
                    if problem:
                        found.append((name, f"environment file {path.name if path else ''}: {problem}"))
    return found


def _asset_file(directory: Path | None, digest: str, extension: str) -> Path | None:
    if directory is None:
        return None
    for candidate in (directory / f"asset.{digest}{extension}", directory / f"asset.{digest}"):
        if candidate.is_file():
            return candidate
    return None


def _variables(path: Path | None) -> list[tuple[str, str]]:
    if path is None:
        return []
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            text = handle.read(MAX_ENV_FILE_BYTES)
    except OSError:
        return []
    found = []
    for line in text.splitlines():
        match = _ENV_LINE.fullmatch(line)
        if match and not line.lstrip().startswith("#"):
            found.append((match.group(1), match.group(2).strip().strip("\"'")))
    return found


#: ``${Name}`` in an Fn::Sub string: a reference to a resource or parameter.
_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)\}")


def _references(value: JSON) -> set[str]:
    """Logical IDs a value refers to (Ref, GetAtt, ``${X}`` of Fn::Sub), anywhere inside it."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= _references(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                target = item[0] if isinstance(item, list) and item else str(item).split(".", 1)[0]
                found.add(str(target))
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) and item else item
                found |= set(_SUB_NAME.findall(text)) if isinstance(text, str) else set()
            found |= _references(item)
    return found


def plain_parameter_problems(container: Mapping[str, JSON]) -> Items:
    """(secret name, message) for each secret read from an ``AWS::SSM::Parameter`` of the judged template."""
    template = judged_template()
    found: Items = []
    for secret in items(container.get("Secrets")) if template is not None else []:
        if not isinstance(secret, dict):
            continue
        for logical_id in sorted(_references(secret.get("ValueFrom"))):
            if _is_plain_parameter(template, logical_id):  # type: ignore[arg-type]
                name = next(iter(partial_strings(secret.get("Name"))), "?")
                found.append(
                    (
                        name,
                        f"secret {name} is read from {logical_id}, an SSM String parameter declared in this template: "
                        "its value is in the template text; keep it in Secrets Manager (or a SecureString made "
                        "outside CloudFormation)",
                    )
                )
    return found


def _is_plain_parameter(template: Template, logical_id: str) -> bool:
    # CloudFormation creates only String and StringList parameters: whatever their Type says, the value is text.
    resource = template.resource(logical_id)
    return resource is not None and str(resource.get("Type")) == "AWS::SSM::Parameter"
