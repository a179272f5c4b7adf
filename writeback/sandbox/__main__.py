"""`python -m writeback.sandbox`: serve the channel sandbox until interrupted."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ingest.paths import get_paths
from writeback.sandbox.server import serve
from writeback.settings import SANDBOX_HOST, SANDBOX_PORT


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the channel sandbox.")
    parser.add_argument("--host", default=SANDBOX_HOST)
    parser.add_argument("--port", type=int, default=SANDBOX_PORT)
    parser.add_argument("--landing", type=Path, help="default: $RETURNOPS_HOME/landing")
    parser.add_argument("--publish-every", type=float, help="seconds between pull snapshots")
    parser.add_argument("--seed-file", type=Path, help="JSON list of stock levels to start with")
    parser.add_argument("--faults", help='JSON, e.g. \'{"throttle": {"rate": 0.1}}\'')
    args = parser.parse_args(argv)
    serve(
        args.host,
        args.port,
        args.landing or get_paths().landing,
        publish_interval_s=args.publish_every,
        initial_stock=json.loads(args.seed_file.read_text()) if args.seed_file else None,
        initial_faults=json.loads(args.faults) if args.faults else None,
    )


if __name__ == "__main__":
    main()
