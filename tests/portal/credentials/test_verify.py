"""Verification: POST /api/verify, the /verify page, bad input, other issuers, offline CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask import g

import badges
from portal.extensions import db
from portal.models import Visibility
from portal.models.base import utcnow
from portal.public.credentials import active_key, issuance_settings
from portal.services import issuance
from portal.services.verification import (
    FetchRefused,
    SafeFetcher,
    VerifyContext,
    parse_credential_url,
)
from tests.conftest import REPO_ROOT
from tests.factories_credentials import gen_certification, gen_path_badge, issue, private_key


def api(client, data, content_type="text/plain", **kw):  # type: ignore[no-untyped-def]
    response = client.post("/api/verify", data=data, content_type=content_type, **kw)
    assert response.status_code in (200, 413), response.get_data(as_text=True)[:500]
    return response.get_json()


def failed(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {c["code"]: c["message"] for c in result["checks"] if c["status"] == "fail"}


@pytest.fixture
def credential(key, learner, badge):  # type: ignore[no-untyped-def]
    row = issue(learner, badge)
    db.session.commit()
    return row


def test_api_verifies_a_jws_png_svg_and_json_body(app, client, credential):
    result = api(client, credential.jws)
    assert result["valid"] is True
    assert [c["code"] for c in result["checks"]][:8] == [
        "extract", "header", "key", "signature", "claims", "schema", "status", "expiry",
    ]  # fmt: skip
    summary = result["credential"]
    assert summary["id"] == f"urn:uuid:{credential.uuid}"
    assert summary["issuer"]["name"] == "北海道" and summary["status"] == "active"
    assert summary["holder"] is None  # private: the name is not told to a stranger

    with app.test_request_context():
        from portal.services.sharing import baked_png, baked_svg

        png_bytes = baked_png(credential, credential.achievement)
        svg_bytes = baked_svg(credential, credential.achievement)
    for name, data in (("badge.png", png_bytes), ("badge.svg", svg_bytes)):
        response = client.post(
            "/api/verify",
            data={"file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        assert response.get_json()["valid"], name
    wrapped = api(client, json.dumps({"credential": credential.jws}), "application/json")
    assert wrapped["valid"]
    english = api(client, credential.jws, query_string={"lang": "en"})
    assert english["checks"][3]["message"] == "Signature is valid."


def test_unsigned_json_is_never_valid(app, client, credential):
    result = api(client, json.dumps(credential.credential), "application/json")
    assert result["valid"] is False and "proof" in failed(result)
    assert result["credential"] is None


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda t: t[:-5] + ("A" if t[-5] != "A" else "B") + t[-4:], id="signature"),
        pytest.param(lambda t: t.replace(".", ".e", 1), id="payload"),
        pytest.param(lambda t: "eyJhbGciOiJub25lIn0." + t.split(".")[1] + ".", id="alg-none"),
    ],
)
def test_tampered_tokens_fail_with_the_failing_check(app, client, credential, mutate):
    result = api(client, mutate(credential.jws))
    assert result["valid"] is False
    assert failed(result)
    assert result["credential"] is None


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "extract"),
        (b"hello world", "extract"),
        (b"\xff\xfe\x00garbage", "extract"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "extract"),  # corrupt PNG
        (b"<svg xmlns='http://www.w3.org/2000/svg'><!ENTITY x 'y'></svg>", "extract"),
        (b'{"a": 1, "a": 2}', "extract"),
        (b"eyJ.eyJ.eyJ", "extract"),
    ],
)
def test_garbage_never_crashes(app, client, key, data, code):
    result = api(client, data, "application/octet-stream")
    assert result["valid"] is False
    assert code in failed(result)


def test_a_huge_upload_is_refused_without_an_error_page(app, client, key):
    big = b"x" * (9 * 1024 * 1024)
    response = client.post("/api/verify", data=big, content_type="application/octet-stream")
    assert response.status_code == 413
    result = response.get_json()
    assert result["valid"] is False and "extract" in failed(result)
    # The multipart body is built here: the test client would spool it to a temporary
    # file that it never closes when the app (rightly) does not read it.
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + big
        + f"\r\n--{boundary}--\r\n".encode()
    )
    page = client.post(
        "/verify", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert page.status_code == 200
    assert "検証できませんでした" in page.get_data(as_text=True)


def test_revoked_credential_is_reported_revoked_by_page_and_api(
    app, client, login_as, credential, hr
):
    issuance.revoke(db.session, credential=credential, actor=hr, reason="誤発行", now=utcnow())
    db.session.commit()
    result = api(client, credential.jws)
    assert result["valid"] is False
    assert "失効" in failed(result)["status"]
    assert result["credential"]["status"] == "revoked"
    g.pop("_login_user", None)
    login_as(hr)
    page = client.get(f"/credentials/{credential.uuid}").get_data(as_text=True)
    assert "この認定証は失効しています" in page and "誤発行" in page


def test_expired_certification_fails_the_expiry_check(app, client, key, learner, badge):
    cert = gen_certification([badge.slug])
    issue(learner, badge)
    old = issuance.certify(
        db.session,
        issuance_settings(),
        active_key(),
        person=learner,
        achievement=cert,
        actor=None,
        now=utcnow() - timedelta(days=4 * 365),
    )
    db.session.commit()
    result = api(client, old.jws)
    assert result["valid"] is False and "expiry" in failed(result)
    assert result["credential"]["status"] == "expired"


def _foreign_token(kid: str, issuer_id: str) -> str:
    """A credential from another issuer, signed with a key we do not know."""
    key = badges.SigningKey(kid=kid, private_key=private_key(1))
    credential = badges.build_credential(
        credential_id=uuid.uuid4(),
        issuer=badges.IssuerProfile(
            id=issuer_id, name="札幌市立大学", url="https://example.ac.jp/"
        ),
        achievement=badges.AchievementSpec(
            id="https://example.ac.jp/achievements/dx",
            name="DX入門",
            description="DXの入門講座",
            criteria_narrative="全回出席",
            image="https://example.ac.jp/dx.png",
        ),
        recipient=badges.Recipient.from_email(uuid.uuid4(), "a@example.jp", "s"),
        valid_from=datetime.now(UTC) - timedelta(days=1),
        status=badges.RevocationListStatus("https://example.ac.jp/status/revocations"),
    )
    return badges.sign_credential(credential, key)


class FakeFetcher:
    """Stands in for the network: answers from a dict, records what was asked."""

    def __init__(self, answers: dict[str, bytes]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.asked.append(url)
        if url not in self.answers:
            raise FetchRefused("http_status", "404")
        return self.answers[url]


def test_other_issuers_key_is_fetched_from_their_kid(app, client, key):
    kid = "https://example.ac.jp/keys/1"
    token = _foreign_token(kid, "https://example.ac.jp/issuers/1")
    jwk = badges.public_jwk(private_key(1), kid)
    revocations = badges.build_revocation_list(
        list_url="https://example.ac.jp/status/revocations",
        issuer_id="https://example.ac.jp/issuers/1",
        revoked=[],
    )
    fake = FakeFetcher(
        {kid: json.dumps(jwk).encode(), revocations["id"]: json.dumps(revocations).encode()}
    )
    app.extensions["credential_fetcher"] = fake
    result = api(client, token)
    assert result["valid"] is True, result
    codes = {c["code"]: c["status"] for c in result["checks"]}
    assert codes["fetch"] == "ok" and codes["issuer"] == "warn" and codes["status"] == "ok"
    assert result["credential"]["status"] == "external"
    assert fake.asked == [kid, revocations["id"]]


def test_unknown_issuers_fail_with_the_key_check(app, client, key):
    app.extensions["credential_fetcher"] = FakeFetcher({})
    result = api(client, _foreign_token("https://example.ac.jp/keys/1", "https://example.ac.jp/i"))
    assert result["valid"] is False
    assert "fetch" in failed(result) and "key" in failed(result)
    # A kid on another site than the issuer is never fetched (RFC 8725 §3.10).
    fake = FakeFetcher({})
    app.extensions["credential_fetcher"] = fake
    result = api(client, _foreign_token("https://evil.example/keys/1", "https://example.ac.jp/i"))
    assert result["valid"] is False and fake.asked == []
    # Our issuer id, somebody else's key: refused.
    result = api(
        client,
        _foreign_token("https://portal.test/keys/forged", "https://portal.test/issuers/hokkaido"),
    )
    assert result["valid"] is False and "key" in failed(result)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "169.254.169.254",
        "::1",
        "fd00::1",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not to bind
        "::ffff:127.0.0.1",
    ],
)
def test_the_fetcher_refuses_private_and_loopback_addresses(address):
    fetcher = SafeFetcher(resolver=lambda host, port: [address])
    with pytest.raises(FetchRefused) as caught:
        fetcher("https://looks-public.example/keys/1")
    assert caught.value.code == "blocked_address"


def test_the_fetcher_refuses_plain_http_and_caches_failures():
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["10.0.0.1"]

    fetcher = SafeFetcher(resolver=resolver)
    with pytest.raises(FetchRefused) as caught:
        fetcher("http://example.org/key")
    assert caught.value.code == "not_https"
    for _ in range(3):
        with pytest.raises(FetchRefused):
            fetcher("https://example.org/key")
    assert asked == ["example.org"]  # cached


def test_our_credential_urls_only(app, client, login_as, credential, learner):
    page_url = f"https://portal.test/credentials/{credential.uuid}"
    result = api(client, json.dumps({"url": page_url}), "application/json")
    assert result["valid"] is False and "extract" in failed(result)  # private
    credential.visibility = Visibility.PUBLIC
    db.session.commit()
    for url in (page_url, page_url + ".png", page_url + ".jws"):
        result = api(client, json.dumps({"url": url}), "application/json")
        assert result["valid"] is True, url
        assert result["credential"]["holder"] == learner.name
    result = api(
        client, json.dumps({"url": "https://evil.example/credentials/x"}), "application/json"
    )
    assert result["valid"] is False
    ctx = VerifyContext(
        base_url="https://portal.test", now=utcnow(), fetcher=None, aliases=("http://localhost",)
    )
    assert parse_credential_url(f"http://localhost/credentials/{credential.uuid}?share=t", ctx)
    assert parse_credential_url(f"https://portal.test/keys/{credential.uuid}", ctx) is None


def test_verify_page_in_plain_japanese(app, client, credential):
    page = client.post(
        "/verify",
        data={"token": credential.jws},
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "この認定証は有効です。" in text and "署名は有効です。" in text
    tampered = client.post("/verify", data={"token": credential.jws[:-3] + "AAA"}).get_data(
        as_text=True
    )
    assert "この認定証は検証できませんでした。" in tampered and "署名が一致しません" in tampered
    credential.visibility = Visibility.PUBLIC
    db.session.commit()
    via_qr = client.get(f"/verify?url=https://portal.test/credentials/{credential.uuid}")
    assert "この認定証は有効です。" in via_qr.get_data(as_text=True)


def test_recipient_email_check(app, client, credential, learner):
    good = api(
        client,
        json.dumps({"credential": credential.jws, "email": " Hanako@City.Furano.example"}),
        "application/json",
    )
    assert good["valid"] and any(
        c["code"] == "recipient" and c["status"] == "ok" for c in good["checks"]
    )
    bad = api(
        client,
        json.dumps({"credential": credential.jws, "email": "other@example.jp"}),
        "application/json",
    )
    assert bad["valid"] is False and "recipient" in failed(bad)


def test_verify_api_queries_are_flat(app, client, key, learner, pref, badge, count_queries):
    small = issue(learner, badge)
    other = gen_path_badge("badge-big")
    big = issuance.issue_one(
        db.session,
        issuance_settings(),
        active_key(),
        issuance.Planned(
            person=learner,
            achievement=other,
            issuer_org=pref,
            evidence=tuple(
                badges.EvidenceItem(name=f"講座{i}", narrative="振り返り" * 20) for i in range(30)
            ),
        ),
        actor=None,
        now=utcnow(),
    )
    db.session.commit()
    api(client, small.jws)  # warm the trust store
    counts = []
    for token in (small.jws, big.jws, small.jws):
        with count_queries() as counter:
            assert api(client, token)["valid"]
        counts.append(counter.count)
    assert len(set(counts)) == 1 and counts[0] <= 6, counts


@pytest.mark.parametrize(
    "app_config",
    [
        {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_HEADERS_ENABLED": True,
            "VERIFY_RATE_LIMIT": "2 per minute",
        }
    ],
)
def test_verify_endpoints_are_rate_limited(app, client, key):
    first = client.post("/api/verify", data=b"x")
    assert first.status_code == 200
    assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == (
        "2",
        "1",
    )
    assert client.post("/api/verify", data=b"x").status_code == 200
    refused = client.post("/api/verify", data=b"x")
    assert refused.status_code == 429
    assert refused.get_json()["error"] == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    # Another client address has its own allowance.
    other = client.post("/api/verify", data=b"x", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200
    assert client.get("/verify").status_code == 200  # the empty form is not counted
    page = {"token": "x"}
    assert [client.post("/verify", data=page).status_code for _ in range(3)] == [200, 200, 429]


def test_hr_bulk_verification_returns_a_csv(app, client, login_as, credential, hr):
    login_as(hr)
    upload = (
        "url\n"
        f"https://portal.test/credentials/{credential.uuid}\n"
        f"{credential.jws}\n"
        "not a credential\n"
    ).encode()
    response = client.post(
        "/hr/credentials/verify",
        data={"csv-file": (io.BytesIO(upload), "list.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert rows[0].startswith("line,input,result,failed_checks")
    results = [r.split(",")[2] for r in rows[1:]]
    assert results == ["valid", "valid", "invalid"]
    assert learner_name_in(rows[1])


def learner_name_in(row: str) -> bool:
    return "富良野 花子" in row  # HR of the holder's organisation sees the name


def test_the_downloaded_png_verifies_offline_with_the_published_jwks(
    app, client, login_as, credential, learner, tmp_path
):
    """Done-when: `python -m badges verify FILE --trust jwks.json` on a machine with no network."""
    login_as(learner)
    png = client.get(f"/credentials/{credential.uuid}.png").data
    jwks = client.get("/.well-known/jwks.json").data
    revocations = client.get("/status/revocations/1").data
    (tmp_path / "badge.png").write_bytes(png)
    (tmp_path / "jwks.json").write_bytes(jwks)
    (tmp_path / "revocations.json").write_bytes(revocations)
    changed = bytearray(png)
    changed[len(changed) // 2] ^= 0x01  # one byte of the pixels
    (tmp_path / "changed.png").write_bytes(bytes(changed))
    token = bytearray(png)
    at = png.index(b"openbadgecredential") + 400  # one byte of the baked JWS
    token[at] = ord("A") if token[at] != ord("A") else ord("B")
    (tmp_path / "token-changed.png").write_bytes(bytes(token))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO_ROOT),
        "no_proxy": "*",
        "http_proxy": "http://127.0.0.1:9",  # any network use would fail
        "https_proxy": "http://127.0.0.1:9",
    }

    def run(name: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "badges",
                "verify",
                str(tmp_path / name),
                "--trust",
                str(tmp_path / "jwks.json"),
                *extra,
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )

    ok = run("badge.png", "--status", str(tmp_path / "revocations.json"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "この認定証は有効です。" in ok.stdout
    assert run("badge.png").returncode == 0
    assert run("changed.png").returncode != 0  # CRC no longer matches
    bad = run("token-changed.png")
    assert bad.returncode != 0, bad.stdout


def test_tokens_from_before_a_rotation_still_verify(app, client, runner, credential):
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    assert api(client, credential.jws)["valid"]
    g.pop("_login_user", None)


def _redis_url() -> str | None:
    import socket

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return url
    except OSError:
        return None


@pytest.mark.skipif(_redis_url() is None, reason="no Redis on 127.0.0.1:6379")
@pytest.mark.parametrize(
    "app_config",
    [
        {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": _redis_url() or "memory://",
            "VERIFY_RATE_LIMIT": "2 per minute",
        }
    ],
)
def test_rate_limit_shared_through_redis_as_the_readme_deploys_it(app, client, key):
    """Production keeps the counters in Redis so that every worker sees them."""
    # An address no other run uses, so counters left by an earlier run cannot count here.
    part = uuid.uuid4().hex
    address = {"REMOTE_ADDR": f"2001:db8::{part[:4]}:{part[4:8]}:{part[8:12]}"}
    assert client.post("/api/verify", data=b"x", environ_base=address).status_code == 200
    assert client.post("/api/verify", data=b"x", environ_base=address).status_code == 200
    assert client.post("/api/verify", data=b"x", environ_base=address).status_code == 429


@pytest.mark.parametrize(
    "app_config",
    [
        {
            "RATELIMIT_ENABLED": True,
            "VERIFY_RATE_LIMIT": "2 per minute",
            "LOGIN_RATE_LIMIT": "2 per minute",
        }
    ],
)
def test_the_api_skips_flask_limiters_passes_other_routes_keep_them(app, client, login_as):
    from portal.extensions import limiter

    hooks = [
        *app.before_request_funcs[None],
        *app.after_request_funcs[None],
        *app.teardown_request_funcs[None],
    ]
    wrapped = [h for h in hooks if getattr(h, "__wrapped__", None) is not None]
    assert len(wrapped) == 4  # Flask-Limiter's check, headers and clean-up; remember-me
    assert limiter.enabled
    # The API counts for itself (X-RateLimit-* only when RATELIMIT_HEADERS_ENABLED) ...
    answers = [client.post("/api/verify", data=b"x") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "X-RateLimit-Limit" not in answers[0].headers
    assert int(answers[2].headers["Retry-After"]) >= 1
    # ... and the pages are limited by Flask-Limiter as before.
    form = {"email": "nobody@example.lg.jp", "password": "wrong password"}
    codes = [client.post("/login", data=form).status_code for _ in range(3)]
    assert codes[-1] == 429, codes
    # An API client without cookies gets an answer that opens no session at all.
    assert "Vary" not in client.post("/api/verify", data=b"x", headers={"Cookie": ""}).headers


# Without copies of records (PostgreSQL keeps them; see test_change_feed): every request
# here must reach the lookup connection.
@pytest.mark.parametrize("app_config", [{"VERIFY_RECORD_CACHE_SIZE": 0}])
def test_record_lookup_reads_what_is_committed_and_survives_a_lost_connection(
    app, client, credential, hr
):
    from portal.services import verification

    token = credential.jws
    db.session.commit()  # the requests share this session: it must hold no transaction
    api(client, token)  # loads our keys (a session query: the lookup then joins it)
    db.session.commit()
    assert api(client, token)["credential"]["status"] == "active"
    held = verification._lookup_connections.held
    assert held is not None  # the lookup went to the connection kept for it
    issuance.revoke(db.session, credential=credential, actor=hr, reason="誤発行", now=utcnow())
    db.session.commit()
    assert api(client, token)["credential"]["status"] == "revoked"  # at once
    held[2].dbapi_connection.close()  # e.g. the database server restarted
    assert api(client, token)["credential"]["status"] == "revoked"
    again = verification._lookup_connections.held
    assert again is not None and again[2] is not held[2]  # a new connection


def test_api_verification_of_a_cookieless_client_opens_no_orm_session(
    app, client, credential, monkeypatch
):
    """The hottest public endpoint reads one row on its own connection (see load_record)."""
    token = credential.jws
    db.session.commit()
    api(client, token)  # loads our keys through the session
    db.session.remove()
    created: list[int] = []
    real = db.session.registry.createfunc
    monkeypatch.setattr(db.session.registry, "createfunc", lambda: created.append(1) or real())
    result = api(client, token)
    assert result["valid"] and result["credential"]["status"] == "active"
    assert created == []

