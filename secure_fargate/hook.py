"""``SecureFargateHook``: the pack enforced at deploy time, for every stack of an account, whoever wrote it.

An ``AWS::CloudFormation::LambdaHook`` whose Lambda function runs ``secure_fargate.pack`` (and nothing else: no
aws_cdk in the function) on the whole template of each stack and change-set operation, and answers with the
verdict ``secure-fargate check`` gives on that template. See ``pack/hook_handler.py`` for the request/response
contract and docs/enforcement.md for deploying it to an account and to an organisation.
"""

from __future__ import annotations

import atexit
import importlib.util
import re
import shutil
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_cloudformation as cfn
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import defaults
from .acknowledgements import IAM_POLICY_ACKNOWLEDGEMENT
from .errors import Problems
from .keys import encryption_key
from .pack.catalog import parse_fail_on, parse_standards
from .pack.control import DEFAULT_FAIL_ON, DEFAULT_STANDARDS
from .pack.hook_handler import FAIL_ON_VARIABLE, STANDARDS_VARIABLE

#: The hook's type alias: unique per account and Region, Name1::Name2::Name3, not beginning with AWS.
DEFAULT_ALIAS = "SecureFargate::Guardrails::Hook"
#: Whole-template targets: only their requests carry Metadata, so acknowledgements work at deploy time.
#: STACK covers create/update-stack and change-set execution; CHANGE_SET answers early, when one is created.
DEFAULT_TARGET_OPERATIONS: tuple[str, ...] = ("STACK", "CHANGE_SET")
TEMPLATE_TARGET_OPERATIONS = frozenset(DEFAULT_TARGET_OPERATIONS)
FAILURE_MODES = ("FAIL", "WARN")
#: The alias pattern of AWS::CloudFormation::LambdaHook (the "AWS" prefix is refused separately).
_ALIAS = re.compile(r"[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}")
#: The handler, inside the packaged ``secure_fargate/pack``.
HANDLER = "secure_fargate.pack.hook_handler.handler"
#: Hooks wait up to 30 s for the function; it must answer before that (docs/enforcement.md).
TIMEOUT = Duration.seconds(25)
MEMORY_MIB = 512
_PACK_DIR = Path(__file__).resolve().parent / "pack"
#: Never in the function's code: bytecode a process wrote while importing from the staged directory (a test that
#: runs the staged handler) would otherwise change the asset and ship interpreter-specific files.
PACKAGE_EXCLUDES: tuple[str, ...] = ("**/__pycache__", "**/*.pyc")
_STUB_INIT = (
    '"""secure_fargate packaged for the CloudFormation hook: the pure guardrail pack only, no CDK constructs."""\n'
)


@cache
def stage_pack_code() -> str:
    """A directory holding exactly what the function runs: ``secure_fargate/__init__.py`` (a stub: the real one
    names the CDK constructs), ``secure_fargate/pack/*.py``, and PyYAML's pure-Python sources when installed
    (so YAML templates are read as ``check`` reads them). Assembled once per process; removed at exit."""
    root = Path(tempfile.mkdtemp(prefix="secure-fargate-hook-"))
    atexit.register(shutil.rmtree, root, True)
    package = root / "secure_fargate"
    (package / "pack").mkdir(parents=True)
    (package / "__init__.py").write_text(_STUB_INIT, encoding="utf-8")
    for source in sorted(_PACK_DIR.glob("*.py")):
        shutil.copyfile(source, package / "pack" / source.name)
    _stage_yaml(root)
    return str(root)


def _stage_yaml(root: Path) -> None:
    spec = importlib.util.find_spec("yaml")
    if spec is None or not spec.submodule_search_locations:
        return  # JSON templates need nothing; YAML ones then fail as unreadable, with a message saying so
    source = Path(next(iter(spec.submodule_search_locations)))
    (root / "yaml").mkdir()
    for module in sorted(source.glob("*.py")):  # the pure-Python implementation; the C extension is left out
        shutil.copyfile(module, root / "yaml" / module.name)


def pack_logs(
    scope: Construct, *, description: str, retention: logs.RetentionDays, removal_policy: RemovalPolicy
) -> tuple[kms.Key, logs.LogGroup]:
    """A pack function's log group ("Logs" in ``scope``), encrypted with a key of its own ("LogKey"), as the hook
    and the AWS Config rule both keep their logs."""
    key = encryption_key(scope, "LogKey", description=description, for_logs=True, removal_policy=removal_policy)
    return key, logs.LogGroup(scope, "Logs", retention=retention, encryption_key=key, removal_policy=removal_policy)


