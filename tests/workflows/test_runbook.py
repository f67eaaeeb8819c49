"""Every shell command of every rendered runbook (out/<env>/RUNBOOK.md) run as written, in order, in bash, with the
pinned AWS CLI (scripts/tools) against a moto server holding what the environment's stack creates.

scripts/runbook-check parses the same commands with the AWS CLI's parser and checks every name against the
templates; here they run. The world is the workflow tests' (harness.py: moto patched the same way, the state
machines created from the rendered documents), created for the runbook's environment, plus what the runbook's other
commands read: the stack itself (a record holding the template's outputs, resolved to what the world created), its
secrets, log groups and key alias, and the validation report the validation function writes. Each name comes from
the environment's template, and every name the world uses is checked to be one the template creates.

The operator's part is played as the runbook says: the approval's task token is taken from the approval message on
the operations topic and typed into the runbook's `read -rsp`; the migration is approved in one environment and
rejected in another, so both answers run. A command that fails, or a run that ends anywhere but where the runbook
says, fails the test. A command moto cannot serve is not run: it is printed with the reason (NOT_SERVED), and the
test fails if such a command disappears from every runbook (the reason would be stale).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import secrets
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import boto3
import pytest
import yaml
from moto import mock_aws
from moto.cloudformation.parsing import get_model_map
from moto.server import ThreadedMotoServer

from .harness import ACCOUNT, MOTO_CONFIG, REGION, ROOT, Waits, World, patch_moto

AWS_CLI = ROOT / ".tools" / "awscli" / "bin" / "aws"
ENVIRONMENTS = sorted(p.parent.name for p in (ROOT / "out").glob("*/RUNBOOK.md"))
# The answer each environment's run gives the approval; every answer is given somewhere.
ANSWERS = {"staging": "send-task-failure"}
DEFAULT_ANSWER = "send-task-success"
# Where each answer leaves the migration: (execution status, last phase written).
AFTER_ANSWER = {"send-task-success": ("SUCCEEDED", "complete"), "send-task-failure": ("SUCCEEDED", "cutover-declined")}
# What an operator types at each prompt other than the task token's.
TYPED = {"DMS user on the source: ": "dms_replication", "its password: ": secrets.token_hex(16)}
COMMAND_SECONDS = 60

# Commands that are not run here, each with why: (pattern, reason). `{types}` is filled in with the resource types
# of the template that moto's CloudFormation does not model.
NOT_SERVED = [
    (
        r"^aws cloudformation deploy ",
        "moto 5.2.5's CloudFormation cannot create this template: it does not model {count} of its resource types "
        "({types}), and it fails creating"
        " the first AWS::KMS::Key with Tags (KeyError 'TagKey' in its tagging service). The test creates instead "
        "what the commands after it use, under the template's names",
    ),
    (
        r"^curl ",
        "the payment API is private (reached only through the stack's execute-api VPC endpoint) and moto serves no "
        "API Gateway invocation: the authorizer behind it is tested by tests/lambdas, the API's wiring by cfn-lint, "
        "cfn-guard and the Rust tests",
    ),
]


class MotoServer(NamedTuple):
    """The moto server the runbook's commands reach, and what patch_moto records."""

    waits: Waits
    retry_sleeps: list[float]
    endpoint: str


class Runbook(NamedTuple):
    """What a runbook runs against: the world, the stack record, and the shell."""

    world: World
    stack: Stack
    shell: Shell


class RunbookRun(NamedTuple):
    """The commands a runbook run ran (their first lines), and those it did not run: (first line, reason)."""

    ran: list[str]
    not_served: list[tuple[str, str]]


def literal(template: dict[str, Any], resource_type: str, prop: str) -> dict[str, str]:
    """{logical id: the literal value of `prop`} of the template's resources of that type."""
    return {
        logical: resource["Properties"][prop]
        for logical, resource in template["Resources"].items()
        if resource["Type"] == resource_type and isinstance(resource.get("Properties", {}).get(prop), str)
    }


