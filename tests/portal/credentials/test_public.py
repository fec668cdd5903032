"""Public endpoints: issuers, achievements, keys, status lists and the credential URLs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import pytest
from flask import g

import badges
from portal.extensions import db
from portal.models import CredentialEvent, Role, Visibility
from portal.models.base import utcnow
from portal.services import issuance, sharing
from tests.conftest import SHARED
from tests.factories import gen_municipality, gen_person
from tests.factories_credentials import issue

SCHEMAS = SHARED / "reference" / "openbadges" / "schema"
FILES = ("", ".jws", ".json", ".png", ".svg", "/certificate")


def switch(login_as, person):  # type: ignore[no-untyped-def]
    """Log another person in (the test's app context caches the user in g)."""
    g.pop("_login_user", None)
    return login_as(person)


def test_issuer_profile_is_json_or_html_by_accept(app, client, furano, key):
    response = client.get("/issuers/furano", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    profile = response.get_json()
    assert profile["id"] == "https://portal.test/issuers/furano"
    assert profile["type"] == ["Profile"] and profile["name"] == "富良野市"
    assert profile["parentOrg"]["id"] == "https://portal.test/issuers/hokkaido"
    schema = json.loads((SCHEMAS / "purl-json-2026" / "ob_v3p0_profile_schema.json").read_text())
    assert list(jsonschema.Draft201909Validator(schema).iter_errors(profile)) == []
    html = client.get("/issuers/furano", headers={"Accept": "text/html,*/*"})
    assert html.mimetype == "text/html" and "富良野市" in html.get_data(as_text=True)
    assert "Accept" in html.headers["Vary"]
    assert client.get("/issuers/nowhere").status_code == 404


def test_achievement_is_html_and_json_with_criteria(app, client, key, badge):
    document = client.get(
        "/achievements/badge-t1", headers={"Accept": "application/json"}
    ).get_json()
    assert document["id"] == "https://portal.test/achievements/badge-t1"
    assert document["type"] == ["Achievement"]
    assert document["criteria"]["narrative"] == badge.criteria_ja
    assert document["image"]["id"] == "https://portal.test/images/achievements/badge-t1.svg"
    assert {a["targetCode"] for a in document["alignment"]} == {"T1", "why.society"}
    assert document["alignment"][0]["targetType"] == "ext:HokkaidoDigitalTalentTier"
    page = client.get("/achievements/badge-t1").get_data(as_text=True)
    assert 'id="criteria"' in page and badge.criteria_ja in page


def test_keys_and_jwks_publish_current_and_retired_keys(app, client, runner, pref):
    assert runner.invoke(args=["keys", "generate"]).exit_code == 0
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    rows = runner.invoke(args=["keys", "list"]).output.strip().splitlines()
    assert [line.split("\t")[1] for line in rows] == ["active", "retired"]
    jwks = client.get("/.well-known/jwks.json").get_json()
    assert len(jwks["keys"]) == 2 and "issuers" not in jwks
    for jwk in jwks["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi"}.intersection(jwk)
        key_id = jwk["kid"].rsplit("/", 1)[1]
        one = client.get(f"/keys/{key_id}")
        assert one.status_code == 200 and one.get_json() == jwk  # exactly one JWK
    assert badges.TrustStore.from_jwks(jwks).keys
    assert client.get("/keys/unknown").status_code == 404


def test_status_lists_show_revocations_at_once(app, client, key, learner, badge):
    credential = issue(learner, badge)
    db.session.commit()
    listed = client.get("/status/revocations/1").get_json()
    assert listed["type"] == "1EdTechRevocationList" and listed["revokedCredentials"] == []
    token = client.get("/status/bitstring/1").get_data(as_text=True)
    trust = badges.TrustStore.from_jwks(client.get("/.well-known/jwks.json").get_json())
    now = datetime.now(UTC)
    _doc, bits = badges.verify_status_list_credential(
        token, trust=trust, now=now, url="https://portal.test/status/bitstring/1"
    )
    assert not bits[0] & 0x80

    issuance.revoke(db.session, credential=credential, actor=None, reason="テスト", now=utcnow())
    db.session.commit()
    listed = client.get("/status/revocations/1").get_json()
    assert listed["revokedCredentials"] == [{"id": f"urn:uuid:{credential.uuid}", "revoked": True}]
    token = client.get("/status/bitstring/1").get_data(as_text=True)
    _doc, bits = badges.verify_status_list_credential(
        token, trust=trust, now=now, url="https://portal.test/status/bitstring/1"
    )
    assert bits[0] & 0x80  # index 0, most significant bit first
    assert client.get("/status/revocations/2").status_code == 404
    assert client.get("/status/bitstring/0").status_code == 404


@pytest.fixture
def outsider_hr(furano):  # type: ignore[no-untyped-def]
    person = gen_person(gen_municipality("biei", "美瑛町"), roles=(Role.HR,))
    db.session.commit()
    return person


def _codes(client, credential, token=None):  # type: ignore[no-untyped-def]
    query = f"?share={token}" if token else ""
    return [client.get(f"/credentials/{credential.uuid}{f}{query}").status_code for f in FILES]


def test_a_private_credential_is_seen_only_by_holder_their_hr_and_admin(
    app, client, login_as, key, learner, hr, admin, outsider_hr, badge
):
    credential = issue(learner, badge)
    db.session.commit()
    assert _codes(client, credential) == [404] * len(FILES)
    for person, expected in ((learner, 200), (hr, 200), (admin, 200), (outsider_hr, 404)):
        switch(login_as, person)
        assert _codes(client, credential) == [expected] * len(FILES), person.name


def test_link_and_public_visibility(app, client, login_as, key, learner, badge):
    credential = issue(learner, badge)
    db.session.commit()
    switch(login_as, learner)
    response = client.post(
        f"/learn/badges/{credential.uuid}/visibility", data={"visibility": "link"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    db.session.refresh(credential)
    token = credential.share_token
    assert token and len(token) >= 40
    anonymous = app.test_client()
    g.pop("_login_user", None)
    assert _codes(anonymous, credential) == [404] * len(FILES)
    assert _codes(anonymous, credential, "wrong") == [404] * len(FILES)
    assert _codes(anonymous, credential, token) == [200] * len(FILES)
    page = anonymous.get(f"/credentials/{credential.uuid}?share={token}")
    assert page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert f"share={token}" in page.get_data(as_text=True)  # downloads keep working

    # A new link invalidates the old one; public needs no token.
    switch(login_as, learner)
    client.post(
        f"/learn/badges/{credential.uuid}/visibility", data={"visibility": "link", "new_link": "y"}
    )
    g.pop("_login_user", None)
    assert _codes(anonymous, credential, token) == [404] * len(FILES)
    switch(login_as, learner)
    client.post(f"/learn/badges/{credential.uuid}/visibility", data={"visibility": "public"})
    g.pop("_login_user", None)
    db.session.expire_all()
    assert _codes(anonymous, credential) == [200] * len(FILES)
    assert (
        anonymous.get(f"/credentials/{credential.uuid}")
        .headers["Cache-Control"]
        .startswith("public")
    )


def test_only_the_holder_changes_visibility(app, client, login_as, key, learner, hr, badge):
    credential = issue(learner, badge)
    db.session.commit()
    switch(login_as, hr)
    response = client.post(
        f"/learn/badges/{credential.uuid}/visibility", data={"visibility": "public"}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(type(credential), credential.id).visibility == Visibility.PRIVATE


def test_credential_files(app, client, login_as, key, learner, badge):
    credential = issue(learner, badge)
    db.session.commit()
    switch(login_as, learner)
    jws = client.get(f"/credentials/{credential.uuid}.jws")
    assert jws.mimetype == "text/plain" and jws.get_data(as_text=True) == credential.jws
    document = client.get(f"/credentials/{credential.uuid}.json").get_json()
    assert document["id"] == f"urn:uuid:{credential.uuid}"
    png = client.get(f"/credentials/{credential.uuid}.png?download=1")
    assert png.mimetype == "image/png"
    assert png.headers["Content-Disposition"].startswith("attachment;")
    assert badges.extract_png(png.data).text == credential.jws
    svg = client.get(f"/credentials/{credential.uuid}.svg")
    assert svg.mimetype == "image/svg+xml" and "sandbox" in svg.headers["Content-Security-Policy"]
    assert badges.extract_svg(svg.data).text == credential.jws


def test_credential_page_shows_who_what_issuer_status_alignments_and_qr(
    app, client, login_as, key, learner, badge
):
    credential = issue(learner, badge)
    db.session.commit()
    switch(login_as, learner)
    page = client.get(f"/credentials/{credential.uuid}").get_data(as_text=True)
    for expected in (
        learner.name,
        "富良野市",
        "ラーニングパスT1修了",
        "北海道",
        "有効な認定証です",
        "生活レベルでのデジタルリテラシー",
        '<svg class="qr"',
        f"urn:uuid:{credential.uuid}",
    ):
        assert expected in page, expected
    # The QR code is inline: no request leaves the portal for it.
    assert "api.qrserver" not in page and "chart.googleapis" not in page
    certificate = client.get(f"/credentials/{credential.uuid}/certificate").get_data(as_text=True)
    assert "修了証" in certificate and '<svg class="qr"' in certificate
    assert "css/credentials.css" in certificate


def test_qr_code_encodes_the_verify_url():
    svg = sharing.qr_svg("https://portal.test/verify?url=x", "QR")
    assert svg.startswith('<svg class="qr"') and 'aria-label="QR"' in svg
    assert sharing.qr_svg('"><script>', '"><script>').count("<script>") == 0


def test_linkedin_link_uses_the_add_to_profile_parameters():
    url = sharing.linkedin_add_url(
        name="ラーニングパスT1修了",
        organization_name="北海道",
        issued_at=datetime(2025, 4, 1, tzinfo=UTC),
        valid_until=datetime(2028, 4, 1, tzinfo=UTC),
        cert_url="https://portal.test/credentials/abc?share=t",
        cert_id="urn:uuid:abc",
    )
    assert url.startswith("https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&")
    for part in (
        "issueYear=2025",
        "issueMonth=4",
        "expirationYear=2028",
        "certId=urn%3Auuid%3Aabc",
    ):
        assert part in url
    assert "certUrl=https%3A%2F%2Fportal.test%2Fcredentials%2Fabc%3Fshare%3Dt" in url


def test_credential_page_queries_are_flat(
    app, client, login_as, key, learner, hr, badge, count_queries
):
    first = issue(learner, badge)
    db.session.commit()
    switch(login_as, hr)
    client.get(f"/credentials/{first.uuid}")  # warm caches
    db.session.expire_all()
    switch(login_as, hr)
    with count_queries() as few:
        assert client.get(f"/credentials/{first.uuid}").status_code == 200
    # More history and more alignments/evidence do not add queries.
    for n in range(8):
        db.session.add(CredentialEvent(credential_id=first.id, kind="issued", reason=f"{n}"))
    first.credential = {**first.credential, "evidence": first.credential["evidence"] * 10}
    db.session.commit()
    switch(login_as, hr)
    with count_queries() as many:
        assert client.get(f"/credentials/{first.uuid}").status_code == 200
    assert many.count == few.count, (few.statements, many.statements)


def test_compromised_key_is_no_longer_published(app, client, runner, key, learner, badge):
    credential = issue(learner, badge)
    db.session.commit()
    result = runner.invoke(args=["keys", "compromised", key.key_id, "--reason", "x"])
    assert result.exit_code != 0 and "rotate_first" in result.output  # the active key
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    result = runner.invoke(args=["keys", "compromised", key.key_id, "--reason", "鍵の漏えい"])
    assert result.exit_code == 0, result.output
    assert "1 credentials revoked, 1 reissued" in result.output
    assert client.get(f"/keys/{key.key_id}").status_code == 410
    kids = [k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]]
    assert len(kids) == 1 and key.kid_url not in kids
    db.session.expire_all()
    model = type(credential)
    rows = db.session.query(model).order_by(model.id).all()
    assert [str(r.status) for r in rows] == ["revoked", "active"]
    assert rows[1].replaces_id == rows[0].id and rows[1].signing_key_id != rows[0].signing_key_id
    result = client.post("/api/verify", data=credential.jws, content_type="text/plain").get_json()
    assert not result["valid"]
    assert any(c["code"] == "key" and c["status"] == "fail" for c in result["checks"])
    fresh = client.post("/api/verify", data=rows[1].jws, content_type="text/plain").get_json()
    assert fresh["valid"], fresh
