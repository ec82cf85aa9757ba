"""Workflows both faces run: the ``mlops-desktop`` commands and the GUI's dialogs and pages.

Each service is a plain function over typed requests and results, with ``progress`` /
``is_cancelled`` callbacks where it can take long (the GUI runs it through
``ui/common/workers.py``'s ``TaskSlot``; the CLI calls it directly). No Qt here:
``ui`` and ``cli`` import ``services``, which imports ``reports``, ``governance``,
``sources``, ``crypto`` and ``core``.

- :mod:`.settings`: :class:`~.settings.VerificationSettings`, everything that changes a
  verdict (organisation CA roots, promotion policy, artifact roots, trust anchors), and the
  policy in force.
- :mod:`.session`: one governance store per task, key unlocking, the preselected key.
- :mod:`.decisions`: approve / reject (prepare, preview, policy preview, sign).
- :mod:`.approvals`: listing and verifying decisions; the deployment gate.
- :mod:`.trust`: the trust list (read, pin, add, revoke).
- :mod:`.keys`: signing keys (create, import PKCS#12, export the public key, list).
- :mod:`.audit`: show, verify and export the audit log.
- :mod:`.snapshots`: create, verify and describe offline snapshots.
"""
