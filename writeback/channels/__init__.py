"""Channel clients: one per write-back protocol, each built on httpx with tenacity retries."""

from __future__ import annotations

from writeback.channels.amazon import AmazonClient
from writeback.channels.base import ChannelUnavailable, ItemOutcome, SendItem, SendResult
from writeback.channels.shopify import ShopifyClient
from writeback.settings import WritebackSettings

__all__ = [
    "AmazonClient",
    "ChannelUnavailable",
    "ItemOutcome",
    "SendItem",
    "SendResult",
    "ShopifyClient",
    "client_for",
]


def client_for(channel: str, settings: WritebackSettings) -> ShopifyClient | AmazonClient:
    """The client speaking the channel's protocol (settings.channel_protocols)."""
    protocol = settings.protocol_for(channel)
    if protocol == "shopify":
        return ShopifyClient(channel, settings)
    if protocol == "amazon":
        return AmazonClient(channel, settings)
    raise ValueError(f"channel {channel!r} has no write-back protocol")
