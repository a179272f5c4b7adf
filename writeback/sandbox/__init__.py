"""The channel sandbox: a real HTTP server speaking the parts of Shopify's Admin GraphQL and
Amazon's Listings Items APIs that write-back uses, with per-channel stock and switchable faults.

    python -m writeback.sandbox [--host 127.0.0.1] [--port 8787] [--landing data/landing]
"""

from writeback.sandbox.app import create_app
from writeback.sandbox.server import RunningSandbox, run_sandbox, serve

__all__ = ["RunningSandbox", "create_app", "run_sandbox", "serve"]
