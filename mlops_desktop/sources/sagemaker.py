"""Amazon SageMaker as a source: a folder or ``.zip`` of the JSON responses of read-only
SageMaker API calls (as boto3 or the AWS CLI write them, datetimes as ISO strings) plus
CloudTrail log files (``{"Records": [...]}``, plain or gzip).

Recognition and validation. Each file is recognised by its content: the SageMaker
operation whose output shape (in botocore's own service model, shipped inside botocore)
its top-level members match; boto3's ``ResponseMetadata`` is ignored. The whole document
is then validated against that shape: required members, member types, enum values,
timestamps (ISO 8601 strings, or epoch seconds as AWS CLI v1 prints them). A file that
fails (a wrong enum value, a missing required member, truncated JSON, another service's
output, a CloudTrail file with a malformed record) is listed in :attr:`SageMakerSource.rejected`
with its reason and skipped as a whole, never half-read; the rest loads.

Mapping onto core entities:

- model package group -> :class:`RegisteredModel` (description, creation time, tags);
- model package version -> :class:`ModelVersion`: ``version`` = ``ModelPackageVersion``,
  ``stage`` = ``ModelLifeCycle.Stage``, ``status`` = ``ModelPackageStatus``, ``user_id`` =
  the creating principal (``CreatedBy``, else the CloudTrail ``CreateModelPackage`` event),
  ``source`` = the first container's ``ModelDataUrl`` (else the package ARN), tags =
  ``CustomerMetadataProperties`` then ListTags (tags win), plus ``sagemaker.*`` tags for the
  lifecycle, the model-metrics and drift-baseline report URIs and the inline model card;
  ``external_approvals`` holds the ``ModelApprovalStatus`` claim with the principal and time
  from CloudTrail (``UpdateModelPackage`` / ``CreateModelPackage``), else ``LastModifiedBy``;
- a model card (DescribeModelCard, or the package's inline ``ModelCard``) whose content
  names a package: ``intended_uses.purpose_of_model`` -> tag ``purpose``,
  ``intended_uses.risk_rating`` -> tag ``risk_tier`` (High/Medium/Low lower-cased), the
  intended uses, training and evaluation details -> ``sagemaker.model_card.*`` tags;
- training job -> :class:`Run` (hyperparameters -> params, ``FinalMetricDataList`` ->
  metrics, each S3 input channel -> a dataset input whose location is the S3 URI, so it is
  the same lineage node as the MLflow/OpenLineage dataset at that URI); the version's run is
  the job whose ``ModelArtifacts`` equal the package's ``ModelDataUrl`` (or
  ``MetadataProperties.GeneratedBy``);
- endpoint (DescribeEndpoint -> DescribeEndpointConfig -> DescribeModel whose container
  names the package) -> a ``deployment`` node ``deployment:pushed:<endpoint ARN>`` with a
  ``deployed_as`` edge from the version (a pushed deployment, like an MLMD PushedModel);
- QueryLineage vertices and edges (artifacts resolved through DescribeArtifact's
  ``Source.SourceUri``) -> lineage nodes and edges;
- ListTags: the response names no resource, so it applies to the one resource described by
  the other files of the same folder (as ``export sagemaker`` writes them); elsewhere it is
  rejected. CloudTrail ``AddTags`` events tag the resource they name.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.entities import (
    Catalog,
    Dataset as DatasetEntity,
    DatasetInput,
    ExternalApproval,
    LineageEdgeRecord,
    LineageNodeRecord,
    MetricValue,
    ModelVersion,
    RegisteredModel,
    Run,
    StoreInfo,
)
from mlops_desktop.core.errors import StoreError
from mlops_desktop.core.lineage import (
    DATASET,
    DEPLOYMENT,
    E_DEPLOYED,
    E_INPUT,
    E_OUTPUT,
    E_REGISTERED,
    JOB,
    RUN,
    dataset_node_id,
    deployment_node_id,
    model_node_id,
    normalise_location,
    run_node_id,
    version_node_id,
)
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.core.timestamps import parse_timestamp as parse_iso
from mlops_desktop.sources.base import DEFAULT_SETTINGS, Source, SourceSettings, StoreUrl
from mlops_desktop.sources.documents import (
    Document,
    DocumentError,
    RejectedFile,
    documents_digest,
    iter_documents,
    parse_json,
)
from mlops_desktop.sources.registry_identity import registry_id

if TYPE_CHECKING:
    from botocore.model import ServiceModel, Shape

logger = logging.getLogger(__name__)

SYSTEM = "sagemaker"
#: The read-only operations whose responses this source reads (and ``export sagemaker`` writes).
OPERATIONS: tuple[str, ...] = (
    "ListModelPackageGroups",
    "DescribeModelPackageGroup",
    "ListModelPackages",
    "DescribeModelPackage",
    "ListModelCards",
    "DescribeModelCard",
    "ListTrainingJobs",
    "DescribeTrainingJob",
    "QueryLineage",
    "DescribeArtifact",
    "ListEndpoints",
    "DescribeEndpoint",
    "DescribeEndpointConfig",
    "DescribeModel",
    "ListTags",
)
#: Members every list output has that say nothing about which operation it is.
_NEUTRAL_MEMBERS = frozenset({"NextToken"})
CLOUDTRAIL = "CloudTrail"
CLOUDTRAIL_SOURCE = "sagemaker.amazonaws.com"
CLOUDTRAIL_REQUIRED = ("eventVersion", "eventTime", "eventSource", "eventName", "userIdentity", "eventID")
#: Endpoint states in which nothing is being served.
NOT_SERVING = frozenset({"Failed", "OutOfService", "Deleting"})
TRAINING_STATUS = {"Completed": "FINISHED", "Failed": "FAILED", "Stopped": "KILLED",
                   "InProgress": "RUNNING", "Stopping": "RUNNING"}
TRAINING_CHANNELS = frozenset({"train", "training"})
APPROVED = "Approved"


# ---------------------------------------------------------------------------- validation


@lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    """botocore's SageMaker service model (the output shapes files are checked against)."""
    try:
        import botocore.session
    except ModuleNotFoundError as exc:
        raise StoreError(
            "Reading SageMaker exports needs botocore, which is not installed.",
            "Install the AWS extra: pip install 'mlops-desktop[aws]'.",
        ) from exc
    model: ServiceModel = botocore.session.get_session().get_service_model("sagemaker")
    return model


