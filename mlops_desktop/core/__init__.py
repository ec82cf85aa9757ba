"""Qt-free, SQL-free domain: entities, lineage graph, findings, errors, progress callbacks,
and the one timestamp parser and file hash every layer above uses."""
