"""Organisation settings: rename, merge and move departments and sections."""

from __future__ import annotations

from portal.extensions import db
from portal.models import AuditEvent, LeaderDesignation, Person, Placement, Unit
from tests.factories import gen_person, gen_section
from tests.factories_hr import gen_designation


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def test_merge_sections_moves_people_and_designations(client, login_as, world):
    login_as(world.hr)
    gen_designation(world.dx, world.tanaka)
    db.session.commit()
    # 人事課 (leader: sato) into デジタル推進課 (leader: tanaka): the target's leader stays.
    response = client.post(
        f"/hr/units/{world.jinji.id}/merge", data={"target_id": world.dx.id, "confirm": "y"}
    )
    assert response.status_code == 302
    source = reload(world.jinji)
    assert not source.is_active and source.merged_into_id == world.dx.id
    moved = db.session.query(Person).filter_by(section_id=world.dx.id).count()
    assert moved == 5  # hr, sato, suzuki + tanaka, yamada
    assert db.session.query(Person).filter_by(section_id=world.jinji.id).count() == 0
    designations = db.session.query(LeaderDesignation).filter_by(section_id=world.dx.id).all()
    assert len(designations) == 2  # history follows
    open_ = [d for d in designations if d.ended_at is None]
    assert [d.person_id for d in open_] == [world.tanaka.id]
    # Placements record the move, as a transfer would.
    sato_places = (
        db.session.query(Placement).filter_by(person_id=world.sato.id).order_by(Placement.id).all()
    )
    assert sato_places[-1].section_id == world.dx.id and sato_places[-2].ended_at is not None
    event = db.session.query(AuditEvent).filter_by(action="unit.merged").one()
    assert event.data["people"] == 3 and event.data["designations"] == 1
    # The merged unit is gone from the tree and its page.
    assert ">人事課</a>" not in client.get("/hr/units").get_data(as_text=True)
    assert client.get(f"/hr/units/{world.jinji.id}").status_code == 404


def test_merge_section_without_target_leader_keeps_the_open_designation(client, login_as, world):
    login_as(world.hr)
    client.post(
        f"/hr/units/{world.jinji.id}/merge", data={"target_id": world.dx.id, "confirm": "y"}
    )
    designation = db.session.query(LeaderDesignation).one()
    assert designation.section_id == world.dx.id and designation.ended_at is None


def test_merge_needs_confirmation_and_same_kind(client, login_as, world):
    login_as(world.hr)
    client.post(f"/hr/units/{world.jinji.id}/merge", data={"target_id": world.dx.id})  # unconfirmed
    assert reload(world.jinji).is_active
    department = world.dx.parent_id
    response = client.post(
        f"/hr/units/{world.jinji.id}/merge",
        data={"target_id": department, "confirm": "y"},
        follow_redirects=True,
    )
    assert reload(world.jinji).is_active
    html = response.get_data(as_text=True)
    assert "同じ種類" in html and "確認のチェックを入れてください" in html


def test_merge_departments_moves_sections(client, login_as, world):
    login_as(world.hr)
    somu = world.jinji.parent_id
    seisaku = world.dx.parent_id
    response = client.post(f"/hr/units/{seisaku}/merge", data={"target_id": somu, "confirm": "y"})
    assert response.status_code == 302
    assert reload(world.dx).parent_id == somu and reload(world.empty).parent_id == somu
    old = db.session.get(Unit, seisaku)
    assert not old.is_active and old.merged_into_id == somu


def test_merge_departments_refuses_clashing_section_names(client, login_as, world):
    login_as(world.hr)
    gen_section(world.pref, "人事課", "総合政策部")
    db.session.commit()
    response = client.post(
        f"/hr/units/{world.dx.parent_id}/merge",
        data={"target_id": world.jinji.parent_id, "confirm": "y"},
        follow_redirects=True,
    )
    assert "同じ名前の課があります" in response.get_data(as_text=True)
    assert db.session.get(Unit, world.dx.parent_id).is_active


def test_move_section_to_another_department(client, login_as, world):
    login_as(world.hr)
    response = client.post(
        f"/hr/units/{world.dx.id}/move", data={"department_id": world.jinji.parent_id}
    )
    assert response.status_code == 302
    assert reload(world.dx).parent_id == world.jinji.parent_id
    assert db.session.query(Person).filter_by(section_id=world.dx.id).count() == 2
    assert db.session.query(AuditEvent).filter_by(action="unit.moved").count() == 1
    # departments cannot be moved
    assert (
        client.post(
            f"/hr/units/{world.jinji.parent_id}/move", data={"department_id": world.dx.parent_id}
        ).status_code
        == 404
    )


def test_rename_from_the_unit_page(client, login_as, world):
    login_as(world.hr)
    html = client.get(f"/hr/units/{world.jinji.id}").get_data(as_text=True)
    assert "統合する" in html and "別の部へ移す" in html
    client.post(f"/hr/units/{world.jinji.id}/rename", data={"name": "人事企画課"})
    assert reload(world.jinji).name == "人事企画課"


def test_units_of_other_organisations(client, login_as, world):
    login_as(world.hr)
    foreign = world.town_section
    assert client.get(f"/hr/units/{foreign.id}").status_code == 404
    assert (
        client.post(
            f"/hr/units/{world.dx.id}/merge", data={"target_id": foreign.id, "confirm": "y"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/hr/units/{world.dx.id}/move", data={"department_id": foreign.parent_id}
        ).status_code
        == 404
    )
    assert reload(world.dx).is_active and reload(world.dx).parent_id != foreign.parent_id


def test_person_in_merged_section_shows_new_section(client, login_as, world):
    gen_person(world.pref, name="新人 職員", section=world.empty)
    db.session.commit()
    login_as(world.hr)
    client.post(
        f"/hr/units/{world.empty.id}/merge", data={"target_id": world.dx.id, "confirm": "y"}
    )
    html = client.get("/hr/staff", query_string={"section": world.dx.id}).get_data(as_text=True)
    assert "新人 職員" in html
