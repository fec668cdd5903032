"""Catalogue search and filters: Japanese normalisation, every filter, published only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AlignmentTarget, Course, CourseAlignment, PublicationStatus
from portal.services import catalogue
from portal.services.catalogue import CourseFilters, course_search, search_text_for
from tests.factories import gen_course


def _course(slug: str, **kw: Any) -> Course:
    course = gen_course(slug, **kw)
    course.search_text = search_text_for(course)
    return course


def _align(course: Course, *refs: str) -> None:
    for ref in refs:
        framework, _, code = ref.partition(":")
        target = db.session.scalar(select(AlignmentTarget).where(AlignmentTarget.ref == ref))
        if target is None:
            target = AlignmentTarget(
                ref=ref,
                framework=framework,
                framework_name_ja=framework,
                framework_name_en=framework,
                code=code,
                kind="item",
                name_ja=code,
                name_en=code,
                parent_code=code.rpartition(".")[0] or None,
            )
            db.session.add(target)
            db.session.flush()
        db.session.add(CourseAlignment(course_id=course.id, target_id=target.id))
    db.session.flush()


def _slugs(filters: CourseFilters, **kw: Any) -> list[str]:
    return [c.slug for c in db.session.scalars(course_search(filters, **kw))]


@pytest.fixture
def courses(app: Any) -> dict[str, Course]:
    made = {
        "kata": _course("kata", title="カタカナで学ぶセキュリティ", provider="IPA"),
        "abc": _course("abc", title="ABC of Data", provider="Coursera", language="en"),
        "draft": _course("draft", title="カタカナの下書き", status=PublicationStatus.DRAFT),
        "long": _course(
            "long",
            title="統計の長い講座",
            hours_min=Decimal(20),
            hours_max=Decimal(30),
            format="mooc",
            certificate="free",
        ),
        "paid": _course("paid", title="有料修了証の講座", certificate="paid"),
    }
    _align(made["kata"], "tier:T1", "level:ALL", "dss-l:how", "dss-l:how.caution")
    _align(made["abc"], "tier:T2", "level:L1")
    _align(made["long"], "tier:T2", "level:L2", "dss-l:how.caution.security")
    db.session.commit()
    return made


@pytest.mark.parametrize(
    "query",
    ["ｶﾀｶﾅ", "カタカナ", "かたかな", "ｶﾀｶﾅ　ｾｷｭﾘﾃｨ", "  かたかな   せきゅりてぃ "],
)
def test_japanese_search_ignores_width_and_kana(courses: Any, query: str) -> None:
    assert _slugs(CourseFilters(q=query)) == ["kata"]


@pytest.mark.parametrize("query", ["ＡＢＣ", "abc", "ABC", "ａｂｃ　ｄａｔａ"])
def test_latin_search_ignores_width_and_case(courses: Any, query: str) -> None:
    assert _slugs(CourseFilters(q=query)) == ["abc"]


def test_search_escapes_like_wildcards(courses: Any) -> None:
    assert _slugs(CourseFilters(q="%")) == []
    assert _slugs(CourseFilters(q="_")) == []


def test_drafts_are_not_found_publicly(courses: Any) -> None:
    assert "draft" not in _slugs(CourseFilters())
    assert "draft" in _slugs(CourseFilters(q="かたかな"), statuses=[PublicationStatus.DRAFT])


def test_filters(courses: Any) -> None:
    assert _slugs(CourseFilters(tier="T2")) == ["abc", "long"]
    assert _slugs(CourseFilters(level="L1")) == ["abc"]
    assert _slugs(CourseFilters(provider="IPA")) == ["kata"]
    assert _slugs(CourseFilters(language="en")) == ["abc"]
    assert _slugs(CourseFilters(format="mooc")) == ["long"]
    assert _slugs(CourseFilters(certificate="free")) == ["long"]
    assert _slugs(CourseFilters(certificate="any")) == ["long", "paid"]
    assert _slugs(CourseFilters(hours="long")) == ["long"]
    assert "long" not in _slugs(CourseFilters(hours="short"))
    assert _slugs(CourseFilters(tier="T2", language="en")) == ["abc"]


def test_dss_area_includes_its_items(courses: Any) -> None:
    refs = catalogue.dss_descendants(db.session, "dss-l:how")
    assert set(refs) >= {"dss-l:how", "dss-l:how.caution", "dss-l:how.caution.security"}
    assert _slugs(CourseFilters(dss="dss-l:how"), dss_refs=refs) == ["kata", "long"]
    item = catalogue.dss_descendants(db.session, "dss-l:how.caution.security")
    assert _slugs(CourseFilters(dss="dss-l:how.caution.security"), dss_refs=item) == ["long"]


def test_clean_drops_unknown_values() -> None:
    filters = CourseFilters.clean(
        {"q": "x" * 500, "language": "xx", "format": "<script>", "hours": "forever", "sort": "?"}
    )
    assert len(filters.q) == 100
    assert filters.language == filters.format == filters.hours == ""
    assert filters.sort == "recommended"


def test_catalogue_page_search_and_filters(client: Any, courses: Any) -> None:
    page = client.get("/courses?q=ｶﾀｶﾅ").get_data(as_text=True)
    assert "カタカナで学ぶセキュリティ" in page
    assert "ABC of Data" not in page
    assert "1 件の講座" in page
    page = client.get("/courses?tier=T2&language=en").get_data(as_text=True)
    assert "ABC of Data" in page and "統計の長い講座" not in page
    assert client.get("/courses?tier=nonsense&format=<x>&page=999").status_code == 200


def test_synced_catalogue_is_searchable(client: Any, synced: Any) -> None:
    page = client.get("/courses?q=せきゅりてぃ").get_data(as_text=True)
    assert "情報セキュリティ10大脅威" in page
    page = client.get("/courses?dss=dss-l:how").get_data(as_text=True)
    assert "件の講座" in page
