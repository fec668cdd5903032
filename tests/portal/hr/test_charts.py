"""The SVG chart helper, the HR charts page and the admin overview (aggregates only)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.extensions import db
from portal.models import Role
from portal.models.base import utcnow
from portal.services import charts, hr_stats
from portal.services.hr_talent import load_achievement_index
from tests.factories import gen_person
from tests.factories_hr import gen_credential

SVG = "{http://www.w3.org/2000/svg}"
TZ = ZoneInfo("Asia/Tokyo")


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))  # noqa: S314 - our own output


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


# The helper -----------------------------------------------------------------------------


def test_bar_chart_is_an_accessible_image():
    svg = parse(
        charts.bar_chart(
            chart_id="t1",
            title="部ごとの到達",
            desc="説明文",
            categories=["総務部", "経済部"],
            series=[charts.Series("未到達", [3, 1], neutral=True), charts.Series("T1", [1, 4])],
            stacked=True,
            horizontal=True,
            percent=True,
        )
    )
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "t1-title t1-desc"
    assert svg.find(f"{SVG}title").text == "部ごとの到達"
    assert svg.find(f"{SVG}desc").text == "説明文"
    labels = texts(svg)
    # Direct labels and a legend: readable without colour.
    assert "75%" in labels and "80%" in labels and "未到達" in labels and "T1" in labels
    # T1 keeps the tier colour although the neutral "none yet" series comes first.
    fills = {r.get("fill") for r in svg.iter(f"{SVG}rect")}
    assert "#00428c" in fills and "#e6e6e6" in fills
    # Every bar says what it is on hover/long-press too.
    tips = [t.text for t in svg.iter(f"{SVG}title")][1:]
    assert "総務部 T1: 1 (25%)" in tips


def test_series_differ_by_pattern_not_only_colour():
    svg = parse(
        charts.bar_chart(
            chart_id="p",
            title="t",
            desc="d",
            categories=["a"],
            series=[charts.Series(f"s{i}", [1]) for i in range(4)],
            stacked=True,
        )
    )
    patterns = {p.get("id") for p in svg.iter(f"{SVG}pattern")}
    assert patterns == {"p-p1", "p-p2", "p-p3"}  # series 0 is solid, the others patterned
    fills = [r.get("fill") for r in svg.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(set(fills)) == 4


def test_text_is_escaped_and_ids_are_safe():
    markup = charts.bar_chart(
        chart_id='x" onload="alert(1)',
        title="<script>",
        desc="&",
        categories=["<b>部</b>"],
        series=[charts.Series("a&b", [2])],
    )
    assert "<script>" not in str(markup) and "onload=" not in str(markup)
    svg = parse(markup)
    assert svg.find(f"{SVG}title").text == "<script>"


@pytest.mark.parametrize("horizontal", [True, False])
def test_empty_and_zero_data_render(horizontal):
    for categories, values in (([], []), (["a", "b"], [0, 0])):
        svg = parse(
            charts.bar_chart(
                chart_id="e",
                title="t",
                desc="d",
                categories=categories,
                series=[charts.Series("s", values)],
                horizontal=horizontal,
            )
        )
        assert svg.get("role") == "img"
    line = parse(charts.line_chart(chart_id="l", title="t", desc="d", categories=[], values=[]))
    assert line.get("role") == "img"


def test_line_chart_labels_every_point():
    svg = parse(
        charts.line_chart(
            chart_id="l",
            title="配置率",
            desc="d",
            categories=["2026-01", "2026-02", "2026-03"],
            values=[10.0, 55.5, 100.0],
            y_max=100,
            percent=True,
        )
    )
    labels = texts(svg)
    assert {"10%", "55.5%", "100%", "2026-01", "2026-03"} <= set(labels)
    assert len(list(svg.iter(f"{SVG}circle"))) == 3


def test_two_line_category_labels():
    svg = parse(
        charts.bar_chart(
            chart_id="m",
            title="t",
            desc="d",
            categories=["12月\n2025", "1月\n2026", "2月"],
            series=[charts.Series("s", [1, 2, 3])],
        )
    )
    spans = [t.text for t in svg.iter(f"{SVG}tspan")]
    assert spans == ["12月", "2025", "1月", "2026", "2月"]


def test_long_labels_are_truncated_with_full_text_kept():
    long = "オホーツク総合振興局地域創生部地域政策課とても長い名前"
    svg = parse(
        charts.bar_chart(
            chart_id="t",
            title="t",
            desc="d",
            categories=[long],
            series=[charts.Series("s", [1])],
            horizontal=True,
        )
    )
    label = next(t for t in svg.iter(f"{SVG}text") if t.find(f"{SVG}title") is not None)
    assert label.find(f"{SVG}title").text == long
    assert "".join(label.itertext()).endswith("…")


def test_nice_scale():
    assert [charts.nice_scale(v) for v in (0, 3, 11, 240, 999, 2436)] == [
        (1.0, 0.25),
        (3, 1),
        (15, 5),  # ticks 0, 5, 10, 15
        (300, 100),
        (1000, 250),
        (3000, 1000),
    ]


# Data and pages ------------------------------------------------------------------------


def test_tier_distribution_by_department(app, world):
    index = load_achievement_index(db.session)
    rows = {
        r.label: r
        for r in hr_stats.tier_distribution_by_department(
            db.session, world.pref.id, index, unassigned="-"
        )
    }
    # 総務部: hr (none), sato (T2), suzuki (T1); 総合政策部: tanaka (T4), yamada (none)
    assert rows["総務部"].by_top == [1, 1, 1, 0, 0]
    assert rows["総合政策部"].by_top == [1, 0, 0, 0, 1]
    assert "-" not in rows


def test_badges_per_month(app, world):
    months = hr_stats.badges_per_month(db.session, world.pref.id, now=utcnow(), tz=TZ)
    assert len(months) == 12
    assert sum(m.paths for m in months) == 6  # sato T1 T2 L1 (200 days), suzuki T1, tanaka T3 T4
    assert sum(m.certifications for m in months) == 1  # tanaka's L2 (sato's is older)
    assert months[-1].month == utcnow().astimezone(TZ).date().replace(day=1)


def test_charts_page(client, login_as, world):
    login_as(world.hr)
    html = client.get("/hr/charts").get_data(as_text=True)
    assert html.count('role="img"') >= 3
    assert html.count("<table") == 3  # one data table beside each chart
    assert (
        "部ごとの最高到達ティア" in html and "月別のバッジ発行数" in html and "配置率の推移" in html
    )
    assert "美瑛" not in html


def test_admin_overview_aggregates_without_names(client, login_as, world):
    admin = gen_person(world.pref, roles=(Role.ADMIN,))
    gen_credential(world.town_staff, world.cat["T2"], issued_at=utcnow() - timedelta(days=1))
    db.session.commit()
    login_as(admin)
    response = client.get("/admin/overview")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "美瑛町" in html and "上川総合振興局" in html
    for name in ("美瑛 職員", "美瑛 人事", world.town_staff.staff_number, world.town_staff.uuid):
        assert name not in html
    figures = hr_stats.overview(db.session)
    biei = next(m for m in figures.municipalities if m.label == "美瑛町")
    assert (biei.staff, biei.badges, biei.holders, biei.sections, biei.covered) == (2, 2, 1, 1, 0)
    sub = next(s for s in figures.subprefectures if s.key == world.town.subprefecture_id)
    assert sub.staff == 2 and sub.organisations == 1
    assert figures.prefecture.staff == 6 and figures.prefecture.covered == 1  # 5 + the admin
    assert re.search(r"admin/overview", client.get("/admin/").get_data(as_text=True))


def test_hr_is_not_admin(client, login_as, world):
    login_as(world.hr)
    assert client.get("/admin/overview").status_code == 403


@pytest.mark.parametrize(
    ("url", "who"), [("/hr/charts", "hr"), ("/hr/", "hr"), ("/admin/overview", "admin")]
)
def test_chart_pages_query_count_is_flat(client, login_as, count_queries, world, url, who):
    from tests.factories import gen_municipality, gen_section
    from tests.factories_hr import gen_bulk_credentials, gen_staff

    user = world.hr if who == "hr" else gen_person(world.pref, roles=(Role.ADMIN,))
    db.session.commit()
    login_as(user)

    def statements() -> int:
        client.get(url)
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    small = statements()
    for n in range(5):
        org = gen_municipality(f"town{n}", f"町{n}")
        section = gen_section(org, "総務課")
        gen_bulk_credentials(gen_staff(org, section, 40, prefix=f"M{n}-"), world.cat["T1"])
        dept_section = gen_section(world.pref, f"追加{n}課", f"追加{n}部")
        gen_bulk_credentials(
            gen_staff(world.pref, dept_section, 60, prefix=f"P{n}-"), world.cat["T2"]
        )
    db.session.commit()
    assert statements() == small