@lru_cache(maxsize=1)
def _output_shapes() -> dict[str, Shape]:
    model = service_model()
    return {op: model.operation_model(op).output_shape for op in OPERATIONS}


def parse_timestamp(value: Any) -> datetime | None:
    """A botocore timestamp as written to JSON: an ISO 8601 string (no offset means UTC, as
    botocore's own parser has it) or epoch seconds (AWS CLI v1) -> UTC datetime."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return parse_iso(value, assume_utc=True)


def validate_value(value: Any, shape: Shape, path: str) -> str | None:
    """The first way ``value`` breaks ``shape`` (a botocore output shape), or None.

    Members the installed botocore does not know are tolerated (a newer API may add them)."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return f"{path}: expected an object ({shape.name}), found {_jtype(value)}"
        members = shape.members
        for req in shape.required_members:
            if req not in value:
                return f"{path}: required member {req} is missing"
        for key, item in value.items():
            sub = members.get(key)
            if sub is None or item is None:
                continue
            problem = validate_value(item, sub, f"{path}.{key}" if path else key)
            if problem:
                return problem
        return None
    if kind == "list":
        if not isinstance(value, list):
            return f"{path}: expected a list, found {_jtype(value)}"
        for i, item in enumerate(value):
            problem = validate_value(item, shape.member, f"{path}[{i}]")
            if problem:
                return problem
        return None
    if kind == "map":
        if not isinstance(value, dict):
            return f"{path}: expected an object (map), found {_jtype(value)}"
        for key, item in value.items():
            problem = validate_value(item, shape.value, f"{path}[{key!r}]")
            if problem:
                return problem
        return None
    if kind == "string":
        if not isinstance(value, str):
            return f"{path}: expected a string, found {_jtype(value)}"
        enum = shape.enum
        if enum and value not in enum:
            shown = ", ".join(enum[:8]) + (", ..." if len(enum) > 8 else "")
            return f"{path}: {value!r} is not a valid {shape.name} (one of {shown})"
        return None
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{path}: expected an integer, found {_jtype(value)}"
        return None
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{path}: expected a number, found {_jtype(value)}"
        return None
    if kind == "boolean":
        if not isinstance(value, bool):
            return f"{path}: expected true or false, found {_jtype(value)}"
        return None
    if kind == "timestamp":
        if parse_timestamp(value) is None:
            return f"{path}: expected an ISO 8601 timestamp, found {value!r}"
        return None
    if kind == "blob":
        if not isinstance(value, str):
            return f"{path}: expected base64 text, found {_jtype(value)}"
        return None
    return None  # document and other open types


