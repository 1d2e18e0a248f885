"""Start and stop the whole local stack: moto server, provisioned resources, API, event pump.

Used by `make run` (foreground until Ctrl-C), `make demo` and the end-to-end tests. The moto
server runs as a child process (its own interpreter, so it does not share a GIL with the API)
and is always terminated on exit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from local_stack.provision import DEFAULT_REGION, DEFAULT_STACK_NAME, LocalStack, provision
from local_stack.pump import EventPump

ROOT = Path(__file__).resolve().parents[1]
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",  # moto accepts any credentials
    "AWS_SESSION_TOKEN": "local",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout:.0f} s") from None
            time.sleep(0.1)


@dataclass
class Clock:
    """A clock the pump and the app share; tests and the demo move it forward."""

    offset_seconds: float = 0.0

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(time.time() + self.offset_seconds, UTC)

    def advance(self, seconds: float) -> None:
        self.offset_seconds += seconds


@dataclass
class RunningStack:
    """A started local stack; use as a context manager so it always stops."""

    api_port: int = 0
    moto_port: int = 0
    pump_in_background: bool = True
    clock: Clock = field(default_factory=Clock)
    stack: LocalStack | None = None
    pump: EventPump | None = None
    app: Any = None
    _moto: subprocess.Popen[bytes] | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _api_server: Any = None
    _saved_environment: dict[str, str] | None = None
    _saved_container: Any = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def provisioned(self) -> LocalStack:
        if self.stack is None:
            raise RuntimeError("the local stack is not started")
        return self.stack

    @property
    def event_pump(self) -> EventPump:
        if self.pump is None:
            raise RuntimeError("the local stack is not started")
        return self.pump

    @property
    def environment(self) -> dict[str, str]:
        return dict(self.provisioned.environment)

    def __enter__(self) -> RunningStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        self.moto_port = self.moto_port or free_port()
        self.api_port = self.api_port or free_port()
        self._moto = subprocess.Popen(  # noqa: S603 - our own venv's moto server, sped up
            [sys.executable, "-m", "local_stack.moto_server", "-H", "127.0.0.1",
             "-p", str(self.moto_port)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            # moto checks one-time codes only when asked to; the local stack always asks.
            env={**os.environ, "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true"},
            # Its own session: Ctrl-C reaches only us, and we stop it after the pump and API.
            start_new_session=True)
        wait_for(f"{self.endpoint_url}/moto-api/")
        self.stack = provision(self.endpoint_url, DEFAULT_REGION, DEFAULT_STACK_NAME)
        self._configure_environment(self.stack)
        self.app = _load_app(self.clock)
        self.pump = EventPump(self.app, self.stack, clock=self.clock)
        self._start_api()
        if self.pump_in_background:
            pump = self.pump
            thread = threading.Thread(target=pump.run_forever, args=(self._stop,),
                                      name="event-pump", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _configure_environment(self, stack: LocalStack) -> None:
        from chalicelib import bootstrap
        from chalicelib.adapters import aws

        # Several stacks may start in one test process; each restores what it found.
        self._saved_environment = dict(os.environ)
        self._saved_container = bootstrap.current()
        aws.client.cache_clear()
        os.environ.update(LOCAL_CREDENTIALS)
        os.environ.update(stack.environment)
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint_url
        os.environ["AWS_REGION"] = stack.region
        os.environ["AWS_DEFAULT_REGION"] = stack.region
        # Powertools: metrics go to stdout locally and Tracer is off outside Lambda anyway.
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
        os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

    def _start_api(self) -> None:
        from chalice.cli.factory import CLIFactory
        from chalice.local import LocalDevServer

        from local_stack.gateway import GatewayRequestHandler, adapt_app

        config = CLIFactory(project_dir=str(ROOT)).create_config_obj(chalice_stage_name="local")
        adapt_app(self.app)
        self._api_server = LocalDevServer(self.app, config, "127.0.0.1", self.api_port,
                                          handler_cls=GatewayRequestHandler)
        thread = threading.Thread(target=self._api_server.serve_forever, name="api", daemon=True)
        thread.start()
        self._threads.append(thread)
        wait_for(f"{self.api_url}/health")

    def stop(self) -> None:
        self._stop.set()
        if self._api_server is not None:
            self._api_server.shutdown()
            self._api_server.server.server_close()
            self._api_server = None
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()
        self._restore()
        if self._moto is not None:
            self._moto.terminate()
            try:
                self._moto.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._moto.kill()
                self._moto.wait()
            self._moto = None


    def _restore(self) -> None:
        if self._saved_environment is None:
            return
        from chalicelib import bootstrap
        from chalicelib.adapters import aws

        os.environ.clear()
        os.environ.update(self._saved_environment)
        bootstrap.override(self._saved_container)
        aws.client.cache_clear()
        self._saved_environment = None


def _load_app(clock: Callable[[], datetime]) -> Any:
    """Import the Chalice app with a container whose clock the local stack controls."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import app as app_module
    from chalicelib import bootstrap
    from chalicelib.settings import load_settings

    bootstrap.override(bootstrap.Container(load_settings(), clock=clock))
    return app_module.app
