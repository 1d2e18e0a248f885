"""Shared fixtures: one local stack (moto server + provisioned resources + API) per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_stack.stack import RunningStack

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# Generated requests per operation and caller in the API fuzz test (`make fuzz` raises it).
DEFAULT_FUZZ_EXAMPLES = 2


# The API fuzz test leaves its one-line summary here for the end of the run.
FUZZ_SUMMARY = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fuzz-examples", type=int, default=DEFAULT_FUZZ_EXAMPLES,
                     help="requests generated per API operation and caller when fuzzing")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    if FUZZ_SUMMARY in config.stash:
        terminalreporter.write_line(config.stash[FUZZ_SUMMARY])


# Under pytest-xdist (make test) the fuzz module runs in a worker: its summary line travels to
# the controller in the worker's output, and the controller prints it as above.
def pytest_sessionfinish(session: pytest.Session) -> None:
    output = getattr(session.config, "workeroutput", None)
    if output is not None and FUZZ_SUMMARY in session.config.stash:
        output["fuzz_summary"] = session.config.stash[FUZZ_SUMMARY]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    summary = getattr(node, "workeroutput", {}).get("fuzz_summary")
    if summary:
        node.config.stash[FUZZ_SUMMARY] = summary


@pytest.fixture(scope="session")
def local_stack() -> Iterator[RunningStack]:
    """The whole local stack; the pump runs only when a test drains it, for determinism."""
    with RunningStack(pump_in_background=False) as stack:
        yield stack
