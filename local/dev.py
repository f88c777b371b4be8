"""`make dev`: the API and everything behind it on http://127.0.0.1:3000 until Ctrl-C.

Runs the template's real handlers against the embedded emulator (see local/stack.py), prints where
everything is, creates an API key to try the API with, and logs each request. Time can be moved with
the dev routes, e.g. `curl -X POST localhost:3000/_local/clock/advance -d '{"days": 30}'`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from local.stack import LocalRuntime

LOCAL_ACCOUNT_NAME = "Local developer"


def create_local_api_key(stack: LocalRuntime) -> str:
    """A seller account and its API key, made the way a deployer makes the first one (a local key:
    `sk_test_`, never a live one)."""
    from invoicing.onboarding import create_account_with_key

    client, table = stack.boto3_client("dynamodb"), stack.resources.name("InvoicingTable")
    _, key = create_account_with_key(client, table, name=LOCAL_ACCOUNT_NAME, mode="test")
    return key


def _parameters(pairs: list[str]) -> dict[str, str]:
    parameters = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator:
            raise SystemExit(f"--param wants NAME=VALUE, got {pair!r}")
        parameters[name] = value
    return parameters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.dev", description=__doc__)
    parser.add_argument("--port", type=int, default=3000, help="the API's port (default 3000)")
    parser.add_argument("--template", default="template.yaml")
    parser.add_argument("--stack-name", default="invoicing-local")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a parameter override")
    parser.add_argument("--quiet", action="store_true", help="no access log")
    args = parser.parse_args(argv)

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    with LocalRuntime(
        template=args.template,
        api_port=args.port,
        stack_name=args.stack_name,
        # Every mail is also written to ./out/mail/ as an .eml file, unless --param MailCopyDir=... says elsewhere.
        parameters={"MailCopyDir": str(Path.cwd() / "out" / "mail"), **_parameters(args.param)},
        access_log=not args.quiet,
    ) as stack:
        api_key = create_local_api_key(stack)
        lines = [
            "",
            f"  API           {stack.api_url}",
            f"  Swagger UI    {stack.api_url}/swagger",
            f"  AWS emulator  {stack.endpoint_url}   (aws --endpoint-url {stack.endpoint_url} ...)",
            f"  Clock         {stack.clock.now().isoformat(timespec='seconds')}   "
            f'(POST /_local/clock/advance {{"days": 30}}, POST /_local/drain)',
            f"  API key       {api_key}   (Authorization: Bearer <key>)",
        ]
        if stack.schedules:
            names = ", ".join(stack.schedules)
            lines.append(f'  Schedules     {names}   (POST /_local/schedules/fire {{"name": ...}})')
        print("\n".join([*lines, "", "  Ctrl-C to stop.", ""]), flush=True)
        try:
            stopping.wait()
        except KeyboardInterrupt:
            pass
        print("Stopping…", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
