"""Benchmark: bulk issue of 10,000 credentials on PostgreSQL vs raw RSA-3072 signing.

    .venv/bin/python bench/bench_bulk_issue.py [--rows 10000] [--database-url URL]

Prints figures; not a test. In one run, against a fresh schema on PostgreSQL
(``TEST_DATABASE_URL`` or ``postgresql://postgres@127.0.0.1:5432/test`` by default):

1. raw ``cryptography`` RSA-3072 PKCS#1 v1.5 / SHA-256 signatures per second over a
   credential-sized signing input (measured before and after the bulk run, averaged);
2. ``flask badges bulk-issue FILE.csv`` for `--rows` people (the real command: it checks
   every line, then builds, signs and stores the credentials in committed chunks with one
   index reservation and one INSERT per table per chunk, plus their events and audit rows);
3. the same command again (a rerun after completion issues nothing).

Goal (issue 6): credentials/s of the bulk run >= 0.6 x raw sign/s, i.e. signing dominates.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench_data import add_operator_and_badge, libpq_url  # noqa: E402  (next to this script)

sys.path.insert(0, str(ROOT))

PASSPHRASE = "bench-passphrase"  # noqa: S105 - a throwaway key for the benchmark
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def raw_signs_per_second(seconds: float = 3.0) -> float:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    import badges

    key = badges.generate_key()
    data = os.urandom(3600)  # about the size of our signing input (header.payload)
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(50):
            key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        count += 50
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG)
    args = parser.parse_args()
    rows = max(1, min(args.rows, 100_000))

    import psycopg
    from sqlalchemy import func, insert, select

    from config import database_url
    from portal import create_app
    from portal.extensions import db
    from portal.models import (
        AuditEvent,
        Email,
        IssuedCredential,
        Person,
    )
    from portal.models.base import utcnow
    from portal.services.keys import generate_signing_key

    plain = libpq_url(args.database_url)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-bulk-"))
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url(plain, plain),
                "SQLALCHEMY_ENGINE_OPTIONS": {
                    "connect_args": {"options": f"-csearch_path={schema}"},
                    "pool_pre_ping": True,
                },
                "PORTAL_BASE_URL": "https://portal.bench",
                "SIGNING_KEY_DIR": str(tmp / "keys"),
                "SIGNING_KEY_PASSPHRASE": PASSPHRASE,
                "UPLOAD_DIR": str(tmp / "uploads"),
                "SECRET_KEY": "bench-" + "x" * 40,
            }
        )
        with app.app_context():
            db.create_all()
            pref, _badge = add_operator_and_badge(db.session)
            now = utcnow()
            people = [
                {
                    "uuid": str(uuid.uuid4()),
                    "organisation_id": pref.id,
                    "staff_number": f"B{i:06d}",
                    "name": f"職員 {i}",
                    "name_kana": "",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(rows)
            ]
            ids = db.session.scalars(
                insert(Person).returning(Person.id, sort_by_parameter_order=True), people
            ).all()
            db.session.execute(
                insert(Email),
                [
                    {
                        "person_id": pid,
                        "address": f"staff{i}@pref.bench",
                        "is_primary": True,
                        "verified_at": now,
                        "created_at": now,
                    }
                    for i, pid in enumerate(ids)
                ],
            )
            generate_signing_key(
                db.session,
                key_dir=str(tmp / "keys"),
                passphrase=PASSPHRASE,
                base_url="https://portal.bench",
                now=now,
            )
            db.session.commit()
            csv_file = tmp / "bulk.csv"
            csv_file.write_text(
                "email,achievement,evidence_url,narrative\n"
                + "".join(
                    f"staff{i}@pref.bench,badge-t1,https://pref.bench/kenshu/2025,集合研修に参加\n"
                    for i in range(rows)
                ),
                encoding="utf-8",
            )

        raw_before = raw_signs_per_second()
        runner = app.test_cli_runner()
        start = time.perf_counter()
        result = runner.invoke(
            args=["badges", "bulk-issue", str(csv_file), "--chunk", str(args.chunk)]
        )
        elapsed = time.perf_counter() - start
        if result.exit_code != 0:
            raise SystemExit(result.output[-2000:])
        raw_after = raw_signs_per_second()
        start = time.perf_counter()
        again = runner.invoke(args=["badges", "bulk-issue", str(csv_file)])
        rerun = time.perf_counter() - start
        with app.app_context():
            issued = db.session.scalar(select(func.count(IssuedCredential.id)))
            audited = db.session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "credential.issued")
            )
        raw = (raw_before + raw_after) / 2
        rate = rows / elapsed
        print(
            f"PostgreSQL, {rows} rows, chunks of {args.chunk}: bulk-issue {elapsed:.1f} s = "
            f"{rate:.0f} credentials/s (stored {issued}, audit rows {audited})"
        )
        print(
            f"raw RSA-3072 sign/s: {raw_before:.0f} before, {raw_after:.0f} after, mean {raw:.0f}"
        )
        print(
            f"ratio bulk/raw {rate / raw:.2f} (goal >= 0.6) {'OK' if rate / raw >= 0.6 else 'MISS'}; "
            f"rerun of the same file: {rerun:.1f} s, "
            f"{'issued nothing' if '0 to issue' in again.output else again.output.strip()[-200:]}"
        )
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
