"""A one-model catalog and approval facts that each finding rule can be raised and cleared on
(shared by the engine tests and the per-rule registry tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from mlops_desktop.core.entities import (
    Catalog,
    Dataset,
    DatasetInput,
    ModelVersion,
    RegisteredModel,
    Run,
)
from mlops_desktop.core.findings import FindingSettings
from mlops_desktop.core.governance_facts import ApprovalFact

TODAY = date(2026, 6, 1)
SETTINGS = FindingSettings(today=TODAY)


def approval(
    model: str,
    version: str,
    target: str,
    who: str,
    *,
    status: str = "valid",
    regimes: tuple[str, ...] = (),
    decision: str = "APPROVED",
    role: str | None = "approver",
    key: str | None = None,
    index: int = 0,
) -> ApprovalFact:
    return ApprovalFact(
        envelope_id=f"env-{who}-{target}-{index}",
        model_name=model,
        version=version,
        target=target,
        decision=decision,
        regimes=regimes,
        signer_identity=who,
        key_id=key or ("k" + who).ljust(64, "0"),
        role=role,
        signed_at=datetime(2026, 5, 1, tzinfo=UTC),
        log_index=index,
        status=status,
    )


def make_catalog(
    *,
    ds_tags: dict[str, str] | None = None,
    columns: list[str] | None = None,
    stage: str | None = "Production",
    aliases: dict[str, str] | None = None,
    model_tags: dict[str, str] | None = None,
    version_tags: dict[str, str] | None = None,
    run: bool = True,
    datasets: bool = True,
    created: datetime | None = None,
) -> Catalog:
    tags = ds_tags if ds_tags is not None else {"pii": "true", "lawful_basis": "consent", "retention_until": "2030-01-01"}
    schema = {"mlflow_colspec": [{"name": c, "type": "string"} for c in (columns or ["amount", "label"])]}
    ds = Dataset(id="d1", name="train", digest="abcdef0123", source="s3://x/train", schema=schema)
    inp = DatasetInput("d1", "train", "abcdef0123", "s3://x/train", "training", dict(tags))
    r = Run(run_id="r1", user="dan@example.org", inputs=[inp] if datasets else [])
    v = ModelVersion(
        model_name="m",
        version="1",
        stage=stage,
        run_user="dan@example.org",
        run_id="r1" if run else None,
        tags=version_tags or {},
        datasets=[inp] if datasets else [],
        created_at=created or datetime(2026, 1, 1, tzinfo=UTC),
    )
    model = RegisteredModel(name="m", tags=model_tags or {}, aliases=aliases or {}, versions=[v])
    return Catalog(models=[model], runs={"r1": r} if run else {}, datasets={"d1": ds} if datasets else {})
