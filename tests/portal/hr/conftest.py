"""A small prefecture and a municipality with people, badges and leaders, for the HR tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import EnrolmentStatus, Organisation, Person, Role, Unit
from portal.models.base import utcnow
from tests.factories import gen_municipality, gen_person, gen_prefecture, gen_section
from tests.factories_hr import (
    Catalogue,
    gen_catalogue,
    gen_credential,
    gen_designation,
    gen_enrolment,
)


@dataclass
class World:
    pref: Organisation
    town: Organisation
    cat: Catalogue
    hr: Person
    town_hr: Person
    jinji: Unit  # 総務部 / 人事課
    dx: Unit  # 総合政策部 / デジタル推進課
    empty: Unit  # 総合政策部 / 空の課 (no staff)
    town_section: Unit
    sato: Person  # T1 T2, L1 path, L1 certification expiring in 30 days; leader of 人事課
    suzuki: Person  # T1; enrolled on T2; katakana reading
    tanaka: Person  # T3 T4, L2 certification; in デジタル推進課
    yamada: Person  # nothing yet; half-width katakana reading
    town_staff: Person


@pytest.fixture
def world(app) -> World:
    pref = gen_prefecture()
    town = gen_municipality("biei", "美瑛町")
    cat = gen_catalogue()
    jinji = gen_section(pref, "人事課", "総務部")
    dx = gen_section(pref, "デジタル推進課", "総合政策部")
    empty = gen_section(pref, "空の課", "総合政策部")
    town_section = gen_section(town, "企画課", "総務部")
    now = utcnow()
    hr = gen_person(
        pref, roles=(Role.HR,), name="人事 一郎", name_kana="じんじ いちろう", section=jinji
    )
    sato = gen_person(
        pref, name="佐藤 花子", name_kana="さとう はなこ", section=jinji, staff_number="P001"
    )
    suzuki = gen_person(
        pref, name="鈴木 太郎", name_kana="スズキ タロウ", section=jinji, staff_number="P002"
    )
    tanaka = gen_person(
        pref, name="田中 美咲", name_kana="たなか みさき", section=dx, staff_number="P003"
    )
    yamada = gen_person(pref, name="山田 誠", name_kana="ﾔﾏﾀﾞ ﾏｺﾄ", section=dx, staff_number="P004")
    town_hr = gen_person(town, roles=(Role.HR,), name="美瑛 人事", section=town_section)
    town_staff = gen_person(
        town, name="美瑛 職員", name_kana="びえい しょくいん", section=town_section
    )
    for code in ("T1", "T2", "L1"):
        gen_credential(sato, cat[code], issued_at=now - timedelta(days=200))
    gen_credential(
        sato, cat["C1"], issued_at=now - timedelta(days=1065), valid_until=now + timedelta(days=30)
    )
    gen_credential(suzuki, cat["T1"], issued_at=now - timedelta(days=20))
    gen_enrolment(suzuki, cat.paths["T2"], last_activity_at=now - timedelta(days=2))
    gen_enrolment(
        suzuki,
        cat.paths["T1"],
        status=EnrolmentStatus.COMPLETED,
        last_activity_at=now - timedelta(days=20),
    )
    for code in ("T3", "T4"):
        gen_credential(tanaka, cat[code], issued_at=now - timedelta(days=40))
    gen_credential(
        tanaka,
        cat["C2"],
        issued_at=now - timedelta(days=10),
        valid_until=now + timedelta(days=1000),
    )
    gen_credential(town_staff, cat["T1"], issued_at=now - timedelta(days=5))
    gen_designation(jinji, sato, started_at=now - timedelta(days=100))
    db.session.commit()
    return World(
        pref,
        town,
        cat,
        hr,
        town_hr,
        jinji,
        dx,
        empty,
        town_section,
        sato,
        suzuki,
        tanaka,
        yamada,
        town_staff,
    )
