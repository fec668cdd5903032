"""Issuing: on path completion (the hook), level certification and renewal, revocation."""

from __future__ import annotations

import base64
import io
import json
import threading
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

import badges
from portal.exceptions import Conflict, PermissionDenied, ValidationFailed
from portal.extensions import db
from portal.models import (
    AuditEvent,
    CredentialEvent,
    CredentialStatus,
    EvidenceFile,
    IssuedCredential,
    PathCompletion,
    Role,
    StatusListCounter,
    StepRecordVersion,
)
from portal.models.base import utcnow
from portal.public.credentials import active_key, issuance_settings
from portal.services import issuance, learning, status_lists
from portal.services.evidence import EvidenceStore
from tests.conftest import SHARED
from tests.factories import gen_course, gen_municipality, gen_path, gen_person
from tests.factories_credentials import gen_certification, issue
from tests.factories_learning import REFLECTION, gen_enrolment, gen_record, path_steps

SCHEMAS = SHARED / "reference" / "openbadges" / "schema"


def schema_validator(folder: str) -> jsonschema.Draft201909Validator:
    path = SCHEMAS / folder / "ob_v3p0_achievementcredential_schema.json"
    return jsonschema.Draft201909Validator(json.loads(path.read_text("utf-8")))


def segment(token: str, n: int) -> dict:
    part = token.split(".")[n]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def payload_of(token: str) -> dict:
    return segment(token, 1)


@pytest.fixture
def t1_path(badge):  # type: ignore[no-untyped-def]
    courses = [gen_course(title=f"講座{i}") for i in range(1, 4)]
    path = gen_path("t1", steps=courses, achievement=badge, name_ja="T1 生活レベル")
    db.session.commit()
    return path


def _step_form(reflection: str = REFLECTION) -> dict[str, str]:
    return {
        "base_version": "0",
        "completed_on": date.today().isoformat(),
        "reflection": reflection,
        "attested": "y",
    }


# Completion -------------------------------------------------------------------------


