"""Awards (表彰): rules, candidates, awards given, the person's record."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.exceptions import ValidationFailed
from portal.extensions import db
from portal.models import AuditEvent, Award, AwardRule, AwardRuleKind
from portal.models.base import utcnow
from portal.services import awards
from portal.services.hr_talent import fiscal_year_bounds, fiscal_year_of, load_achievement_index
from tests.factories_hr import gen_credential

TZ = ZoneInfo("Asia/Tokyo")


def this_year() -> int:
    return fiscal_year_of(utcnow().astimezone(TZ).date())


@pytest.fixture
def rules(world):
    made = [
        awards.add_rule(db.session, world.pref, spec, actor=world.hr, now=utcnow())
        for spec in awards.DEFAULT_RULES
    ]
    db.session.commit()
    return made


def candidates(world, rule, year=None):
    return {
        c.name
        for c in awards.list_candidates(
            db.session,
            world.pref.id,
            rule,
            load_achievement_index(db.session),
            year=year or this_year(),
            tz=TZ,
        )
    }


def test_fiscal_year():
    assert fiscal_year_of(date(2026, 3, 31)) == 2025
    assert fiscal_year_of(date(2026, 4, 1)) == 2026
    start, end = fiscal_year_bounds(2026, TZ)
    assert start.isoformat() == "2026-04-01T00:00:00+09:00" and end.year == 2027


def test_default_rules_find_candidates(app, world, rules):
    level_rule, tiers_rule = rules
    assert level_rule.kind == AwardRuleKind.LEVEL_IN_YEAR and level_rule.level_code == "L2"
    assert candidates(world, tiers_rule) == {"田中 美咲"}  # T3 and T4
    # tanaka's L2 certification was issued 10 days ago: in this fiscal year unless the
    # year turned over in between.
    start, _ = fiscal_year_bounds(this_year(), TZ)
    expected = {"田中 美咲"} if utcnow() - timedelta(days=10) >= start else set()
    assert candidates(world, level_rule) == expected


def test_renewals_and_revoked_do_not_count(app, world, rules):
    level_rule = rules[0]
    gen_credential(world.suzuki, world.cat["C2"], issued_at=utcnow(), status="revoked")
    renewed = gen_credential(
        world.yamada, world.cat["C2"], issued_at=utcnow() - timedelta(days=900), status="superseded"
    )
    gen_credential(world.yamada, world.cat["C2"], issued_at=utcnow(), replaces_id=renewed.id)
    db.session.commit()
    assert not candidates(world, level_rule) & {"鈴木 太郎", "山田 誠"}


def test_give_awards_then_not_a_candidate_again(client, login_as, world, rules):
    tiers_rule = rules[1]
    login_as(world.hr)
    response = client.post(
        f"/hr/awards/rules/{tiers_rule.id}/give",
        data={"person": [world.tanaka.uuid], "awarded_on": "2026-05-01", "note": "年度末表彰"},
    )
    assert response.status_code == 302
    award = db.session.query(Award).one()
    assert (award.person_id, award.title, award.rule_id) == (
        world.tanaka.id,
        "T3・T4 修了",
        tiers_rule.id,
    )
    assert db.session.query(AuditEvent).filter_by(action="award.given").count() == 1
    assert candidates(world, tiers_rule) == set()
    html = client.get(f"/hr/staff/{world.tanaka.uuid}").get_data(as_text=True)
    assert "T3・T4 修了" in html and "年度末表彰" in html


def test_level_award_is_once_per_fiscal_year(app, world, rules):
    level_rule = rules[0]
    gen_credential(world.suzuki, world.cat["C2"], issued_at=utcnow())
    db.session.commit()
    index = load_achievement_index(db.session)
    year = this_year()
    awards.give_awards(
        db.session,
        world.pref,
        level_rule,
        [world.suzuki.uuid],
        index,
        awarded_on=utcnow().astimezone(TZ).date(),
        year=year,
        tz=TZ,
        actor=world.hr,
        now=utcnow(),
    )
    db.session.commit()
    assert "鈴木 太郎" not in candidates(world, level_rule)
    with pytest.raises(ValidationFailed):
        awards.give_awards(
            db.session,
            world.pref,
            level_rule,
            [world.suzuki.uuid],
            index,
            awarded_on=utcnow().astimezone(TZ).date(),
            year=year,
            tz=TZ,
            actor=world.hr,
            now=utcnow(),
        )


def test_cannot_award_other_organisations_people_or_non_candidates(client, login_as, world, rules):
    login_as(world.hr)
    tiers_rule = rules[1]
    foreign = client.post(
        f"/hr/awards/rules/{tiers_rule.id}/give",
        data={"person": [world.town_staff.uuid], "awarded_on": "2026-05-01"},
    )
    assert foreign.status_code == 404
    client.post(
        f"/hr/awards/rules/{tiers_rule.id}/give",
        data={"person": [world.yamada.uuid], "awarded_on": "2026-05-01"},
    )
    assert db.session.query(Award).count() == 0


def test_rules_page_add_deactivate_and_defaults(client, login_as, world):
    login_as(world.hr)
    html = client.get("/hr/awards").get_data(as_text=True)
    assert "標準のルールを追加する" in html
    assert client.post("/hr/awards/rules/defaults").status_code == 302
    assert db.session.query(AwardRule).filter_by(organisation_id=world.pref.id).count() == 2
    client.post("/hr/awards/rules/defaults")  # only when there are none
    assert db.session.query(AwardRule).count() == 2
    response = client.post(
        "/hr/awards/rules",
        data={"name": "T1・T2 修了", "kind": "tiers_completed", "tier_codes": ["T1", "T2"]},
    )
    assert response.status_code == 302
    rule = db.session.query(AwardRule).filter_by(name="T1・T2 修了").one()
    assert rule.tier_codes == ["T1", "T2"]
    assert "佐藤 花子" in client.get("/hr/awards").get_data(as_text=True)
    client.post(f"/hr/awards/rules/{rule.id}/active", data={"active": "0"})
    db.session.refresh(rule)
    assert not rule.is_active
    bad = client.post("/hr/awards/rules", data={"name": "レベル", "kind": "level_in_year"})
    assert bad.status_code == 400 and "レベルを選んでください" in bad.get_data(as_text=True)


def test_manual_award_on_the_person_page(client, login_as, world):
    login_as(world.hr)
    response = client.post(
        f"/hr/staff/{world.yamada.uuid}/awards",
        data={"title": "DX推進功労", "awarded_on": "2026-06-01", "note": ""},
    )
    assert response.status_code == 302
    html = client.get(f"/hr/staff/{world.yamada.uuid}").get_data(as_text=True)
    assert "DX推進功労" in html and "2026-06-01" in html
    assert (
        client.post(
            f"/hr/staff/{world.town_staff.uuid}/awards",
            data={"title": "x", "awarded_on": "2026-06-01"},
        ).status_code
        == 404
    )


def test_rules_of_other_organisations_are_not_found(client, login_as, world, rules):
    login_as(world.town_hr)
    assert (
        client.post(f"/hr/awards/rules/{rules[0].id}/active", data={"active": "0"}).status_code
        == 404
    )
    assert (
        client.post(
            f"/hr/awards/rules/{rules[1].id}/give",
            data={"person": [world.tanaka.uuid], "awarded_on": "2026-05-01"},
        ).status_code
        == 404
    )
    html = client.get("/hr/awards").get_data(as_text=True)
    assert "標準のルールを追加する" in html  # the town has no rules of its own
    assert "田中 美咲" not in html


def test_award_everyone_listed(client, login_as, world, rules):
    tiers_rule = rules[1]
    login_as(world.hr)
    response = client.post(
        f"/hr/awards/rules/{tiers_rule.id}/give", data={"all": "1", "awarded_on": "2026-05-01"}
    )
    assert response.status_code == 302
    assert [a.person_id for a in db.session.query(Award)] == [world.tanaka.id]