def _jtype(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def recognise(doc: Any) -> tuple[str, str | None]:
    """``(operation, problem)`` for one parsed response document.

    The operation is the one whose output shape's members the document's top-level
    members match best (required members first); ``problem`` is None when the document is
    a valid response of it. Raises DocumentError when it matches no operation at all."""
    if not isinstance(doc, dict):
        raise DocumentError(f"a JSON {_jtype(doc).removeprefix('a ').removeprefix('an ')}, not an API response object")
    keys = {k for k in doc if k != "ResponseMetadata"}
    telling = keys - _NEUTRAL_MEMBERS
    best: tuple[tuple[int, int, int], str] | None = None
    for op, shape in _output_shapes().items():
        members = set(shape.members)
        required = set(shape.required_members)
        known = telling & members
        if not known:
            continue
        complete = int(required <= keys and not (telling - members))
        score = (complete, len(required & keys), len(known) - len(telling - members))
        if best is None or score > best[0]:
            best = (score, op)
    if best is None:
        shown = ", ".join(sorted(keys)[:6]) or "none"
        raise DocumentError(f"not the response of a SageMaker operation this app reads (top-level members: {shown})")
    op = best[1]
    shape = _output_shapes()[op]
    unknown = sorted(telling - set(shape.members))
    if unknown and not (set(shape.required_members) & keys):
        raise DocumentError(
            f"not the response of a SageMaker operation this app reads (members {', '.join(unknown[:6])} "
            f"are not in any of their output shapes)"
        )
    body = {k: v for k, v in doc.items() if k != "ResponseMetadata"}
    return op, validate_value(body, shape, "")


def classify_document(doc: Any) -> tuple[str, str | None]:
    """``(operation or "CloudTrail", problem)`` of a parsed file (see :func:`recognise`)."""
    if isinstance(doc, dict) and isinstance(doc.get("Records"), list):
        return CLOUDTRAIL, _cloudtrail_problem(doc)
    return recognise(doc)


def _cloudtrail_problem(doc: dict[str, Any]) -> str | None:
    records = doc.get("Records")
    if not isinstance(records, list):
        return "Records: expected a list of CloudTrail records"
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            return f"Records[{i}]: expected an object, found {_jtype(rec)}"
        for key in CLOUDTRAIL_REQUIRED:
            if key not in rec:
                return f"Records[{i}]: required field {key} is missing"
        if parse_timestamp(rec.get("eventTime")) is None:
            return f"Records[{i}].eventTime: expected an ISO 8601 timestamp, found {rec.get('eventTime')!r}"
        if not isinstance(rec.get("userIdentity"), dict):
            return f"Records[{i}].userIdentity: expected an object"
        for key in ("requestParameters", "responseElements"):
            if rec.get(key) is not None and not isinstance(rec[key], dict):
                return f"Records[{i}].{key}: expected an object or null"
    return None


# ---------------------------------------------------------------------------- reading


@dataclass(slots=True)
class _Trail:
    """What CloudTrail says about one resource."""

    created_by: str | None = None
    created_at: datetime | None = None
    create_status: str | None = None
    #: (time, status, principal, description, event id) of every approval-status change.
    status_changes: list[tuple[datetime, str, str | None, str, str]] = field(default_factory=list)


@dataclass(slots=True)
class _Account:
    """Everything read from the files, keyed the way the mapping looks it up."""

    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> describe/summary
    packages: dict[str, dict[str, Any]] = field(default_factory=dict)  # ARN -> describe/summary
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> latest DescribeModelCard
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> DescribeTrainingJob
    models: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> DescribeModel
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> DescribeEndpointConfig
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> DescribeEndpoint
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)  # ARN -> DescribeArtifact
    vertices: dict[str, dict[str, Any]] = field(default_factory=dict)  # ARN -> vertex
    edges: list[dict[str, Any]] = field(default_factory=list)
    tags: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))  # ARN -> tags
    #: tags CloudTrail saw given at creation (ListTags and AddTags, being later, win over them)
    created_tags: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    added_tags: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    trails: dict[str, _Trail] = field(default_factory=lambda: defaultdict(_Trail))  # ARN -> trail
    job_creators: dict[str, str] = field(default_factory=dict)  # job name -> principal
    operations: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def tags_of(self, arn: str) -> dict[str, str]:
        """A resource's tags: its ListTags response (the current state) when exported, else what
        CloudTrail saw given at creation and added later."""
        if arn in self.tags:
            return dict(self.tags[arn])
        return {**self.created_tags.get(arn, {}), **self.added_tags.get(arn, {})}


#: Describe operations and the member naming the resource they describe (for ListTags pairing).
_DESCRIBED_ARN = {
    "DescribeModelPackageGroup": "ModelPackageGroupArn",
    "DescribeModelPackage": "ModelPackageArn",
    "DescribeModelCard": "ModelCardArn",
    "DescribeTrainingJob": "TrainingJobArn",
    "DescribeEndpoint": "EndpointArn",
    "DescribeEndpointConfig": "EndpointConfigArn",
    "DescribeModel": "ModelArn",
    "DescribeArtifact": "ArtifactArn",
}


def principal_of(identity: Any) -> str | None:
    """The principal a CloudTrail ``userIdentity`` names (its ARN, else user name / principal id)."""
    if not isinstance(identity, dict):
        return None
    for key in ("arn", "userName", "principalId"):
        value = identity.get(key)
        if isinstance(value, str) and value:
            return value
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") if isinstance(
        identity.get("sessionContext"), dict) else None
    if isinstance(issuer, dict) and isinstance(issuer.get("arn"), str):
        return str(issuer["arn"])
    return None


def user_context_principals(ctx: Any) -> list[str]:
    """Every identity a SageMaker ``UserContext`` names: the IAM principal first, then the
    Studio user profile (ARN and name)."""
    if not isinstance(ctx, dict):
        return []
    out: list[str] = []
    iam = ctx.get("IamIdentity")
    if isinstance(iam, dict) and isinstance(iam.get("Arn"), str) and iam["Arn"]:
        out.append(iam["Arn"])
    for key in ("UserProfileArn", "UserProfileName"):
        value = ctx.get(key)
        if isinstance(value, str) and value and value not in out:
            out.append(value)
    return out


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _newer(old: dict[str, Any] | None, new: dict[str, Any], detail: bool) -> bool:
    """Whether ``new`` should replace ``old`` (a Describe beats a list summary; later wins)."""
    if old is None:
        return True
    if old.get("_detail") != detail:
        return detail
    def when(d: dict[str, Any]) -> datetime:
        return parse_timestamp(d.get("LastModifiedTime")) or parse_timestamp(d.get("CreationTime")) or datetime.min.replace(tzinfo=UTC)
    return when(new) >= when(old)


_REGISTRY_ARN = re.compile(r"arn:(aws[a-z-]*):sagemaker:([a-z0-9-]+):(\d{12}):model-package(?:-group)?/")


def account_registry_id(acct: _Account) -> str:
    """``registry_identity`` of a read account: sorted (partition, region, account) of the ARNs
    of its model package groups and packages ("" when the export holds neither)."""
    arns = [str(g.get("ModelPackageGroupArn") or "") for g in acct.groups.values()] + list(acct.packages)
    places = sorted({m.groups() for a in arns if (m := _REGISTRY_ARN.match(a))})
    if not places:
        return ""
    return registry_id(SYSTEM, {"registries": [{"partition": p, "region": r, "account": a} for p, r, a in places]})


