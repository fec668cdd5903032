"""Benchmark: POST /api/verify under gunicorn vs a bare endpoint (prints figures; not a test).

    .venv/bin/python bench/bench_verify_api.py [--seconds 10] [--database-url URL]

One run, same machine, same gunicorn configuration (``-w 2``, sync workers, loopback):

1. **portal**: the real app with one issued credential; every request verifies its JWS
   (extract, header, trust store from the database, RS256 signature, claims, JSON
   schema, revocation status from the credential's row, expiry, portal checks) and is
   counted by the rate limiter as in production (``--rate-limit-storage``, a limit no run
   reaches). Nothing caches verification results. On PostgreSQL each worker keeps a copy
   of the credential's row after reading it once (the default ``VERIFY_RECORD_CACHE_SIZE``;
   forgotten when a change commits), so this measures verifying credentials seen before;
4. **portal-uncached** (PostgreSQL): the same with ``VERIFY_RECORD_CACHE_SIZE=0``, every
   request reading the row: what the first verification of a credential in a worker
   costs. Printed for comparison; the goal is judged on the default configuration.
2. **bare**: a Flask app whose ``POST /api/verify`` returns a fixed JSON document of the
   same size as the portal's answer;
3. **portal-fixed**: the same fixed JSON from a route added to the real portal app (the
   portal's extensions, session, locale and security headers, but no verification and no
   database), which splits the gap into "app stack" and "verification".

For each: saturation throughput (``wrk`` if installed, else a Python thread pool), then
latency at half of that app's saturation rate with an open-loop generator (requests are
scheduled at a fixed rate and timed from their scheduled start, so queueing counts).
Goals (issue 6): throughput ratio portal/bare >= 0.5 and portal p95 <= 30 ms at half
saturation. Everything is bounded in time and request count; nothing leaves 127.0.0.1.
The load generator runs on the same CPUs as the servers, which caps the bare endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench_data import add_operator_and_badge, libpq_url  # noqa: E402  (next to this script)

sys.path.insert(0, str(ROOT))

PASSPHRASE = "bench-passphrase"  # noqa: S105 - a throwaway key for the benchmark
BASE_URL = "https://portal.bench"


def _config(
    tmp: Path, database_url: str, schema: str | None, rate_limit_storage: str = "memory://"
) -> dict[str, object]:
    config: dict[str, object] = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PORTAL_BASE_URL": BASE_URL,
        "SIGNING_KEY_DIR": str(tmp / "keys"),
        "SIGNING_KEY_PASSPHRASE": PASSPHRASE,
        "UPLOAD_DIR": str(tmp / "uploads"),
        # The rate limit is counted as in production, with a limit no run reaches.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": rate_limit_storage,
        "VERIFY_RATE_LIMIT": "1000000000 per minute",
        "SECRET_KEY": "bench-" + "x" * 40,
    }
    if schema:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": f"-csearch_path={schema}"},
            "pool_pre_ping": True,
        }
    return config


def setup(config: dict[str, object]) -> tuple[str, int]:
    """Create the tables, a key, a person and one credential; return (JWS, answer size)."""
    from config import database_url as normalise
    from portal import create_app
    from portal.extensions import db
    from portal.models import Email, Person
    from portal.models.base import utcnow
    from portal.public.credentials import active_key, issuance_settings
    from portal.services import issuance
    from portal.services.keys import generate_signing_key

    config = {
        **config,
        "SQLALCHEMY_DATABASE_URI": normalise(str(config["SQLALCHEMY_DATABASE_URI"]), ""),
    }
    app = create_app(config)
    with app.app_context():
        db.create_all()
        pref, _badge = add_operator_and_badge(db.session)
        person = Person(
            organisation_id=pref.id, staff_number="B0001", name="北海 太郎", name_kana="ほっかい"
        )
        person.emails.append(
            Email(address="taro@pref.bench", is_primary=True, verified_at=utcnow())
        )
        db.session.add(person)
        generate_signing_key(
            db.session,
            key_dir=str(config["SIGNING_KEY_DIR"]),
            passphrase=PASSPHRASE,
            base_url=BASE_URL,
            now=utcnow(),
        )
        db.session.commit()
        with app.test_request_context():
            credential = issuance.award(
                db.session,
                issuance_settings(),
                active_key(),
                issuance.AwardRow(
                    "taro@pref.bench", "badge-t1", "https://pref.bench/kenshu", "研修"
                ),
                actor=None,
                now=utcnow(),
            )
            db.session.commit()
            token = credential.jws
        answer = app.test_client().post("/api/verify", data=token, content_type="text/plain")
        assert answer.get_json()["valid"], answer.get_json()
        return token, len(answer.data)


PORTAL_MODULE = """
import json, os
from flask import Response
from portal import create_app
from config import database_url
config = json.loads(os.environ["BENCH_CONFIG"])
config["SQLALCHEMY_DATABASE_URI"] = database_url(config["SQLALCHEMY_DATABASE_URI"], "")
app = create_app(config)
size = int(os.environ["BENCH_SIZE"])
body = json.dumps({"valid": True, "checks": [], "credential": {"pad": ""}})
body = json.dumps({"valid": True, "checks": [], "credential": {"pad": "x" * (size - len(body))}})
# The same app stack (extensions, session, security headers), no verification and no database.
from portal.extensions import csrf
def bench_fixed():
    return Response(body, mimetype="application/json")
