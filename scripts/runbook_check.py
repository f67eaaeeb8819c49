"""Checks the shell commands operators copy: every `aws` command of the rendered runbooks, of README and of the
messages the workflows send is parsed by the AWS CLI's own parser, with its request validated against the
service's model (an unknown operation or flag, a missing required argument or a value of the wrong type fails);
in a runbook, every command names its region, every variable it uses is set by a command before it (or is the
runbook's one input, ARTIFACT_BUCKET), and every resource name it passes (stack, function, parameter, secret,
log group, DMS identifier, key alias) is one the environment's templates create or an earlier command creates.

Nothing is sent to AWS: the parsed request stops before the HTTP call. Run by scripts/runbook-check with the AWS CLI
that scripts/tools pins; prints "runbook-check: N commands checked, M problems" and exits 1 on any problem.

    python scripts/runbook_check.py [--expect-problems] FILE...

A FILE is a Markdown file (its ```sh blocks), or an ASL document (the `aws ...` strings it holds). A runbook
out/<env>/RUNBOOK.md is checked against out/<env>/stack.*.yaml. With --expect-problems every FILE must have at
least one problem (the self-test of tests/runbook/broken/).
"""

from __future__ import annotations

import glob
import itertools
import json
import os
import re
import shlex
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from awscli.clidriver import CLIOperationCaller, create_clidriver
from awscli.customizations import waiters
from awscli.customizations.commands import BasicCommand
from botocore.validate import validate_parameters

INPUTS = {"ARTIFACT_BUCKET"}
# Flags whose value is the name of something the stack (or an earlier command) creates.
NAMED_FLAGS = {
    "--stack-name",
    "--function-name",
    "--secret-id",
    "--log-group-name",
    "--kms-key-id",
    "--name",
    "--state-machine-arn",
    "--bucket",
}


class Substituted(NamedTuple):
    """A line with each $( ... ) replaced by SUBST, and the commands inside them (nested ones first)."""

    text: str
    inner: list[str]


class AwsCommand(NamedTuple):
    """An `aws ...` simple command: its text, its words after `aws`, and why it cannot be split into words (its
    words are then empty)."""

    segment: str
    words: list[str]
    error: str | None


class Checked(NamedTuple):
    """What check_file found in a file: how many `aws` commands it checked, and the problems."""

    commands: int
    problems: list[str]


def shell_blocks(text: str) -> list[str]:
    """The logical lines of the ```sh blocks: continuations joined (a trailing backslash or pipe)."""
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        current = ""
        for raw in block.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.endswith("\\"):
                current += line[:-1] + " "
            elif line.endswith("|"):
                current += line + " "
            else:
                lines.append(current + line)
                current = ""
        if current:
            lines.append(current)
    return lines


def substitutions(line: str) -> Substituted:
    """The line with each $( ... ) replaced by SUBST, and the commands inside them."""
    out, i = "", 0
    inner: list[str] = []
    quote: str | None = None
    while i < len(line):
        ch = line[i]
        if quote == "'":
            out += ch
            quote = None if ch == "'" else quote
            i += 1
            continue
        if ch in "'\"" and quote is None:
            quote = ch
        elif ch == '"' and quote == '"':
            quote = None
        if line.startswith("$(", i) and not line.startswith("$((", i):
            depth, j = 1, i + 2
            while j < len(line) and depth:
                depth += {"(": 1, ")": -1}.get(line[j], 0)
                j += 1
            body = line[i + 2 : j - 1]
            rest, nested = substitutions(body)
            inner += [*nested, rest]
            out += "SUBST"
            i = j
            continue
        out += ch
        i += 1
    return Substituted(out, inner)


def segments(line: str) -> list[str]:
    """The simple commands of a line: split at unquoted |, ;, && and ||."""
    parts: list[str] = []
    current, i = "", 0
    quote: str | None = None
    while i < len(line):
        ch = line[i]
        if quote:
            current += ch
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            current += ch
        elif line.startswith("&&", i) or line.startswith("||", i):
            parts.append(current)
            current = ""
            i += 1
        elif ch in "|;":
            parts.append(current)
            current = ""
        else:
            current += ch
        i += 1
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def used_variables(line: str) -> set[str]:
    """Variables expanded by the shell (not inside single quotes)."""
    unquoted = re.sub(r"'[^']*'", "", line)
    return set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", unquoted))


def set_variables(segment: str) -> set[str]:
    found = set(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)=", segment))
    if segment.startswith("read "):
        words = shlex.split(segment)
        found.add(words[-1])
    match = re.match(r"for ([A-Za-z_][A-Za-z0-9_]*) in ", segment)
    if match:
        found.add(match.group(1))
    return found


