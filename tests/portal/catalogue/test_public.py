"""Public catalogue pages: no login, published only, dead links marked, the curriculum map."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Course, LearningPath, PublicationStatus
from portal.services.catalogue import alignment_target_path
from tests.factories import gen_course

PUBLIC_PAGES = [
    "/courses",
    "/courses/ipa-10-major-threats",
    "/paths",
    "/paths/l1-digital-leader",
    "/curriculum-map",
    "/tiers/T1",
    "/levels/L1",
    "/levels/ALL",
    "/frameworks/dss-l/how",
    "/featured",
    "/open-data/courses.json",
]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_anonymous_can_browse(client: Any, synced: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, url


@pytest.mark.parametrize(
    "url",
    [
        "/courses/nope",
        "/paths/nope",
        "/tiers/T9",
        "/levels/X",
        "/frameworks/dss-l/nope",
        "/frameworks/tier/T1",
        "/exercises/nope",
        "/images/achievements/nope.svg",
        "/open-data/secrets.txt",
    ],
)
def test_unknown_things_are_not_found(client: Any, synced: Any, url: str) -> None:
    assert client.get(url).status_code == 404


def test_layout_links_the_catalogue(client: Any, synced: Any) -> None:
    page = client.get("/").get_data(as_text=True)
    for href in ('href="/courses"', 'href="/paths"', 'href="/curriculum-map"'):
        assert href in page


def test_unpublished_courses_are_not_public(client: Any, synced: Any) -> None:
    gen_course("secret-draft", title="下書きの講座", status=PublicationStatus.DRAFT)
    gen_course("old-course", title="廃止した講座", status=PublicationStatus.RETIRED)
    db.session.commit()
    assert client.get("/courses/secret-draft").status_code == 404
    assert client.get("/courses/old-course").status_code == 404
    listing = client.get("/courses?q=講座").get_data(as_text=True)
    assert "下書きの講座" not in listing and "廃止した講座" not in listing


def test_path_page_shows_steps_rule_hours_prerequisites_and_badge(client: Any, synced: Any) -> None:
    page = client.get("/paths/l1-digital-leader").get_data(as_text=True)
    assert "必須5件をすべて修了し、選択7件から2件以上を修了" in page
    assert "16.5〜43時間" in page
    assert 'href="/paths/t1-everyday-literacy"' in page  # prerequisite
    assert 'href="/paths/t2-using-digital-tools"' in page
    assert 'src="/images/achievements/badge-l1.svg"' in page
    assert "研修担当がレビュー" in page and "自己申告" in page
    assert page.count("<tr>") == 12 + 1  # 12 steps + header row
    assert 'href="/exercises/' in page


def test_dead_and_unverified_links_are_marked(client: Any, synced: Any) -> None:
    course = db.session.scalar(select(Course).where(Course.slug == "ipa-10-major-threats"))
    course.link_ok = False
    course.link_status = 404
    db.session.commit()
    for url in (
        "/courses/ipa-10-major-threats",
        "/paths/t1-everyday-literacy",
        "/courses?q=10大脅威",
    ):
        page = client.get(url).get_data(as_text=True)
        assert 'data-link="dead"' in page, url
        assert "リンク切れの可能性" in page
    unverified = db.session.scalar(select(Course).where(Course.url_verified.is_(False)))
    page = client.get(f"/courses/{unverified.slug}").get_data(as_text=True)
    assert "URL未確認" in page


def test_titles_are_escaped(client: Any, app: Any) -> None:
    gen_course("xss", title='<script>alert("x")</script>講座', provider="<b>bold</b>")
    db.session.commit()
    for url in ("/courses", "/courses/xss"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert" in page
        assert "<b>bold</b>" not in page


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.svg_links: list[str] = []
        self.in_svg = 0
        self.roles: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg":
            self.in_svg += 1
        if a.get("role"):
            self.roles.append((tag, a["role"] or ""))
        if tag == "a" and self.in_svg:
            self.svg_links.append(a.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.in_svg -= 1


def test_curriculum_map_is_an_accessible_diagram(client: Any, synced: Any) -> None:
    page = client.get("/curriculum-map").get_data(as_text=True)
    start, end = (
        page.index('<svg class="curriculum-map"'),
        page.index("</svg>", page.index('<svg class="curriculum-map"')),
    )
    svg = page[start:end]
    assert '<title id="cm-title">' in svg and '<desc id="cm-desc">' in svg
    assert 'aria-labelledby="cm-title"' in svg and 'aria-describedby="cm-desc"' in svg
    assert 'role="img"' in svg
    assert "L1 は T1 を前提とする" in svg and "L2 は T4 を前提とする" in svg
    parser = _Links()
    parser.feed(page)
    slugs = set(db.session.scalars(select(LearningPath.slug)))
    assert set(parser.svg_links) == {f"/paths/{s}" for s in slugs}
    assert svg.count('marker-end="url(#cm-arrowhead)"') == 4
    # Every link in the drawing has a name that does not depend on colour.
    for label in re.findall(r'<a href="/paths/[^"]+" aria-label="([^"]+)"', svg):
        assert re.match(r"^(T[1-4]|L[12]) ", label)
    # The text alternative: a table with the same structure.
    table = page[page.index('id="cm-table-heading"') :]
    for slug in slugs:
        assert f'href="/paths/{slug}"' in table
    assert "T1、T2" in re.sub(r"<[^>]+>", "", table)


def test_achievement_image_is_served_as_safe_svg(client: Any, synced: Any) -> None:
    response = client.get("/images/achievements/badge-t1.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_data(as_text=True).startswith("<svg")


def test_alignment_target_pages_match_the_openbadges_paths(
    client: Any, app: Any, synced: Any
) -> None:
    for ref in ("tier:T1", "level:L2", "dss-l:how", "dss-p:designer.service"):
        path = alignment_target_path(ref)
        assert path is not None
        assert client.get(path).status_code == 200, path
    assert alignment_target_path("nonsense") is None


def test_english_ui_shows_english_data(client: Any, synced: Any) -> None:
    client.post("/locale", data={"lang": "en", "next": "/paths"})
    page = client.get("/paths").get_data(as_text=True)
    assert "Learning path T1: Everyday digital literacy" in page
    page = client.get("/paths/t1-everyday-literacy").get_data(as_text=True)
    assert "Self-attested" in page or "self-attested" in page
    assert "Required" in page


def test_open_data_is_cc_by(client: Any, synced: Any) -> None:
    response = client.get("/open-data/courses.json")
    assert response.json["license"]["name"] == "CC BY 4.0"
    assert response.json["course_count"] >= 80
    csv = client.get("/open-data/courses.csv")
    assert csv.mimetype == "text/csv"
    assert csv.get_data(as_text=True).startswith("slug,title,")
