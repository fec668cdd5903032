from __future__ import annotations

import io

import pytest

from portal.extensions import db
from portal.models import Person, Role, Unit
from tests.factories import gen_municipality, gen_person

HEADER = "職員番号,氏名,ふりがな,メールアドレス,部,課,役割\n"
GOOD = HEADER + (
    "10001,札幌 花子,さっぽろ はなこ,hanako@example.lg.jp,総務部,総務課,\n"
    "10002,旭川 一郎,あさひかわ いちろう,ichiro@example.lg.jp,経済部,農林課,研修担当\n"
    "10003,函館 次郎,はこだて じろう,jiro@example.lg.jp,経済部,農林課,\n"
)


@pytest.fixture
def hr(app):
    org = gen_municipality()
    person = gen_person(org, roles=(Role.HR,), staff_number="HR1")
    db.session.commit()
    return person


def upload(client, raw: bytes, name="staff.csv"):
    return client.post(
        "/hr/staff/import",
        data={"file": (io.BytesIO(raw), name)},
        content_type="multipart/form-data",
    )


def staff_count(org_id):
    db.session.expire_all()
    return db.session.query(Person).filter_by(organisation_id=org_id).count()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp932", "shift_jis"])
def test_import_in_the_encodings_excel_writes(client, login_as, hr, encoding):
    login_as(hr)
    response = upload(client, GOOD.encode(encoding))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "新規 3 名" in response.get_data(as_text=True)
    assert staff_count(hr.organisation_id) == 4
    hanako = db.session.query(Person).filter_by(staff_number="10001").one()
    assert hanako.name == "札幌 花子"
    assert hanako.section_id is not None
    ichiro = db.session.query(Person).filter_by(staff_number="10002").one()
    assert ichiro.is_trainer
    sections = (
        db.session.query(Unit).filter_by(organisation_id=hr.organisation_id, name="農林課").all()
    )
    assert len(sections) == 1  # created once, shared by two rows


def test_broken_rows_write_nothing_and_say_where(client, login_as, hr):
    login_as(hr)
    raw = (
        HEADER
        + "10001,札幌 花子,さっぽろ はなこ,hanako@example.lg.jp,総務部,総務課,\n"
        + "10002,,あさひかわ,not-an-email,経済部,農林課,\n"
        + "10003,函館 次郎,はこだて,jiro@example.lg.jp,経済部\n"
        + "10004,小樽 三郎,おたる,saburo@example.lg.jp,,農林課,\n"
        + "10005,室蘭 四郎,むろらん,shiro@example.lg.jp,総務部,総務課,社長\n"
    ).encode("utf-8-sig")
    response = upload(client, raw)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "何も登録していません" in html
    # line 3: missing name and bad email; line 4: wrong cell count; line 5: section without department
    assert "<td>3</td><td>氏名</td>" in html
    assert "<td>3</td><td>メールアドレス</td>" in html
    assert "<td>4</td>" in html and "列の数" in html
    assert "<td>5</td><td>部</td>" in html
    assert "<td>6</td><td>役割</td>" in html and "社長" in html
    assert staff_count(hr.organisation_id) == 1
    assert db.session.query(Unit).count() == 0


def test_duplicate_staff_numbers_in_file(client, login_as, hr):
    login_as(hr)
    raw = (
        HEADER + "10001,札幌 花子,,a@example.lg.jp,,,\n" + "10001,札幌 花男,,b@example.lg.jp,,,\n"
    ).encode()
    response = upload(client, raw)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<td>3</td><td>職員番号</td>" in html and "2 行目と重複" in html
    assert staff_count(hr.organisation_id) == 1


def test_duplicate_email_in_file_and_in_portal(client, login_as, hr):
    other_org = gen_municipality("biei", "美瑛町")
    gen_person(other_org, email="taken@example.lg.jp")
    db.session.commit()
    login_as(hr)
    raw = (
        HEADER
        + "1,A,,x@example.lg.jp,,,\n"
        + "2,B,,X@example.lg.jp,,,\n"
        + "3,C,,taken@example.lg.jp,,,\n"
    ).encode()
    html = upload(client, raw).get_data(as_text=True)
    assert "<td>3</td><td>メールアドレス</td>" in html
    assert "<td>4</td><td>メールアドレス</td>" in html and "別の職員が使っています" in html


def test_wrong_encoding_is_reported(client, login_as, hr):
    login_as(hr)
    raw = b"\xff\xfe\x00\x81\x00" + "職員番号".encode("utf-16-le") + b"\x80\xff"
    response = upload(client, raw)
    assert response.status_code == 422
    assert "文字コード" in response.get_data(as_text=True)


def test_missing_required_column(client, login_as, hr):
    login_as(hr)
    response = upload(client, "職員番号,氏名\n1,A\n".encode())
    assert response.status_code == 422
    assert "必須の列がありません" in response.get_data(as_text=True)


def test_existing_staff_number_updates_the_person(client, login_as, hr):
    from portal.models import Organisation

    org = db.session.get(Organisation, hr.organisation_id)
    person = gen_person(org, staff_number="10001", name="旧姓 花子", email="hanako@example.lg.jp")
    db.session.commit()
    login_as(hr)
    response = upload(
        client,
        (HEADER + "10001,新姓 花子,しんせい はなこ,hanako@example.lg.jp,総務部,総務課,\n").encode(),
    )
    assert response.status_code == 200
    assert "更新 1 名" in response.get_data(as_text=True)
    db.session.expire_all()
    updated = db.session.get(Person, person.id)
    assert updated.name == "新姓 花子" and updated.uuid == person.uuid
    assert updated.section_id is not None


def test_english_headers_are_accepted(client, login_as, hr):
    login_as(hr)
    raw = b"staff_number,name,email\n20001,Test Person,t@example.lg.jp\n"
    assert upload(client, raw).status_code == 200
    assert staff_count(hr.organisation_id) == 2


def test_oversized_upload_is_refused(app, client, login_as, hr):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    login_as(hr)
    response = upload(client, HEADER.encode() + b"x" * 4096)
    assert response.status_code == 413
    assert "大きすぎます" in response.get_data(as_text=True)