def strings(value: object) -> Iterator[str]:
    """Every string in a template value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def commands(markdown: str) -> list[str]:
    """The runbook's commands in order, each as bash reads it: a line with its continuations (a trailing backslash
    or pipe), a `for ... done` loop whole."""
    units = []
    for block in re.findall(r"```sh\n(.*?)```", markdown, re.S):
        current: list[str] = []
        depth = 0
        for line in block.splitlines():
            stripped = line.strip()
            if not current and (not stripped or stripped.startswith("#")):
                continue
            current.append(stripped)
            depth += bool(re.match(r"(for|while) ", stripped)) - (stripped == "done")
            if depth == 0 and not stripped.endswith(("\\", "|")):
                units.append("\n".join(current))
                current = []
        assert not current, f"a command of the runbook does not end: {current}"
    return units


def assigned(command: str) -> set[str]:
    """The variables a command sets: NAME=..., read ... NAME, for NAME in."""
    names = set(re.findall(r"(?:^|[\s;(])([A-Z_][A-Z0-9_]*)=", command))
    names |= set(re.findall(r"\bread\b[^;\n]*?\s([A-Z_][A-Z0-9_]*)\s*(?:;|$)", command, re.M))
    names |= set(re.findall(r"\bfor ([A-Z_][A-Z0-9_]*) in ", command))
    return names


def resolve(value: Any, physical: dict[str, str]) -> str | None:
    """An output's value with every Ref and GetAtt replaced by what the world created; None when it refers to
    something the world did not create."""
    pseudo = {
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return pseudo.get(value["Ref"]) or physical.get(value["Ref"])
    if "Fn::GetAtt" in value:
        return physical.get(".".join(value["Fn::GetAtt"]))
    if "Fn::Sub" in value:
        text: str
        variables: dict[str, Any]
        text, variables = value["Fn::Sub"] if isinstance(value["Fn::Sub"], list) else (value["Fn::Sub"], {})
        resolved = {name: resolve(v, physical) for name, v in variables.items()}
        for name in re.findall(r"\$\{([^}]+)\}", text):
            found: str | None = resolved.get(name) or pseudo.get(name) or physical.get(name)
            if found is None:
                return None
            text = text.replace("${" + name + "}", found)
        return text
    return None


class Stack:
    """The world of one environment's primary stack, extended with what the runbook's commands read."""

    def __init__(self, world: World, env: str, directory: pathlib.Path) -> None:
        self.world = world
        # migen writes the long forms of intrinsic functions (Ref:, Fn::GetAtt:), which a plain YAML reader reads.
        self.template_path = directory / f"stack.{REGION}.yaml"
        self.template = yaml.safe_load(self.template_path.read_text(encoding="utf-8"))
        created = set(strings(self.template["Resources"]))
        names = world.names
        for name in [
            *names.parameters.values(),
            names.topic,
            *names.alarms.values(),
            *names.state_machines.values(),
            names.validation_function,
        ]:
            assert name in created, f"the world uses {name}, which {self.template_path.name} does not create"

        self.stack_name = f"payment-migration-{env}"
        world.create_state_machines()
        # What the world created, by the template's logical id (Ref) or logical id and attribute (GetAtt).
        self.physical = {
            "OrchestrationMigrationStateMachine": world.state_machine_arn("migration"),
            "OrchestrationRollbackStateMachine": world.state_machine_arn("rollback"),
            "StorageCheckpointsBucket": names.checkpoints_bucket,
            "StorageRollbackStateBucket": names.rollback_bucket,
            "NotificationOperationsTopic": world.topic,
            "MigrationReplicationInstance": world.instance,
            "MigrationForwardTask": world.forward,
            "MigrationReverseTask": world.reverse,
            "ValidationDataValidationFunction.Arn": names.validation_function_arn,
        }
        for logical in self.physical:
            assert logical.split(".")[0] in self.template["Resources"], f"{logical}: not in {self.template_path.name}"

        # The secrets the stack creates, with the value its generator gives them (the API token's JSON key).
        sm = boto3.client("secretsmanager", region_name=REGION)
        for logical, name in literal(self.template, "AWS::SecretsManager::Secret", "Name").items():
            generate = self.template["Resources"][logical]["Properties"].get("GenerateSecretString", {})
            value = json.loads(generate.get("SecretStringTemplate", "{}"))
            value[generate.get("GenerateStringKey", "password")] = secrets.token_hex(32)
            sm.create_secret(Name=name, SecretString=json.dumps(value))
        # The log groups and the key's alias, under their names.
        logs = boto3.client("logs", region_name=REGION)
        for name in literal(self.template, "AWS::Logs::LogGroup", "LogGroupName").values():
            logs.create_log_group(logGroupName=name)
            logs.create_log_stream(logGroupName=name, logStreamName="runbook")
            logs.put_log_events(
                logGroupName=name,
                logStreamName="runbook",
                logEvents=[{"timestamp": int(time.time() * 1000), "message": '{"event": "started"}'}],
            )
        kms = boto3.client("kms", region_name=REGION)
        key = kms.create_key(Description=f"{self.stack_name} (runbook test)")["KeyMetadata"]
        self.physical["EncryptionKey.Arn"] = key["Arn"]
        for alias in literal(self.template, "AWS::KMS::Alias", "AliasName").values():
            kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        # The REST API, under its name: its id is in the invoke URL the runbook reads from the outputs.
        for logical, name in literal(self.template, "AWS::ApiGateway::RestApi", "Name").items():
            api = boto3.client("apigateway", region_name=REGION).create_rest_api(name=name)
            self.physical[logical] = api["id"]
        # The dashboard, from the rendered body.
        [dashboard] = literal(self.template, "AWS::CloudWatch::Dashboard", "DashboardName").items()
        boto3.client("cloudwatch", region_name=REGION).put_dashboard(
            DashboardName=dashboard[1], DashboardBody=(directory / "dashboard.json").read_text()
        )
        self.physical[dashboard[0]] = dashboard[1]

        # The stack: a record under the stack's name holding every output the world can resolve.
        self.outputs = {}
        self.unresolved = []
        for key_name, output in self.template["Outputs"].items():
            value = resolve(output["Value"], self.physical)
            if value is None:
                self.unresolved.append(key_name)
            else:
                self.outputs[key_name] = value
        record = {
            "Resources": {"Record": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": {k: {"Value": v} for k, v in self.outputs.items()},
        }
        boto3.client("cloudformation", region_name=REGION).create_stack(
            StackName=self.stack_name, TemplateBody=json.dumps(record)
        )

    def unmodelled_types(self) -> list[str]:
        modelled = get_model_map()
        return sorted({r["Type"] for r in self.template["Resources"].values()} - modelled.keys())

    def write_validation_report(self, verdict: str) -> None:
        """What the validation function writes to the checkpoints bucket when it runs (tests/lambdas tests that)."""
        key = f"validation/{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}.json"
        boto3.client("s3", region_name=REGION).put_object(
            Bucket=self.world.names.checkpoints_bucket, Key=key, Body=json.dumps({"verdict": verdict}).encode()
        )


class Shell:
    """bash, one command at a time, with the variables the runbook's commands set carried from one to the next."""

    def __init__(self, cwd: pathlib.Path, endpoint: str) -> None:
        self.cwd = cwd
        self.variables: dict[str, str] = {}
        self.environment = {
            "PATH": f"{AWS_CLI.parent}:{os.environ['PATH']}",
            "HOME": str(cwd),
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "runbook",
            "AWS_SECRET_ACCESS_KEY": "runbook",
            "AWS_PAGER": "",
        }

    def run(self, command: str, typed: str = "") -> subprocess.CompletedProcess[str]:
        names = sorted(assigned(command))
        script = "\n".join(
            [
                "set -euo pipefail",
                *(f"{name}={shlex.quote(value)}" for name, value in self.variables.items()),
                command,
                *(f"printf '%s\\0%s\\0' {name} \"${{{name}:-}}\" >&3" for name in names),
            ]
        )
        variables = self.cwd / ".variables"
        done = subprocess.run(
            ["bash", "-c", f"exec 3>{variables}\n{script}"],
            cwd=self.cwd,
            env=self.environment,
            input=typed,
            capture_output=True,
            text=True,
            timeout=COMMAND_SECONDS,
        )
        fields = variables.read_text().split("\0")
        for name, value in zip(fields[0:-1:2], fields[1::2], strict=False):
            self.variables[name] = value
        if done.returncode == 0:
            for name in re.findall(r"\bunset ([A-Z_][A-Z0-9_]*)", command):
                self.variables.pop(name, None)
        return done


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    waits, retry_sleeps = patch_moto(monkeypatch)
    with mock_aws(config=MOTO_CONFIG):
        server = ThreadedMotoServer(port=0, verbose=False)
        server.start()
        try:
            yield MotoServer(waits, retry_sleeps, f"http://localhost:{server.get_host_and_port()[1]}")
        finally:
            server.stop()


