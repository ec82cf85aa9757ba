"""Read-only adapters that turn metadata stores (MLflow, MLMD, OpenLineage, snapshots) into
core entities; they import core and crypto only, never governance or anything above."""

from mlops_desktop.sources.base import (
    Source,
    SourceSettings,
    StoreUrl,
    open_source,
    parse_store_url,
)
from mlops_desktop.sources.loader import LoadedStores, load_catalog, load_stores

__all__ = [
    "LoadedStores",
    "Source",
    "SourceSettings",
    "StoreUrl",
    "load_catalog",
    "load_stores",
    "open_source",
    "parse_store_url",
]
