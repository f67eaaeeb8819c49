"""Fixtures of the workflow tests; the harness itself, and what it changes in moto, are in harness.py.

This folder is a package (see __init__.py) so that this conftest is not imported as the top-level module
`conftest`: tests/lambdas imports its own conftest by that name, and both suites run in one pytest session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from .harness import MOTO_CONFIG, World, patch_moto


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """What the stack creates for the workflows, in a fresh moto, with moto patched as harness.py describes."""
    waits, retry_sleeps = patch_moto(monkeypatch)
    with mock_aws(config=MOTO_CONFIG):
        world = World(waits, retry_sleeps, monkeypatch)
        yield world
        # A failed test can leave an execution running: stopped, it takes no further step in the next test's moto
        # (moto stops it at its next step; one blocked on a task token stays "RUNNING" but never resumes).
        world.stop_running_executions()
