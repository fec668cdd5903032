"""Keys (generate, rotate, reload), the learner's badge pages, HR and admin audit pages."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import select

import badges
from config import DevConfig, ProdConfig
from portal.exceptions import Conflict
from portal.extensions import db
from portal.models import AuditEvent, KeyStatus, SigningKey, Visibility
from portal.models.base import utcnow
from portal.public.credentials import key_cache
from portal.services.keys import KeyCache, KeyUnavailable, generate_signing_key
from tests.factories import gen_municipality, gen_person
from tests.factories_credentials import issue


def switch(login_as, person):  # type: ignore[no-untyped-def]
    g.pop("_login_user", None)
    return login_as(person)


# Keys ------------------------------------------------------------------------------------


def test_generate_stores_an_encrypted_key_and_the_public_jwk(app, runner, pref):
    result = runner.invoke(args=["keys", "generate"])
    assert result.exit_code == 0, result.output
    key_id, kid = result.output.split()
    assert kid == f"https://portal.test/keys/{key_id}"
    path = Path(app.config["SIGNING_KEY_DIR"]) / f"{key_id}.pem"
    pem = path.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = badges.load_private_key(pem, app.config["SIGNING_KEY_PASSPHRASE"].encode())
    assert key.key_size == 3072
    row = db.session.scalars(select(SigningKey)).one()
    assert row.status == KeyStatus.ACTIVE and row.kid_url == kid and "d" not in row.public_jwk
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "keys.generated")
    ).one()
    assert event.subject_id == key_id
    # Again: refused; with --if-missing: nothing happens.
    assert runner.invoke(args=["keys", "generate"]).exit_code != 0
    again = runner.invoke(args=["keys", "generate", "--if-missing"])
    assert again.exit_code == 0 and "active key exists" in again.output
    assert db.session.query(SigningKey).count() == 1


def test_rotation_keeps_the_old_key_published_and_workers_reload(app, runner, pref):
    runner.invoke(args=["keys", "generate"])
    cache = KeyCache(app.config["SIGNING_KEY_DIR"], app.config["SIGNING_KEY_PASSPHRASE"])
    first = cache.get(db.session)
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    second = cache.get(db.session)  # another worker's cache notices the new active key
    assert second.key_id != first.key_id and second.signer.kid != first.signer.kid
    statuses = {r.key_id: r.status for r in db.session.scalars(select(SigningKey))}
    assert statuses == {first.key_id: KeyStatus.RETIRED, second.key_id: KeyStatus.ACTIVE}
    rotated = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "keys.rotated")
    ).one()
    assert rotated.data["retired"] == first.key_id


def test_one_active_key_in_the_database(app, pref):
    now = utcnow()
    kwargs = {
        "key_dir": app.config["SIGNING_KEY_DIR"],
        "passphrase": "x" * 12,
        "base_url": "https://portal.test",
        "now": now,
    }
    generate_signing_key(db.session, **kwargs)
    with pytest.raises(Conflict):
        generate_signing_key(db.session, **kwargs)


def test_a_wrong_passphrase_or_missing_key_is_reported(app, pref, key):
    wrong = KeyCache(app.config["SIGNING_KEY_DIR"], "wrong passphrase")
    with pytest.raises(KeyUnavailable) as caught:
        wrong.get(db.session)
    assert caught.value.code == "key_unreadable"
    missing = KeyCache(app.config["SIGNING_KEY_DIR"] + "-elsewhere", "x")
    with pytest.raises(KeyUnavailable) as caught:
        missing.get(db.session)
    assert caught.value.code == "key_file_missing"
    assert key_cache(app) is app.extensions["signing_keys"]


def test_development_has_a_dev_passphrase_and_production_refuses_none():
    assert DevConfig.SIGNING_KEY_PASSPHRASE
    problems = ProdConfig.validate()
    if not ProdConfig.SIGNING_KEY_PASSPHRASE:
        assert any("SIGNING_KEY_PASSPHRASE" in p for p in problems)


# Learner ----------------------------------------------------------------------------------


def test_learner_badge_page_offers_downloads_linkedin_qr_and_certificate(
    app, client, login_as, key, learner, badge
):
    credential = issue(learner, badge)
    db.session.commit()
    switch(login_as, learner)
    page = client.get(f"/learn/badges/{credential.uuid}").get_data(as_text=True)
    for ext in ("png", "svg", "jws"):
        assert f"/credentials/{credential.uuid}.{ext}?download=1" in page
    assert f"/credentials/{credential.uuid}/certificate" in page
    assert '<svg class="qr"' in page
    assert "linkedin.com/profile/add" not in page  # private: LinkedIn could not open it
    client.post(f"/learn/badges/{credential.uuid}/visibility", data={"visibility": "public"})
    page = client.get(f"/learn/badges/{credential.uuid}").get_data(as_text=True)
    assert "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&amp;name=" in page
    assert "certUrl=https%3A%2F%2Fportal.test%2Fcredentials%2F" in page
    db.session.expire_all()
    assert db.session.get(type(credential), credential.id).visibility == Visibility.PUBLIC
    assert db.session.query(AuditEvent).filter_by(action="credential.visibility").count() == 1


def test_learners_see_only_their_own_badges(app, client, login_as, key, learner, badge):
    credential = issue(learner, badge)
    someone = gen_person(gen_municipality("furano"))
    db.session.commit()
    switch(login_as, someone)
    assert client.get(f"/learn/badges/{credential.uuid}").status_code == 404
    assert badge.name_ja not in client.get("/learn/badges").get_data(as_text=True)
    assert client.get("/learn/badges").status_code == 200


def test_badge_list_queries_are_flat(app, client, login_as, key, learner, furano, count_queries):
    from tests.factories_credentials import gen_path_badge

    issue(learner, gen_path_badge("badge-a"))
    db.session.commit()
    switch(login_as, learner)
    with count_queries() as few:
        client.get("/learn/badges")
    for slug in ("badge-b", "badge-c", "badge-d", "badge-e"):
        issue(learner, gen_path_badge(slug))
    db.session.commit()
    switch(login_as, learner)
    with count_queries() as many:
        text = client.get("/learn/badges").get_data(as_text=True)
    assert text.count("/learn/badges/") >= 5
    assert many.count == few.count


def test_hr_list_queries_are_flat(app, client, login_as, key, hr, furano, count_queries):
    from tests.factories_credentials import gen_path_badge

    achievement = gen_path_badge("badge-a")
    people = [gen_person(furano) for _ in range(6)]
    db.session.commit()
    issue(people[0], achievement)
    db.session.commit()
    switch(login_as, hr)
    with count_queries() as few:
        client.get("/hr/credentials")
    for person in people[1:]:
        issue(person, achievement)
    db.session.commit()
    switch(login_as, hr)
    with count_queries() as many:
        client.get("/hr/credentials")
    assert many.count == few.count


# Audit ------------------------------------------------------------------------------------


def test_hr_sees_its_own_organisations_credential_events_admin_sees_all(
    app, client, login_as, key, learner, hr, admin, badge
):
    mine = issue(learner, badge)
    elsewhere = gen_person(gen_municipality("biei", "美瑛町"))
    db.session.commit()
    theirs = issue(elsewhere, badge)
    db.session.commit()
    switch(login_as, hr)
    page = client.get("/hr/credentials/audit").get_data(as_text=True)
    assert mine.uuid[:8] in page and theirs.uuid[:8] not in page
    switch(login_as, admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert mine.uuid[:8] in page and theirs.uuid[:8] in page
    filtered = client.get("/admin/audit?action=keys.rotated").get_data(as_text=True)
    assert mine.uuid[:8] not in filtered
    # Append-only in the database.
    event = db.session.scalars(select(AuditEvent)).first()
    event.reason = "changed"
    with pytest.raises(Exception, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_hr_pages_need_the_hr_role(app, client, login_as, key, learner):
    switch(login_as, learner)
    for url in ("/hr/credentials", "/hr/certifications", "/hr/credentials/award", "/admin/audit"):
        assert client.get(url).status_code == 403