class SageMakerSource(Source):
    """Read-only reader of a SageMaker export folder or archive (module docstring)."""

    def __init__(self, url: StoreUrl, settings: SourceSettings = DEFAULT_SETTINGS) -> None:
        super().__init__(url, settings)
        if url.path is None:
            raise StoreError(f"{url.display} is not a SageMaker export folder or archive.")
        self.path = url.path
        self._final_metrics: dict[str, dict[str, MetricValue]] = {}
        self.rejected: list[RejectedFile] = []
        self.warnings: list[str] = []
        self._identity = ""
        self._schema = ""
        self._registry_id: str | None = None

    @property
    def info(self) -> StoreInfo:
        return StoreInfo(kind=SYSTEM, url=self.url.display, schema=self._schema or self._api_schema(),
                         dialect="file", identity=self._identity, registry_id=self.registry_id())

    @staticmethod
    def _api_schema() -> str:
        try:
            return f"sagemaker-{service_model().api_version}"
        except StoreError:
            return "sagemaker"

    # --- files -----------------------------------------------------------------------
    def read_account(self, progress: ProgressFn = no_progress,
                     is_cancelled: CancelledFn = never_cancelled) -> _Account:
        """Parse, recognise and validate every file (rejected ones are listed, not read)."""
        self.rejected = []
        self.warnings = []
        docs = list(iter_documents(self.path))
        if not docs:
            raise StoreError(f"{self.path} holds no files.", "Pass the folder `export sagemaker` wrote.")
        self._identity = documents_digest(docs)
        acct = _Account()
        list_tags: list[tuple[Document, dict[str, Any]]] = []
        described: dict[str, set[str]] = defaultdict(set)
        for i, doc in enumerate(docs):
            if i % 200 == 0:
                check_cancelled(is_cancelled)
                progress(i, len(docs), f"Reading {doc.name}")
            try:
                body = parse_json(doc.raw)
                op, problem = classify_document(body)
            except DocumentError as exc:
                self._reject(doc.name, str(exc))
                continue
            if problem:
                self._reject(doc.name, f"CloudTrail log file: {problem}" if op == CLOUDTRAIL else
                             f"{op} response does not match botocore's {op}Output shape: {problem}")
                continue
            acct.operations[op] += 1
            if op == CLOUDTRAIL:
                self._apply_cloudtrail(acct, body["Records"])
                continue
            if op == "ListTags":
                list_tags.append((doc, body))
                continue
            arn_key = _DESCRIBED_ARN.get(op)
            if arn_key:
                described[doc.folder].add(str(body[arn_key]))
            self._apply(acct, op, body)
        for doc, body in list_tags:
            arns = described.get(doc.folder, set())
            if len(arns) != 1:
                self._reject(doc.name, "ListTags response: it names no resource, so it is read only in a folder "
                                       f"that describes exactly one resource (this folder describes {len(arns)})")
                continue
            arn = next(iter(arns))
            for tag in _list(body.get("Tags")):
                acct.tags[arn][str(tag["Key"])] = str(tag.get("Value", ""))
        progress(len(docs), len(docs), "SageMaker files read")
        self._registry_id = account_registry_id(acct)
        return acct

    def registry_id(self) -> str:
        """The AWS partitions, regions and accounts of the export's model registry
        (``registry_identity``): the ARNs of its model package groups and packages. Any export
        of the same account and region, whole or partial, has the same id."""
        if self._registry_id is None:
            self.read_account()
        return self._registry_id or ""

    def _reject(self, name: str, reason: str) -> None:
        self.rejected.append(RejectedFile(name, reason))
        logger.warning("SageMaker: %s skipped: %s", name, reason)

    def _apply(self, acct: _Account, op: str, body: dict[str, Any]) -> None:
        if op == "DescribeModelPackageGroup":
            self._put(acct.groups, str(body["ModelPackageGroupName"]), body, True)
        elif op == "ListModelPackageGroups":
            for s in _list(body.get("ModelPackageGroupSummaryList")):
                self._put(acct.groups, str(s["ModelPackageGroupName"]), s, False)
        elif op == "DescribeModelPackage":
            self._put(acct.packages, str(body["ModelPackageArn"]), body, True)
        elif op == "ListModelPackages":
            for s in _list(body.get("ModelPackageSummaryList")):
                self._put(acct.packages, str(s["ModelPackageArn"]), s, False)
        elif op == "DescribeModelCard":
            name = str(body["ModelCardName"])
            old = acct.cards.get(name)
            if old is None or int(body.get("ModelCardVersion") or 0) >= int(old.get("ModelCardVersion") or 0):
                acct.cards[name] = body
        elif op == "DescribeTrainingJob":
            self._put(acct.jobs, str(body["TrainingJobName"]), body, True)
        elif op == "DescribeModel":
            self._put(acct.models, str(body["ModelName"]), body, True)
        elif op == "DescribeEndpointConfig":
            self._put(acct.configs, str(body["EndpointConfigName"]), body, True)
        elif op == "DescribeEndpoint":
            self._put(acct.endpoints, str(body["EndpointName"]), body, True)
        elif op == "DescribeArtifact":
            if body.get("ArtifactArn"):
                acct.artifacts[str(body["ArtifactArn"])] = body
        elif op == "QueryLineage":
            for v in _list(body.get("Vertices")):
                if isinstance(v, dict) and v.get("Arn"):
                    acct.vertices.setdefault(str(v["Arn"]), v)
            acct.edges.extend(e for e in _list(body.get("Edges")) if isinstance(e, dict)
                              and e.get("SourceArn") and e.get("DestinationArn"))
        # ListModelCards, ListTrainingJobs, ListEndpoints: indexes only (their items are described)

    @staticmethod
    def _put(into: dict[str, dict[str, Any]], key: str, body: dict[str, Any], detail: bool) -> None:
        if _newer(into.get(key), body, detail):
            into[key] = {**body, "_detail": detail}

    def _apply_cloudtrail(self, acct: _Account, records: list[dict[str, Any]]) -> None:
        for rec in records:
            if rec.get("eventSource") != CLOUDTRAIL_SOURCE or rec.get("errorCode"):
                continue
            name = rec.get("eventName")
            req = _dict(rec.get("requestParameters"))
            resp = _dict(rec.get("responseElements"))
            who = principal_of(rec.get("userIdentity"))
            when = parse_timestamp(rec.get("eventTime"))
            event_id = str(rec.get("eventID"))
            if name == "CreateModelPackage":
                arn = _text(resp.get("modelPackageArn"))
                if arn and when is not None:
                    trail = acct.trails[arn]
                    trail.created_by, trail.created_at = who, when
                    status = _text(req.get("modelApprovalStatus"))
                    trail.create_status = status or None
                    if status:
                        trail.status_changes.append((when, status, who, _text(req.get("approvalDescription")), event_id))
            elif name == "UpdateModelPackage":
                arn = _text(req.get("modelPackageArn"))
                status = _text(req.get("modelApprovalStatus"))
                if arn and status and when is not None:
                    acct.trails[arn].status_changes.append(
                        (when, status, who, _text(req.get("approvalDescription")), event_id))
            elif name == "CreateTrainingJob":
                job = _text(req.get("trainingJobName"))
                if job and who:
                    acct.job_creators[job] = who
            if isinstance(req.get("tags"), list) and name != "AddTags":  # tags given when it was created
                created = [v for k, v in resp.items() if k.endswith("Arn") and isinstance(v, str)]
                for tag in _list(req.get("tags")):
                    if len(created) == 1 and isinstance(tag, dict) and tag.get("key"):
                        acct.created_tags[created[0]].setdefault(str(tag["key"]), str(tag.get("value", "")))
            if name == "AddTags":
                arn = _text(req.get("resourceArn"))
                for tag in _list(req.get("tags")):
                    if arn and isinstance(tag, dict) and tag.get("key"):
                        acct.added_tags[arn][str(tag["key"])] = str(tag.get("value", ""))

    # --- Source API -------------------------------------------------------------------
    def load_catalog(
        self,
        progress: ProgressFn = no_progress,
        is_cancelled: CancelledFn = never_cancelled,
        *,
        all_runs: bool = False,
    ) -> Catalog:
        acct = self.read_account(progress, is_cancelled)
        self._schema = self._api_schema()
        catalog = _Mapper(self, acct).catalog(all_runs)
        self._final_metrics = {run_id: dict(run.metrics) for run_id, run in catalog.runs.items()}
        return catalog

    def load_registry(
        self, progress: ProgressFn = no_progress, is_cancelled: CancelledFn = never_cancelled
    ) -> Catalog | None:
        """No faster path: versions need the training jobs and CloudTrail files read anyway."""
        return None

    def metric_history(self, run_id: str, key: str) -> list[MetricValue]:
        """A training job reports final metric values only: a one-point history (after a load)."""
        value = self._final_metrics.get(run_id, {}).get(key)
        return [value] if value is not None else []

    def metric_keys(self, run_id: str) -> list[str]:
        return sorted(self._final_metrics.get(run_id, {}))


