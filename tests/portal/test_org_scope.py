"""HR acts only inside its own organisation (DOMAIN invariant 5)."""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.models import Person, Role
from tests.factories import gen_municipality, gen_person, gen_prefecture, gen_section


@pytest.fixture
def world(app):
    pref = gen_prefecture()
    furano = gen_municipality("furano", "富良野市")
    biei = gen_municipality("biei", "美瑛町")
    data = {
        "pref_staff": gen_person(pref, name="道庁 職員", section=gen_section(pref, "人事課")),
        "furano_hr": gen_person(furano, roles=(Role.HR,), name="富良野 人事"),
        "furano_staff": gen_person(
            furano, name="富良野 職員", section=gen_section(furano, "総務課")
        ),
        "biei_staff": gen_person(biei, name="美瑛 職員", section=gen_section(biei, "企画課")),
        "admin": gen_person(pref, roles=(Role.ADMIN,)),
    }
    db.session.commit()
    return data


def test_hr_lists_only_its_own_staff(client, login_as, world):
    login_as(world["furano_hr"])
    html = client.get("/hr/staff").get_data(as_text=True)
    assert "富良野 職員" in html
    assert "道庁 職員" not in html
    assert "美瑛 職員" not in html


def test_hr_search_does_not_leak_other_organisations(client, login_as, world):
    login_as(world["furano_hr"])
    html = client.get("/hr/staff", query_string={"q": "職員"}).get_data(as_text=True)
    assert "道庁 職員" not in html and "美瑛 職員" not in html


@pytest.mark.parametrize("target", ["pref_staff", "biei_staff"])
def test_hr_cannot_see_or_change_other_organisations_people(client, login_as, world, target):
    login_as(world["furano_hr"])
    other = world[target]
    assert client.get(f"/hr/staff/{other.uuid}").status_code == 404
    assert client.post(f"/hr/staff/{other.uuid}/roles", data={"is_hr": "y"}).status_code == 404
    assert (
        client.post(f"/hr/staff/{other.uuid}/section", data={"section_id": ""}).status_code == 404
    )
    db.session.expire_all()
    assert not db.session.get(Person, other.id).is_hr


def test_hr_cannot_rename_another_organisations_unit(client, login_as, world):
    login_as(world["furano_hr"])
    section_id = world["biei_staff"].section_id
    assert (
        client.post(f"/hr/units/{section_id}/rename", data={"name": "乗っ取り課"}).status_code
        == 404
    )


def test_hr_cannot_put_own_staff_into_another_organisations_section(client, login_as, world):
    login_as(world["furano_hr"])
    staff = world["furano_staff"]
    foreign_section = world["biei_staff"].section_id
    client.post(f"/hr/staff/{staff.uuid}/section", data={"section_id": str(foreign_section)})
    db.session.expire_all()
    assert db.session.get(Person, staff.id).section_id != foreign_section


def test_hr_sees_and_edits_own_staff(client, login_as, world):
    login_as(world["furano_hr"])
    staff = world["furano_staff"]
    assert client.get(f"/hr/staff/{staff.uuid}").status_code == 200
    assert client.post(f"/hr/staff/{staff.uuid}/roles", data={"is_trainer": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, staff.id).is_trainer


def test_prefecture_hr_does_not_see_municipal_staff(client, login_as, world):
    pref_hr = gen_person(gen_prefecture(), roles=(Role.HR,))
    db.session.commit()
    login_as(pref_hr)
    assert client.get(f"/hr/staff/{world['furano_staff'].uuid}").status_code == 404
    assert "富良野 職員" not in client.get("/hr/staff").get_data(as_text=True)


def test_admin_is_portal_wide(client, login_as, world):
    login_as(world["admin"])
    assert client.get(f"/admin/people/{world['biei_staff'].uuid}").status_code == 200
    assert client.get("/hr/staff").status_code == 403  # admin is not HR


def test_every_hr_route_is_guarded(app, client, login_as, world):
    """No HR route answers 200 to a learner; a new route without a guard fails here."""
    login_as(world["furano_staff"])
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("hr."):
            continue
        # Any converter: <int:…> → 1, <any(a, b):…> → a, anything else → a person's uuid.
        url = re.sub(r"<int:[^>]+>", "1", rule.rule)
        url = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", url)
        url = re.sub(r"<[^>]+>", world["furano_staff"].uuid, url)
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method)
        assert response.status_code == 403, (rule.rule, response.status_code)
