from __future__ import annotations

from collections import Counter

from portal.extensions import db
from portal.models import Organisation, OrgKind, Subprefecture
from portal.services.orgs import sync_organisations


def test_sync_loads_prefecture_and_179_municipalities(app):
    result = sync_organisations(db.session)
    db.session.commit()
    assert (result.created, result.subprefectures) == (180, 14)
    orgs = db.session.query(Organisation).all()
    municipalities = [o for o in orgs if o.kind == OrgKind.MUNICIPALITY]
    assert len(municipalities) == 179
    assert Counter(o.municipality_type for o in municipalities) == {
        "town": 129,
        "city": 35,
        "village": 15,
    }
    assert len({o.slug for o in orgs}) == 180
    furano = db.session.query(Organisation).filter_by(name_ja="富良野市").one()
    assert furano.slug == "furano" and furano.lgcode == "012297"
    sub = db.session.get(Subprefecture, furano.subprefecture_id)
    assert sub.name_ja == "上川総合振興局"
    pref = db.session.query(Organisation).filter_by(kind=OrgKind.PREFECTURE).one()
    assert pref.slug == "hokkaido" and all(m.parent_id == pref.id for m in municipalities)
    per_sub = Counter(o.subprefecture_id for o in municipalities)
    assert sorted(per_sub.values()) == sorted([24, 8, 20, 11, 7, 11, 7, 23, 8, 10, 18, 19, 8, 5])


def test_sync_is_idempotent(app, runner):
    first = runner.invoke(args=["orgs", "sync"])
    assert "180 created" in first.output
    second = runner.invoke(args=["orgs", "sync"])
    assert "0 created, 0 updated, 180 unchanged" in second.output
    assert db.session.query(Organisation).count() == 180


def test_sync_repairs_changed_rows(app):
    sync_organisations(db.session)
    furano = db.session.query(Organisation).filter_by(lgcode="012297").one()
    furano.name_en = "Wrong"
    db.session.commit()
    result = sync_organisations(db.session)
    assert result.updated == 1
    assert furano.name_en == "Furano"


def test_duplicate_english_names_get_distinct_slugs(app):
    sync_organisations(db.session)
    slugs = {o.name_ja: o.slug for o in db.session.query(Organisation)}
    assert slugs["釧路市"] != slugs["釧路町"]
    assert slugs["江差町"] != slugs["枝幸町"]