app.add_url_rule("/bench/fixed", "bench_fixed", csrf.exempt(bench_fixed), methods=["POST"])
"""

BARE_MODULE = """
import json, os
from flask import Flask, Response
size = int(os.environ["BENCH_SIZE"])
body = json.dumps({"valid": True, "checks": [], "credential": {"pad": ""}})
body = json.dumps({"valid": True, "checks": [], "credential": {"pad": "x" * (size - len(body))}})
app = Flask(__name__)

@app.post("/api/verify")
def verify():
    return Response(body, mimetype="application/json")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(module: str, tmp: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "--chdir", str(tmp), f"{module}:app"],
        env={**os.environ, **env, "PYTHONPATH": f"{ROOT}:{tmp}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port
        except OSError as exc:
            if process.poll() is not None:
                detail = process.stderr.read().decode() if process.stderr else "failed"
                raise RuntimeError(detail) from exc
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{module} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def post(port: int, body: bytes, path: str = "/api/verify") -> float:
    start_at = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "text/plain"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
    finally:
        conn.close()
    return time.perf_counter() - start_at


def saturate_wrk(port: int, body: bytes, seconds: int, tmp: Path, path: str) -> float:
    script = tmp / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body.decode())}\n"
        'wrk.headers["Content-Type"] = "text/plain"\n',
        encoding="utf-8",
    )
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c16",
            f"-d{seconds}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} errors")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise RuntimeError(output)
    return float(match.group(1))


def saturate_threads(port: int, body: bytes, seconds: int, path: str, threads: int = 16) -> float:
    stop_at = time.monotonic() + seconds
    counts = [0] * threads

    def worker(i: int) -> None:
        while time.monotonic() < stop_at:
            post(port, body, path)
            counts[i] += 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(counts) / (time.monotonic() - started)


