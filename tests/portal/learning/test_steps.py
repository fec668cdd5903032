"""Recording a course step: dates, evidence, reflections, versions, bad input."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import (
    EvidenceFile,
    RecordState,
    ReviewMode,
    StepRecord,
    StepRecordVersion,
)
from tests.factories import gen_course, gen_path
from tests.factories_learning import REFLECTION, gen_enrolment, path_steps, pdf_bytes, png_bytes


@pytest.fixture
def enrolled(client, login_as, world):  # type: ignore[no-untyped-def]
    gen_enrolment(world.learner, world.t1)
    db.session.commit()
    login_as(world.learner)
    return path_steps(world.t1)


def _form(**overrides):  # type: ignore[no-untyped-def]
    data = {
        "base_version": "0",
        "completed_on": date.today().isoformat(),
        "certificate_url": "",
        "reflection": REFLECTION,
        "attested": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _records() -> list[StepRecord]:
    return db.session.query(StepRecord).all()


def _versions(record_id: int) -> list[StepRecordVersion]:
    return (
        db.session.query(StepRecordVersion)
        .filter_by(record_id=record_id)
        .order_by(StepRecordVersion.version)
        .all()
    )


def test_self_attested_step_is_done_and_edits_add_versions(client, enrolled, world):
    url = f"/learn/paths/t1/steps/{enrolled[0].id}"
    response = client.post(url, data=_form(certificate_url="https://example.jp/cert/1"))
    assert response.status_code == 302
    (record,) = _records()
    assert record.state == RecordState.DONE and record.current_version == 1
    first = _versions(record.id)[0]
    assert first.certificate_url == "https://example.jp/cert/1" and first.attested

    page = client.get(url).get_data(as_text=True)
    assert 'name="base_version" type="hidden" value="1"' in page
    assert "記録を更新する" in page
    edited = REFLECTION + "追記しました。"
    response = client.post(url, data=_form(base_version="1", reflection=edited))
    assert response.status_code == 302
    db.session.expire_all()
    versions = _versions(record.id)
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].reflection == REFLECTION  # the old version is untouched
    assert versions[1].reflection == edited
    assert db.session.get(StepRecord, record.id).current_version == 2
    history = client.get(url).get_data(as_text=True)
    assert "第1版" in history and "第2版" in history


def test_the_same_content_twice_is_one_version(client, enrolled):
    url = f"/learn/paths/t1/steps/{enrolled[0].id}"
    assert client.post(url, data=_form()).status_code == 302
    response = client.post(url, data=_form(), follow_redirects=True)  # a retry of the same form
    assert "すでに記録されています" in response.get_data(as_text=True)
    (record,) = _records()
    assert len(_versions(record.id)) == 1


def test_an_outdated_form_with_other_content_is_refused(client, enrolled):
    url = f"/learn/paths/t1/steps/{enrolled[0].id}"
    client.post(url, data=_form())
    client.post(url, data=_form(base_version="1", reflection=REFLECTION + "タブA"))
    # Tab B still shows version 1.
    response = client.post(url, data=_form(base_version="1", reflection=REFLECTION + "タブB"))
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "別の画面（別のタブなど）で更新されています" in text
    assert "タブB" in text  # what the learner typed is kept
    assert 'name="base_version" type="hidden" value="2"' in text
    (record,) = _records()
    assert len(_versions(record.id)) == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"completed_on": (date.today() + timedelta(days=2)).isoformat()},
            "未来の日付は入力できません",
        ),
        ({"completed_on": "1999-04-01"}, "10年以内の日付"),
        ({"completed_on": "2024-13-45"}, "Not a valid date value"),
        ({"completed_on": ""}, "修了日を入力してください"),
        ({"reflection": "短すぎる振り返り"}, "空白を除いて20文字以上"),
        ({"reflection": "　" * 30 + "短い"}, "空白を除いて20文字以上"),
        ({"certificate_url": "javascript:alert(1)"}, "http:// または https://"),
        ({"certificate_url": "ftp://example.jp/x"}, "http:// または https://"),
        ({"attested": None}, "チェックを入れてください"),
    ],
)
def test_bad_input_gets_a_japanese_error_and_keeps_the_form(client, enrolled, overrides, message):
    url = f"/learn/paths/t1/steps/{enrolled[0].id}"
    data = (
        _form(reflection=REFLECTION + "（入力した文）", **{"certificate_url": "https://e.jp/c"})
        | {}
    )
    data.update({k: v for k, v in overrides.items() if v is not None})
    if overrides.get("attested", "x") is None:
        data.pop("attested")
    response = client.post(url, data=data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    if message != "Not a valid date value":
        assert message in text
    assert "入力内容にエラーが" in text
    if "reflection" not in overrides:
        assert "（入力した文）" in text
    if "certificate_url" not in overrides:
        assert "https://e.jp/c" in text
    assert _records() == []


def test_invalid_date_format_is_reported(client, enrolled):
    response = client.post(
        f"/learn/paths/t1/steps/{enrolled[0].id}", data=_form(completed_on="2024-13-45")
    )
    assert response.status_code == 422
    assert 'value="2024-13-45"' in response.get_data(as_text=True)


def test_certificate_courses_need_a_url_or_file(client, login_as, world):
    course = gen_course(certificate="free", title="修了証あり講座")
    path = gen_path("cert-path", steps=[course])
    gen_enrolment(world.learner, path)
    db.session.commit()
    login_as(world.learner)
    (step,) = path_steps(path)
    url = f"/learn/paths/cert-path/steps/{step.id}"
    response = client.post(url, data=_form())
    assert response.status_code == 422
    assert "修了証のURLを入力するか、ファイルを添付してください" in response.get_data(as_text=True)
    data = _form() | {"evidence_file": (io.BytesIO(pdf_bytes()), "修了証.pdf")}
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 302


def test_uploaded_evidence_is_stored_outside_the_web_root(app, client, enrolled):
    url = f"/learn/paths/t1/steps/{enrolled[0].id}"
    data = _form() | {"evidence_file": (io.BytesIO(png_bytes()), "../../etc/スクショ.PNG")}
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 302
    (stored,) = db.session.query(EvidenceFile).all()
    root = Path(app.config["UPLOAD_DIR"]).resolve()
    on_disk = root / stored.storage_key
    assert on_disk.is_file() and on_disk.read_bytes() == png_bytes()
    assert "スクショ" not in stored.storage_key and ".." not in stored.storage_key
    assert stored.original_name == "スクショ.png"
    assert stored.content_type == "image/png" and stored.size == len(png_bytes())
    static = Path(app.static_folder or "").resolve()
    assert static not in on_disk.parents
    assert (on_disk.stat().st_mode & 0o077) == 0

    # Editing without a new file keeps the file; "remove" drops it from the new version.
    client.post(url, data=_form(base_version="1", reflection=REFLECTION + "追記"))
    client.post(url, data=_form(base_version="2", reflection=REFLECTION + "追記", remove_file="y"))
    (record,) = _records()
    assert [v.evidence_file_id for v in _versions(record.id)] == [stored.id, stored.id, None]


@pytest.mark.parametrize(
    ("payload", "name", "message"),
    [
        (b"%PDF-1.4 but no end", "ok.pdf", "壊れているか"),
        (b"MZ\x90\x00 this is an exe", "report.pdf", "PDF・PNG・JPEG以外"),
        (b"<html><script>alert(1)</script></html>", "cert.png", "PDF・PNG・JPEG以外"),
        (png_bytes()[:60], "cut.png", "壊れているか"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "broken.jpg", "壊れているか"),
        (b"", "empty.pdf", "ファイルが空です"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    app, client, enrolled, payload, name, message
):
    url = f"/learn/paths/t1/steps/{enrolled[0].id}"
    data = _form(reflection=REFLECTION + "（残す）") | {
        "evidence_file": (io.BytesIO(payload), name)
    }
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert message in text
    assert "（残す）" in text
    assert "もう一度ファイルを選んでください" not in text  # the file's own error says it
    assert _records() == [] and db.session.query(EvidenceFile).count() == 0
    uploads = Path(app.config["UPLOAD_DIR"])
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


def test_oversized_uploads_are_refused(app, client, enrolled):
    app.config["MAX_EVIDENCE_BYTES"] = 1024
    url = f"/learn/paths/t1/steps/{enrolled[0].id}"
    big = pdf_bytes(b"%" + b"x" * 2000 + b"\n")
    data = _form() | {"evidence_file": (io.BytesIO(big), "big.pdf")}
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "ファイルが大きすぎます" in response.get_data(as_text=True)
    assert _records() == []


def test_trainer_reviewed_course_steps_are_submitted(client, login_as, world):
    courses = [gen_course(), gen_course()]
    path = gen_path("reviewed", steps=courses, reviewed=(1,))
    gen_enrolment(world.learner, path)
    db.session.commit()
    login_as(world.learner)
    steps = path_steps(path)
    assert steps[1].review == ReviewMode.TRAINER
    page = client.get("/learn/paths/reviewed").get_data(as_text=True)
    assert "研修担当が確認" in page and "自己申告" in page
    client.post(f"/learn/paths/reviewed/steps/{steps[1].id}", data=_form())
    (record,) = _records()
    assert record.state == RecordState.SUBMITTED


def test_steps_of_other_paths_are_not_found(client, enrolled, world):
    other = path_steps(world.t3)[0]
    assert client.get(f"/learn/paths/t1/steps/{other.id}").status_code == 404
    assert client.get(f"/learn/paths/t3/steps/{other.id}").status_code == 404  # not enrolled


def test_a_good_file_with_other_errors_must_be_chosen_again(app, client, enrolled):
    url = f"/learn/paths/t1/steps/{enrolled[0].id}"
    data = _form(reflection="短い") | {"evidence_file": (io.BytesIO(png_bytes()), "ok.png")}
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "もう一度ファイルを選んでください" in response.get_data(as_text=True)
    assert db.session.query(EvidenceFile).count() == 0
