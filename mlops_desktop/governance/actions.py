"""Audit-log action names, in a module with no imports so any layer (the GUI thread too)
can name an action without loading the governance store machinery."""

#: Actions other layers record (free text is allowed; these are the common ones).
ACTION_STORE_OPENED = "store.open"
ACTION_MODEL_VIEWED = "model.view"
ACTION_APPROVE = "approval.approve"
ACTION_REJECT = "approval.reject"
ACTION_TRUST_INIT = "trust.init"
ACTION_TRUST_ADD = "trust.add"
ACTION_TRUST_REVOKE = "trust.revoke"
ACTION_VERIFY = "verify.run"
ACTION_REPORT_EXPORTED = "report.export"
ACTION_SNAPSHOT_EXPORTED = "snapshot.export"
ACTION_LOG_EXPORTED = "audit.export"
ACTION_KEY_CREATED = "key.create"
ACTION_SETTING_CHANGED = "settings.change"
ACCESS_ACTIONS = (ACTION_STORE_OPENED, ACTION_MODEL_VIEWED)
ACTION_OBSERVE = "registry.observe"  # a registry journal observation (row in ``observations``)
ACTION_WEBHOOK = "webhook.receive"  # a received registry webhook delivery (row in ``webhook_events``)
