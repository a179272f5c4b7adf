"""The registry of sources: adding a source means adding one module and listing it here."""

from ingest.contracts import Entity
from ingest.sources import amazon, approvals, carrier, channel_stock, finance, pos, shopify, wms

SOURCE_MODULES = (shopify, amazon, carrier, wms, pos, finance, channel_stock, approvals)

ENTITIES: tuple[Entity, ...] = tuple(e for module in SOURCE_MODULES for e in module.ENTITIES)


def entity(table: str) -> Entity:
    """Look an entity up by its raw table name, e.g. `shopify__returns`."""
    for candidate in ENTITIES:
        if candidate.table == table:
            return candidate
    raise KeyError(f"unknown source entity {table!r}; known: {[e.table for e in ENTITIES]}")