def pack_function(
    scope: Construct,
    *,
    handler: str,
    role: iam.IRole,
    log_group: logs.ILogGroup,
    timeout: Duration,
    memory_size: int,
    description: str,
    environment: dict[str, str],
    reserved_concurrent_executions: int | None = None,
) -> lambda_.Function:
    """The guardrail pack as a Python Lambda function ("Function" in ``scope``), for the hook and the AWS Config
    rule: exactly the staged pack (:func:`stage_pack_code`), ``role`` its only role (never CDK's default, which
    attaches AWSLambdaBasicExecutionRole), ``log_group`` its only log group, created after its role's policies."""
    function = lambda_.Function(
        scope,
        "Function",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler=handler,
        code=lambda_.Code.from_asset(stage_pack_code(), exclude=list(PACKAGE_EXCLUDES)),
        role=role,
        log_group=log_group,
        timeout=timeout,
        memory_size=memory_size,
        reserved_concurrent_executions=reserved_concurrent_executions,
        description=description,
        environment=environment or None,
    )
    function.node.add_dependency(role)
    return function


def run_settings(problems: Problems, standards: Sequence[str], fail_on: str) -> dict[str, str]:
    """The pack function's environment for ``standards`` and ``fail_on`` (empty for the defaults), shared by the
    hook and the AWS Config rule; a value ``check`` does not take is added to ``problems``, the property named."""
    chosen: list[str] = []
    if isinstance(standards, str):
        problems.add("standards", standards, "a list of standards, e.g. ['fsbp', 'tagging']")
    else:
        try:
            chosen = sorted(parse_standards(list(standards)))
        except ValueError as error:
            problems.add("standards", list(standards), str(error))
    try:
        level = parse_fail_on(fail_on)
    except ValueError as error:
        problems.add("fail_on", fail_on, str(error))
        level = DEFAULT_FAIL_ON
    environment = {}
    if chosen != sorted(DEFAULT_STANDARDS):
        environment[STANDARDS_VARIABLE] = ",".join(chosen)
    if level is not DEFAULT_FAIL_ON:
        environment[FAIL_ON_VARIABLE] = level.value
    return environment