def test_every_pattern_not_served_matches_a_runbook_command() -> None:
    every = [c for env in ENVIRONMENTS for c in commands((ROOT / "out" / env / "RUNBOOK.md").read_text())]
    for pattern, _ in NOT_SERVED:
        assert any(re.search(pattern, c) for c in every), f"no runbook command matches {pattern}: drop its reason"


def test_every_answer_to_the_approval_is_given_in_some_environment() -> None:
    given = {ANSWERS.get(env, DEFAULT_ANSWER) for env in ENVIRONMENTS}
    assert given == set(AFTER_ANSWER), f"answers given: {sorted(given)}"


def run_runbook(env: str, text: str, world: World, stack: Stack, shell: Shell) -> RunbookRun:
    """Runs the runbook `text` of `env` against the world; returns (commands run, [(command, reason) not run]).
    Fails on a command that fails, a variable a command leaves empty or "None" (a query that matched nothing), and
    on a migration or rollback that ends anywhere but where the runbook says."""
    answer = ANSWERS.get(env, DEFAULT_ANSWER)
    ran, not_served = [], []
    for command in commands(text):
        first = command.splitlines()[0]
        reason = next((r for p, r in NOT_SERVED if re.search(p, command)), None)
        if reason is not None:
            types = stack.unmodelled_types()
            not_served.append((first, reason.format(count=len(types), types=", ".join(types))))
            continue
        if re.match(r"aws stepfunctions send-task-(success|failure) ", command) and not command.startswith(
            f"aws stepfunctions {answer} "
        ):
            not_served.append((first, "the other answer to the same approval: given in another environment's run"))
            continue
        typed = "".join(f"{value}\n" for prompt, value in TYPED.items() if f'"{prompt}"' in command)
        if "TASK_TOKEN" in assigned(command):
            # As the runbook says: the token is the TaskToken field of the execution's approval message.
            execution = shell.variables.get("EXECUTION_ARN")
            assert execution, f"{env}: no command before the approval sets EXECUTION_ARN"
            message = world.await_message("approval-requested", execution)
            typed = message["TaskToken"] + "\n"
        done = shell.run(command, typed)
        assert done.returncode == 0, (
            f"{env}: the runbook's command failed (exit {done.returncode}):\n{command}\n"
            f"stdout: {done.stdout[-2000:]}\nstderr: {done.stderr[-2000:]}"
        )
        for name in assigned(command) - {"TASK_TOKEN"}:
            value = shell.variables.get(name, "")
            assert value.strip() not in ("", "None"), f"{env}: {command}\nleft {name} = {value!r}"
        ran.append(first)
        if command.startswith(f"aws stepfunctions {answer} "):
            # The operator watches the run to its end before going on (section 5).
            run = world.wait(shell.variables["EXECUTION_ARN"])
            assert (run.status, world.parameter("phase")) == AFTER_ANSWER[answer], run.describe()

    # The rollback of section 6 ends where the runbook says: every payment on production.
    assert "ROLLBACK_EXECUTION_ARN" in shell.variables, "the runbook never started the rollback"
    rollback = world.wait(shell.variables["ROLLBACK_EXECUTION_ARN"])
    assert rollback.status == "SUCCEEDED", rollback.describe()
    assert [world.parameter(k) for k in ("phase", "split", "cutover")] == ["rolled-back", "0", "false"]
    # Section 8 deleted the stack.
    stacks = boto3.client("cloudformation", region_name=REGION).list_stacks()["StackSummaries"]
    assert [s["StackStatus"] for s in stacks if s["StackName"] == stack.stack_name] == ["DELETE_COMPLETE"]
    return RunbookRun(ran, not_served)


