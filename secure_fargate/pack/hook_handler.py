"""The CloudFormation Lambda hook's handler: the CLI's verdict on the template a stack operation deploys.

Contract (CloudFormation Hooks user guide, "Create Lambda functions to evaluate resources for Lambda Hooks",
https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/lambda-hooks-create-lambda-function.html):

- Request, for ``STACK`` and ``CHANGE_SET`` targets: ``clientRequestToken``, ``stackId``, ``actionInvocationPoint``
  (``CREATE_PRE_PROVISION`` | ``UPDATE_PRE_PROVISION`` | ``DELETE_PRE_PROVISION``) and ``requestData``
  ``{targetName, targetType, targetLogicalId, payload}``, where ``payload`` is an S3 presigned URL to a JSON
  object whose ``template`` is the full template (JSON or YAML text, empty on delete). Whole templates, with
  their ``Metadata``: that is what lets acknowledgements work at deploy time. Resource-level requests carry only
  ``resourceProperties``, no ``Metadata``, so this hook does not take them.
- Response: ``hookStatus`` (``SUCCESS`` | ``FAILED`` | ``IN_PROGRESS``), ``errorCode`` when FAILED
  (``NonCompliant``: evaluated and refused; ``InternalFailure``: could not evaluate), ``message`` (truncated by
  CloudFormation to 4096 characters; we stay under it ourselves) and ``clientRequestToken`` (echoed).

The verdict is :func:`secure_fargate.pack.verdict.verdict`, the function ``secure-fargate check`` calls, on the
template parsed by :func:`secure_fargate.pack.loader.parse_template`, the parser ``check`` uses. Pure Python and
the standard library only: this module runs in the Lambda with nothing but ``secure_fargate/pack`` beside it.
"""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from .catalog import parse_fail_on, selection
from .control import DEFAULT_FAIL_ON, DEFAULT_STANDARDS, Control, Severity
from .engine import Finding
from .loader import TemplateError, parse_template
from .verdict import PASS, verdict

#: The function's environment variables that choose, as ``check --standard/--fail-on`` do, what the hook judges.
STANDARDS_VARIABLE = "SECURE_FARGATE_STANDARDS"
FAIL_ON_VARIABLE = "SECURE_FARGATE_FAIL_ON"


def settings(environ: Mapping[str, str] | None = None) -> tuple[tuple[Control, ...], Severity]:
    """The controls and fail-on threshold the hook's environment chooses (defaults: ``check``'s).
    ValueError naming the variable for a bad value."""
    environ = os.environ if environ is None else environ
    try:
        controls = selection(environ.get(STANDARDS_VARIABLE) or ",".join(DEFAULT_STANDARDS))
    except ValueError as error:
        raise ValueError(f"{STANDARDS_VARIABLE}: {error}") from None
    try:
        fail_on = parse_fail_on(environ.get(FAIL_ON_VARIABLE) or DEFAULT_FAIL_ON.value)
    except ValueError as error:
        raise ValueError(f"{FAIL_ON_VARIABLE}: {error}") from None
    return controls, fail_on


#: CloudFormation truncates a hook message at 4096 characters (Cloud Control API at 1024; we take no such target).
MESSAGE_LIMIT = 4096
#: The whole-template targets; resource-level requests have no Metadata, so no acknowledgements.
TEMPLATE_TARGETS = frozenset({"STACK", "CHANGE_SET"})
#: A CloudFormation template body is at most 1 MB; the payload holds it and the previous one, JSON-escaped.
MAX_PAYLOAD_BYTES = 8 * 1024 * 1024
#: The hook waits up to 30 s for the function; the payload download must leave time to evaluate.
FETCH_TIMEOUT_SECONDS = 10
#: Presigned URLs of the payload point at S3; nothing else is fetched.
_ALLOWED_HOST_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn")

Fetch = Callable[[str], bytes]


class MalformedRequest(Exception):
    """A request that does not have the shape the Hooks guide documents."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        raise MalformedRequest("the payload URL redirects; only the presigned S3 object is read")


def fetch_payload(url: str) -> bytes:
    """Download the presigned payload: HTTPS to an AWS (S3) host only, bounded in time and size."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https" or not host.endswith(_ALLOWED_HOST_SUFFIXES):
        raise MalformedRequest(f"requestData.payload is not an https S3 presigned URL (host {host!r})")
    # Scheme and host are checked above; redirects are refused so the check cannot be walked around.
    opener = urllib.request.build_opener(_NoRedirect)
    with opener.open(urllib.request.Request(url, method="GET"), timeout=FETCH_TIMEOUT_SECONDS) as response:
        body: bytes = response.read(MAX_PAYLOAD_BYTES + 1)
    if len(body) > MAX_PAYLOAD_BYTES:
        raise MalformedRequest(f"the payload is larger than {MAX_PAYLOAD_BYTES} bytes")
    return body


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """The Lambda entry point (``secure_fargate.pack.hook_handler.handler``)."""
    response = handle(event, fetch_payload)
    print(json.dumps({"secure-fargate-hook": {k: v for k, v in response.items() if k != "clientRequestToken"}}))
    return response


