"""The HR dashboard, the person's record and the pages' forms."""

from __future__ import annotations

from portal.extensions import db
from portal.models import Role
from tests.factories import gen_person


def test_dashboard_figures(client, login_as, world):
    login_as(world.hr)
    html = client.get("/hr/").get_data(as_text=True)
    assert "人事ダッシュボード" in html
    assert "33.3%" in html  # 1 of 3 sections has a leader
    assert "リーダー未配置の課: 2" in html
    assert "認定の更新が近い職員: 1" in html


def test_person_record(client, login_as, world):
    login_as(world.hr)
    html = client.get(f"/hr/staff/{world.sato.uuid}").get_data(as_text=True)
    assert "学習と認定" in html
    assert "L1 パス修了" in html and "期限間近" in html
    assert "総務部 / 人事課" in html  # leader designation
    assert "表彰を記録する" in html


def test_every_post_form_has_a_csrf_token(app, client, login_as, world):
    app.config["WTF_CSRF_ENABLED"] = True
    login_as(world.hr)
    for url in (
        "/hr/awards",
        f"/hr/coverage/{world.jinji.id}",
        f"/hr/units/{world.jinji.id}",
        f"/hr/staff/{world.sato.uuid}",
    ):
        html = client.get(url).get_data(as_text=True)
        forms = html.count('method="post"')
        assert forms > 0, url
        assert html.count('name="csrf_token"') >= forms, url


def test_posts_without_token_are_refused(app, client, login_as, world):
    app.config["WTF_CSRF_ENABLED"] = True
    login_as(world.hr)
    response = client.post(f"/hr/coverage/{world.dx.id}/leader", data={"person": world.tanaka.uuid})
    assert response.status_code == 400


def test_english_pages(client, login_as, world):
    login_as(world.hr)
    client.post("/locale", data={"lang": "en"})
    for url, words in (
        ("/hr/", "HR dashboard"),
        ("/hr/staff", "Staff roster"),
        ("/hr/coverage", "Level 1 leader coverage"),
        ("/hr/charts", "Badges issued per month"),
        ("/hr/awards", "Awards"),
    ):
        html = client.get(url).get_data(as_text=True)
        assert words in html, url


def test_learner_cannot_open_hr_pages(client, login_as, world):
    learner = gen_person(world.pref, name="学習 者")
    db.session.commit()
    login_as(learner)
    assert client.get("/hr/coverage").status_code == 403
    admin = gen_person(world.pref, roles=(Role.ADMIN,))
    db.session.commit()
    login_as(admin)
    assert client.get("/hr/charts").status_code == 403
