"""List pages run the same number of SQL statements at 10 and at 1,000 courses."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, select

from portal.extensions import db
from portal.models import (
    AlignmentTarget,
    CatalogueChange,
    ChangeStatus,
    Course,
    CourseAlignment,
    CourseOrigin,
    FeaturedCourse,
    PublicationStatus,
)
from portal.models.base import utcnow


def _add_courses(start: int, stop: int) -> None:
    """Bulk-insert courses start..stop-1 with an alignment, history rows and a featured month."""
    now = utcnow()
    db.session.execute(
        insert(Course),
        [
            {
                "slug": f"bulk-{i}",
                "title": f"一括講座 {i}",
                "provider": f"提供者{i % 7}",
                "url": f"https://bulk.example.jp/{i}",
                "url_normalised": f"https://bulk.example.jp/{i}",
                "url_verified": i % 3 != 0,
                "language": "ja" if i % 4 else "en",
                "hours_min": Decimal(1),
                "hours_max": Decimal(2 + i % 50),
                "format": "video",
                "certificate": "free" if i % 2 else "none",
                "description": "一括で追加した講座の説明です。",
                "tiers": ["T1", "T2"],
                "levels": ["ALL"],
                "dss": [],
                "extra": {},
                "search_text": f"一括講座 {i} せつめい",
                "status": PublicationStatus.PUBLISHED,
                "origin": CourseOrigin.DATA,
                "position": i,
                "link_ok": i % 10 != 0,
                "link_status": 200 if i % 10 else 404,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(start, stop)
        ],
    )
    ids = db.session.scalars(
        select(Course.id).where(Course.slug.in_([f"bulk-{i}" for i in range(start, stop)]))
    ).all()
    tier = db.session.scalar(select(AlignmentTarget.id).where(AlignmentTarget.ref == "tier:T1"))
    db.session.execute(
        insert(CourseAlignment), [{"course_id": cid, "target_id": tier} for cid in ids]
    )
    db.session.execute(
        insert(CatalogueChange),
        [
            {
                "kind": "course.sync",
                "status": ChangeStatus.PUBLISHED,
                "subject_type": "course",
                "subject_slug": f"c{cid}",
                "course_id": cid,
                "source": "sync",
                "created_at": now,
                "updated_at": now,
            }
            for cid in ids
        ],
    )
    month = date(2000, 1, 1) + timedelta(days=31 * start // 10)
    db.session.add(FeaturedCourse(month=month.replace(day=1), course_id=ids[0]))
    db.session.commit()


PUBLIC = [
    "/courses",
    "/courses?tier=T1&q=一括&sort=hours",
    "/courses?page=2",
    "/paths",
    "/curriculum-map",
    "/featured",
    "/tiers/T1",
]
TRAINER = [
    "/trainer/courses",
    "/trainer/courses?status=published&q=講座",
    "/trainer/courses/needs-checking",
    "/trainer/changes?tab=history",
    "/trainer/featured",
]


def _measure(client: Any, count_queries: Any, url: str) -> int:
    client.get(url)  # warm up (first-request work is not what we measure)
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.count


@pytest.mark.slow
def test_list_pages_are_flat(
    app: Any, client: Any, synced: Any, editor: Any, login_as: Any, count_queries: Any
) -> None:
    _add_courses(0, 10)
    login_as(editor)
    small = {url: _measure(client, count_queries, url) for url in PUBLIC + TRAINER}
    _add_courses(10, 1000)
    large = {url: _measure(client, count_queries, url) for url in PUBLIC + TRAINER}
    assert large == small
    # And the numbers stay small.
    assert max(small.values()) <= 12, small