def test_completing_t1_issues_the_badge_in_the_same_transaction(
    app, client, login_as, key, learner, t1_path, badge
):
    """The completion hook issues the path badge, with one evidence entry per step."""
    enrolment = gen_enrolment(learner, t1_path)
    steps = path_steps(t1_path)
    gen_record(
        enrolment, steps[0], reflection="一つ目の講座で学んだことを、課の資料づくりに生かします。"
    )
    # A shared evidence file on step 2; an unshared one on step 1 would not be linked.
    shared = EvidenceFile(
        uuid="11111111-2222-4333-8444-555555555555",
        owner_id=learner.id,
        storage_key="x/shared.pdf",
        original_name="修了証.pdf",
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
        share_in_credential=True,
    )
    hidden = EvidenceFile(
        uuid="66666666-2222-4333-8444-555555555555",
        owner_id=learner.id,
        storage_key="x/hidden.pdf",
        original_name="非公開.pdf",
        content_type="application/pdf",
        size=10,
        sha256="1" * 64,
        share_in_credential=False,
    )
    db.session.add_all([shared, hidden])
    db.session.flush()
    record = gen_record(enrolment, steps[1])
    version = db.session.scalar(
        select(StepRecordVersion).where(StepRecordVersion.record_id == record.id)
    )
    version.evidence_file_id = shared.id
    db.session.commit()

    # The learner records the last step (the learning service runs the hook; the HTTP
    # view is the learning area's, see test_completing_through_the_step_page).
    outcome = learning.record_step(
        db.session,
        person=learner,
        path=learning.get_published_path(db.session, "t1"),
        step_id=steps[2].id,
        entry=learning.StepEntry(completed_on=date.today(), reflection=REFLECTION, attested=True),
        upload=None,
        store=EvidenceStore(Path(app.config["UPLOAD_DIR"])),
        base_version=0,
        today=date.today(),
        now=utcnow(),
        hook=app.extensions["completion_hook"],
    )
    assert outcome.completion is not None and not outcome.completion_failed
    db.session.commit()
    db.session.expire_all()
    completion = db.session.scalars(select(PathCompletion)).one()
    credential = db.session.scalars(select(IssuedCredential)).one()
    assert credential.completion_id == completion.id
    assert credential.person_id == learner.id and credential.achievement_id == badge.id
    assert credential.status == CredentialStatus.ACTIVE and credential.valid_until is None

    document = credential.credential
    assert document["issuer"]["id"] == "https://portal.test/issuers/hokkaido"
    assert "parentOrg" not in document["issuer"]
    assert document["credentialSubject"]["id"] == f"urn:uuid:{learner.uuid}"
    assert document["credentialStatus"] == {
        "id": "https://portal.test/status/revocations/1",
        "type": "1EdTechRevocationList",
    }
    evidence = document["evidence"]
    assert [e["name"] for e in evidence] == ["講座1", "講座2", "講座3"]
    assert evidence[0]["narrative"].startswith("一つ目の講座")
    assert evidence[1]["id"] == (
        f"https://portal.test/credentials/{credential.uuid}/evidence/{shared.uuid}"
    )
    assert all(hidden.uuid not in json.dumps(e) for e in evidence)
    assert "id" not in evidence[0]

    # The JWS is the whole credential plus the JWT claims, signed with the active key.
    header = segment(credential.jws, 0)
    assert header == {"alg": "RS256", "kid": "https://portal.test/keys/test-key-1", "typ": "JWT"}
    payload = payload_of(credential.jws)
    assert payload["jti"] == document["id"] == f"urn:uuid:{credential.uuid}"
    assert payload["sub"] == document["credentialSubject"]["id"]
    assert db.session.scalars(select(CredentialEvent)).one().kind == "issued"
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "credential.issued")
    ).one()
    assert audit.subject_id == credential.uuid and audit.organisation_id == learner.organisation_id

    # The learner sees the badge.
    login_as(learner)
    text = client.get("/learn/badges").get_data(as_text=True)
    assert "ラーニングパスT1修了" in text
    assert f"/learn/badges/{credential.uuid}" in text


def test_the_jws_validates_against_both_official_schemas(app, key, learner, badge):
    credential = issue(learner, badge, evidence_url="https://example.lg.jp/kenshu/2025")
    cert = gen_certification([badge.slug])
    renewed_from = issuance.certify(
        db.session,
        issuance_settings(),
        active_key(),
        person=learner,
        achievement=cert,
        actor=None,
        now=utcnow(),
    )
    renewed = issuance.renew(
        db.session,
        issuance_settings(),
        active_key(),
        credential=renewed_from,
        actor=None,
        now=utcnow(),
    )
    for row in (credential, renewed_from, renewed):
        payload = payload_of(row.jws)
        for folder in ("strict-2024-09", "purl-json-2026"):
            errors = list(schema_validator(folder).iter_errors(payload))
            assert errors == [], (folder, [e.message for e in errors[:3]])


def test_failing_issuance_rolls_back_the_completion(app, client, login_as, learner, t1_path):
    """No signing key: the completion is not written, the learner can retry later."""
    enrolment = gen_enrolment(learner, t1_path)
    steps = path_steps(t1_path)
    gen_record(enrolment, steps[0])
    gen_record(enrolment, steps[1])
    db.session.commit()
    login_as(learner)
    client.post(f"/learn/paths/t1/steps/{steps[2].id}", data=_step_form())
    db.session.expire_all()
    assert db.session.query(PathCompletion).count() == 0
    assert db.session.query(IssuedCredential).count() == 0


