"""Write-back settings: where the channels are, their credentials, thresholds and retry pacing.

Read from `RETURNOPS_*` environment variables at call time. The defaults point every channel at
the channel sandbox on its default loopback address, so the embedded default needs nothing set.
Tokens are `SecretStr`: they print as `**********` in reprs, logs and exceptions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

SANDBOX_HOST = "127.0.0.1"
SANDBOX_PORT = 8787
SANDBOX_URL = f"http://{SANDBOX_HOST}:{SANDBOX_PORT}"

Protocol = Literal["shopify", "amazon"]
# the names of dbt_project/seeds/channels.csv (`writeback_protocol`) for the same protocols
SEED_PROTOCOLS = {"shopify_graphql": "shopify", "amazon_listings": "amazon"}

# 'zalando' sells through the Shopify marketplace connector: its stock is set like the web shop's.
DEFAULT_PROTOCOLS: dict[str, Protocol] = {
    "web": "shopify",
    "zalando": "shopify",
    "amazon": "amazon",
}

# environment variable -> settings field; tokens are read here too but never echoed anywhere
ENVIRONMENT = {
    "RETURNOPS_SHOPIFY_URL": "shopify_url",
    "RETURNOPS_SHOPIFY_TOKEN": "shopify_token",
    "RETURNOPS_SHOPIFY_API_VERSION": "shopify_api_version",
    "RETURNOPS_AMAZON_URL": "amazon_url",
    "RETURNOPS_AMAZON_TOKEN": "amazon_token",
    "RETURNOPS_AMAZON_SELLER_ID": "amazon_seller_id",
    "RETURNOPS_AMAZON_MARKETPLACE_ID": "amazon_marketplace_id",
    "RETURNOPS_APPROVAL_UNITS": "approval_units",
    "RETURNOPS_APPROVAL_VALUE": "approval_value",
    "RETURNOPS_WRITEBACK_TIMEOUT": "timeout_s",
    "RETURNOPS_WRITEBACK_MAX_ATTEMPTS": "max_attempts",
    "RETURNOPS_WRITEBACK_BACKOFF": "backoff_initial_s",
}


class WritebackSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    # `{channel}` is replaced by the channel name, so each Shopify-protocol channel can be its own
    # shop (the sandbox serves one per channel under /shopify/<channel>); a real single shop is
    # just `https://acme.myshopify.com`.
    shopify_url: str = f"{SANDBOX_URL}/shopify/{{channel}}"
    shopify_token: SecretStr = SecretStr("sandbox-shopify-token")
    # 2026-04: `changeFromQuantity` compare-and-set and the `@idempotent` directive
    shopify_api_version: str = "2026-04"
    shopify_batch_size: int = Field(250, ge=1, le=250)  # Shopify's limit per inventorySetQuantities
    amazon_url: str = f"{SANDBOX_URL}/amazon/{{channel}}"
    amazon_token: SecretStr = SecretStr("sandbox-amazon-token")
    amazon_seller_id: str = "A2SANDBOXSELLER"
    amazon_marketplace_id: str = "A1PA6795UKMFR9"  # amazon.de
    amazon_product_type: str = "PRODUCT"
    amazon_concurrency: int = Field(4, ge=1)  # patches in flight at once
    # channel -> protocol; the seed's names (`shopify_graphql`, `amazon_listings`) are accepted
    channel_protocols: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_PROTOCOLS))

    # a correction needs an operator's approval when |delta| exceeds either threshold
    approval_units: int = Field(50, ge=0)
    approval_value: float = Field(1000.0, ge=0)

    timeout_s: float = Field(10.0, gt=0)
    connect_timeout_s: float = Field(3.0, gt=0)
    max_attempts: int = Field(5, ge=1)
    backoff_initial_s: float = Field(0.5, ge=0)
    backoff_max_s: float = Field(30.0, ge=0)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> WritebackSettings:
        """Settings from `RETURNOPS_*` variables (read now), then explicit overrides."""
        environ = os.environ if environ is None else environ
        values = {field: environ[var] for var, field in ENVIRONMENT.items() if environ.get(var)}
        return cls(**(values | overrides))

    def protocol_for(self, channel: str) -> Protocol | None:
        """The protocol a channel's stock is set with; None when it has none (e.g. stores)."""
        name = self.channel_protocols.get(channel)
        name = SEED_PROTOCOLS.get(name, name)
        return name if name in ("shopify", "amazon") else None

    def shopify_endpoint(self, channel: str) -> str:
        base = self.shopify_url.format(channel=channel).rstrip("/")
        return f"{base}/admin/api/{self.shopify_api_version}/graphql.json"

    def amazon_items_url(self, channel: str) -> str:
        base = self.amazon_url.format(channel=channel).rstrip("/")
        return f"{base}/listings/2021-08-01/items/{self.amazon_seller_id}"
