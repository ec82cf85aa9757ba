"""Registry identity: which metadata store a decision was made on.

Every source derives one id from its store's own content (docs/CRYPTO.md, "Registry
identity"): content that never changes while the registry lives, so a byte copy of the file
at another path, the same database restored from a dump into another database server, or the
same database read over MLflow's REST API all give the same id, and two registries never
share one. The id is ``sha256:`` + the SHA-256 of the RFC 8785 canonical JSON of
``{"rule": RULE, "kind": <store kind>, "material": <what the rule reads>}``.

What each kind reads (:func:`mlflow_material` and the ``*_material`` helpers below):

- ``mlflow`` (SQL or REST): the experiment with the lowest id (MLflow creates ``Default``,
  id 0, when it creates the database): its id and creation time in epoch milliseconds; its
  artifact location only when no creation time is recorded (schemas before MLflow 2.2).
- ``mlmd`` (incl. Kubeflow Model Registry): the earliest node of the store, the artifact,
  execution or context with the smallest ``create_time_since_epoch`` (then table, then id):
  table, id, type name and creation time.
- ``openlineage``: the earliest event (smallest ``eventTime``, then run id): its time, run
  id, event type and job namespace and name.
- ``sagemaker``: the AWS partitions, regions and account ids in the ARNs of the model
  package groups and packages.
- ``datarobot``: the earliest registered model (smallest ``createdAt``, then id): its id
  (a DataRobot ObjectId, unique in the installation) and creation time.
- ``snapshot``: each store the snapshot was taken of keeps the registry id recorded when it
  was taken (snapshots written before registry ids existed record none).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlops_desktop.crypto.canonical import canonical_digest

#: The version of the derivation rule; a new rule would give every registry a new id.
RULE = "mlops-desktop/registry-identity/v1"


def registry_id(kind: str, material: Mapping[str, Any] | None) -> str:
    """``sha256:<hex>`` of the rule, the store kind and the identifying material; "" when the
    store holds nothing to derive it from (an empty store: nothing can be decided on it)."""
    if not material:
        return ""
    return "sha256:" + canonical_digest({"rule": RULE, "kind": kind, "material": dict(material)})


def mlflow_material(experiment_id: Any, creation_time: Any, artifact_location: Any) -> dict[str, Any] | None:
    """The MLflow rule's material from the lowest-id experiment (None: no experiment)."""
    if experiment_id is None or str(experiment_id) == "":
        return None
    created = int(creation_time) if creation_time not in (None, "") else None
    out: dict[str, Any] = {"experimentId": str(experiment_id), "creationTime": created}
    if created is None:
        out["artifactLocation"] = str(artifact_location or "")
    return out


def earliest(rows: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
    """The smallest row (rows are compared as given: put the sort key first)."""
    return min(rows) if rows else None
