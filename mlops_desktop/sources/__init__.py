"""Read-only adapters that turn metadata stores into core entities."""

from mlops_desktop.sources.base import (
    Source,
    StoreUrl,
    load_catalog,
    open_source,
    open_sources,
    parse_store_url,
)

__all__ = ["Source", "StoreUrl", "load_catalog", "open_source", "open_sources", "parse_store_url"]
