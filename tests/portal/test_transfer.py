from __future__ import annotations

import pytest

from portal.exceptions import Conflict
from portal.extensions import db
from portal.models import Placement, Role
from portal.models.base import utcnow
from portal.services import accounts
from tests.factories import gen_municipality, gen_person, gen_prefecture, gen_section


def test_transfer_keeps_the_person_and_records_history(app):
    pref = gen_prefecture()
    furano = gen_municipality()
    person = gen_person(pref, roles=(Role.HR, Role.TRAINER), section=gen_section(pref, "人事課"))
    uuid, pid = person.uuid, person.id
    target = gen_section(furano, "総務課")
    accounts.transfer_person(
        db.session,
        person,
        organisation=furano,
        section_id=target.id,
        staff_number="F123",
        actor=None,
        now=utcnow(),
    )
    db.session.commit()
    db.session.expire_all()
    moved = accounts.get_person(db.session, uuid)
    assert moved.id == pid
    assert moved.organisation_id == furano.id and moved.section_id == target.id
    assert moved.staff_number == "F123"
    # HR powers do not travel to a new organisation.
    assert not moved.is_hr
    placements = db.session.query(Placement).filter_by(person_id=pid).order_by(Placement.id).all()
    assert [p.organisation_id for p in placements] == [pref.id, furano.id]
    assert placements[0].ended_at is not None and placements[1].ended_at is None


def test_transfer_refuses_staff_number_clash(app):
    furano = gen_municipality()
    gen_person(furano, staff_number="F1")
    person = gen_person(gen_prefecture())
    with pytest.raises(Conflict):
        accounts.transfer_person(
            db.session,
            person,
            organisation=furano,
            section_id=None,
            staff_number="F1",
            actor=None,
            now=utcnow(),
        )


def test_admin_transfer_via_web(app, client, login_as):
    pref = gen_prefecture()
    furano = gen_municipality()
    admin = gen_person(pref, roles=(Role.ADMIN,))
    person = gen_person(pref)
    db.session.commit()
    login_as(admin)
    response = client.post(
        f"/admin/people/{person.uuid}/transfer",
        data={"organisation_id": str(furano.id), "staff_number": "F777", "section_id": ""},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert accounts.get_person(db.session, person.uuid).organisation_id == furano.id