def test_a_person_already_holding_the_badge_still_completes(app, key, learner, t1_path, badge):
    from portal.services import learning

    issue(learner, badge)  # e.g. awarded at an offline event
    enrolment = gen_enrolment(learner, t1_path)
    for step in path_steps(t1_path):
        gen_record(enrolment, step)
    db.session.commit()
    completion, failed = learning.complete_if_due(
        db.session,
        enrolment,
        path=learning.get_published_path(db.session, "t1"),
        now=utcnow(),
        hook=app.extensions["completion_hook"],
    )
    assert completion is not None and not failed
    assert db.session.query(IssuedCredential).count() == 1
    assert (
        db.session.query(AuditEvent).filter_by(action="credential.not_issued").one().reason
        == "already_held"
    )


def test_one_active_credential_per_person_and_achievement_in_the_database(app, key, learner, badge):
    first = issue(learner, badge)
    db.session.commit()
    copy = IssuedCredential(
        uuid="00000000-0000-4000-8000-00000000abcd",
        person_id=first.person_id,
        achievement_id=first.achievement_id,
        issuer_org_id=first.issuer_org_id,
        signing_key_id=first.signing_key_id,
        status_list_index=999_999,
        jws=first.jws,
        credential=first.credential,
    )
    db.session.add(copy)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(ValidationFailed) as caught:
        issue(learner, badge)
    assert caught.value.code == "already_holds"


def test_status_list_indexes_are_never_reused(app, key, badge, furano):
    people = [gen_person(furano) for _ in range(3)]
    db.session.commit()
    first = issue(people[0], badge)
    db.session.commit()
    issue(people[1], badge)
    db.session.rollback()  # the second issue is abandoned: its index is lost, not reused
    db.session.expire_all()
    third = issue(people[2], badge)
    db.session.commit()
    assert first.status_list_index == 0
    assert third.status_list_index >= 1
    counter = db.session.scalars(select(StatusListCounter)).one()
    assert counter.next_index == third.status_list_index + 1
    assert status_lists.list_number(131_071) == 1 and status_lists.list_number(131_072) == 2


# Certification and renewal ---------------------------------------------------------------


