"""Qt item models over core entities: the entity table model and filter proxies, paged big
tables prepared off the UI thread, the catalog tables and the store-loading task."""
