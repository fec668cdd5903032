"""The learner home and path pages: content, privacy and flat query counts."""

from __future__ import annotations

from datetime import date

from portal.extensions import db
from portal.models import EnrolmentStatus, FeaturedCourse, RecordState
from portal.models.base import utcnow
from portal.services import learning, notifications
from tests.factories import (
    gen_achievement,
    gen_course,
    gen_exercise,
    gen_path,
    gen_person,
    gen_prefecture,
)
from tests.factories_learning import gen_credential, gen_enrolment, gen_record, path_steps


def test_home_shows_progress_next_step_badges_notices_and_featured(app, client, login_as, world):
    enrolment = gen_enrolment(world.learner, world.t1)
    steps = path_steps(world.t1)
    gen_record(enrolment, steps[0])
    achievement = gen_achievement(name_ja="T1 修了バッジ")
    gen_credential(world.learner, achievement)
    notifications.notify(
        db.session,
        world.learner.id,
        notifications.REVIEW_APPROVED,
        {
            "step_title": "演習A",
            "path_slug": "t1",
            "step_id": steps[0].id,
            "path_name_ja": "T1 生活レベル",
        },
        utcnow(),
    )
    db.session.add(
        FeaturedCourse(
            month=date.today().replace(day=1),
            course_id=gen_course(title="今月の講座").id,
            comment_ja="短時間で学べます。",
        )
    )
    db.session.commit()
    login_as(world.learner)
    page = client.get("/learn/").get_data(as_text=True)
    assert "T1 生活レベル" in page
    assert "1 / 3 完了（33%）" in page  # two required and one of one elective
    assert "1 / 3 時間" in page
    assert "次のステップ" in page and "講座2" in page
    assert "T1 修了バッジ" in page
    assert "新しいお知らせ" in page and "「演習A」が承認されました" in page
    try:
        import portal.services.catalogue  # noqa: F401
    except ImportError:
        pass
    else:
        assert "今月の講座" in page and "短時間で学べます。" in page


def test_opening_a_notice_marks_it_read(app, client, login_as, world):
    notice = notifications.notify(
        db.session,
        world.learner.id,
        notifications.PATH_COMPLETED,
        {"path_slug": "t1", "path_name_ja": "T1"},
        utcnow(),
    )
    db.session.commit()
    login_as(world.learner)
    response = client.get(f"/learn/notices/{notice.id}")
    assert response.headers["Location"].endswith("/learn/paths/t1")
    assert notifications.count_unread(db.session, world.learner.id) == 0
    other = gen_person(gen_prefecture())
    db.session.commit()
    login_as(other)
    from flask import g

    g.pop("_login_user", None)
    assert client.get(f"/learn/notices/{notice.id}").status_code == 404


def test_learners_only_ever_see_their_own_records(app, client, switch_to, world):
    other = gen_person(gen_prefecture(), name="別の職員")
    enrolment = gen_enrolment(other, world.t1)
    steps = path_steps(world.t1)
    gen_record(
        enrolment, steps[0], reflection="別の職員だけが書いた振り返りです。とても個人的な内容。"
    )
    db.session.commit()
    switch_to(world.learner)
    for url in (
        "/learn/",
        "/learn/paths",
        "/learn/paths/t1",
        f"/learn/paths/t1/steps/{steps[0].id}",
    ):
        response = client.get(url)
        assert "別の職員だけが書いた" not in response.get_data(as_text=True)
    # Not enrolled: the step page does not exist for this learner.
    assert client.get(f"/learn/paths/t1/steps/{steps[0].id}").status_code == 404


def test_list_person_progress_is_the_whole_history(app, world):
    active = gen_enrolment(world.learner, world.t1, EnrolmentStatus.WITHDRAWN)
    gen_record(active, path_steps(world.t1)[0])
    progress = learning.list_person_progress(db.session, world.learner.id)
    assert [(p.path.slug, p.status, p.steps_done) for p in progress] == [("t1", "withdrawn", 1)]
    assert learning.list_enrolment_progress(db.session, world.learner.id) == []


def _many_paths(learner, n):  # type: ignore[no-untyped-def]
    for _ in range(n):
        path = gen_path(steps=[gen_course(), gen_exercise()], tier="T2")
        enrolment = gen_enrolment(learner, path)
        first, second = path_steps(path)
        gen_record(enrolment, first)
        gen_record(enrolment, second, RecordState.SUBMITTED, deliverable_text="案")
    db.session.commit()


def _count(client, count_queries, url):  # type: ignore[no-untyped-def]
    db.session.expire_all()  # as in a fresh request
    with count_queries() as counter:
        response = client.get(url)
        assert response.status_code == 200
    return counter.count


def test_query_counts_are_flat(app, client, login_as, world, count_queries):
    login_as(world.learner)
    _many_paths(world.learner, 1)
    one = {
        url: _count(client, count_queries, url)
        for url in ("/learn/", "/learn/paths", "/learn/paths/t1")
    }
    _many_paths(world.learner, 49)
    fifty = {
        url: _count(client, count_queries, url)
        for url in ("/learn/", "/learn/paths", "/learn/paths/t1")
    }
    assert one == fifty, (one, fifty)
    print("query counts at 1 and 50 enrolments:", one, fifty)


def test_path_page_query_count_is_flat_in_steps_and_records(
    app, client, login_as, world, count_queries
):
    courses = [gen_course() for _ in range(3)]
    path = gen_path("wide", steps=courses)
    enrolment = gen_enrolment(world.learner, path)
    for step in path_steps(path):
        gen_record(enrolment, step)
    db.session.commit()
    login_as(world.learner)
    few = _count(client, count_queries, "/learn/paths/wide")
    big = gen_path("wider", steps=[gen_course() for _ in range(40)])
    enrolment = gen_enrolment(world.learner, big)
    for step in path_steps(big):
        gen_record(enrolment, step)
    db.session.commit()
    assert _count(client, count_queries, "/learn/paths/wider") == few


def test_a_transfer_keeps_all_progress(app, client, switch_to, world):
    from portal.services import accounts
    from tests.factories import gen_municipality

    enrolment = gen_enrolment(world.learner, world.t1)
    gen_record(enrolment, path_steps(world.t1)[0])
    db.session.commit()
    before = [
        (p.path.slug, p.steps_done)
        for p in learning.list_enrolment_progress(db.session, world.learner.id)
    ]
    accounts.transfer_person(
        db.session,
        world.learner,
        organisation=gen_municipality(),
        section_id=None,
        staff_number="F123",
        actor=None,
        now=utcnow(),
    )
    db.session.commit()
    after = [
        (p.path.slug, p.steps_done)
        for p in learning.list_person_progress(db.session, world.learner.id)
    ]
    assert before == after == [("t1", 1)]
    switch_to(world.learner)
    assert "1 / 3 完了" in client.get("/learn/").get_data(as_text=True)