def test_hr_certifies_a_holder_of_the_path_badge(app, client, login_as, key, learner, hr, badge):
    cert = gen_certification([badge.slug], slug="cert-l1")
    db.session.commit()
    login_as(hr)
    page = client.get("/hr/certifications?level=cert-l1").get_data(as_text=True)
    assert learner.name not in page  # no path badge yet
    issue(learner, badge)
    db.session.commit()
    page = client.get("/hr/certifications?level=cert-l1").get_data(as_text=True)
    assert learner.name in page

    response = client.post(
        "/hr/certifications",
        data={"person": learner.uuid, "achievement": "cert-l1", "note": "面談で確認"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.scalars(
        select(IssuedCredential).where(IssuedCredential.achievement_id == cert.id)
    ).one()
    document = row.credential
    assert document["issuer"]["id"] == "https://portal.test/issuers/furano"
    assert document["issuer"]["name"] == "富良野市"
    assert document["issuer"]["parentOrg"]["id"] == "https://portal.test/issuers/hokkaido"
    years = app.config["CERTIFICATION_VALID_YEARS"]
    assert row.valid_until is not None
    assert row.valid_until.year == row.issued_at.year + years
    assert document["validUntil"].startswith(str(row.issued_at.year + years))
    assert payload_of(row.jws)["exp"] == int(row.valid_until.timestamp())
    assert document["evidence"][0]["narrative"] == "面談で確認"
    assert (
        db.session.query(AuditEvent).filter_by(action="credential.certified").one().actor_id
        == hr.id
    )


def test_certification_needs_the_path_badge_and_the_own_organisation(app, key, learner, badge):
    cert = gen_certification([badge.slug])
    other_hr = gen_person(gen_municipality("biei", "美瑛町"), roles=(Role.HR,))
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        issuance.check_certifiable(
            db.session, person=learner, achievement=cert, actor=None, now=utcnow()
        )
    assert caught.value.code == "missing_requirement"
    issue(learner, badge)
    with pytest.raises(PermissionDenied):
        issuance.certify(
            db.session,
            issuance_settings(),
            active_key(),
            person=learner,
            achievement=cert,
            actor=other_hr,
            now=utcnow(),
        )
    with pytest.raises(ValidationFailed):  # a path badge is not a certification
        issuance.certify(
            db.session,
            issuance_settings(),
            active_key(),
            person=learner,
            achievement=badge,
            actor=None,
            now=utcnow(),
        )


def test_renewal_references_the_old_credential_and_supersedes_it(
    app, client, login_as, key, learner, hr, badge
):
    cert = gen_certification([badge.slug], slug="cert-l1")
    issue(learner, badge)
    old = issuance.certify(
        db.session,
        issuance_settings(),
        active_key(),
        person=learner,
        achievement=cert,
        actor=hr,
        now=utcnow() - timedelta(days=3 * 365 - 30),
    )
    db.session.commit()
    login_as(hr)
    page = client.get("/hr/certifications").get_data(as_text=True)
    assert f"/hr/credentials/{old.uuid}/renew" in page  # expires within 90 days
    response = client.post(f"/hr/credentials/{old.uuid}/renew")
    assert response.status_code == 302
    db.session.expire_all()
    rows = db.session.scalars(
        select(IssuedCredential)
        .where(IssuedCredential.achievement_id == cert.id)
        .order_by(IssuedCredential.id)
    ).all()
    assert len(rows) == 2  # nothing deleted
    assert rows[0].status == CredentialStatus.SUPERSEDED
    assert rows[1].status == CredentialStatus.ACTIVE and rows[1].replaces_id == rows[0].id
    previous = [
        e
        for e in rows[1].credential["evidence"]
        if e.get("genre") == badges.PREVIOUS_CREDENTIAL_GENRE
    ]
    assert previous[0]["id"] == f"urn:uuid:{rows[0].uuid}"
    kinds = [
        e.kind for e in db.session.scalars(select(CredentialEvent).order_by(CredentialEvent.id))
    ]
    assert kinds[-2:] == ["superseded", "renewed"]
    assert db.session.query(AuditEvent).filter_by(action="credential.renewed").count() == 1
    with pytest.raises(Conflict):
        issuance.renew(
            db.session,
            issuance_settings(),
            active_key(),
            credential=rows[0],
            actor=hr,
            now=utcnow(),
        )


# Revocation ---------------------------------------------------------------------------------


def test_hr_revokes_with_a_reason_and_the_badge_can_be_awarded_again(
    app, client, login_as, key, learner, hr, badge
):
    credential = issue(learner, badge)
    db.session.commit()
    login_as(hr)
    response = client.post(f"/hr/credentials/{credential.uuid}/revoke", data={"reason": ""})
    assert response.status_code == 400
    response = client.post(
        f"/hr/credentials/{credential.uuid}/revoke", data={"reason": "誤って発行したため"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(IssuedCredential, credential.id)
    assert row.status == CredentialStatus.REVOKED and row.revocation_reason == "誤って発行したため"
    assert row.revoked_at is not None
    listed = client.get("/status/revocations/1").get_json()
    assert {"id": f"urn:uuid:{row.uuid}", "revoked": True} in listed["revokedCredentials"]
    audit = db.session.query(AuditEvent).filter_by(action="credential.revoked").one()
    assert audit.actor_id == hr.id and audit.reason == "誤って発行したため"

    again = issue(learner, badge)
    db.session.commit()
    assert again.uuid != row.uuid and again.status_list_index != row.status_list_index
    assert db.session.query(IssuedCredential).count() == 2


def test_hr_cannot_touch_another_organisations_credentials(app, client, login_as, key, badge):
    other = gen_person(gen_municipality("biei", "美瑛町"))
    hr = gen_person(gen_municipality("furano", "富良野市"), roles=(Role.HR,))
    db.session.commit()
    credential = issue(other, badge)
    db.session.commit()
    login_as(hr)
    assert client.get(f"/hr/credentials/{credential.uuid}/revoke").status_code == 404
    assert (
        client.post(f"/hr/credentials/{credential.uuid}/revoke", data={"reason": "x"}).status_code
        == 404
    )
    assert other.name not in client.get("/hr/credentials?status=all").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(IssuedCredential, credential.id).status == CredentialStatus.ACTIVE


def test_admin_revokes_any_credential(app, client, login_as, key, learner, admin, badge):
    credential = issue(learner, badge)
    db.session.commit()
    login_as(admin)
    assert client.get("/admin/credentials").status_code == 200
    response = client.post(
        f"/admin/credentials/{credential.uuid}/revoke", data={"reason": "確認のため"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(IssuedCredential, credential.id).status == CredentialStatus.REVOKED


# Manual award -------------------------------------------------------------------------------


def test_cli_issue_prints_the_credential_id(app, runner, key, learner, badge):
    result = runner.invoke(
        args=[
            "badges",
            "issue",
            "--email",
            "HANAKO@city.furano.example ",
            "--achievement",
            badge.slug,
            "--evidence-url",
            "https://example.lg.jp/kenshu",
        ]
    )
    assert result.exit_code == 0, result.output
    printed = result.output.strip()
    assert printed.startswith("urn:uuid:")
    row = db.session.scalars(select(IssuedCredential)).one()
    assert printed == f"urn:uuid:{row.uuid}"
    assert row.credential["evidence"][0]["id"] == "https://example.lg.jp/kenshu"
    result = runner.invoke(
        args=["badges", "issue", "--email", "nobody@example.lg.jp", "--achievement", badge.slug]
    )
    assert result.exit_code != 0 and "unknown_email" in result.output


def test_hr_awards_one_badge_by_form(app, client, login_as, key, learner, hr, badge):
    login_as(hr)
    response = client.post(
        "/hr/credentials/award",
        data={
            "action": "one",
            "one-email": learner.primary_email,
            "one-achievement": badge.slug,
            "one-evidence_url": "http://not-https.example",
        },
    )
    assert response.status_code == 400
    assert "https" in response.get_data(as_text=True)
    response = client.post(
        "/hr/credentials/award",
        data={"action": "one", "one-email": learner.primary_email, "one-achievement": badge.slug},
    )
    assert response.status_code == 302
    assert db.session.query(IssuedCredential).count() == 1


def test_web_csv_is_all_or_nothing_with_errors_per_line(
    app, client, login_as, key, hr, furano, badge
):
    people = [gen_person(furano, email=f"p{i}@city.furano.example") for i in range(3)]
    outsider = gen_person(gen_municipality("biei", "美瑛町"), email="x@town.biei.example")
    db.session.commit()
    login_as(hr)
    bad = (
        "email,achievement\n"
        f"{people[0].primary_email},{badge.slug}\n"
        f"nobody@example.lg.jp,{badge.slug}\n"
        f"{outsider.primary_email},{badge.slug}\n"
        f"{people[1].primary_email},no-such-badge\n"
    ).encode()
    response = client.post(
        "/hr/credentials/award",
        data={"action": "csv", "csv-file": (io.BytesIO(bad), "awards.csv")},
        content_type="multipart/form-data",
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "3 行目" in text and "4 行目" in text and "5 行目" in text and "2 行目" not in text
    assert db.session.query(IssuedCredential).count() == 0
    good = "\ufeffemail,achievement,narrative\n" + "".join(
        f"{p.primary_email},{badge.slug},集合研修に参加\n" for p in people
    )
    response = client.post(
        "/hr/credentials/award",
        data={"action": "csv", "csv-file": (io.BytesIO(good.encode()), "awards.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert db.session.query(IssuedCredential).count() == 3


def _bulk_file(org, badge, folder, count):  # type: ignore[no-untyped-def]
    """`count` new people of `org` and a bulk-issue CSV awarding each of them `badge`."""
    people = [gen_person(org, email=f"bulk{i}@city.furano.example") for i in range(count)]
    db.session.commit()
    csv_file = Path(folder) / "bulk.csv"
    csv_file.write_text(
        "email,achievement\n" + "".join(f"{p.primary_email},{badge.slug}\n" for p in people),
        encoding="utf-8",
    )
    return people, csv_file


def test_bulk_issue_is_restartable_after_a_crash(
    app, runner, key, furano, badge, tmp_path, monkeypatch
):
    people, csv_file = _bulk_file(furano, badge, tmp_path, 7)
    real = issuance.store_signed
    calls = {"n": 0}

    def crash_on_third_chunk(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(issuance, "store_signed", crash_on_third_chunk)
    result = runner.invoke(args=["badges", "bulk-issue", str(csv_file), "--chunk", "2"])
    assert result.exit_code != 0
    assert "stopped after 4 new credentials" in result.output
    db.session.rollback()
    assert db.session.query(IssuedCredential).count() == 4  # two chunks committed

    monkeypatch.setattr(issuance, "store_signed", real)
    result = runner.invoke(args=["badges", "bulk-issue", str(csv_file), "--chunk", "2"])
    assert result.exit_code == 0, result.output
    assert "4 already issued, 3 to issue" in result.output
    assert db.session.query(IssuedCredential).count() == 7
    keys = {row.batch_key for row in db.session.scalars(select(IssuedCredential))}
    assert len(keys) == 1 and next(iter(keys)).startswith("bulk-")
    result = runner.invoke(args=["badges", "bulk-issue", str(csv_file)])
    assert result.exit_code == 0 and "7 already issued, 0 to issue" in result.output
    assert db.session.query(IssuedCredential).count() == 7


def test_bulk_issue_signs_in_several_threads_each_credential_for_its_person(
    app, runner, key, furano, badge, tmp_path, monkeypatch
):
    people, csv_file = _bulk_file(furano, badge, tmp_path, 9)
    monkeypatch.setattr(issuance, "SIGNING_THREADS", 3)
    monkeypatch.setattr(issuance, "PARALLEL_SIGNING_MIN", 2)
    threads: set[str] = set()
    real_sign = badges.sign_credential

    all_started = threading.Barrier(3, timeout=20)

    def recording_sign(*args, **kwargs):  # type: ignore[no-untyped-def]
        name = threading.current_thread().name
        if name not in threads:  # each thread's first credential waits for the others
            threads.add(name)
            all_started.wait()
        return real_sign(*args, **kwargs)

    monkeypatch.setattr(badges, "sign_credential", recording_sign)
    result = runner.invoke(args=["badges", "bulk-issue", str(csv_file), "--chunk", "9"])
    assert result.exit_code == 0, result.output
    assert len(threads) == 3 and all(name.startswith("sign") for name in threads)
    trust = badges.TrustStore([badges.TrustedKey.from_jwk(active_key().signer.public_jwk())])
    rows = db.session.scalars(select(IssuedCredential).order_by(IssuedCredential.id)).all()
    assert [row.person_id for row in rows] == [p.id for p in people]
    assert len({row.status_list_index for row in rows}) == 9
    for row, person in zip(rows, people, strict=True):
        checked = badges.verify_credential(row.jws, trust=trust, now=utcnow())
        assert checked.authenticated and checked.credential == row.credential
        subject = row.credential["credentialSubject"]
        assert subject["id"] == f"urn:uuid:{person.uuid}"
        (identifier,) = subject["identifier"]
        assert identifier["identityHash"] == badges.hash_identifier(
            person.primary_email, identifier["salt"]
        )


def test_bulk_issue_refuses_a_file_with_errors(app, runner, key, learner, badge, tmp_path):
    csv_file = Path(tmp_path) / "bulk.csv"
    csv_file.write_text(
        f"email,achievement\n{learner.primary_email},{badge.slug}\nnobody@x.example,{badge.slug}\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["badges", "bulk-issue", str(csv_file)])
    assert result.exit_code != 0
    assert "line 3: unknown_email" in result.output
    assert db.session.query(IssuedCredential).count() == 0
