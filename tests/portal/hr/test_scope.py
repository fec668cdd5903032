"""HR acts only inside its own organisation: every hr.* route, given another organisation's ids.

Routes with an id in the path must answer 403/404 for another organisation's id, whatever
the method. Routes without one take the ids listed in ATTACKS as query or form values and
must answer 404 too. The few routes that take no ids at all (NO_IDS) are checked for leaks
instead. A new route that is in none of these sets fails `test_every_route_is_classified`.
"""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.models import (
    Award,
    AwardRule,
    IssuedCredential,
    LeaderDesignation,
    Person,
    RoleGrant,
    Unit,
)
from portal.models.base import utcnow
from portal.services import awards
from tests.factories_hr import gen_credential

PATH_IDS = re.compile(r"<(?:int:|uuid:)?(uuid|section_id|unit_id|rule_id)>")

#: endpoint → (method, values) whose values name the other organisation's things.
ATTACKS = {
    "hr.staff": ("GET", lambda v: {"section": v.section}),
    "hr.staff_export": ("GET", lambda v: {"department": v.department}),
    "hr.coverage_list": ("GET", lambda v: {"department": v.department}),
    "hr.coverage_export": ("GET", lambda v: {"department": v.department, "status": "vacant"}),
    "hr.staff_new": (
        "POST",
        lambda v: {
            "staff_number": "Z9",
            "name": "侵入",
            "email": "z9@example.lg.jp",
            "section_id": v.section,
        },
    ),
    "hr.units": ("POST", lambda v: {"name": "侵入課", "parent_id": v.department}),
    # Certification and issuance (portal/hr/credentials.py).
    "hr.certify": ("POST", lambda v: {"person": v.uuid, "achievement": "cert-l1", "note": "x"}),
}
#: endpoint → (method, values): takes another organisation's identifier (an email) in a form
#: and must refuse it with a 4xx answer, changing nothing.
REFUSED = {
    "hr.credentials_award": (
        "POST",
        lambda v: {"action": "one", "email": v.email, "achievement": "badge-t1"},
    ),
}
#: Routes that read or change only HR's own organisation and take no ids.
NO_IDS = {
    "hr.home",
    "hr.charts_page",
    "hr.badges",
    "hr.badges_export",
    "hr.awards_page",
    "hr.award_rule_add",
    "hr.award_rules_defaults",
    "hr.staff_import_view",
    "hr.credentials",
    "hr.credentials_audit",
    "hr.credentials_verify",
    "hr.certifications",
}


class Victim:
    def __init__(self, world, org, section, person, rule):
        self.org = org
        self.uuid = person.uuid
        self.email = person.primary_email
        self.credential = gen_credential(person, world.cat["C2"], valid_until=utcnow()).uuid
        self.section = section.id
        self.department = section.parent_id
        self.rule = rule.id
        self.names = {person.name}


def victim_of(world, attacker: str) -> Victim:
    if attacker == "town":
        rule = awards.add_rule(
            db.session, world.pref, awards.DEFAULT_RULES[1], actor=None, now=utcnow()
        )
        victim = Victim(world, world.pref, world.jinji, world.sato, rule)
        victim.names |= {"鈴木 太郎", "田中 美咲", "山田 誠"}
    else:
        rule = awards.add_rule(
            db.session, world.town, awards.DEFAULT_RULES[1], actor=None, now=utcnow()
        )
        victim = Victim(world, world.town, world.town_section, world.town_staff, rule)
    db.session.commit()
    return victim


