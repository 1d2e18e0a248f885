"""python -m local_stack run | demo [--images DIR] | audit-now."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import signal
import threading
from datetime import datetime
from pathlib import Path

from chalicelib.adapters.identity import parse_day
from chalicelib.domain.access import Role, UserAccount
from chalicelib.policy.access import account_refusal
from chalicelib.settings import LOCAL_STACK_ENV_FILE
from local_stack import demo_sharing
from local_stack.demo import Demo, run_demo
from local_stack.seed import DemoUser, one_time_code
from local_stack.stack import LOCAL_CREDENTIALS, ROOT, RunningStack

# The one TOTP secret moto's Cognito hands every user (moto/cognitoidp/models.py).
MOTO_TOTP_SECRET = "asdfasdfasdf"  # noqa: S105 - moto's public test value, local only
# `make audit-now`, `python -m chalicelib.audit verify` and other command-line tools read the
# running stack's names from here (chalicelib.settings.adopt_local_stack_environment).
ENV_FILE = LOCAL_STACK_ENV_FILE


def write_env_file(stack: RunningStack) -> None:
    values = {**LOCAL_CREDENTIALS, **stack.environment, "AWS_ENDPOINT_URL": stack.endpoint_url,
              "AWS_REGION": stack.provisioned.region,
              "AWS_DEFAULT_REGION": stack.provisioned.region}
    ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
    ENV_FILE.write_text("".join(f"{name}={shlex.quote(value)}\n"
                                for name, value in sorted(values.items())), encoding="utf-8")


def run(api_port: int) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with RunningStack(api_port=api_port) as stack:
        demo = Demo(stack)
        demo.step("demo data: users", demo.login)
        demo.step("demo data: camera", demo.register_camera)
        demo.step("demo data: hotlist", demo.hotlist)
        demo.step("demo data: agency directory", lambda: demo_sharing.seed_directory(demo))
        demo.step("demo data: frames", demo.upload)  # the background pump ingests them
        write_env_file(stack)
        try:
            _print_welcome(stack, demo)
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait()
        finally:
            ENV_FILE.unlink(missing_ok=True)
        print("\nStopping the local stack...")
    print("Stopped.")
    return 0


def _print_welcome(stack: RunningStack, demo: Demo) -> None:
    print("\nPlatekeeper local stack is up (Ctrl-C stops it and everything it started).")
    print(f"  API:         {stack.api_url}   (try {stack.api_url}/health, "
          f"{stack.api_url}/transparency)")
    print(f"  moto (AWS):  {stack.endpoint_url}")
    print(f"  Environment: {ENV_FILE.relative_to(ROOT)} (used by `make audit-now "
          "MONTH=YYYY-MM` and `python -m chalicelib.audit verify`)")
    pump = stack.event_pump
    print(f"  Schedules:   the access record's first signed checkpoint at "
          f"{pump.next_fire_of('checkpoint'):%H:%M:%S} UTC, then every five minutes while it "
          "grows (`make audit-verify`)")
    print("  Demo users (local only):")
    for user in demo.users.values():
        groups = ", ".join(user.groups)
        state = _account_state(user, stack.clock())
        print(f"    {user.username:<16} {user.password:<24} {groups}"
              + (f"  ({state})" if state else ""))
    secrets = sorted({user.totp_secret for user in demo.users.values() if user.totp_secret})
    if secrets:
        print(f"  One-time codes: every user above has an authenticator with the secret "
              f"{secrets[0]} (moto gives every user this one); add it to an authenticator app, "
              f"or run `python -m local_stack code` (now: {one_time_code(secrets[0])}).")
    if demo.camera:
        print(f"  Demo camera {demo.camera['camera_id']} credential (shown once): "
              f"{demo.camera['credential']}")


def _account_state(user: DemoUser, now: datetime) -> str:
    """What the access rules (policy/access.py) say about a demo user, if not simply active."""
    if user.invited:
        return "invited: this is the temporary password; the first sign-in sets your own"
    account = UserAccount(
        user.username, user.username, "", frozenset(Role(group) for group in user.groups),
        user.enabled, "admin.demo" if user.approved else None,
        parse_day(user.approved_on or user.training_date) if user.approved else None,
        parse_day(user.training_date), parse_day(user.clets_cert_date), user.mfa, None,
        parse_day(user.training_date if user.vendor_training_date is None
                  else user.vendor_training_date))
    refusal = account_refusal(account, now.date(), now)
    return f"refused {refusal.code}" if refusal else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_stack")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="serve the API with demo data until Ctrl-C")
    run_parser.add_argument("--port", type=int, default=8000)
    demo_parser = commands.add_parser("demo", help="run the scripted tour and stop")
    demo_parser.add_argument("--images", type=Path, default=None)
    code_parser = commands.add_parser("code", help="print the demo users' current one-time code")
    code_parser.add_argument("--secret", default=MOTO_TOTP_SECRET)
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.port)
    if args.command == "code":
        print(one_time_code(args.secret))
        return 0
    return run_demo(args.images)


if __name__ == "__main__":
    raise SystemExit(main())
