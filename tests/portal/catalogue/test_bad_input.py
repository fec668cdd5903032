"""Trainers' bad input: a clear Japanese error, the input kept, nothing half-saved."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import CatalogueChange, Course, CourseAlignment
from tests.portal.catalogue.test_curation import course_form


def _counts() -> tuple[int, int, int]:
    return (
        int(db.session.scalar(select(func.count()).select_from(Course)) or 0),
        int(db.session.scalar(select(func.count()).select_from(CatalogueChange)) or 0),
        int(db.session.scalar(select(func.count()).select_from(CourseAlignment)) or 0),
    )


def _multipart(fields: dict[str, Any]) -> tuple[bytes, str]:
    """A multipart/form-data body, as a browser sends the course form (built in memory)."""
    boundary = "----catalogue-test-boundary"
    parts: list[bytes] = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + str(item).encode()
                + b"\r\n"
            )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def as_trainer(client: Any, synced: Any, trainer: Any, login_as: Any) -> Any:
    login_as(trainer)
    return client


BAD = [
    ({"url": "javascript:alert(1)"}, "http:// または https:// で始まるURL"),
    ({"url": "JaVaScRiPt:alert(document.cookie)"}, "http:// または https:// で始まるURL"),
    ({"url": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="}, "javascript: や data:"),
    ({"url": "https://"}, "URLの形式が正しくありません"),
    ({"url": "https://exa mple.jp/"}, "URLの形式が正しくありません"),
    ({"title": "<script>alert('x')</script>生成AI"}, "HTMLタグ"),
    ({"title": "<img src=x onerror=alert(1)>"}, "HTMLタグ"),
    ({"title": "🎉🎉🚀"}, "絵文字や記号だけの名前は使えません"),
    ({"title": "!!!???", "language": "en"}, "絵文字や記号だけの名前は使えません"),
    ({"title": "English only title"}, "日本語で入力してください"),
    ({"title": "制御\x07文字"}, "制御文字は使用できません"),
    ({"title": "右から左\u202e文字"}, "表示されない特殊な文字"),
    ({"provider": "\x00"}, "制御文字は使用できません"),
    ({"description": "English description only."}, "日本語で入力してください"),
    ({"description": "あ" * 1001}, "1000文字以内で入力してください（現在 1,001 文字）"),
    ({"hours_min": "abc"}, "半角数字で入力してください"),
    ({"hours_min": "-1"}, "0より大きく500以下"),
    ({"hours_min": "5", "hours_max": "1"}, "上限は下限と同じか、それより大きく"),
    ({"hours_max": "1000"}, "0より大きく500以下"),
    ({"tiers": []}, "1つ以上選んでください"),
    ({"tiers": ["T9"]}, "一覧から選んでください"),
    ({"format": "hologram"}, "一覧から選んでください"),
    ({"slug": "Not A Slug!"}, "識別子は英小文字・数字・ハイフン"),
    ({"title": ""}, "入力してください"),
]


@pytest.mark.parametrize(("changes", "message"), BAD)
def test_bad_course_input_is_refused_in_japanese(
    as_trainer: Any, changes: dict[str, Any], message: str
) -> None:
    before = _counts()
    data = course_form(**changes)
    response = as_trainer.post("/trainer/courses/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert "error-summary" in page
    assert _counts() == before  # nothing half-saved
    # The form keeps what was typed (escaped, never as markup).
    if changes.get("title") and "<" in changes["title"]:
        assert changes["title"] not in page
        assert "&lt;" in page
    if "url" in changes:
        assert 'value="' + changes["url"].replace("&", "&amp;") in page


def test_ten_megabyte_description_gets_a_clear_error(as_trainer: Any) -> None:
    before = _counts()
    huge = "あ" * (10 * 1024 * 1024 // 3)  # ~10 MB of UTF-8, sent as the browser does
    body, content_type = _multipart(course_form(description=huge))
    response = as_trainer.post("/trainer/courses/new", data=body, content_type=content_type)
    page = response.get_data(as_text=True)
    assert response.status_code == 400  # not the generic 413 page
    assert "1000文字以内で入力してください" in page
    assert "先頭10,000文字だけを残しています" in page
    assert len(page) < 200_000  # the 10 MB are not echoed back
    assert _counts() == before


def test_duplicate_url_is_blocked_with_a_link(as_trainer: Any) -> None:
    existing = db.session.scalar(select(Course).where(Course.slug == "ipa-10-major-threats"))
    before = _counts()
    variant = existing.url.replace("https://www.", "HTTPS://").rstrip("/") + "/?utm_source=x#top"
    response = as_trainer.post("/trainer/courses/new", data=course_form(url=variant))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "このURLの講座はすでに登録されています" in page
    assert f'href="/trainer/courses/{existing.slug}"' in page
    assert _counts() == before


def test_escaped_output_of_stored_markup(client: Any, app: Any) -> None:
    """Even if markup got into the database (e.g. through the data files), it is escaped."""
    from tests.factories import gen_course

    gen_course("markup", title="<svg onload=alert(1)>講座", description="<script>x()</script>説明")
    db.session.commit()
    page = client.get("/courses/markup").get_data(as_text=True)
    assert "<svg onload" not in page and "<script>x()" not in page


def test_good_input_saves_once(as_trainer: Any) -> None:
    before = _counts()
    response = as_trainer.post(
        "/trainer/courses/new",
        data=course_form(title="  全角スペース　入りの講座名  ", hours_min="１．５", hours_max="3"),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    courses, changes, alignments = _counts()
    assert (courses, changes) == (before[0] + 1, before[1] + 1)
    assert alignments == before[2] + 2  # tier T1, level ALL
    course = db.session.scalar(select(Course).order_by(Course.id.desc()))
    assert course.title == "全角スペース 入りの講座名"
    assert str(course.hours_min) == "1.50"
