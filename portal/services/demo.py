"""Demo data: units and one account per role, for `make demo` and screenshots."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher

from portal.models import Role
from portal.models.base import DBSession, utcnow
from portal.services import accounts
from portal.services.orgs import ensure_unit, get_organisation

DEMO_PASSWORD = "demo-pass"  # noqa: S105 - documented demo credential

UNITS = {
    "hokkaido": {
        "総務部": ["人事課", "財政課"],
        "総合政策部": ["デジタル推進課", "政策企画課"],
        "農政部": ["農政課"],
        "水産林務部": ["水産振興課"],
        "経済部": ["観光振興課"],
    },
    "furano": {
        "総務部": ["総務課", "企画振興課"],
        "市民生活部": ["市民課"],
        "経済部": ["農林課", "商工観光課"],
    },
}


@dataclass(frozen=True)
class DemoAccount:
    org: str
    email: str
    staff_number: str
    name: str
    kana: str
    department: str
    section: str
    roles: frozenset[Role]


ACCOUNTS = (
    DemoAccount(
        "hokkaido",
        "learner@demo.hokkaido.example",
        "D0001",
        "北海 太郎",
        "ほっかい たろう",
        "総合政策部",
        "政策企画課",
        frozenset(),
    ),
    DemoAccount(
        "hokkaido",
        "trainer@demo.hokkaido.example",
        "D0002",
        "研修 花子",
        "けんしゅう はなこ",
        "総務部",
        "人事課",
        frozenset({Role.TRAINER, Role.EDITOR}),
    ),
    DemoAccount(
        "hokkaido",
        "hr@demo.hokkaido.example",
        "D0003",
        "人事 一郎",
        "じんじ いちろう",
        "総務部",
        "人事課",
        frozenset({Role.HR}),
    ),
    DemoAccount(
        "hokkaido",
        "admin@demo.hokkaido.example",
        "D0004",
        "管理 次郎",
        "かんり じろう",
        "総合政策部",
        "デジタル推進課",
        frozenset({Role.ADMIN}),
    ),
    DemoAccount(
        "furano",
        "learner@demo.furano.example",
        "F0001",
        "富良野 学",
        "ふらの まなぶ",
        "経済部",
        "農林課",
        frozenset(),
    ),
    DemoAccount(
        "furano",
        "hr@demo.furano.example",
        "F0002",
        "富良野 人事",
        "ふらの じんじ",
        "総務部",
        "総務課",
        frozenset({Role.HR}),
    ),
)


def seed_demo(session: DBSession, hasher: PasswordHasher | None = None) -> list[str]:
    """Create the demo units and accounts that are missing; return what was done (idempotent)."""
    hasher = hasher or PasswordHasher()
    now = utcnow()
    report = []
    sections = {}
    for org_slug, departments in UNITS.items():
        org = get_organisation(session, org_slug)
        for dept_name, section_names in departments.items():
            dept, _ = ensure_unit(session, org.id, dept_name)
            for name in section_names:
                section, _ = ensure_unit(session, org.id, name, parent=dept)
                sections[(org_slug, dept_name, name)] = section
    for account in ACCOUNTS:
        if accounts.find_person_by_email(session, account.email) is not None:
            report.append(f"exists  {account.email}")
            continue
        org = get_organisation(session, account.org)
        person = accounts.create_person(
            session,
            org,
            accounts.PersonInput(
                account.staff_number,
                account.name,
                account.kana,
                account.email,
                sections[(account.org, account.department, account.section)].id,
            ),
            actor=None,
            now=now,
            roles=account.roles,
        )
        # The demo password is shorter than the policy allows, so it is hashed directly.
        person.password_hash = hasher.hash(DEMO_PASSWORD)
        report.append(
            f"created {account.email} ({', '.join(sorted(r.value for r in account.roles)) or 'learner'})"
        )
    session.flush()
    return report