@pytest.fixture
def runbook_world(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> Callable[[str], Runbook]:
    """A function of an environment that creates its world and returns (world, stack, shell) for run_runbook."""
    assert AWS_CLI.exists(), f"{AWS_CLI}: run scripts/tools"
    waits, retry_sleeps, endpoint = moto_server

    def create(env: str) -> Runbook:
        directory = ROOT / "out" / env
        world = World(waits, retry_sleeps, monkeypatch, env=env, documents_dir=directory)
        stack = Stack(world, env, directory)
        # The validation function's answers: the runbook's own invoke (section 4), then the migration's.
        world.queue_validation("consistent", "consistent")
        stack.write_validation_report("consistent")
        # The runbook runs from the folder that holds it; a copy, so that what it writes (output.json) stays here.
        for path in directory.iterdir():
            shutil.copy(path, tmp_path)
        return Runbook(world, stack, Shell(tmp_path, endpoint))

    return create


# The stack record's one resource is of a type moto's CloudFormation does not model, so that it creates nothing.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS..CloudFormation..WaitConditionHandle")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_runbook_runs_as_written(env: str, runbook_world: Callable[[str], Runbook]) -> None:
    world, stack, shell = runbook_world(env)
    ran, not_served = run_runbook(env, (ROOT / "out" / env / "RUNBOOK.md").read_text(), world, stack, shell)
    print(f"\n{env}: {len(ran)} commands ran against moto, {len(not_served)} not run:")
    for first, reason in not_served:
        print(f"  not run: {first}\n    because {reason}")
    if stack.unresolved:
        print(f"  outputs the stack record does not hold (nothing here creates them): {', '.join(stack.unresolved)}")
    assert len(ran) > len(not_served)


# The dev runbook broken in one way each: (what is changed, into what, what the failure says).
BREAKS = {
    "api-token-as-task-token": ('--task-token "$TASK_TOKEN"', '--task-token "$API_TOKEN"', "command failed"),
    "execution-arn-never-set": (
        "EXECUTION_ARN=$(aws stepfunctions start-execution",
        "EXECUTION_ID=$(aws stepfunctions start-execution",
        "sets EXECUTION_ARN",
    ),
    "output-key-misspelt": (
        "OutputKey=='CheckpointsBucketName'",
        "OutputKey=='CheckpointBucketName'",
        "left CHECKPOINTS_BUCKET = ''",
    ),
    "phase-parameter-misnamed": ("/migration/dev/workflow/phase ", "/migration/dev/phase ", "ParameterNotFound"),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_a_broken_runbook_fails(name: str, runbook_world: Callable[[str], Runbook]) -> None:
    before, after, expected = BREAKS[name]
    text = (ROOT / "out" / "dev" / "RUNBOOK.md").read_text()
    assert before in text, f"{name}: {before!r} is not in out/dev/RUNBOOK.md"
    world, stack, shell = runbook_world("dev")
    with pytest.raises(AssertionError, match=re.escape(expected)):
        run_runbook("dev", text.replace(before, after, 1), world, stack, shell)
