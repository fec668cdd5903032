"""`flask demo seed --large`: a generated dataset for the HR pages (demo only)."""

from __future__ import annotations

from portal.extensions import db
from portal.models import (
    IssuedCredential,
    LeaderDesignation,
    Organisation,
    OrgKind,
    Person,
    SigningKey,
    Unit,
    UnitKind,
)
from portal.services.demo import LARGE_BATCH
from tests.factories_hr import gen_catalogue


def test_large_needs_the_catalogue(app, runner):
    assert runner.invoke(args=["orgs", "sync"]).exit_code == 0
    result = runner.invoke(args=["demo", "seed", "--large", "--staff", "50", "--sections", "5"])
    assert result.exit_code != 0 and "flask curricula sync" in result.output
    assert db.session.query(Person).filter(Person.staff_number.like("DL%")).count() == 0


def test_large_dataset(app, runner, client, login_as):
    assert runner.invoke(args=["orgs", "sync"]).exit_code == 0
    gen_catalogue()
    db.session.commit()
    result = runner.invoke(args=["demo", "seed", "--large", "--staff", "300", "--sections", "20"])
    assert result.exit_code == 0, result.output
    assert "large dataset" in result.output
    pref = db.session.query(Organisation).filter_by(kind=OrgKind.PREFECTURE).one()
    staff = db.session.query(Person).filter(
        Person.organisation_id == pref.id, Person.staff_number.like("DL%")
    )
    assert staff.count() == 300
    generated_sections = (
        db.session.query(Unit)
        .filter(Unit.organisation_id == pref.id, Unit.kind == UnitKind.SECTION)
        .count()
    )
    assert generated_sections == 20 + 7  # plus the ordinary demo sections
    # Every municipality has a small generated office too.
    municipal = (
        db.session.query(Person.organisation_id)
        .join(Organisation)
        .filter(Organisation.kind == OrgKind.MUNICIPALITY, Person.staff_number.like("DL%"))
    )
    assert municipal.distinct().count() == 179
    credentials = db.session.query(IssuedCredential)
    assert credentials.count() > 100
    assert {c.batch_key for c in credentials} == {LARGE_BATCH}
    assert all(c.jws == f"{LARGE_BATCH}:unsigned" for c in credentials.limit(20))
    key = db.session.query(SigningKey).filter_by(key_id=f"{LARGE_BATCH}-unsigned").one()
    assert key.status.value == "retired" and "d" not in key.public_jwk  # no private part
    assert db.session.query(LeaderDesignation).count() > 10
    again = runner.invoke(args=["demo", "seed", "--large", "--staff", "300", "--sections", "20"])
    assert again.exit_code == 0 and "exists" in again.output
    assert staff.count() == 300
    hr = (
        db.session.query(Person)
        .join(Person.emails)
        .filter_by(address="hr@demo.hokkaido.example")
        .one()
    )
    login_as(hr)
    for url in ("/hr/", "/hr/staff", "/hr/coverage", "/hr/charts", "/hr/badges"):
        assert client.get(url).status_code == 200, url


def test_large_is_refused_in_production(app, runner):
    app.config["DEMO_ALLOWED"] = False
    result = runner.invoke(args=["demo", "seed", "--large"])
    assert result.exit_code != 0 and "refused" in result.output
