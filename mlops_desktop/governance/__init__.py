"""Governance: key files, trust list, promotion policy, signed decisions, the audit log and
the governance database (SQLite or PostgreSQL, Alembic migrations); below services and
reports, above sources and crypto. Its public API is re-exported by
:mod:`mlops_desktop.governance.api`.
"""