class SecureFargateHook(Construct):
    """A CloudFormation Lambda hook that refuses stack operations whose template fails the guardrail pack.

    Exposes ``hook`` (the ``CfnLambdaHook``), ``function``, ``function_role``, ``execution_role`` (the role the
    Hooks service assumes; it may only invoke ``function``), ``log_group`` and ``log_key``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        failure_mode: str = "FAIL",
        alias: str = DEFAULT_ALIAS,
        target_operations: Sequence[str] = DEFAULT_TARGET_OPERATIONS,
        stack_filters: cfn.CfnLambdaHook.StackFiltersProperty | None = None,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
        removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY,
        standards: Sequence[str] = DEFAULT_STANDARDS,
        fail_on: str = DEFAULT_FAIL_ON.value,
    ) -> None:
        """Create the hook, its function (the packaged pack), their roles and the function's log group.

        Args:
            failure_mode: ``FAIL`` (default) stops a stack operation whose template has an unacknowledged
                finding; ``WARN`` lets it proceed and records the hook's failure (roll-out, dry-run).
            alias: the hook's type name, unique per account and Region (``Name1::Name2::Name3``, not ``AWS...``).
                Default ``SecureFargate::Guardrails::Hook``.
            target_operations: ``STACK`` and/or ``CHANGE_SET`` (default both). ``RESOURCE`` and
                ``CLOUD_CONTROL`` are refused: their requests carry no Metadata, so acknowledgements would be
                lost and the verdict would differ from ``secure-fargate check``.
            stack_filters: optional ``StackFilters`` (include/exclude stack names or roles). Default: every stack.
            log_retention: how long the function's logs are kept. Default one year.
            removal_policy: what happens to the log group and its key on stack deletion. Default RETAIN.
            standards: the standards whose controls the hook runs (``fsbp``, ``tagging``, ``secure-fargate`` or
                ``all``), as ``secure-fargate check --standard``. Default ``fsbp`` and ``secure-fargate``.
            fail_on: the lowest severity of an open finding that fails the operation, as ``check --fail-on``.
                Default LOW (every finding).
        """
        super().__init__(scope, construct_id)
        self._validate(failure_mode, alias, target_operations)
        self._settings = self._run_settings(standards, fail_on)
        self._create_logs(log_retention, removal_policy)
        self._create_function()
        self._create_execution_role()
        self.hook = cfn.CfnLambdaHook(
            self,
            "Hook",
            alias=alias,
            execution_role=self.execution_role.role_arn,
            failure_mode=failure_mode,
            hook_status="ENABLED",
            lambda_function=self.function.function_arn,
            target_operations=list(target_operations),
            stack_filters=stack_filters,
        )
        self._acknowledge_nag()

    def _validate(self, failure_mode: str, alias: str, target_operations: Sequence[str]) -> None:
        """Build it: every parameter is documented in the class docstring (``Args:``)."""
        problems = Problems(self.node.path)
        if failure_mode not in FAILURE_MODES:
            problems.add("failure_mode", failure_mode, f"one of {list(FAILURE_MODES)}")
        if not _ALIAS.fullmatch(alias) or alias.lower().startswith("aws"):
            problems.add("alias", alias, "Name1::Name2::Name3 (2-64 letters or digits each), not beginning with AWS")
        unsupported = sorted(set(target_operations) - TEMPLATE_TARGET_OPERATIONS)
        if unsupported or not target_operations:
            problems.add(
                "target_operations",
                list(target_operations),
                "STACK and/or CHANGE_SET: only whole-template requests carry Metadata (acknowledgements)",
            )
        problems.raise_if_any()

    def _run_settings(self, standards: Sequence[str], fail_on: str) -> dict[str, str]:
        """The function's environment for ``standards`` and ``fail_on`` (see :func:`run_settings`)."""
        problems = Problems(self.node.path)
        environment = run_settings(problems, standards, fail_on)
        problems.raise_if_any()
        return environment

    def _create_logs(self, retention: logs.RetentionDays, removal_policy: RemovalPolicy) -> None:
        self.log_key, self.log_group = pack_logs(
            self, description="secure-fargate hook function logs", retention=retention, removal_policy=removal_policy
        )

    def _create_function(self) -> None:
        # Its own role, not CDK's default one: the default attaches AWSLambdaBasicExecutionRole (logs:* on every
        # log group); this one may only write to the function's own log group.
        self.function_role = iam.Role(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="secure-fargate hook function: writes its own logs and reads exporting stacks' templates",
        )
        self.log_group.grant_write(self.function_role)
        self._grant_exporter_reads()
        self.function = pack_function(
            self,
            handler=HANDLER,
            role=self.function_role,
            log_group=self.log_group,
            timeout=TIMEOUT,
            memory_size=MEMORY_MIB,
            description="secure-fargate guardrail pack: the check verdict on each stack operation's template",
            environment=self._settings,
        )

    def _grant_exporter_reads(self) -> None:
        """Read-only: the templates of the stacks whose exports a judged stack imports (issue 21), so the hook sees
        a second stack widening an exported role or group as ``check`` does. ListExports has no resource-level
        permission; GetTemplate is limited to the stacks of this account and region."""
        self.function_role.add_to_policy(iam.PolicyStatement(actions=["cloudformation:ListExports"], resources=["*"]))
        stacks = Stack.of(self).format_arn(service="cloudformation", resource="stack", resource_name="*")
        self.function_role.add_to_policy(
            iam.PolicyStatement(actions=["cloudformation:GetTemplate"], resources=[stacks])
        )

    def _create_execution_role(self) -> None:
        # Trust and permission as the Hooks user guide gives them ("Prepare to create a Lambda Hook"): the
        # hooks.cloudformation.amazonaws.com service assumes it, and it may invoke exactly this function.
        self.execution_role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("hooks.cloudformation.amazonaws.com"),
            description="CloudFormation Hooks: invoke the secure-fargate hook function, nothing else",
        )
        self.execution_role.add_to_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.function.function_arn])
        )

    def _acknowledge_nag(self) -> None:
        reasons = {
            "NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC": "The function reads only the presigned S3 URL "
            "CloudFormation hands it and talks to nothing else; a VPC would add subnets and an S3 endpoint to "
            "reach the same object, with no data of the account on the path.",
            "NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ": "CloudFormation Hooks invoke the function synchronously "
            "and act on its answer (FailureMode); a dead-letter queue applies to asynchronous invocations only.",
            "NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency": "Reserved concurrency would carve capacity out of "
            "every account the hook is rolled out to (and fails where the account limit is low); the hook is "
            "invoked once per stack operation.",
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]": "cloudformation:ListExports has no resource-level "
            "permission; it returns export names and values the hook must match an import against.",
            "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:"
            "<AWS::AccountId>:stack/*]": "cloudformation:GetTemplate on the stacks of this account and region: "
            "which stack exports a value is known only when a stack imports it, at deploy time.",
            "AwsSolutions::AwsSolutions-L1": "The handler is tested on the Python 3.12 runtime, and the pack is "
            "pure standard-library Python; moving to a newer runtime is a one-line change, made with its tests.",
        }
        for rule, reason in reasons.items():
            Validations.of(self).acknowledge(Acknowledgment(id=rule, reason=reason))
        Validations.of(self).acknowledge(IAM_POLICY_ACKNOWLEDGEMENT)