class _Mapper:
    """Turns one read account into a catalog (module docstring)."""

    def __init__(self, source: SageMakerSource, acct: _Account) -> None:
        self.source = source
        self.acct = acct
        self.store = source.url.display
        self.cat = Catalog(stores=[source.info])
        self.run_of_artifact: dict[str, str] = {}
        self.version_of_package: dict[str, tuple[str, str]] = {}

    def warn(self, message: str) -> None:
        self.source.warnings.append(message)
        logger.warning("SageMaker: %s", message)

    def catalog(self, all_runs: bool) -> Catalog:
        runs = self._runs()
        used: set[str] = set()
        for name in sorted(self._group_names()):
            self.cat.models.append(self._model(name))
        for arn, pkg in sorted(self.acct.packages.items(), key=lambda kv: (str(kv[1].get("ModelPackageGroupName")),
                                                                         int(kv[1].get("ModelPackageVersion") or 0))):
            group = _text(pkg.get("ModelPackageGroupName"))
            version = pkg.get("ModelPackageVersion")
            if not group or version is None:
                self.warn(f"model package {arn} is not a version of a package group; skipped")
                continue
            model = self.cat.model(group)
            if model is None:  # a version whose group was not exported
                model = RegisteredModel(name=group, store=self.store)
                self.cat.models.append(model)
            mv = self._version(arn, pkg, runs)
            if mv.run_id:
                used.add(mv.run_id)
            model.versions.append(mv)
            self.version_of_package[arn] = (group, mv.version)
        for run in runs.values():
            if all_runs or run.run_id in used:
                self.cat.runs[run.run_id] = run
                for inp in run.inputs:
                    self.cat.datasets.setdefault(inp.dataset_id, DatasetEntity(
                        id=inp.dataset_id, name=inp.name, digest="", source=inp.source, source_type="s3",
                        store=self.store))
        self._deployments()
        self._lineage(runs)
        return self.cat

    def _group_names(self) -> set[str]:
        return set(self.acct.groups)

    # --- registry ----------------------------------------------------------------------
    def _model(self, name: str) -> RegisteredModel:
        g = self.acct.groups[name]
        arn = _text(g.get("ModelPackageGroupArn"))
        return RegisteredModel(
            name=name,
            description=_text(g.get("ModelPackageGroupDescription")),
            tags=dict(self.acct.tags_of(arn)),
            created_at=parse_timestamp(g.get("CreationTime")),
            store=self.store,
        )

    def _version(self, arn: str, pkg: dict[str, Any], runs: dict[str, Run]) -> ModelVersion:
        trail = self.acct.trails.get(arn, _Trail())
        creators = user_context_principals(pkg.get("CreatedBy"))
        author = creators[0] if creators else trail.created_by
        containers = _list(_dict(pkg.get("InferenceSpecification")).get("Containers"))
        data_url = next((_text(c.get("ModelDataUrl")) for c in containers if isinstance(c, dict)
                         and _text(c.get("ModelDataUrl"))), "")
        tags: dict[str, str] = {str(k): str(v) for k, v in _dict(pkg.get("CustomerMetadataProperties")).items()}
        tags.update(self.acct.tags_of(arn))
        tags["sagemaker.model_package_arn"] = arn
        life = _dict(pkg.get("ModelLifeCycle"))
        if life:
            tags["sagemaker.lifecycle.stage_status"] = _text(life.get("StageStatus"))
            if life.get("StageDescription"):
                tags["sagemaker.lifecycle.stage_description"] = _text(life.get("StageDescription"))
        for prefix, section in (("model_metrics", pkg.get("ModelMetrics")),
                                ("drift_check_baselines", pkg.get("DriftCheckBaselines"))):
            for key, uri in _report_uris(_dict(section)):
                tags[f"sagemaker.{prefix}.{key}"] = uri
        inline = _dict(pkg.get("ModelCard"))
        if inline.get("ModelCardContent"):
            _card_tags(tags, _text(inline.get("ModelCardContent")), _text(inline.get("ModelCardStatus")), "inline")
        for card in self.acct.cards.values():
            if _card_package(card) == arn:
                _card_tags(tags, _text(card.get("Content")), _text(card.get("ModelCardStatus")),
                           _text(card.get("ModelCardName")))
        run = self._run_for(pkg, data_url, runs)
        mv = ModelVersion(
            model_name=str(pkg["ModelPackageGroupName"]),
            version=str(pkg["ModelPackageVersion"]),
            stage=_text(life.get("Stage")) or None,
            status=_text(pkg.get("ModelPackageStatus")) or "Completed",
            user_id=author,
            run_user=run.user if run else None,
            run_id=run.run_id if run else None,
            source=data_url or arn,
            storage_location=data_url or None,
            created_at=parse_timestamp(pkg.get("CreationTime")),
            updated_at=parse_timestamp(pkg.get("LastModifiedTime")),
            description=_text(pkg.get("ModelPackageDescription")),
            tags=tags,
            datasets=[DatasetInput(i.dataset_id, i.name, i.digest, i.source, i.context, dict(i.tags))
                      for i in run.inputs] if run else [],
            store=self.store,
        )
        claim = self._approval(pkg, trail)
        if claim is not None:
            mv.external_approvals.append(claim)
        return mv

    def _approval(self, pkg: dict[str, Any], trail: _Trail) -> ExternalApproval | None:
        status = _text(pkg.get("ModelApprovalStatus"))
        if not status:
            return None
        note = _text(pkg.get("ApprovalDescription"))
        changes = sorted((c for c in trail.status_changes if c[1] == status), key=lambda c: c[0])
        if changes:
            when, _, who, description, event_id = changes[-1]
            at_creation = trail.create_status == status and len(changes) == 1 and when == trail.created_at
            event = "CreateModelPackage" if at_creation else "UpdateModelPackage"
            return ExternalApproval(SYSTEM, status, status == APPROVED, who, when, description or note,
                                    f"CloudTrail {event} event {event_id}", at_creation)
        modified = parse_timestamp(pkg.get("LastModifiedTime"))
        if modified is None:
            # never modified since it was created: the status was given at creation
            creators = user_context_principals(pkg.get("CreatedBy"))
            return ExternalApproval(SYSTEM, status, status == APPROVED, creators[0] if creators else trail.created_by,
                                    parse_timestamp(pkg.get("CreationTime")), note,
                                    "DescribeModelPackage ModelApprovalStatus (never modified since creation)", True)
        modifiers = user_context_principals(pkg.get("LastModifiedBy"))
        return ExternalApproval(SYSTEM, status, status == APPROVED, modifiers[0] if modifiers else None, modified,
                                note, "DescribeModelPackage LastModifiedBy/LastModifiedTime (the last change of "
                                "the package; no CloudTrail event recorded the approval)", False)

    # --- training jobs --------------------------------------------------------------------
    def _runs(self) -> dict[str, Run]:
        runs: dict[str, Run] = {}
        for name, job in sorted(self.acct.jobs.items()):
            arn = str(job["TrainingJobArn"])
            params = {str(k): str(v) for k, v in _dict(job.get("HyperParameters")).items()}
            metrics: dict[str, MetricValue] = {}
            for m in _list(job.get("FinalMetricDataList")):
                if isinstance(m, dict) and m.get("MetricName") and isinstance(m.get("Value"), int | float):
                    metrics[str(m["MetricName"])] = MetricValue(str(m["MetricName"]), float(m["Value"]), 0,
                                                                parse_timestamp(m.get("Timestamp")))
            inputs: list[DatasetInput] = []
            for ch in _list(job.get("InputDataConfig")):
                uri = _text(_dict(_dict(_dict(ch).get("DataSource")).get("S3DataSource")).get("S3Uri"))
                if not uri:
                    continue
                loc = normalise_location(uri)
                channel = _text(ch.get("ChannelName"))
                context = "training" if channel.lower() in TRAINING_CHANNELS else channel
                base = loc.rsplit("/", 1)[-1] or loc
                inputs.append(DatasetInput("sagemaker:" + loc, base, "", loc, context or None, {}))
            experiment = _dict(job.get("ExperimentConfig"))
            run = Run(
                run_id=arn,
                name=name,
                experiment_id=_text(experiment.get("ExperimentName")),
                experiment_name=_text(experiment.get("ExperimentName")) or "SageMaker training jobs",
                user=self.acct.job_creators.get(name),
                status=TRAINING_STATUS.get(_text(job.get("TrainingJobStatus")), _text(job.get("TrainingJobStatus"))),
                start_time=parse_timestamp(job.get("TrainingStartTime")) or parse_timestamp(job.get("CreationTime")),
                end_time=parse_timestamp(job.get("TrainingEndTime")),
                source_name=_text(_dict(job.get("AlgorithmSpecification")).get("TrainingImage")),
                artifact_uri=_text(_dict(job.get("ModelArtifacts")).get("S3ModelArtifacts")),
                params=params,
                metrics=metrics,
                tags=dict(self.acct.tags_of(arn)),
                inputs=inputs,
                store=self.store,
            )
            runs[arn] = run
            if run.artifact_uri:
                self.run_of_artifact[normalise_location(run.artifact_uri)] = arn
        return runs

    def _run_for(self, pkg: dict[str, Any], data_url: str, runs: dict[str, Run]) -> Run | None:
        if data_url and normalise_location(data_url) in self.run_of_artifact:
            return runs[self.run_of_artifact[normalise_location(data_url)]]
        generated = _text(_dict(pkg.get("MetadataProperties")).get("GeneratedBy"))
        if generated in runs:
            return runs[generated]
        return None

    # --- deployments ------------------------------------------------------------------------
    def _package_of_model(self, model_name: str) -> str | None:
        model = self.acct.models.get(model_name)
        if model is None:
            return None
        containers = [_dict(model.get("PrimaryContainer")), *(_dict(c) for c in _list(model.get("Containers")))]
        by_name = {str(p.get("ModelPackageName") or ""): a for a, p in self.acct.packages.items()}
        for c in containers:
            ref = _text(c.get("ModelPackageName"))
            if ref in self.acct.packages:
                return ref
            if ref and ref in by_name:
                return by_name[ref]
        return None

    def _deployments(self) -> None:
        for name, ep in sorted(self.acct.endpoints.items()):
            status = _text(ep.get("EndpointStatus"))
            arn = str(ep["EndpointArn"])
            config = self.acct.configs.get(_text(ep.get("EndpointConfigName")))
            if config is None:
                self.warn(f"endpoint {name}: its endpoint configuration {ep.get('EndpointConfigName')!r} is not in "
                          "the export; what it serves is unknown")
                continue
            for variant in _list(config.get("ProductionVariants")):
                model_name = _text(_dict(variant).get("ModelName"))
                package = self._package_of_model(model_name)
                if package is None or package not in self.version_of_package:
                    continue
                group, version = self.version_of_package[package]
                if status in NOT_SERVING:
                    self.warn(f"endpoint {name} is {status}: not counted as a deployment of {group} v{version}")
                    continue
                dnid = deployment_node_id(group, arn, "pushed")
                self.cat.lineage_nodes.append(LineageNodeRecord(
                    dnid, DEPLOYMENT, f"{name} (SageMaker endpoint)", dict(self.acct.tags_of(arn)),
                    {"subtype": "pushed", "system": SYSTEM, "endpoint": name, "endpoint_arn": arn,
                     "endpoint_status": status, "variant": _text(variant.get("VariantName")),
                     "model_name": group, "version": version, "target": arn, "store": self.store},
                ))
                self.cat.lineage_edges.append(LineageEdgeRecord(version_node_id(group, version), dnid, E_DEPLOYED))

    # --- QueryLineage ---------------------------------------------------------------------------
    def _lineage(self, runs: dict[str, Run]) -> None:
        if not self.acct.vertices:
            return
        by_trial = {f"{r.name}-aws-training-job": r.run_id for r in runs.values()}
        endpoints = {str(e["EndpointArn"]): n for n, e in self.acct.endpoints.items()}
        groups = {_text(g.get("ModelPackageGroupArn")): n for n, g in self.acct.groups.items()}
        node_of: dict[str, tuple[str, str]] = {}  # vertex ARN -> (node id, kind)
        for arn, v in self.acct.vertices.items():
            node_of[arn] = self._vertex_node(arn, v, runs, by_trial, endpoints, groups)
        for e in self.acct.edges:
            src = node_of.get(str(e["SourceArn"]))
            dst = node_of.get(str(e["DestinationArn"]))
            if src is None or dst is None or src[0] == dst[0]:
                continue
            if dst[1] in (RUN, JOB):
                kind = E_INPUT
            elif dst[1] == "model_version":
                kind = E_REGISTERED
            elif dst[1] == DEPLOYMENT:
                kind = E_DEPLOYED
            else:
                kind = E_OUTPUT
            self.cat.lineage_edges.append(LineageEdgeRecord(src[0], dst[0], kind))

    def _vertex_node(self, arn: str, v: dict[str, Any], runs: dict[str, Run], by_trial: dict[str, str],
                     endpoints: dict[str, str], groups: dict[str, str]) -> tuple[str, str]:
        vtype = _text(v.get("Type"))
        if arn in self.version_of_package:
            return version_node_id(*self.version_of_package[arn]), "model_version"
        if arn in groups:
            return model_node_id(groups[arn]), "model"
        if arn in runs:
            return run_node_id(arn), RUN
        name = arn.rsplit("/", 1)[-1]
        if name in by_trial:
            return run_node_id(by_trial[name]), RUN
        artifact = self.acct.artifacts.get(arn)
        uri = _text(_dict(_dict(artifact).get("Source")).get("SourceUri")) if artifact else ""
        if uri in endpoints or arn in endpoints:
            ep = endpoints.get(uri) or endpoints[arn]
            for rec in self.cat.lineage_nodes:
                if rec.kind == DEPLOYMENT and rec.attrs.get("endpoint") == ep:
                    return rec.id, DEPLOYMENT
        if uri and uri.startswith(("s3://", "file://", "https://")) and vtype != "Model":
            nid = dataset_node_id(normalise_location(uri))
            self.cat.lineage_nodes.append(LineageNodeRecord(
                nid, DATASET, uri.rstrip("/").rsplit("/", 1)[-1] or uri, {},
                {"source": normalise_location(uri), "names": [], "digests": [], "columns": [], "entity_ids": [],
                 "store": self.store, "system": SYSTEM, "artifact_arn": arn}))
            return nid, DATASET
        if uri and normalise_location(uri) in self.run_of_artifact:  # a model artifact: its training job
            return run_node_id(self.run_of_artifact[normalise_location(uri)]), RUN
        kind = RUN if _text(v.get("LineageType")) == "TrialComponent" else JOB
        nid = f"sagemaker:{arn}"
        label = f"{vtype or _text(v.get('LineageType')) or 'SageMaker'} {name}"
        self.cat.lineage_nodes.append(LineageNodeRecord(nid, kind, label, {}, {
            "system": SYSTEM, "arn": arn, "lineage_type": _text(v.get("LineageType")), "type": vtype,
            "store": self.store}))
        return nid, kind


