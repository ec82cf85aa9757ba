"""Governance: keys, DSSE/in-toto envelopes, trust list, policy, audit log, own database.

Public API (used by the CLI, the GUI helpers and the report layer) is re-exported from
:mod:`mlops_desktop.governance.api`.
"""