def fixed_rate(port: int, body: bytes, rate: float, seconds: int, limit: int = 256) -> list[float]:
    """Open loop (asyncio, one thread): request i is due at start + i/rate and its latency
    counts from then, so time spent queueing is included. At most `limit` in flight."""
    total = max(1, int(rate * seconds))
    request = (
        f"POST /api/verify HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body

    async def one(due: float, gate: asyncio.Semaphore, out: list[float]) -> None:
        loop = asyncio.get_running_loop()
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        async with gate:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            await writer.drain()
            data = await reader.read()
            writer.close()
            if not data.startswith(b"HTTP/1.1 200") and not data.startswith(b"HTTP/1.0 200"):
                raise RuntimeError(data[:80])
            out.append(loop.time() - due)

    async def run() -> list[float]:
        gate = asyncio.Semaphore(limit)
        out: list[float] = []
        start_at = asyncio.get_running_loop().time() + 0.2
        await asyncio.gather(*(one(start_at + i / rate, gate, out) for i in range(total)))
        return out

    return asyncio.run(run())


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _worker_cpu(master: int) -> float:
    """CPU seconds used so far by the gunicorn workers of `master` (from /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:  # ppid
            total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return total


def measure(
    name: str,
    process: subprocess.Popen[bytes],
    port: int,
    body: bytes,
    seconds: int,
    tmp: Path,
    latency: bool,
    path: str = "/api/verify",
) -> dict[str, float]:
    for _ in range(50):  # warm both workers (key, trust store, schema caches)
        post(port, body, path)
    cpu_before = _worker_cpu(process.pid)
    if shutil.which("wrk"):
        rps = saturate_wrk(port, body, seconds, tmp, path)
        tool = "wrk"
    else:
        rps = saturate_threads(port, body, seconds, path)
        tool = "threads"
    cpu_ms = (_worker_cpu(process.pid) - cpu_before) / max(rps * seconds, 1) * 1000
    result = {"rps": rps, "cpu_ms": cpu_ms}
    line = f"{name:13} {rps:8.1f} req/s ({tool}), server CPU {cpu_ms:5.2f} ms/request"
    if latency:
        half = rps / 2
        latencies = fixed_rate(port, body, half, seconds)
        result.update(
            half=half, p50=p(latencies, 0.50), p95=p(latencies, 0.95), p99=p(latencies, 0.99)
        )
        line += (
            f" | at {half:.0f} req/s: p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, "
            f"p99 {result['p99']:.1f} ms ({len(latencies)} requests)"
        )
    print(line, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="per phase (max 60)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="postgresql://… to use a fresh schema there (default: a SQLite file)",
    )
    parser.add_argument(
        "--rate-limit-storage",
        default="memory://",
        help="where the rate-limit counters live (production: redis://127.0.0.1:6379)",
    )
    args = parser.parse_args()
    seconds = max(2, min(args.seconds, 60))
    tmp = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    schema = None
    database_url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    if args.database_url:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(libpq_url(args.database_url), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        config = _config(tmp, database_url, schema, args.rate_limit_storage)
        token, size = setup(config)
        (tmp / "bench_portal.py").write_text(PORTAL_MODULE, encoding="utf-8")
        (tmp / "bench_bare.py").write_text(BARE_MODULE, encoding="utf-8")
        env = {
            "BENCH_CONFIG": json.dumps(config),
            "BENCH_SIZE": str(size),
            "PORTAL_ENV": "development",
        }
        uncached = {**env, "BENCH_CONFIG": json.dumps({**config, "VERIFY_RECORD_CACHE_SIZE": 0})}
        print(
            f"credential: JWS {len(token)} chars; verify answer {size} bytes; "
            f"database {'postgresql' if schema else 'sqlite'}; "
            f"rate limit counted in {args.rate_limit_storage}; gunicorn -w 2 (sync); "
            f"{os.cpu_count()} CPUs"
        )
        results = {}
        runs = [
            ("bare", "bench_bare", "/api/verify", env, False),
            # The portal's own stack answering the same-size JSON without verifying anything.
            ("portal-fixed", "bench_portal", "/bench/fixed", env, False),
            ("portal", "bench_portal", "/api/verify", env, True),
        ]
        if schema:  # (SQLite keeps no copies: there the two are the same)
            runs.append(("portal-uncached", "bench_portal", "/api/verify", uncached, True))
        for name, module, path, run_env, latency in runs:
            body = token.encode()
            process, port = start(module, tmp, run_env)
            try:
                results[name] = measure(name, process, port, body, seconds, tmp, latency, path)
            finally:
                stop(process)
        ratio = results["portal"]["rps"] / results["bare"]["rps"]
        cpu_ratio = results["bare"]["cpu_ms"] / results["portal"]["cpu_ms"]
        same_stack = results["portal"]["rps"] / results["portal-fixed"]["rps"]
        p95 = results["portal"]["p95"]
        print(
            f"throughput ratio portal/bare {ratio:.2f} (goal >= 0.5) "
            f"{'OK' if ratio >= 0.5 else 'MISS'}; server-CPU ratio {cpu_ratio:.2f}; "
            f"portal/portal-fixed {same_stack:.2f}; "
            f"portal p95 at half saturation {p95:.1f} ms (goal <= 30 ms) "
            f"{'OK' if p95 <= 30 else 'MISS'}"
        )
        if "portal-uncached" in results:
            cold = results["portal-uncached"]
            print(
                f"uncached (every request reads the row): ratio portal-uncached/bare "
                f"{cold['rps'] / results['bare']['rps']:.2f}, p95 {cold['p95']:.1f} ms"
            )
    finally:
        if schema and args.database_url:
            import psycopg

            with psycopg.connect(libpq_url(args.database_url), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