def _report_uris(section: dict[str, Any]) -> list[tuple[str, str]]:
    """``(snake_case path, S3 URI)`` of every ``MetricsSource``/``FileSource`` in ModelMetrics or
    DriftCheckBaselines (e.g. ``model_quality.statistics``)."""
    out: list[tuple[str, str]] = []

    def walk(value: Any, path: list[str]) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("S3Uri"), str):
                out.append((".".join(path), str(value["S3Uri"])))
                return
            for key, item in value.items():
                walk(item, [*path, _snake(str(key))])

    walk(section, [])
    return out


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _card_content(raw: str) -> dict[str, Any]:
    import json

    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _card_package(card: dict[str, Any]) -> str:
    content = _card_content(_text(card.get("Content")))
    details = _dict(content.get("model_package_details"))
    arn = _text(details.get("model_package_arn"))
    if arn:
        return arn
    overview = _dict(content.get("model_overview"))
    model_id = _text(overview.get("model_id"))
    return model_id if ":model-package/" in model_id else ""


def _card_tags(tags: dict[str, str], raw: str, status: str, name: str) -> None:
    """Model-card facts as tags (module docstring); a card never overrides a recorded tag."""
    import json

    content = _card_content(raw)
    if not content:
        return
    tags.setdefault("sagemaker.model_card.name", name)
    if status:
        tags.setdefault("sagemaker.model_card.status", status)
    uses = _dict(content.get("intended_uses"))
    purpose = _text(uses.get("purpose_of_model"))
    if purpose:
        tags.setdefault("purpose", purpose)
    if _text(uses.get("intended_uses")):
        tags.setdefault("sagemaker.model_card.intended_uses", _text(uses.get("intended_uses")))
    risk = _text(uses.get("risk_rating"))
    if risk:
        tags.setdefault("sagemaker.model_card.risk_rating", risk)
        if risk.lower() in ("high", "medium", "low"):
            tags.setdefault("risk_tier", risk.lower())
    for key in ("training_details", "evaluation_details"):
        if content.get(key):
            tags.setdefault(f"sagemaker.model_card.{key}",
                            json.dumps(content[key], sort_keys=True, separators=(",", ":"), ensure_ascii=False))


__all__ = ["OPERATIONS", "SageMakerSource", "classify_document", "parse_timestamp", "recognise", "service_model",
           "validate_value"]
