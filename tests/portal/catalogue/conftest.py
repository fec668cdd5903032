"""Fixtures for the catalogue tests: the shipped catalogue synced, people with roles."""

from __future__ import annotations

from typing import Any

import pytest

import curricula
from portal.extensions import db
from portal.models import Person, Role
from portal.models.base import utcnow
from portal.services.catalogue_sync import SyncReport, sync_catalogue
from tests.factories import gen_person


@pytest.fixture(scope="session")
def shipped() -> curricula.Catalogue:
    """The catalogue shipped in curricula/data (loaded once)."""
    return curricula.load_catalogue()


@pytest.fixture
def synced(app: Any, shipped: curricula.Catalogue) -> SyncReport:
    """The shipped catalogue synced into the test database (committed)."""
    report = sync_catalogue(db.session, shipped, now=utcnow())
    db.session.commit()
    return report


@pytest.fixture
def trainer(app: Any) -> Person:
    person = gen_person(roles=(Role.TRAINER,), name="研修 一郎")
    db.session.commit()
    return person


@pytest.fixture
def editor(app: Any) -> Person:
    person = gen_person(roles=(Role.TRAINER, Role.EDITOR), name="編集 花子")
    db.session.commit()
    return person


@pytest.fixture
def admin(app: Any) -> Person:
    person = gen_person(roles=(Role.ADMIN,), name="管理 次郎")
    db.session.commit()
    return person


@pytest.fixture
def learner(app: Any) -> Person:
    person = gen_person(name="学習 三郎")
    db.session.commit()
    return person


@pytest.fixture
def login_as(client: Any) -> Any:
    """Log a person in (or out, with None) on `client`.

    The tests keep one app context open, and Flask-Login caches the user on `g`,
    so the cache is dropped whenever the person changes.
    """
    from flask import g

    def _login(person: Person | None) -> Any:
        g.pop("_login_user", None)
        with client.session_transaction() as session:
            session.clear()
            if person is not None:
                session["_user_id"] = person.get_id()
                session["_fresh"] = True
        return client

    return _login