def handle(event: Any, fetch: Fetch) -> dict[str, Any]:
    """The hook response for ``event``; ``fetch`` downloads the payload URL. Never raises."""
    token = _token(event)
    try:
        return _evaluate(event, fetch, token)
    except MalformedRequest as error:
        return _response(token, "FAILED", f"secure-fargate: malformed hook request: {error}", "InternalFailure")
    except TemplateError as error:
        return _response(token, "FAILED", f"secure-fargate: cannot read the template: {error}", "InternalFailure")
    except Exception as error:  # the hook must answer, never crash: FailureMode then decides
        message = f"secure-fargate: could not evaluate: {type(error).__name__}: {error}"
        return _response(token, "FAILED", message, "InternalFailure")


def _token(event: Any) -> str:
    if not isinstance(event, Mapping):
        return ""
    # The guide's stack input syntax spells it clientRequesttoken, its examples clientRequestToken.
    token = event.get("clientRequestToken", event.get("clientRequesttoken"))
    return token if isinstance(token, str) else ""


def _evaluate(event: Any, fetch: Fetch, token: str) -> dict[str, Any]:
    if not isinstance(event, Mapping):
        raise MalformedRequest(f"the request is a {type(event).__name__}, not a JSON object")
    if not token:
        raise MalformedRequest("clientRequestToken is missing")
    data = event.get("requestData")
    if not isinstance(data, Mapping):
        raise MalformedRequest("requestData is missing or not an object")
    target = data.get("targetType")
    if not isinstance(target, str) or target not in TEMPLATE_TARGETS:
        raise MalformedRequest(
            f"targetType {target!r} is not evaluated: this hook judges whole templates ({sorted(TEMPLATE_TARGETS)}), "
            "because resource-level requests carry no Metadata and so no acknowledgements"
        )
    stack = str(data.get("targetLogicalId") or event.get("stackId") or event.get("stackID") or "stack")
    if event.get("actionInvocationPoint") == "DELETE_PRE_PROVISION":
        return _response(token, "SUCCESS", f"secure-fargate: {stack}: deletion deploys nothing; not evaluated")
    text = _template_text(data.get("payload"), fetch)
    if not text:
        return _response(token, "SUCCESS", f"secure-fargate: {stack}: no template in the request; nothing to judge")
    try:
        controls, fail_on = settings()
    except ValueError as error:
        return _response(token, "FAILED", f"secure-fargate: misconfigured hook: {error}", "InternalFailure")
    findings, code = verdict([parse_template(text, stack)], controls, fail_on)
    if code == PASS:
        return _response(token, "SUCCESS", summary(stack, findings, passed=True, fail_on=fail_on))
    return _response(token, "FAILED", summary(stack, findings, passed=False, fail_on=fail_on), "NonCompliant")


def _template_text(url: Any, fetch: Fetch) -> str:
    if not isinstance(url, str) or not url:
        raise MalformedRequest("requestData.payload (the presigned URL of the templates) is missing")
    try:
        payload = json.loads(fetch(url))
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedRequest(f"the payload is not JSON: {error}") from None
    if not isinstance(payload, Mapping):
        raise MalformedRequest("the payload is not a JSON object with a template")
    text = payload.get("template")
    if text is not None and not isinstance(text, str):
        raise MalformedRequest("payload.template is not a string")
    return text or ""


def _where(finding: Finding) -> str:
    container = f"[{finding.container}]" if finding.container else ""
    item = f"({finding.item})" if finding.item else ""
    return f"{finding.resource}{container}{item}"


def summary(stack: str, findings: list[Finding], *, passed: bool, fail_on: Severity = DEFAULT_FAIL_ON) -> str:
    """The hook message: control IDs and resources of the open findings (or the acknowledged ones), within
    CloudFormation's limit; what is cut is counted, never silently dropped."""
    open_findings = [f for f in findings if not f.acknowledged]
    acknowledged = len(findings) - len(open_findings)
    if passed:
        below = [f for f in open_findings if not f.fails(fail_on)]
        head = f"secure-fargate: {stack} passes ({acknowledged} acknowledged finding(s))"
        if below:
            head = head[:-1] + f", {len(below)} open below --fail-on {fail_on.value})"
        items = [f"{f.control} {_where(f)}: acknowledged: {f.acknowledged}" for f in findings if f.acknowledged]
        items += [f"{f.control} {_where(f)}: {f.severity} below {fail_on.value}: {f.message}" for f in below]
    else:
        head = (
            f"secure-fargate: {stack} fails {len({f.control for f in open_findings})} control(s) with "
            f"{len(open_findings)} finding(s) ({acknowledged} acknowledged); run `secure-fargate check` on it"
        )
        items = [f"{f.control} {_where(f)}: {f.message}" for f in open_findings]
    return _fit(head, items)


def _fit(head: str, items: list[str]) -> str:
    full = head + "".join((": " if i == 0 else "; ") + item for i, item in enumerate(items))
    if len(full) <= MESSAGE_LIMIT:
        return full
    reserve = len("; ... and 999999 more")
    text = head
    for index, item in enumerate(items):
        piece = (": " if index == 0 else "; ") + item
        if len(text) + len(piece) > MESSAGE_LIMIT - reserve:
            return f"{text}; ... and {len(items) - index} more"
        text += piece
    return text  # pragma: no cover - the full text would have fitted


def _response(token: str, status: str, message: str, error_code: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"hookStatus": status, "message": message[:MESSAGE_LIMIT], "clientRequestToken": token}
    if error_code:
        response["errorCode"] = error_code
    return response
