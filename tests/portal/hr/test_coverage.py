"""Leader coverage: the report, designating and replacing leaders, history, exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import AuditEvent, LeaderDesignation
from portal.models.base import utcnow
from portal.services import accounts, coverage
from portal.services.hr_talent import load_achievement_index
from tests.factories import gen_person, gen_section
from tests.factories_hr import gen_credential, gen_designation, gen_staff

TZ = ZoneInfo("Asia/Tokyo")


def report(world):
    return coverage.coverage_report(
        db.session, world.pref.id, load_achievement_index(db.session), now=utcnow()
    )


def by_name(rep):
    return {r.section_name: r for r in rep.rows}


def test_report_counts_leaders_candidates_and_expiry(app, world):
    rows = by_name(report(world))
    assert set(rows) == {"人事課", "デジタル推進課", "空の課"}
    jinji = rows["人事課"]
    assert jinji.leader.name == "佐藤 花子"
    assert jinji.leader.cert_state == "expiring"  # 30 days left
    assert jinji.status == coverage.STATUS_EXPIRING
    assert jinji.candidate_count == 1 and jinji.candidates[0].name == "佐藤 花子"
    assert jinji.staff_count == 3
    assert rows["デジタル推進課"].status == coverage.STATUS_VACANT
    empty = rows["空の課"]
    assert empty.staff_count == 0 and empty.leader is None and empty.candidate_count == 0


def test_leader_without_certification_and_moved_leader_need_attention(app, world):
    gen_designation(world.dx, world.yamada)
    db.session.commit()
    assert by_name(report(world))["デジタル推進課"].leader.cert_state == "none"
    accounts.transfer_person(
        db.session,
        world.sato,
        organisation=world.pref,
        section_id=world.dx.id,
        staff_number=None,
        actor=None,
        now=utcnow(),
    )
    db.session.commit()
    # A leader leads the section they work in: the move ends the designation, audited,
    # and the section shows as vacant (not as covered by someone who has left).
    jinji = by_name(report(world))["人事課"]
    assert jinji.leader is None and jinji.status == coverage.STATUS_VACANT
    ended = db.session.query(LeaderDesignation).filter_by(section_id=world.jinji.id).one()
    assert ended.person_id == world.sato.id and ended.ended_at is not None
    event = db.session.query(AuditEvent).filter_by(action="leader.ended").one()
    assert event.subject_id == str(world.jinji.id) and event.reason == coverage.TRANSFER_REASON
    assert event.data["cause"] == "transfer" and event.organisation_id == world.pref.id
    # The leader of デジタル推進課 changing only their staff number stays its leader.
    accounts.transfer_person(
        db.session,
        world.yamada,
        organisation=world.pref,
        section_id=world.dx.id,
        staff_number="Y-0002",
        actor=None,
        now=utcnow(),
    )
    db.session.commit()
    assert by_name(report(world))["デジタル推進課"].leader.name == world.yamada.name


def test_a_designation_made_before_transfers_ended_them_is_still_flagged(app, world):
    """Rows from before the move ended designations (or edited by hand) need attention."""
    gen_designation(world.dx, world.suzuki)  # suzuki works in 人事課, not here
    db.session.commit()
    dx = by_name(report(world))["デジタル推進課"]
    assert not dx.leader.in_section and dx.status == coverage.STATUS_EXPIRING


def test_designate_then_replace_keeps_history(client, login_as, world):
    login_as(world.hr)
    response = client.post(
        f"/hr/coverage/{world.jinji.id}/leader",
        data={"person": world.suzuki.uuid, "note": "交代"},
    )
    assert response.status_code == 302
    designations = (
        db.session.query(LeaderDesignation)
        .filter_by(section_id=world.jinji.id)
        .order_by(LeaderDesignation.started_at)
        .all()
    )
    assert [d.person_id for d in designations] == [world.sato.id, world.suzuki.id]
    assert designations[0].ended_at is not None and designations[1].ended_at is None
    event = db.session.query(AuditEvent).filter_by(action="leader.replaced").one()
    assert event.data["person"] == world.suzuki.uuid and event.data["previous"] == world.sato.uuid
    assert event.organisation_id == world.pref.id and event.actor_id == world.hr.id
    html = client.get(f"/hr/coverage/{world.jinji.id}").get_data(as_text=True)
    assert "佐藤 花子" in html and "鈴木 太郎" in html and "交代" in html


def test_designating_the_current_leader_again_changes_nothing(client, login_as, world):
    login_as(world.hr)
    client.post(f"/hr/coverage/{world.jinji.id}/leader", data={"person": world.sato.uuid})
    assert db.session.query(LeaderDesignation).filter_by(section_id=world.jinji.id).count() == 1


def test_leader_must_belong_to_the_section(client, login_as, world):
    login_as(world.hr)
    response = client.post(f"/hr/coverage/{world.dx.id}/leader", data={"person": world.sato.uuid})
    assert response.status_code == 400
    assert "この課の職員を選んでください" in response.get_data(as_text=True)
    foreign = client.post(
        f"/hr/coverage/{world.dx.id}/leader", data={"person": world.town_staff.uuid}
    )
    assert foreign.status_code == 404
    assert db.session.query(LeaderDesignation).filter_by(section_id=world.dx.id).count() == 0


def test_end_designation(client, login_as, world):
    login_as(world.hr)
    assert (
        client.post(f"/hr/coverage/{world.jinji.id}/leader/end", data={"note": "退職"}).status_code
        == 302
    )
    assert by_name(report(world))["人事課"].leader is None
    assert db.session.query(AuditEvent).filter_by(action="leader.ended").one().reason == "退職"
    # Nothing left to end: a message, not an error page.
    again = client.post(f"/hr/coverage/{world.jinji.id}/leader/end", follow_redirects=True)
    assert "指名中のリーダーがいません" in again.get_data(as_text=True)


def test_one_open_designation_per_section_is_a_database_rule(app, world):
    db.session.add(LeaderDesignation(section_id=world.jinji.id, person_id=world.suzuki.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_section_page_lists_staff_candidates_first_and_empty_section(client, login_as, world):
    login_as(world.hr)
    html = client.get(f"/hr/coverage/{world.jinji.id}").get_data(as_text=True)
    assert html.index("佐藤 花子（P001）・L1パス修了") < html.index("鈴木 太郎（P002）")
    empty = client.get(f"/hr/coverage/{world.empty.id}").get_data(as_text=True)
    assert "この課には職員がいません" in empty


def test_coverage_page_filters_and_summary(client, login_as, world):
    login_as(world.hr)
    html = client.get("/hr/coverage").get_data(as_text=True)
    assert "33.3%" in html  # 1 of 3 sections
    vacant = client.get("/hr/coverage", query_string={"status": "vacant"}).get_data(as_text=True)
    assert "空の課" in vacant and "デジタル推進課" in vacant and "人事課</td>" not in vacant
    other = client.get("/hr/coverage", query_string={"department": world.town_section.parent_id})
    assert other.status_code == 404


def test_sections_without_leader_export(client, login_as, world):
    login_as(world.hr)
    response = client.get("/hr/exports/coverage.csv", query_string={"status": "vacant"})
    assert response.status_code == 200
    assert "sections-without-leader" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["部", "課"]
    assert sorted(r[1] for r in rows[1:]) == ["デジタル推進課", "空の課"]
    assert db.session.query(AuditEvent).filter_by(action="hr.exported").count() == 1


def test_coverage_history_from_designations(app, world):
    now = utcnow()
    for section in (world.jinji, world.dx, world.empty):
        section.created_at = now - timedelta(days=800)
    gen_designation(
        world.dx,
        world.tanaka,
        started_at=now - timedelta(days=400),
        ended_at=now - timedelta(days=300),
    )
    db.session.commit()
    points = coverage.coverage_history(db.session, world.pref.id, now=now, tz=TZ, months=12)
    assert len(points) == 12
    assert points[-1].covered == 1 and points[-1].sections == 3
    assert points[-1].percent == pytest.approx(33.3)
    assert points[0].covered == 1  # the earlier, ended designation of デジタル推進課
    assert points[0].sections == 3
    assert any(p.covered == 0 for p in points)  # between the two designations


def test_sections_count_from_their_creation(app, world):
    now = utcnow()
    world.dx.created_at = now - timedelta(days=800)
    db.session.commit()
    points = coverage.coverage_history(db.session, world.pref.id, now=now, tz=TZ, months=3)
    assert [p.sections for p in points] == [1, 1, 3]


def test_coverage_page_query_count_is_flat(client, login_as, count_queries, world):
    login_as(world.hr)

    def statements() -> int:
        client.get("/hr/coverage")
        with count_queries() as counter:
            assert client.get("/hr/coverage").status_code == 200
        return counter.count

    small = statements()
    for n in range(40):
        section = gen_section(world.pref, f"追加{n}課", "総合政策部")
        ids = gen_staff(world.pref, section, 12, prefix=f"X{n}-")
        if n % 2:
            gen_designation(section, db.session.get(type(world.hr), ids[0]))
            gen_credential(db.session.get(type(world.hr), ids[1]), world.cat["L1"])
    db.session.commit()
    assert statements() == small


def test_person_in_other_section_is_not_offered(client, login_as, world):
    login_as(world.hr)
    gen_person(world.pref, name="別課 職員", section=world.dx)
    db.session.commit()
    html = client.get(f"/hr/coverage/{world.jinji.id}").get_data(as_text=True)
    assert "別課 職員" not in html


def test_summary_matches_the_report(app, world):
    gen_designation(world.dx, world.yamada)  # no certification: needs attention
    extra = gen_section(world.pref, "候補課", "総合政策部")
    candidate = gen_person(world.pref, name="候補 者", section=extra)
    gen_credential(candidate, world.cat["L1"])
    db.session.commit()
    index = load_achievement_index(db.session)
    now = utcnow()
    rep = coverage.coverage_report(db.session, world.pref.id, index, now=now)
    summary = coverage.coverage_summary(db.session, world.pref.id, index, now=now)
    assert (summary.sections, summary.covered, summary.vacant) == (4, 2, 2)
    assert summary.vacant_with_candidates == rep.vacant_with_candidates == 1
    assert summary.attention == rep.attention == 2  # sato expiring, yamada uncertified
    assert summary.percent == rep.percent


def test_moving_the_leader_on_the_staff_page_ends_the_designation_and_says_so(
    client, login_as, world
):
    login_as(world.hr)
    response = client.post(
        f"/hr/staff/{world.sato.uuid}/section",
        data={"section_id": world.dx.id},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "所属を変更しました" in html
    assert "デジタル推進リーダーの指定を終了しました" in html
    assert by_name(report(world))["人事課"].status == coverage.STATUS_VACANT
    history = client.get(f"/hr/coverage/{world.jinji.id}").get_data(as_text=True)
    assert "佐藤 花子" in history  # in the history, with the date it ended