def template_names(paths: Iterable[str]) -> set[str]:
    """Every literal string among the templates' properties: the names the stacks create."""
    names: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            names.add(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for path in paths:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for resource in (doc.get("Resources") or {}).values():
            walk(resource.get("Properties") or {})
    return names


class Parser:
    """The AWS CLI's driver, stopped before any request leaves."""

    def __init__(self) -> None:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "runbook-check")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "runbook-check")
        os.environ.pop("AWS_PROFILE", None)
        self.errors: list[str] = []

        def invoke(
            caller: Any, service_name: str, operation_name: str, parameters: dict[str, Any], parsed_globals: Any
        ) -> int:
            session = caller._session
            model = session.get_service_model(service_name)
            operation = model.operation_model(_operation_name(model, operation_name))
            try:
                validate_parameters(parameters, operation.input_shape)
            except Exception as exc:  # botocore's ParamValidationError lists every problem
                self.errors.append(str(exc))
                return 255
            return 0

        CLIOperationCaller.invoke = invoke
        # A waiter validates its operation's parameters the same way, then would poll: it stops there.
        waiters.WaiterCaller.invoke = invoke
        create_clidriver()  # loads the customizations (deploy, wait, s3 cp, ...): their commands are classes now

        def subclasses(cls: Any) -> Iterator[Any]:
            for sub in cls.__subclasses__():
                yield sub
                yield from subclasses(sub)

        # A customization parses its arguments, then runs: it parses, and stops there.
        for cls in [BasicCommand, *subclasses(BasicCommand)]:
            if "_run_main" in vars(cls):
                cls._run_main = lambda command, parsed_args, parsed_globals: 0

    def parse(self, words: list[str]) -> str | None:
        """0 when the AWS CLI accepts the command; else its error text."""
        import io
        from contextlib import redirect_stderr, redirect_stdout

        self.errors = []
        err, out = io.StringIO(), io.StringIO()
        with redirect_stderr(err), redirect_stdout(out):
            try:
                rc = create_clidriver().main(words)
            except SystemExit as exc:
                rc = exc.code
        text = (err.getvalue().strip() + " " + " ".join(self.errors)).strip()
        return None if rc == 0 and not self.errors else (text or f"exit {rc}")


def _operation_name(model: Any, cli_name: str) -> str:
    operation_names: list[str] = model.operation_names
    for name in operation_names:
        if re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower() == cli_name or name == cli_name:
            return name
    return cli_name


def aws_commands(line: str) -> list[AwsCommand]:
    """Every `aws ...` simple command of a logical line, substitutions included, as word lists. Shell arithmetic
    stands for a number, and what a pipe feeds to `file:///dev/stdin` for a JSON document."""
    line = re.sub(r"\$\(\((?:[^()]|\([^()]*(?:\([^()]*\))?[^()]*\))*\)\)", "1700000000000", line)
    line = line.replace("file:///dev/stdin", '\'{"piped": "document"}\'')
    outer, inner = substitutions(line)
    found: list[AwsCommand] = []
    for text in [*inner, outer]:
        for segment in segments(text):
            segment = re.sub(r"^[A-Za-z_][A-Za-z0-9_]*=", "", segment)
            try:
                words = shlex.split(segment)
            except ValueError as exc:
                found.append(AwsCommand(segment, [], f"cannot be split into words: {exc}"))
                continue
            if words and words[0] == "aws":
                found.append(AwsCommand(segment, words[1:], None))
    return found


def check_file(path: str, parser: Parser) -> Checked:
    problems: list[str] = []
    checked = 0
    text = Path(path).read_text(encoding="utf-8")
    is_runbook = Path(path).name == "RUNBOOK.md"
    if path.endswith(".json"):
        strings: list[str] = []

        def walk(value: object) -> None:
            if isinstance(value, str):
                strings.append(value)
            elif isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)

        walk(json.loads(text))
        lines = sorted({s for s in strings if s.startswith("aws ")})
        defined = {"TASK_TOKEN"}  # the message says where it comes from
    else:
        lines = shell_blocks(text)
        defined = set(INPUTS)
    names: set[str] = set()
    if is_runbook:
        names = template_names(glob.glob(str(Path(path).parent / "stack.*.yaml")))
        title = re.search(r"^# Deploying (\S+)", text, re.M)
        if title:
            names.add(f"payment-migration-{title.group(1)}")  # the stack itself
    for line in lines:
        unset = sorted(v for v in used_variables(line) - defined if is_runbook or path.endswith(".json"))
        for segment in [*segments(substitutions(line).text), line]:
            defined |= set_variables(segment.strip())
        for variable in unset:
            if variable not in defined:
                problems.append(f"uses ${variable} before any command sets it: {line[:100]}")
        for segment, words, error in aws_commands(line):
            checked += 1
            if error:
                problems.append(f"{segment[:100]}: {error}")
                continue
            words = [w.replace("SUBST", "value-from-a-command") for w in words]
            if (is_runbook or path.endswith(".json")) and "--region" not in words:
                problems.append(f"names no --region: aws {' '.join(words)[:100]}")
            rejected = parser.parse(words)
            if rejected:
                problems.append(f"the AWS CLI rejects `aws {' '.join(words)[:120]}`: {rejected[:300]}")
            if is_runbook:
                for flag, value in itertools.pairwise(words):
                    if flag in NAMED_FLAGS and "$" not in value and value not in names and "value-from" not in value:
                        if flag == "--name" and words[1] == "create-secret":
                            names.add(value)
                            continue
                        problems.append(f"{flag} {value}: no resource of the environment's templates is named so")
                        if flag == "--name":
                            pass
                for value in re.findall(r"Values=([^,\s\"]+)", " ".join(words)):
                    if "$" not in value and value not in names:
                        problems.append(f"filter value {value}: no resource of the environment's templates is named so")
                if words[:2] == ["secretsmanager", "create-secret"] and "--name" in words:
                    names.add(words[words.index("--name") + 1])
    return Checked(checked, problems)


def main(argv: list[str]) -> int:
    expect = "--expect-problems" in argv
    files = [a for a in argv if a != "--expect-problems"]
    parser = Parser()
    total_checked, failed = 0, 0
    for path in files:
        checked, problems = check_file(path, parser)
        total_checked += checked
        if expect:
            if problems:
                print(f"runbook-check: {path} fails, as it must: {problems[0]}")
            else:
                failed += 1
                print(f"FAIL runbook-check: {path} has no problem; it must have one")
            continue
        print(f"runbook-check: {path}: {checked} aws commands, {len(problems)} problems")
        for problem in problems:
            print(f"FAIL runbook-check: {path}: {problem}")
        failed += len(problems)
    print(f"runbook-check: {total_checked} commands checked, {failed} problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
