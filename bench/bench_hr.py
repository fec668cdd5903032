"""Benchmark for the HR pages: run ``.venv/bin/python bench/bench_hr.py`` (prints figures).

Builds (or reuses) a PostgreSQL schema holding the organisations, the catalogue, the demo
accounts and the large generated dataset (`flask demo seed --large`: 14,000 staff in 947
sections of 北海道, plus a small office in every municipality), then requests each HR page
through the Flask test client as 北海道's HR (the admin overview as the admin) and prints
the p50 / p95 / max latency and the SQL statements per request. Target: p95 ≤ 300 ms for
the roster, the coverage page and the charts.

    .venv/bin/python bench/bench_hr.py                 # build the schema if missing, measure
    .venv/bin/python bench/bench_hr.py --rebuild       # drop and rebuild it first
    .venv/bin/python bench/bench_hr.py -n 100 --database-url postgresql://…/db

Not a test: it only prints. The schema (`bench_hr` by default) is left for the next run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
from bench_data import libpq_url  # noqa: E402  (next to this script)
from sqlalchemy import event, select  # noqa: E402

import curricula  # noqa: E402
from config import TestConfig, database_url  # noqa: E402
from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Email, Person  # noqa: E402
from portal.models.base import utcnow  # noqa: E402
from portal.services.catalogue_sync import sync_catalogue  # noqa: E402
from portal.services.demo import analyse_tables, seed_demo, seed_large  # noqa: E402
from portal.services.orgs import sync_organisations  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
HR = "hr@demo.hokkaido.example"
ADMIN = "admin@demo.hokkaido.example"

PAGES = [
    ("dashboard", HR, "/hr/"),
    ("roster", HR, "/hr/staff"),
    ("roster p.150", HR, "/hr/staff?page=150"),
    ("roster filtered", HR, "/hr/staff?tier=T3&level=L1"),
    ("roster search", HR, "/hr/staff?q=%E3%81%95%E3%81%A8%E3%81%86"),  # さとう
    ("coverage", HR, "/hr/coverage"),
    ("coverage vacant", HR, "/hr/coverage?status=vacant"),
    ("charts", HR, "/hr/charts"),
    ("badges", HR, "/hr/badges"),
    ("awards", HR, "/hr/awards"),
    ("admin overview", ADMIN, "/admin/overview"),
]
TARGET_MS = 300.0
TARGETED = {"roster", "roster p.150", "roster filtered", "coverage", "coverage vacant", "charts"}


def make_app(url: str, schema: str) -> Any:
    config = type(
        "BenchConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": database_url(url, url),
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "connect_args": {"options": f"-csearch_path={schema}"},
                "pool_pre_ping": True,
            },
            "PROPAGATE_EXCEPTIONS": True,
        },
    )
    return create_app(config)


def build(url: str, schema: str, rebuild: bool) -> Any:
    plain = libpq_url(url)
    with psycopg.connect(plain, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (schema,)
        ).fetchone()
        if exists and rebuild:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            exists = None
        if not exists:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    app = make_app(url, schema)
    with app.app_context():
        if not exists:
            started = time.perf_counter()
            db.create_all()
            sync_organisations(db.session)
            sync_catalogue(db.session, curricula.load_catalogue(), utcnow())
            seed_demo(db.session)
            db.session.commit()
            for line in seed_large(db.session, base_url=app.config["PORTAL_BASE_URL"]):
                print(line)
            db.session.commit()
            analyse_tables(db.session)
            db.session.commit()
            print(f"built schema {schema} in {time.perf_counter() - started:.1f}s")
        staff = db.session.query(Person).count()
        print(f"schema {schema}: {staff:,} people")
    return app


def login(app: Any, client: Any, email: str) -> None:
    with app.app_context():
        person = db.session.scalar(select(Person).join(Email).where(Email.address == email))
        assert person is not None, f"no demo account {email}"
        user_id = person.get_id()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True


def measure(app: Any, n: int) -> None:
    clients = {email: app.test_client() for email in {HR, ADMIN}}
    for email, client in clients.items():
        login(app, client, email)
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(*_args: Any) -> None:
        statements.append("x")

    sizes: dict[str, tuple[int, int]] = {}
    for name, email, url in PAGES:
        client = clients[email]
        for _ in range(3):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        event.listen(engine, "before_cursor_execute", count)
        statements.clear()
        size = len(client.get(url).data)
        event.remove(engine, "before_cursor_execute", count)
        sizes[name] = (len(statements), size)
    # Round robin, so that a burst of load on a shared machine hits every page alike.
    times: dict[str, list[float]] = {name: [] for name, _e, _u in PAGES}
    load_before = os.getloadavg()[0]
    for _ in range(n):
        for name, email, url in PAGES:
            started = time.perf_counter()
            clients[email].get(url)
            times[name].append((time.perf_counter() - started) * 1000)
    load_after = os.getloadavg()[0]
    print(
        f"\n{n} rounds over all pages after 3 warm-up requests each (Flask test client, "
        f"PostgreSQL); load average {load_before:.1f} → {load_after:.1f} on {os.cpu_count()} CPUs\n"
    )
    print(f"{'page':<18}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'SQL':>6}{'KB':>7}  target")
    for name, _email, _url in PAGES:
        values = sorted(times[name])
        p50 = statistics.median(values)
        p95 = values[min(len(values) - 1, int(round(0.95 * len(values))) - 1)]
        verdict = ("ok" if p95 <= TARGET_MS else "OVER") if name in TARGETED else ""
        sql, size = sizes[name]
        print(
            f"{name:<18}{p50:>9.1f}{p95:>9.1f}{values[-1]:>9.1f}{sql:>6}{size / 1024:>7.0f}  {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--schema", default="bench_hr")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("-n", type=int, default=50)
    args = parser.parse_args()
    app = build(args.database_url, args.schema, args.rebuild)
    measure(app, args.n)


if __name__ == "__main__":
    main()
