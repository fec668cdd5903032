"""Evidence files: content checks, and who may download them."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

from portal.exceptions import ValidationFailed
from portal.extensions import db
from portal.models import AuditEvent, EvidenceFile, Role
from portal.models.base import utcnow
from portal.services import accounts
from portal.services.evidence import clean_filename, inspect_upload
from tests.factories import gen_municipality, gen_person, gen_prefecture
from tests.factories_learning import (
    REFLECTION,
    gen_enrolment,
    jpeg_bytes,
    path_steps,
    pdf_bytes,
    png_bytes,
)

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("data", "kind"),
    [(png_bytes(), "image/png"), (jpeg_bytes(), "image/jpeg"), (pdf_bytes(), "application/pdf")],
)
def test_good_files_are_recognised_by_content(data, kind):
    upload = inspect_upload(data, "whatever.txt", max_bytes=5 * MB)
    assert upload.content_type == kind
    assert upload.original_name.startswith("whatever.txt.")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "file_empty"),
        (b"GIF89a....", "file_type"),
        (b"PK\x03\x04 a zip or docx", "file_type"),
        (b"%PDF-1.7\nno trailer", "file_corrupt"),
        (png_bytes()[:-20], "file_corrupt"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "file_corrupt"),
        (jpeg_bytes()[:100], "file_corrupt"),
    ],
)
def test_bad_files_are_refused(data, code):
    with pytest.raises(ValidationFailed) as info:
        inspect_upload(data, "x.pdf", max_bytes=5 * MB)
    assert info.value.code == code


def test_size_limit():
    with pytest.raises(ValidationFailed) as info:
        inspect_upload(pdf_bytes(b"%" + b"x" * 200 + b"\n"), "x.pdf", max_bytes=100)
    assert info.value.code == "file_too_large"


def test_huge_image_dimensions_are_refused():
    buffer = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buffer, "PNG")  # tiny file, 81 megapixels
    with pytest.raises(ValidationFailed) as info:
        inspect_upload(buffer.getvalue(), "bomb.png", max_bytes=5 * MB)
    assert info.value.code == "image_too_large"


def test_file_names_are_cleaned():
    assert clean_filename("C:\\Users\\a\\修了証.PDF", "application/pdf") == "修了証.pdf"
    assert clean_filename("../../x\x00y.jpeg", "image/jpeg") == "xy.jpg"
    assert clean_filename("", "image/png") == "evidence.png"
    assert clean_filename("a.exe", "image/png") == "a.exe.png"


@pytest.fixture
def evidence(app, client, login_as, world):  # type: ignore[no-untyped-def]
    gen_enrolment(world.learner, world.t1)
    db.session.commit()
    login_as(world.learner)
    step = path_steps(world.t1)[0]
    client.post(
        f"/learn/paths/t1/steps/{step.id}",
        data={
            "base_version": "0",
            "completed_on": date.today().isoformat(),
            "reflection": REFLECTION,
            "attested": "y",
            "evidence_file": (io.BytesIO(pdf_bytes()), "修了証 2024.pdf"),
        },
        content_type="multipart/form-data",
    )
    stored = db.session.query(EvidenceFile).one()
    return f"/learn/evidence/{stored.uuid}"


def test_owner_downloads_with_safe_headers(client, evidence):
    with client.get(evidence) as response:
        response.direct_passthrough = False
        body = response.get_data()
    assert response.status_code == 200
    assert body == pdf_bytes()
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert "no-store" in response.headers["Cache-Control"]
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_who_may_see_evidence(app, client, switch_to, world, evidence):
    pref = gen_prefecture()
    furano = gen_municipality()
    other_learner = gen_person(pref)
    hr_same = gen_person(pref, roles=(Role.HR,))
    hr_other = gen_person(furano, roles=(Role.HR,))
    db.session.commit()
    expected = [
        (other_learner, 404),
        (hr_other, 404),
        (hr_same, 200),
        (world.trainer, 200),
        (world.learner, 200),
    ]
    for person, status in expected:
        switch_to(person)
        with client.get(evidence) as response:
            assert response.status_code == status, person.name
    # Views by others than the owner are audited.
    actors = {e.actor_id for e in db.session.query(AuditEvent).filter_by(action="evidence.viewed")}
    assert actors == {hr_same.id, world.trainer.id}


def test_after_a_transfer_the_new_organisation_hr_sees_it(app, client, switch_to, world, evidence):
    furano = gen_municipality()
    hr_old = gen_person(gen_prefecture(), roles=(Role.HR,))
    hr_new = gen_person(furano, roles=(Role.HR,))
    accounts.transfer_person(
        db.session,
        world.learner,
        organisation=furano,
        section_id=None,
        staff_number="F900",
        actor=None,
        now=utcnow(),
    )
    db.session.commit()
    switch_to(hr_new)
    with client.get(evidence) as response:
        assert response.status_code == 200
    switch_to(hr_old)
    with client.get(evidence) as response:
        assert response.status_code == 404


def test_unknown_evidence_is_not_found(client, login_as, world):
    login_as(world.learner)
    assert client.get("/learn/evidence/00000000-0000-0000-0000-000000000000").status_code == 404