def snapshot(org_id: int) -> dict[str, object]:
    db.session.expire_all()
    return {
        "units": sorted(
            (u.id, u.name, u.parent_id, u.is_active, u.merged_into_id)
            for u in db.session.query(Unit).filter_by(organisation_id=org_id)
        ),
        "people": sorted(
            (p.id, p.section_id, p.organisation_id, p.name)
            for p in db.session.query(Person).filter_by(organisation_id=org_id)
        ),
        "roles": sorted(
            (g.person_id, g.role.value)
            for g in db.session.query(RoleGrant)
            .join(Person, Person.id == RoleGrant.person_id)
            .filter(Person.organisation_id == org_id)
        ),
        "designations": sorted(
            (d.id, d.section_id, d.person_id, d.ended_at is None)
            for d in db.session.query(LeaderDesignation)
            .join(Unit, Unit.id == LeaderDesignation.section_id)
            .filter(Unit.organisation_id == org_id)
        ),
        "awards": db.session.query(Award).filter_by(organisation_id=org_id).count(),
        "rules": sorted(
            (r.id, r.is_active)
            for r in db.session.query(AwardRule).filter_by(organisation_id=org_id)
        ),
        "credentials": sorted(
            (c.id, c.status.value, c.achievement_id)
            for c in db.session.query(IssuedCredential)
            .join(Person, Person.id == IssuedCredential.person_id)
            .filter(Person.organisation_id == org_id)
        ),
    }


def hr_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint.startswith("hr.")),
        key=lambda r: r.rule,
    )


def fill(rule, victim: Victim) -> str:
    url = rule.rule
    url = url.replace("<uuid:uuid>", victim.credential)  # /hr/credentials/<uuid:uuid>/…
    url = url.replace("<uuid>", victim.uuid)
    url = url.replace("<int:section_id>", str(victim.section))
    url = url.replace("<int:unit_id>", str(victim.section))
    url = url.replace("<int:rule_id>", str(victim.rule))
    return re.sub(r"<any\([^)]*\):fmt>", "csv", url)


def test_every_route_is_classified(app):
    for rule in hr_rules(app):
        known = rule.endpoint in ATTACKS or rule.endpoint in REFUSED or rule.endpoint in NO_IDS
        assert PATH_IDS.search(rule.rule) or known, (
            f"{rule.endpoint} ({rule.rule}) takes no id: add it to ATTACKS, REFUSED or NO_IDS"
        )


@pytest.mark.parametrize("attacker", ["town", "pref"])
def test_no_route_reads_or_changes_another_organisation(app, client, login_as, world, attacker):
    victim = victim_of(world, attacker)
    login_as(world.town_hr if attacker == "town" else world.hr)
    before = snapshot(victim.org.id)
    department_too = {"department_id": victim.department, "target_id": victim.section}
    checked = 0
    for rule in hr_rules(app):
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        if PATH_IDS.search(rule.rule):
            url = fill(rule, victim)
            for method in methods:
                form = {
                    "person": victim.uuid,
                    "section_id": victim.section,
                    "name": "乗っ取り",
                    "confirm": "y",
                    "active": "0",
                    "awarded_on": "2026-05-01",
                    "title": "x",
                    "is_hr": "y",
                    **department_too,
                }
                response = client.open(url, method=method, data=form if method == "POST" else None)
                assert response.status_code in (403, 404), (method, url, response.status_code)
                checked += 1
        elif rule.endpoint in REFUSED:
            method, values = REFUSED[rule.endpoint]
            response = client.open(fill(rule, victim), method=method, data=values(victim))
            assert 400 <= response.status_code < 500, (rule.endpoint, response.status_code)
            checked += 1
        elif rule.endpoint in ATTACKS:
            method, values = ATTACKS[rule.endpoint]
            url = fill(rule, victim)
            if method == "GET":
                response = client.get(url, query_string=values(victim))
            else:
                response = client.post(url, data=values(victim))
            assert response.status_code in (403, 404), (rule.endpoint, response.status_code)
            checked += 1
        else:
            for method in methods:
                response = client.open(fill(rule, victim), method=method)
                assert response.status_code < 500, (rule.endpoint, method)
                body = response.get_data(as_text=True)
                for name in victim.names:
                    assert name not in body, (rule.endpoint, method, name)
                checked += 1
    assert checked >= len(hr_rules(app))
    assert snapshot(victim.org.id) == before
