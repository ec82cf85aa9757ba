"""Governance benchmark: verifying 10,000 approval envelopes and a 100,000-entry audit log
(budget: under 10 s together), and append throughput on SQLite and PostgreSQL.

The envelopes are real: signed by five trusted keys over in-toto statements for versions
of the MLflow 3 fixture store, with their audit-log entries, exactly as ``approve`` writes
them (built in bulk transactions to keep the setup short). The log holds 100,000 entries.

Usage: python benchmarks/bench_governance.py [--envelopes 10000] [--log 100000] [--appends 1000] [--write]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from mlops_desktop.core.entities import Catalog
from mlops_desktop.crypto.dsse import PROMOTION_PREDICATE, make_statement, sign_envelope
from mlops_desktop.crypto.ecdsa import generate_private_key, key_id
from mlops_desktop.governance import audit
from mlops_desktop.governance.approvals import verify_approvals
from mlops_desktop.governance.db import Governance, now_iso
from mlops_desktop.governance.digest import subject_digest
from mlops_desktop.governance.keys import SigningKey
from mlops_desktop.governance.models import SqlApproval
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer, init_trust
from mlops_desktop.sources.loader import load_catalog

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "mlflow-3.17-sqlite.db"
ARTIFACTS = {"/srv/mlflow/artifacts": str(ROOT / "tests" / "fixtures" / "artifacts" / "mlflow-3.17")}
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _key(name: str) -> SigningKey:
    k = generate_private_key()
    return SigningKey(k, key_id(k.public_key()), f"{name}@example.org")


def build(gov: Governance, catalog: Catalog, envelopes: int, log_size: int) -> None:
    gov.checkpoint_every = 0
    admin = _key("admin")
    init_trust(gov, [admin])
    signers = [_key(f"approver{i}") for i in range(5)]
    for s in signers:
        add_signer(gov, admin, s.public_key, str(s.identity), ["approver"])
    versions = [v for v in catalog.all_versions() if v.run_id]
    digests = {(v.model_name, v.version): subject_digest(catalog, v, ARTIFACTS) for v in versions}
    made = 0
    while made < envelopes:
        with gov.write_session() as session:
            head = audit.lock_head(session, gov)
            for _ in range(min(2000, envelopes - made)):
                v = versions[made % len(versions)]
                key = signers[made % len(signers)]
                sd = digests[(v.model_name, v.version)]
                seq, signed_at = head.size, now_iso()
                predicate = {"decision": "APPROVED", "model": {"name": v.model_name, "version": v.version},
                             "target": "Production", "regimes": ["gdpr"], "reason": "bench",
                             "approver": {"identity": key.identity, "keyId": key.key_id}, "signedAt": signed_at,
                             "policy": {"id": "bench", "digest": "0" * 64},
                             "digest": {"method": sd.method, "recordDigest": sd.record_digest,
                                        "location": sd.location, "files": sd.files},
                             "evidence": {"runId": v.run_id}, "logIndex": seq, "store": gov.store_id}
                env = sign_envelope(make_statement(v.uri, sd.digest, PROMOTION_PREDICATE, predicate), [key])
                env_id = hashlib.sha256(env).hexdigest()
                audit.append(session, gov, audit.ACTION_APPROVE, v.uri, {"envelope_sha256": env_id},
                             key_id=key.key_id, head=head, time=signed_at)
                session.add(SqlApproval(id=env_id, model_name=v.model_name, version=v.version, target="Production",
                                        decision="APPROVED", key_id=key.key_id, log_seq=seq, envelope=env,
                                        created_at=signed_at))
                made += 1
    while audit.head(gov)[0] < log_size:
        with gov.write_session() as session:
            head = audit.lock_head(session, gov)
            for _ in range(min(20000, log_size - head.size)):
                audit.append(session, gov, audit.ACTION_MODEL_VIEWED, "models:/fraud-detector/3",
                             {"view": "details"}, head=head)
    audit.write_checkpoint(gov)


def append_rate(gov: Governance, n: int) -> float:
    gov.checkpoint_every = 100
    t = time.perf_counter()
    for i in range(n):
        audit.log_action(gov, audit.ACTION_MODEL_VIEWED, "models:/m/1", {"i": i})
    return n / (time.perf_counter() - t)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--envelopes", type=int, default=10_000)
    ap.add_argument("--log", type=int, default=100_000)
    ap.add_argument("--appends", type=int, default=1000)
    ap.add_argument("--write", action="store_true", help="write the figures to BENCHMARKS.md '## Governance'")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-gov-"))
    lines: list[str] = []
    try:
        store = tmp / "mlflow.db"
        shutil.copyfile(FIXTURE, store)
        catalog = load_catalog([str(store)])
        gov = open_governance(str(tmp / "gov.db"))
        t0 = time.perf_counter()
        build(gov, catalog, args.envelopes, args.log)
        build_s = time.perf_counter() - t0
        size = audit.head(gov)[0]
        with gov.read_session() as s:
            count = s.execute(sa.select(sa.func.count()).select_from(SqlApproval)).scalar_one()
        print(f"built {count} envelopes and a {size}-entry log in {build_s:.1f} s", file=sys.stderr)

        t = time.perf_counter()
        log = audit.verify_log(gov, update_memory=False)
        log_s = time.perf_counter() - t
        t = time.perf_counter()
        verified = verify_approvals(gov, catalog, artifact_roots=ARTIFACTS)
        env_s = time.perf_counter() - t
        valid = sum(1 for v in verified if v.valid)
        assert log.ok, log.problems
        assert valid == count, f"{valid} of {count} valid"
        total = log_s + env_s
        print(f"verify log {log_s:.2f} s, envelopes {env_s:.2f} s, total {total:.2f} s", file=sys.stderr)
        gov.close()

        sq = open_governance(str(tmp / "append.db"))
        sqlite_rate = append_rate(sq, args.appends)
        sq.close()
        pg_rate = None
        name = f"mlops_bench_{uuid.uuid4().hex[:8]}"
        try:
            admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as con:
                con.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except Exception as exc:  # noqa: BLE001 - the server is optional for the benchmark
            print(f"PostgreSQL not available: {exc}", file=sys.stderr)
        else:
            try:
                pg = open_governance(f"postgresql://postgres@127.0.0.1:5432/{name}")
                pg_rate = append_rate(pg, args.appends)
                pg.close()
            finally:
                with admin.connect() as con:
                    con.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.dispose()
        print(f"appends/s: SQLite {sqlite_rate:.0f}, PostgreSQL {pg_rate or 0:.0f}", file=sys.stderr)

        lines = [
            f"`python benchmarks/bench_governance.py --write` ({count:,} envelopes, {size:,}-entry log, "
            f"{args.appends:,} appends; each append is its own transaction, checkpoint every 100)",
            "",
            "| measure | result | budget |",
            "|---|---|---|",
            f"| verify {size:,}-entry audit log (RFC 6962 root, checkpoints) | {log_s:.2f} s | |",
            f"| verify {count:,} approval envelopes (signature, trust at log time, statement, log entry, "
            f"subject digest) | {env_s:.2f} s | |",
            f"| both together | {total:.2f} s | < 10 s |",
            f"| appends, SQLite (BEGIN IMMEDIATE, one process) | {sqlite_rate:,.0f} / s | |",
            f"| appends, PostgreSQL 15 (row lock on the log head, one process) | "
            f"{f'{pg_rate:,.0f} / s' if pg_rate else 'server not available'} | |",
        ]
        print("\n".join(lines))
        if args.write:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from report import write_section

            write_section("Governance", lines)
        return 0 if total < 10 else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
