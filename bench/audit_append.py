"""What the audit hash chain costs: chained appends against plain writes of the same entries, per backend.

    python bench/audit_append.py [--entries 2000] [--threads 4] [--dynamodb http://127.0.0.1:5000]

For each backend (memory, SQLite file, and DynamoDB when an endpoint is given), the same entries are
written twice in one run: as plain document puts (the reference: what `append_audit` did before the
chain) and through the chain (`KnowledgeBase.append_audit`: read the head, hash, conditional write).
Then the same entries through the chain from ``--threads`` threads on two connections (contention on
the head), and one `verify` of the whole chain. Printed: entries per second and the chain's cost ratio.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.document_store import Doc
from config.knowledge_base import KnowledgeBase, build_knowledge_base, order_key
from config.settings import Settings
from data.models import AuditEntry

T0 = datetime(2026, 11, 24, tzinfo=UTC)


def entries(n: int, tag: str) -> list[AuditEntry]:
    return [
        AuditEntry(
            id=f"AUD-{tag}-{i}", time=T0 + timedelta(seconds=i), actor="agent:TaskOps", action="restart_service",
            target=f"web-{i % 40}", reason="disk full on the root volume", decision="allowed", result="completed",
            details={"rule": "risk_policy", "confidence": 0.87, "attempt": 1},
        )
        for i in range(n)
    ]  # fmt: skip


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:9.0f}/s"


def run(name: str, open_kb: Any, n: int, threads: int) -> None:
    kb: KnowledgeBase = open_kb()
    plain = entries(n, "plain")
    start = time.perf_counter()
    for e in plain:
        doc = Doc(e.id, order_key(e.time), e.model_dump(mode="json"), {"action": e.action, "actor": e.actor})
        kb.store.put("audit_reference", [doc])
    plain_s = time.perf_counter() - start
    chained = entries(n, "chain")
    start = time.perf_counter()
    for e in chained:
        kb.append_audit(e)
    chain_s = time.perf_counter() - start
    other = open_kb() if name != "memory" else KnowledgeBase(kb.store)
    parallel = entries(n, "par")
    chunks = [parallel[i::threads] for i in range(threads)]
    workers = [
        threading.Thread(target=lambda c=c, k=(kb, other)[i % 2]: [k.append_audit(e) for e in c])
        for i, c in enumerate(chunks)
    ]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    par_s = time.perf_counter() - start
    start = time.perf_counter()
    status = kb.verify_audit()
    verify_s = time.perf_counter() - start
    print(
        f"{name:8} plain put {rate(n, plain_s)} | chained {rate(n, chain_s)} ({chain_s / plain_s:4.1f}x plain) | "
        f"{threads} threads on 2 connections {rate(n, par_s)} | verify {status.entries} entries "
        f"{verify_s * 1000:7.0f} ms ok={status.ok}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--dynamodb", help="endpoint of a DynamoDB-compatible server, e.g. moto on loopback")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, {args.entries} entries")
    with tempfile.TemporaryDirectory() as tmp:
        backends: dict[str, dict[str, Any]] = {
            "memory": {"KB_BACKEND": "memory"},
            "sqlite": {"KB_BACKEND": "sqlite", "KB_PATH": Path(tmp) / "kb.sqlite3"},
        }
        if args.dynamodb:
            import boto3

            from config.dynamodb_schema import create_table

            table = f"bench-{uuid.uuid4().hex[:8]}"
            create_table(boto3.client("dynamodb", region_name="us-east-1", endpoint_url=args.dynamodb), table)
            backends["dynamodb"] = {
                "KB_BACKEND": "dynamodb", "DYNAMODB_TABLE": table, "AWS_ENDPOINT_URL": args.dynamodb,
            }  # fmt: skip
        for name, values in backends.items():
            settings = Settings(_env_file=None, **values)
            run(name, lambda s=settings: build_knowledge_base(s), args.entries, args.threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
