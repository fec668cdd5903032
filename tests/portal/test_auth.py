from __future__ import annotations

import re
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from portal.extensions import db
from portal.models import AuditEvent, Person, Role
from portal.models.base import utcnow
from portal.services import accounts
from tests.factories import PASSWORD, gen_person, gen_prefecture


def post_login(client, email, password=PASSWORD, next_=None):
    url = "/login" + (f"?next={next_}" if next_ is not None else "")
    return client.post(url, data={"email": email, "password": password})


def test_login_page_is_japanese(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'lang="ja"' in html
    assert "ログイン" in html


def test_login_with_any_verified_email(app, client):
    person = gen_person(email="main@example.lg.jp")
    person.emails.append(accounts.Email(address="second@example.lg.jp", verified_at=utcnow()))
    db.session.commit()
    response = post_login(client, "Second@Example.lg.jp")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/learn/")
    assert client.get("/learn/").status_code == 200


def test_unverified_email_cannot_log_in(app, client):
    person = gen_person(email="main@example.lg.jp")
    person.emails.append(accounts.Email(address="new@example.lg.jp", verified_at=None))
    db.session.commit()
    assert post_login(client, "new@example.lg.jp").status_code == 401


def test_wrong_password_is_refused_in_japanese(app, client):
    gen_person(email="a@example.lg.jp")
    db.session.commit()
    response = post_login(client, "a@example.lg.jp", "wrong password!")
    assert response.status_code == 401
    assert "メールアドレスまたはパスワードが正しくありません" in response.get_data(as_text=True)


def test_lockout_after_repeated_failures(app, client):
    person = gen_person(email="lock@example.lg.jp")
    db.session.commit()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        post_login(client, "lock@example.lg.jp", "wrong password!")
    # Even the right password is refused while locked.
    response = post_login(client, "lock@example.lg.jp")
    assert response.status_code == 401
    assert "ロック" in response.get_data(as_text=True)
    db.session.expire_all()
    locked = db.session.get(Person, person.id)
    assert locked.locked_until is not None
    assert db.session.query(AuditEvent).filter_by(action="account.locked").count() == 1
    # After the lockout the right password works again.
    locked.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert post_login(client, "lock@example.lg.jp").status_code == 302


def test_successful_login_resets_failure_count(app, client):
    person = gen_person(email="b@example.lg.jp")
    db.session.commit()
    post_login(client, "b@example.lg.jp", "wrong password!")
    assert post_login(client, "b@example.lg.jp").status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, person.id).failed_logins == 0


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/\r\nLocation: https://evil.example",
        " //evil.example",
    ],
)
def test_open_redirect_is_refused(app, client, target):
    gen_person(email="c@example.lg.jp")
    db.session.commit()
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "c@example.lg.jp", "password": PASSWORD},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location in ("/learn/", "http://localhost/learn/")


def test_local_next_is_followed(app, client):
    gen_person(email="d@example.lg.jp")
    db.session.commit()
    response = client.post(
        "/login",
        query_string={"next": "/learn/profile?tab=1"},
        data={"email": "d@example.lg.jp", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/learn/profile?tab=1"


def test_anonymous_is_sent_to_login(client):
    for url in ("/learn/", "/trainer/", "/hr/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login?next=" in response.headers["Location"]


def test_logged_in_outside_role_gets_403(app, client, login_as):
    learner = gen_person()
    db.session.commit()
    login_as(learner)
    assert client.get("/learn/").status_code == 200
    for url in ("/trainer/", "/hr/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "アクセス権限がありません" in response.get_data(as_text=True)


def test_roles_open_their_areas(app, client, login_as):
    person = gen_person(roles=(Role.TRAINER, Role.HR, Role.ADMIN))
    db.session.commit()
    login_as(person)
    for url in ("/trainer/", "/hr/", "/admin/"):
        assert client.get(url).status_code == 200


def test_logout_needs_post_and_ends_session(app, client, login_as):
    login_as(gen_person())
    db.session.commit()
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/learn/").status_code == 302


def test_password_change_ends_other_sessions(app, client, login_as):
    person = gen_person()
    db.session.commit()
    login_as(person)
    accounts.set_password(person, "a brand new passphrase", accounts.make_hasher(1, 8))
    db.session.commit()
    assert client.get("/learn/").status_code == 302


# Password reset ---------------------------------------------------------------------


def _link_token(message) -> str:
    match = re.search(r"/password/reset/(\S+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def test_password_reset_flow(app, client, outbox):
    gen_person(email="reset@example.lg.jp")
    db.session.commit()
    response = client.post("/password/forgot", data={"email": "reset@example.lg.jp"})
    assert response.status_code == 302
    assert len(outbox) == 1
    assert outbox[0]["To"] == "reset@example.lg.jp"
    token = _link_token(outbox[0])
    assert app.config["PORTAL_BASE_URL"] in outbox[0].get_content()
    assert client.get(f"/password/reset/{token}").status_code == 200
    response = client.post(
        f"/password/reset/{token}",
        data={"password": "new passphrase 2026", "confirm": "new passphrase 2026"},
    )
    assert response.status_code == 302
    assert post_login(client, "reset@example.lg.jp", "new passphrase 2026").status_code == 302
    # The token is single-use: the password changed, so it no longer works.
    assert client.get(f"/password/reset/{token}").status_code == 400
    assert db.session.query(AuditEvent).filter_by(action="password.reset").count() == 1


def test_password_reset_for_unknown_email_says_the_same(app, client, outbox):
    response = client.post(
        "/password/forgot", data={"email": "nobody@example.lg.jp"}, follow_redirects=True
    )
    assert "送信しました" in response.get_data(as_text=True)
    assert outbox == []


def test_expired_reset_token(app, client):
    person = gen_person()
    db.session.commit()
    token = accounts.make_reset_token(person, app.config["SECRET_KEY"])
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 400
    assert "有効期限" in response.get_data(as_text=True)


def test_tampered_reset_token(app, client):
    person = gen_person()
    db.session.commit()
    token = accounts.make_reset_token(person, app.config["SECRET_KEY"])
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert client.get(f"/password/reset/{flipped}").status_code == 400
    forged = URLSafeTimedSerializer("another-secret", salt="password-reset").dumps(
        {"p": person.uuid, "f": "x"}
    )
    assert client.get(f"/password/reset/{forged}").status_code == 400
    assert client.get("/password/reset/garbage").status_code == 400


def test_reset_rejects_short_password_and_keeps_form(app, client):
    person = gen_person()
    db.session.commit()
    token = accounts.make_reset_token(person, app.config["SECRET_KEY"])
    response = client.post(
        f"/password/reset/{token}", data={"password": "short", "confirm": "short"}
    )
    assert response.status_code == 200
    assert "エラー" in response.get_data(as_text=True)


def test_session_cookie_flags(app, client):
    gen_person(email="e@example.lg.jp")
    db.session.commit()
    response = post_login(client, "e@example.lg.jp")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_prod_config_cookies_are_secure():
    from config import ProdConfig

    assert ProdConfig.SESSION_COOKIE_SECURE is True
    assert ProdConfig.REMEMBER_COOKIE_SECURE is True


def test_prefecture_factory_is_idempotent(app):
    assert gen_prefecture().id == gen_prefecture().id
