"""App-level behaviour: config refusal, error pages, health, headers, CSRF, language."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from config import DEFAULT_SECRET_KEY, ProdConfig
from portal import create_app
from portal.extensions import db
from portal.models import Person, Role
from tests.factories import PASSWORD, gen_person


def test_production_refuses_default_secret_and_missing_key(tmp_path):
    config = type(
        "P",
        (ProdConfig,),
        {
            "SECRET_KEY": DEFAULT_SECRET_KEY,
            "SIGNING_KEY_DIR": str(tmp_path),
            "SIGNING_KEY_PASSPHRASE": "",
        },
    )
    with pytest.raises(RuntimeError) as excinfo:
        create_app(config)
    message = str(excinfo.value)
    assert "SECRET_KEY" in message and "signing key" in message and "PASSPHRASE" in message


def test_production_refuses_demo_data(tmp_path, app, runner):
    app.config["DEMO_ALLOWED"] = False
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "refused" in result.output


def test_demo_seed_creates_accounts_once(app, runner):
    assert runner.invoke(args=["orgs", "sync"]).exit_code == 0
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert first.output.count("created") == 6
    second = runner.invoke(args=["demo", "seed"])
    assert second.output.count("exists") == 6
    hr = (
        db.session.query(Person)
        .join(Person.emails)
        .filter_by(address="hr@demo.furano.example")
        .one()
    )
    assert (
        hr.is_hr
        and hr.organisation_id
        != db.session.query(Person)
        .join(Person.emails)
        .filter_by(address="hr@demo.hokkaido.example")
        .one()
        .organisation_id
    )


def test_demo_login_works(app, runner, client):
    runner.invoke(args=["orgs", "sync"])
    runner.invoke(args=["demo", "seed"])
    response = client.post(
        "/login", data={"email": "learner@demo.hokkaido.example", "password": "demo-pass"}
    )
    assert response.status_code == 302


def test_home_page_is_japanese(client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "北海道デジタル人材育成ポータル" in html
    assert "生活レベルでのデジタルリテラシーを発揮できる人" in html


def test_english_toggle(client):
    response = client.post("/locale", data={"lang": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in html
    assert "Log in" in html
    client.post("/locale", data={"lang": "ja", "next": "/"})
    assert 'lang="ja"' in client.get("/login").get_data(as_text=True)


def test_locale_toggle_refuses_offsite_next(client):
    response = client.post("/locale", data={"lang": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_404_is_japanese(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.get_data(as_text=True)


def test_database_error_rolls_back_without_stack_trace(app, client, login_as, monkeypatch):
    person = gen_person(roles=(Role.HR,))
    db.session.commit()
    login_as(person)

    import portal.hr.views as views

    def broken(*_args, **_kwargs):
        raise OperationalError("SELECT broken", {}, Exception("connection lost"))

    monkeypatch.setattr(views.db, "paginate", broken)
    response = client.get("/hr/staff")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Traceback" not in html and "connection lost" not in html
    assert "サーバーエラー" in html or "エラー" in html


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_healthz_reports_database_down(app, client, monkeypatch):
    def broken(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503


def test_security_headers(client):
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers.getlist("Referrer-Policy") == ["strict-origin-when-cross-origin"]
    assert "Strict-Transport-Security" not in response.headers  # http development cookies
    assert client.post("/api/verify", data="x").headers["X-Content-Type-Options"] == "nosniff"


class TestSecurityHeadersOnHttps:
    @pytest.fixture
    def app_config(self):
        return {"SESSION_COOKIE_SECURE": True}

    def test_hsts_is_sent(self, client):
        response = client.get("/")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")

    def test_a_view_may_set_its_own_policy(self, app, client):
        app.add_url_rule(
            "/own-policy",
            "own_policy",
            lambda: ("ok", 200, {"Content-Security-Policy": "default-src 'none'"}),
        )
        response = client.get("/own-policy")
        assert response.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
        assert response.headers["X-Frame-Options"] == "DENY"


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_post_without_token_is_refused(self, app, client):
        gen_person(email="csrf@example.lg.jp")
        db.session.commit()
        response = client.post("/login", data={"email": "csrf@example.lg.jp", "password": PASSWORD})
        assert response.status_code == 400
        assert client.post("/locale", data={"lang": "en"}).status_code == 400

    def test_post_with_token_from_form_works(self, app, client):
        import re

        gen_person(email="csrf2@example.lg.jp")
        db.session.commit()
        html = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
            r'name="csrf_token" value="([^"]+)"', html
        )
        assert token, "login form must carry a CSRF token"
        response = client.post(
            "/login",
            data={
                "email": "csrf2@example.lg.jp",
                "password": PASSWORD,
                "csrf_token": token.group(1),
            },
        )
        assert response.status_code == 302

    def test_every_post_form_on_staff_pages_has_a_token(self, app, client, login_as):
        person = gen_person(roles=(Role.HR, Role.ADMIN, Role.TRAINER))
        db.session.commit()
        login_as(person)
        for url in (
            "/",
            "/learn/profile",
            "/hr/staff/new",
            "/hr/staff/import",
            "/hr/units",
            f"/hr/staff/{person.uuid}",
            f"/admin/people/{person.uuid}",
        ):
            html = client.get(url).get_data(as_text=True)
            forms = html.count('method="post"')
            assert forms > 0, url
            assert html.count('name="csrf_token"') >= forms, url


class TestBehindAProxy:
    """Rate limits and audit addresses are per client: the proxy's headers count only when
    the app is told it runs behind one (otherwise anyone could forge them)."""

    LIMIT = {"RATELIMIT_ENABLED": True, "VERIFY_RATE_LIMIT": "1 per minute"}

    @staticmethod
    def _post(client, forwarded_for):  # type: ignore[no-untyped-def]
        return client.post(
            "/api/verify", data=b"x", headers={"X-Forwarded-For": forwarded_for}
        ).status_code

    @pytest.mark.parametrize("app_config", [{**LIMIT, "TRUSTED_PROXIES": 1}])
    def test_each_forwarded_client_has_its_own_allowance(self, client):
        assert [self._post(client, "203.0.113.1"), self._post(client, "203.0.113.2")] == [200, 200]
        assert self._post(client, "203.0.113.1") == 429

    @pytest.mark.parametrize("app_config", [LIMIT])
    def test_forwarded_headers_are_ignored_without_a_trusted_proxy(self, client):
        assert [self._post(client, "203.0.113.1"), self._post(client, "203.0.113.2")] == [200, 429]

    def test_production_trusts_one_proxy(self):
        assert ProdConfig.TRUSTED_PROXIES == 1
