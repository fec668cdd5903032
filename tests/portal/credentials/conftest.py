"""Fixtures for the credential tests: a signing key, the prefecture, people and badges."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from portal.extensions import db
from portal.models import Organisation, Person, Role, SigningKey
from portal.services.verification import forget_trust
from tests.factories import gen_municipality, gen_person, gen_prefecture
from tests.factories_credentials import gen_path_badge, install_key


@pytest.fixture(autouse=True)
def _fresh_trust_cache() -> None:
    """Each test has its own database: forget the keys another test's database held."""
    forget_trust()


@pytest.fixture
def key(app: Flask) -> SigningKey:
    row = install_key(app)
    db.session.commit()
    return row


@pytest.fixture
def pref(app: Flask) -> Organisation:
    org = gen_prefecture()
    db.session.commit()
    return org


@pytest.fixture
def furano(pref: Organisation) -> Organisation:
    org = gen_municipality("furano", "富良野市")
    db.session.commit()
    return org


@pytest.fixture
def learner(furano: Organisation) -> Person:
    person = gen_person(furano, name="富良野 花子", email="hanako@city.furano.example")
    db.session.commit()
    return person


@pytest.fixture
def hr(furano: Organisation) -> Person:
    person = gen_person(furano, roles=(Role.HR,), name="人事 一郎", email="hr@city.furano.example")
    db.session.commit()
    return person


@pytest.fixture
def admin(pref: Organisation) -> Person:
    person = gen_person(pref, roles=(Role.ADMIN,), name="管理 者", email="admin@pref.example")
    db.session.commit()
    return person


@pytest.fixture
def badge(pref: Organisation) -> Any:
    achievement = gen_path_badge("badge-t1", name_ja="ラーニングパスT1修了")
    db.session.commit()
    return achievement
