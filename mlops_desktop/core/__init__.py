"""Qt-free, SQL-free domain: entities, lineage graph, findings, errors."""
