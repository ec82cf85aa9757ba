"""``mlops-desktop export sagemaker``: write a folder the ``sagemaker:PATH`` source reads.

Only read-only SageMaker calls are made (List*, Describe*, QueryLineage, ListTags). Every
response is written unmodified as JSON, the way the AWS CLI prints it: boto3's
``ResponseMetadata`` is left out and datetimes become ISO 8601 strings. One folder per
described resource, with that resource's ListTags response next to it (a ListTags response
does not name its resource; the source pairs it with the one resource its folder describes):

```
DIR/model-package-groups/list-model-package-groups-001.json
DIR/model-package-groups/<group>/describe-model-package-group.json, list-tags.json,
                                 list-model-packages-001.json
DIR/model-package-groups/<group>/<version>/describe-model-package.json, list-tags.json
DIR/training-jobs/<job>/describe-training-job.json, list-tags.json
DIR/endpoints/<endpoint>/describe-endpoint.json, list-tags.json
DIR/endpoint-configs/<config>/describe-endpoint-config.json
DIR/models/<model>/describe-model.json
DIR/model-cards/<card>/describe-model-card.json
DIR/lineage/<group>-<version>/query-lineage-001.json, artifacts/<id>/describe-artifact.json
```

Training jobs exported are those a package's model data or ``MetadataProperties.GeneratedBy``
points at; endpoints are those serving an exported package. CloudTrail files are not
fetched (they live in the trail's S3 bucket): copy them into DIR as they are.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.errors import StoreError, UsageError
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)

if TYPE_CHECKING:
    from botocore.client import BaseClient

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "export", help="export a cloud registry into a folder this app reads",
        description="Export a cloud model registry, with read-only calls, into a folder a --store URL reads.",
    )
    kinds = p.add_subparsers(dest="export_kind", metavar="SYSTEM", required=True)
    s: argparse.ArgumentParser = kinds.add_parser(
        "sagemaker", help="SageMaker model registry, training jobs, endpoints, model cards and lineage",
        description="Write the responses of read-only SageMaker API calls into DIR; read it back with "
        "--store sagemaker:DIR. Credentials come from the usual AWS configuration (profile, environment).",
    )
    s.add_argument("--out", required=True, metavar="DIR", help="folder to write (created; must be empty)")
    s.add_argument("--region", help="AWS region (default: the profile's)")
    s.add_argument("--profile", help="AWS profile name")
    s.add_argument("--model-package-group", action="append", default=[], metavar="NAME",
                   help="export only this package group (repeatable); default: every group")
    s.add_argument("--endpoint-url", help=argparse.SUPPRESS)  # a local SageMaker-compatible server (tests)
    s.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    client = make_client(args.region, args.profile, args.endpoint_url)
    counts, warnings = export_account(client, Path(args.out), args.model_package_group)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    shown = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    print(f"Wrote {sum(counts.values())} responses to {args.out} ({shown}).")
    print(f"Read it with: mlops-desktop inventory --store sagemaker:{args.out}")
    return 0


def make_client(region: str | None, profile: str | None, endpoint_url: str | None = None) -> BaseClient:
    try:
        import boto3
        import botocore.exceptions
    except ModuleNotFoundError as exc:
        raise UsageError("export sagemaker needs boto3, which is not installed.",
                         "Install the AWS extra: pip install 'mlops-desktop[aws]'.") from exc
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        if session.region_name is None:
            raise UsageError("No AWS region is configured.", "Pass --region, or set one in the profile.")
        return session.client("sagemaker", endpoint_url=endpoint_url)
    except botocore.exceptions.ProfileNotFound as exc:
        raise UsageError(f"AWS profile {profile!r} is not configured.", "Check ~/.aws/config or pass --profile.") from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise StoreError(f"Cannot set up the SageMaker client: {exc}.") from exc


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        import base64

        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _safe(name: str) -> str:
    return _SAFE.sub("_", name).strip("._") or "_"


class _Writer:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.counts: dict[str, int] = {}
        self.warnings: list[str] = []

    def write(self, rel: str, operation: str, response: dict[str, Any]) -> dict[str, Any]:
        body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body, indent=2, ensure_ascii=False, default=_json_default) + "\n",
                        encoding="utf-8")
        self.counts[operation] = self.counts.get(operation, 0) + 1
        return body


def _pages(call: Callable[..., dict[str, Any]], token_key: str = "NextToken", **kwargs: Any) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        response = call(**kwargs, **({token_key: token} if token else {}))
        yield response
        token = response.get(token_key)
        if not token:
            return


def export_account(
    client: BaseClient,
    out: Path,
    groups: Sequence[str] = (),
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> tuple[dict[str, int], list[str]]:
    """Write the responses into ``out`` (module docstring); returns responses per operation and
    the warnings (a resource whose tags could not be read is exported without them)."""
    import botocore.exceptions

    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} is not empty.", "Pass a new or empty folder to --out.")
    out.mkdir(parents=True, exist_ok=True)
    w = _Writer(out)
    try:
        _export(client, w, list(groups), progress, is_cancelled)
    except botocore.exceptions.NoCredentialsError as exc:
        raise UsageError("No AWS credentials were found.", "Configure a profile (aws configure) or pass --profile.") from exc
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        raise StoreError(f"SageMaker refused {exc.operation_name}: {error.get('Code')}: {error.get('Message')}.",
                         "Check that the credentials may call SageMaker's List*/Describe* operations.") from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise StoreError(f"Cannot reach SageMaker: {exc}.", "Check the network, the region and the endpoint.") from exc
    return w.counts, w.warnings


def _export(client: BaseClient, w: _Writer, wanted: list[str], progress: ProgressFn, is_cancelled: CancelledFn) -> None:
    import botocore.exceptions

    def tags(rel_dir: str, arn: str) -> None:
        try:
            pages = list(_pages(client.list_tags, ResourceArn=arn))
        except botocore.exceptions.ClientError as exc:  # the resource is exported without its tags
            error = exc.response.get("Error", {})
            w.warnings.append(f"tags of {arn} could not be read ({error.get('Code')}); exported without them")
            return
        for i, page in enumerate(pages, start=1):
            w.write(f"{rel_dir}/list-tags{'' if i == 1 else f'-{i:03d}'}.json", "ListTags", page)

    group_names: list[str] = []
    for i, page in enumerate(_pages(client.list_model_package_groups), start=1):
        if not wanted:  # the listing names every group: written only when every group is exported
            w.write(f"model-package-groups/list-model-package-groups-{i:03d}.json", "ListModelPackageGroups", page)
        group_names.extend(str(g["ModelPackageGroupName"]) for g in page.get("ModelPackageGroupSummaryList", []))
    if wanted:
        missing = [g for g in wanted if g not in group_names]
        if missing:
            raise UsageError(f"No model package group named {', '.join(missing)}.",
                             f"Groups in this account: {', '.join(group_names) or 'none'}.")
        group_names = [g for g in group_names if g in wanted]
    packages: dict[str, dict[str, Any]] = {}
    for gi, group in enumerate(group_names):
        check_cancelled(is_cancelled)
        progress(gi, len(group_names) + 3, f"Exporting {group}")
        gdir = f"model-package-groups/{_safe(group)}"
        g = w.write(f"{gdir}/describe-model-package-group.json", "DescribeModelPackageGroup",
                    client.describe_model_package_group(ModelPackageGroupName=group))
        tags(gdir, str(g["ModelPackageGroupArn"]))
        arns: list[str] = []
        for i, page in enumerate(_pages(client.list_model_packages, ModelPackageGroupName=group), start=1):
            body = w.write(f"{gdir}/list-model-packages-{i:03d}.json", "ListModelPackages", page)
            arns.extend(str(p["ModelPackageArn"]) for p in body.get("ModelPackageSummaryList", []))
        for arn in arns:
            pkg = client.describe_model_package(ModelPackageName=arn)
            vdir = f"{gdir}/{_safe(str(pkg.get('ModelPackageVersion') or arn.rsplit('/', 1)[-1]))}"
            packages[arn] = w.write(f"{vdir}/describe-model-package.json", "DescribeModelPackage", pkg)
            tags(vdir, arn)

    progress(len(group_names), len(group_names) + 3, "Exporting training jobs")
    data_urls = {str(c.get("ModelDataUrl")) for p in packages.values()
                 for c in p.get("InferenceSpecification", {}).get("Containers", []) if c.get("ModelDataUrl")}
    generated = {str(p.get("MetadataProperties", {}).get("GeneratedBy")) for p in packages.values()}
    segments = {seg for url in data_urls for seg in url.split("/")}
    for page in _pages(client.list_training_jobs):
        for summary in page.get("TrainingJobSummaries", []):
            name = str(summary["TrainingJobName"])
            if name not in segments and str(summary.get("TrainingJobArn")) not in generated:
                continue
            jdir = f"training-jobs/{_safe(name)}"
            job = w.write(f"{jdir}/describe-training-job.json", "DescribeTrainingJob",
                          client.describe_training_job(TrainingJobName=name))
            tags(jdir, str(job["TrainingJobArn"]))

    progress(len(group_names) + 1, len(group_names) + 3, "Exporting endpoints")
    package_names = set(packages)
    for page in _pages(client.list_endpoints):
        for summary in page.get("Endpoints", []):
            check_cancelled(is_cancelled)
            ep = client.describe_endpoint(EndpointName=summary["EndpointName"])
            config_name = ep.get("EndpointConfigName")
            if not config_name:
                continue
            config = client.describe_endpoint_config(EndpointConfigName=config_name)
            models = []
            for variant in config.get("ProductionVariants", []):
                if variant.get("ModelName"):
                    model = client.describe_model(ModelName=variant["ModelName"])
                    containers = [model.get("PrimaryContainer") or {}, *model.get("Containers", [])]
                    if any(c.get("ModelPackageName") in package_names for c in containers):
                        models.append(model)
            if not models:
                continue
            edir = f"endpoints/{_safe(str(ep['EndpointName']))}"
            w.write(f"{edir}/describe-endpoint.json", "DescribeEndpoint", ep)
            tags(edir, str(ep["EndpointArn"]))
            w.write(f"endpoint-configs/{_safe(str(config_name))}/describe-endpoint-config.json",
                    "DescribeEndpointConfig", config)
            for model in models:
                w.write(f"models/{_safe(str(model['ModelName']))}/describe-model.json", "DescribeModel", model)

    progress(len(group_names) + 2, len(group_names) + 3, "Exporting model cards and lineage")
    for page in _pages(client.list_model_cards):
        for summary in page.get("ModelCardSummaries", []):
            name = str(summary["ModelCardName"])
            card = client.describe_model_card(ModelCardName=name)
            content = str(card.get("Content") or "")
            if wanted and not any(arn in content for arn in package_names) and not any(g in content for g in group_names):
                continue
            w.write(f"model-cards/{_safe(name)}/describe-model-card.json", "DescribeModelCard", card)
    for arn, pkg in packages.items():
        ldir = f"lineage/{_safe(str(pkg.get('ModelPackageGroupName')))}-{pkg.get('ModelPackageVersion')}"
        try:
            pages = list(_pages(client.query_lineage, StartArns=[arn], Direction="Both", IncludeEdges=True,
                                MaxDepth=10))
        except botocore.exceptions.ClientError as exc:  # lineage tracking unavailable: export without it
            error = exc.response.get("Error", {})
            w.warnings.append(f"lineage of {arn} could not be read ({error.get('Code')}); exported without it")
            continue
        for i, page in enumerate(pages, start=1):
            body = w.write(f"{ldir}/query-lineage-{i:03d}.json", "QueryLineage", page)
            for vertex in body.get("Vertices", []):
                v_arn = str(vertex.get("Arn", ""))
                if vertex.get("LineageType") == "Artifact" and ":artifact/" in v_arn:
                    w.write(f"{ldir}/artifacts/{_safe(v_arn.rsplit('/', 1)[-1])}/describe-artifact.json",
                            "DescribeArtifact", client.describe_artifact(ArtifactArn=v_arn))
    progress(len(group_names) + 3, len(group_names) + 3, "Export written")


__all__ = ["export_account", "make_client", "register", "run"]
