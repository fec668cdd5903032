"""The roster: tiers, certifications, paths, last activity; filters, Japanese search, scope."""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.models import Role
from portal.models.base import utcnow
from portal.services import roster
from portal.services.hr_talent import load_achievement_index
from tests.factories import gen_municipality, gen_person, gen_section
from tests.factories_hr import gen_bulk_credentials, gen_enrolment, gen_staff


def names(html: str) -> set[str]:
    return set(re.findall(r'href="/hr/staff/[0-9a-f-]{36}">([^<]+)</a>', html))


def test_rows_carry_tiers_certifications_paths_and_activity(app, world):
    index = load_achievement_index(db.session)
    rows = {
        r.name: r
        for r in roster.load_rows(
            db.session,
            [world.sato.id, world.suzuki.id, world.tanaka.id, world.yamada.id],
            index,
            now=utcnow(),
        )
    }
    sato = rows["佐藤 花子"]
    assert sato.tiers == ("T1", "T2")
    assert sato.level_paths == ("L1",) and sato.is_leader_candidate
    assert [(c.level, c.state) for c in sato.certifications] == [("L1", "expiring")]
    suzuki = rows["鈴木 太郎"]
    assert suzuki.tiers == ("T1",)
    assert [p.code for p in suzuki.in_progress] == ["T2"]
    assert suzuki.last_activity is not None
    assert rows["田中 美咲"].certifications[0].level == "L2"
    assert rows["山田 誠"].tiers == () and rows["山田 誠"].last_activity is None


def test_roster_page_groups_by_department_and_section(client, login_as, world):
    login_as(world.hr)
    html = client.get("/hr/staff").get_data(as_text=True)
    assert "総務部 / 人事課" in html and "総合政策部 / デジタル推進課" in html
    assert names(html) == {"人事 一郎", "佐藤 花子", "鈴木 太郎", "田中 美咲", "山田 誠"}
    assert "期限間近" in html  # sato's L1 certification
    assert "T2 のパス" in html  # suzuki's path in progress


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"tier": "T1"}, {"佐藤 花子", "鈴木 太郎"}),
        ({"tier": "T4"}, {"田中 美咲"}),
        ({"level": "L1"}, {"佐藤 花子"}),
        ({"level": "L2"}, {"田中 美咲"}),
        ({"certified": "1"}, {"佐藤 花子", "田中 美咲"}),
        ({"expiring": "1"}, {"佐藤 花子"}),
        ({"section": "dx"}, {"田中 美咲", "山田 誠"}),
        ({"department": "somu"}, {"人事 一郎", "佐藤 花子", "鈴木 太郎"}),
        ({"tier": "T9"}, {"人事 一郎", "佐藤 花子", "鈴木 太郎", "田中 美咲", "山田 誠"}),
    ],
)
def test_filters(client, login_as, world, args, expected):
    login_as(world.hr)
    if args.get("section") == "dx":
        args = {"section": world.dx.id}
    if args.get("department") == "somu":
        args = {"department": world.jinji.parent_id}
    html = client.get("/hr/staff", query_string=args).get_data(as_text=True)
    assert names(html) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("さとう", {"佐藤 花子"}),  # hiragana reading
        ("サトウ", {"佐藤 花子"}),  # katakana query, hiragana data
        ("すずき", {"鈴木 太郎"}),  # hiragana query, katakana data
        ("ｽｽﾞｷ", {"鈴木 太郎"}),  # half-width katakana query
        ("やまだ", {"山田 誠"}),  # half-width katakana data
        ("佐藤花子", {"佐藤 花子"}),  # no space, name stored with one
        ("たなか　みさき", {"田中 美咲"}),  # ideographic space splits terms
        ("ｐ００３", {"田中 美咲"}),  # full-width staff number
        ("100%", set()),  # LIKE wildcards are literal
        ("美瑛", set()),  # never another organisation's people
    ],
)
def test_japanese_search(client, login_as, world, q, expected):
    login_as(world.hr)
    html = client.get("/hr/staff", query_string={"q": q}).get_data(as_text=True)
    assert names(html) == expected


def test_search_by_email(client, login_as, world):
    login_as(world.hr)
    email = world.tanaka.primary_email
    html = client.get("/hr/staff", query_string={"q": email.upper()}).get_data(as_text=True)
    assert names(html) == {"田中 美咲"}


def test_other_organisations_units_in_filters_are_not_found(client, login_as, world):
    login_as(world.hr)
    assert (
        client.get("/hr/staff", query_string={"section": world.town_section.id}).status_code == 404
    )
    assert (
        client.get("/hr/staff", query_string={"department": world.jinji.id}).status_code == 404
    )  # a section, not a department
    assert client.get("/hr/staff", query_string={"section": "abc"}).status_code == 200  # ignored


def test_roster_is_paginated(client, login_as, world):
    gen_staff(world.pref, world.dx, 120)
    db.session.commit()
    login_as(world.hr)
    html = client.get("/hr/staff").get_data(as_text=True)
    assert "全125件" in html and 'rel="next"' in html
    last = client.get("/hr/staff", query_string={"page": 3}).get_data(as_text=True)
    assert len(names(last)) == 25
    beyond = client.get("/hr/staff", query_string={"page": 99})
    assert beyond.status_code == 200


def test_empty_organisation(client, login_as, app):
    org = gen_municipality("otoineppu", "音威子府村")
    hr = gen_person(org, roles=(Role.HR,))
    db.session.commit()
    login_as(hr)
    for url in ("/hr/", "/hr/staff", "/hr/coverage", "/hr/charts", "/hr/badges", "/hr/awards"):
        assert client.get(url).status_code == 200, url
    assert client.get("/hr/exports/roster.csv").status_code == 200


def _roster_statements(client, count_queries, query_string=None) -> int:
    client.get("/hr/staff", query_string=query_string or {})  # warm: the login's user is loaded
    with count_queries() as counter:
        response = client.get("/hr/staff", query_string=query_string or {})
    assert response.status_code == 200
    return counter.count


@pytest.mark.parametrize("query_string", [{}, {"q": "いっかつ", "tier": "T1"}, {"expiring": "1"}])
def test_query_count_is_flat_as_staff_grow(client, login_as, count_queries, world, query_string):
    login_as(world.hr)
    section = gen_section(world.pref, "大きな課", "総合政策部")
    ids = gen_staff(world.pref, section, 10)
    gen_bulk_credentials(ids, world.cat["T1"])
    for pid in ids[:5]:
        gen_enrolment(
            db.session.get(type(world.hr), pid), world.cat.paths["T2"], last_activity_at=utcnow()
        )
    db.session.commit()
    small = _roster_statements(client, count_queries, query_string)
    more = gen_staff(world.pref, section, 490, prefix="C")
    gen_bulk_credentials(more, world.cat["T1"])
    for pid in more[:200]:
        gen_enrolment(
            db.session.get(type(world.hr), pid), world.cat.paths["T2"], last_activity_at=utcnow()
        )
    db.session.commit()
    large = _roster_statements(client, count_queries, query_string)
    assert small == large
    assert large <= 14


def test_search_results_are_paginated(client, login_as, world):
    gen_staff(world.pref, world.dx, 120)
    db.session.commit()
    login_as(world.hr)
    html = client.get("/hr/staff", query_string={"q": "イッカツ"}).get_data(as_text=True)
    assert "全120件" in html and 'rel="next"' in html and "q=%E3%82%A4" in html
    last = client.get("/hr/staff", query_string={"q": "いっかつ", "page": 3}).get_data(as_text=True)
    assert len(names(last)) == 20
