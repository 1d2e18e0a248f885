"""python -m local_stack run | demo [--images DIR] | audit-now."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from pathlib import Path

from local_stack.demo import Demo, run_demo
from local_stack.seed import LOCAL_MFA_CODE
from local_stack.stack import RunningStack


def run(api_port: int) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with RunningStack(api_port=api_port) as stack:
        demo = Demo(stack)
        demo.step("demo data: users", demo.login)
        demo.step("demo data: camera", demo.register_camera)
        demo.step("demo data: hotlist", demo.hotlist)
        demo.step("demo data: frames", demo.upload)  # the background pump ingests them
        users = list(demo.users.values())
        print("\nPlatekeeper local stack is up (Ctrl-C stops it and everything it started).")
        print(f"  API:         {stack.api_url}   (try {stack.api_url}/health)")
        print(f"  moto (AWS):  {stack.endpoint_url}")
        print("  Demo users (local only):")
        for user in users:
            print(f"    {user.username:<14} {user.password:<22} {user.group}")
        print(f"  Administrators also give a one-time code: locally {LOCAL_MFA_CODE} "
              "(moto accepts any six digits).")
        if demo.camera:
            print(f"  Demo camera {demo.camera['camera_id']} credential (shown once): "
                  f"{demo.camera['credential']}")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
        print("\nStopping the local stack...")
    print("Stopped.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_stack")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="serve the API with demo data until Ctrl-C")
    run_parser.add_argument("--port", type=int, default=8000)
    demo_parser = commands.add_parser("demo", help="run the scripted tour and stop")
    demo_parser.add_argument("--images", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.port)
    return run_demo(args.images)


if __name__ == "__main__":
    raise SystemExit(main())
