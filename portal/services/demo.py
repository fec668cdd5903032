"""Demo data: units and one account per role, for `make demo` and screenshots."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from sqlalchemy import func, insert, select, text

from badges.keys import generate_key, public_jwk
from portal.exceptions import NotFound
from portal.models import (
    Course,
    CredentialStatus,
    Email,
    Enrolment,
    EnrolmentStatus,
    IssuedCredential,
    KeyStatus,
    LeaderDesignation,
    LearningPath,
    Organisation,
    OrgKind,
    PathStep,
    Person,
    Placement,
    PublicationStatus,
    Role,
    SigningKey,
    Unit,
    UnitKind,
)
from portal.models.base import DBSession, new_uuid, utcnow
from portal.services import accounts
from portal.services.catalogue import current_featured
from portal.services.curation import FeaturedInput, set_featured
from portal.services.hr_talent import load_achievement_index
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
    report.append(_demo_featured(session, now))
    return report


#: The demo's monthly featured course: the first step of the T1 path, for everyone.
FEATURED_PATH = "t1-everyday-literacy"
FEATURED_COMMENT_JA = (
    "今月のおすすめは、すべての職員向けの情報セキュリティの基本です。"
    "ラーニングパスT1の最初のステップでもあります。"
)
FEATURED_COMMENT_EN = (
    "This month: the basics of information security, for all staff. "
    "It is also the first step of learning path T1."
)


def _demo_featured(session: DBSession, now: datetime) -> str:
    """Pick this month's featured course (as the demo trainer) if none is set yet."""
    today = now.astimezone(ZoneInfo("Asia/Tokyo")).date()
    existing = current_featured(session, today)
    if existing is not None:
        return f"exists  featured course of {today:%Y-%m} ({existing.course.slug})"
    course_slug = session.scalar(
        select(Course.slug)
        .join(PathStep, PathStep.course_id == Course.id)
        .join(LearningPath, LearningPath.id == PathStep.path_id)
        .where(LearningPath.slug == FEATURED_PATH, Course.status == PublicationStatus.PUBLISHED)
        .order_by(PathStep.position)
        .limit(1)
    )
    trainer = accounts.find_person_by_email(session, "trainer@demo.hokkaido.example")
    if course_slug is None or trainer is None:
        return "skipped featured course (run `flask curricula sync` first)"
    set_featured(
        session,
        FeaturedInput(today, course_slug, FEATURED_COMMENT_JA, FEATURED_COMMENT_EN),
        actor=trainer,
        now=now,
    )
    return f"created featured course of {today:%Y-%m} ({course_slug})"


# The large generated dataset (`flask demo seed --large`) ---------------------------------

#: Marks every generated credential (never signed: `jws` is not a JWS) and the fake key.
LARGE_BATCH = "demo-large"
LARGE_STAFF = 14_000
LARGE_SECTIONS = 947
LARGE_STAFF_PREFIX = "DL"
#: Status-list indexes of generated credentials start here, far above any real one.
LARGE_STATUS_INDEX_BASE = 2_000_000_000

LARGE_DEPARTMENTS = (
    "総務部", "総合政策部", "環境生活部", "保健福祉部", "経済部", "農政部", "水産林務部",
    "建設部", "出納局", "危機対策局", "教育庁", "議会事務局", "人事委員会事務局",
    "監査委員事務局", "空知総合振興局", "石狩振興局", "後志総合振興局", "胆振総合振興局",
    "日高振興局", "渡島総合振興局", "檜山振興局", "上川総合振興局", "留萌振興局",
    "宗谷総合振興局", "オホーツク総合振興局", "十勝総合振興局", "釧路総合振興局", "根室振興局",
)  # fmt: skip
LARGE_SECTION_STEMS = (
    "総務", "企画", "調整", "広報", "情報政策", "地域振興", "環境政策", "保健福祉", "子ども政策",
    "農村振興", "畜産振興", "林務", "商工労働", "産業振興", "建設政策", "道路", "河川",
    "都市計画", "住宅", "会計", "税務", "防災", "国際", "文化振興", "スポーツ振興", "教育政策",
    "学校教育", "生涯学習", "施設", "管理", "事業", "計画", "推進", "地域創生", "交通政策",
    "食の安全", "医療政策", "地域保健", "環境保全",
)  # fmt: skip
FAMILY_NAMES = (
    ("佐藤", "さとう"), ("高橋", "たかはし"), ("佐々木", "ささき"), ("伊藤", "いとう"),
    ("鈴木", "すずき"), ("渡辺", "わたなべ"), ("田中", "たなか"), ("小林", "こばやし"),
    ("山本", "やまもと"), ("中村", "なかむら"), ("加藤", "かとう"), ("吉田", "よしだ"),
    ("斎藤", "さいとう"), ("山田", "やまだ"), ("工藤", "くどう"), ("阿部", "あべ"),
    ("菊地", "きくち"), ("松本", "まつもと"), ("木村", "きむら"), ("林", "はやし"),
    ("清水", "しみず"), ("山口", "やまぐち"), ("石川", "いしかわ"), ("三浦", "みうら"),
    ("藤田", "ふじた"), ("小松", "こまつ"), ("村上", "むらかみ"), ("千葉", "ちば"),
    ("成田", "なりた"), ("石田", "いしだ"), ("桜井", "さくらい"), ("大野", "おおの"),
)  # fmt: skip
GIVEN_NAMES = (
    ("花子", "はなこ"), ("太郎", "たろう"), ("陽菜", "ひな"), ("大輔", "だいすけ"),
    ("美咲", "みさき"), ("翔太", "しょうた"), ("由美", "ゆみ"), ("健一", "けんいち"),
    ("真由美", "まゆみ"), ("拓也", "たくや"), ("彩", "あや"), ("直樹", "なおき"),
    ("千尋", "ちひろ"), ("誠", "まこと"), ("恵", "めぐみ"), ("浩二", "こうじ"),
    ("沙織", "さおり"), ("亮", "りょう"), ("智子", "ともこ"), ("聡", "さとし"),
    ("さくら", "さくら"), ("雄大", "ゆうだい"), ("舞", "まい"), ("優斗", "ゆうと"),
)  # fmt: skip


def _large_catalogue(session: DBSession) -> dict[str, tuple[int, int | None]]:
    """code (T1..T4, L1, L2 paths; C1, C2 certifications) → (achievement id, path id).

    :raises NotFound: the catalogue lacks what the dataset needs (`flask curricula sync`).
    """
    index = load_achievement_index(session)
    paths = {
        r.achievement_id: r.id
        for r in session.execute(select(LearningPath.achievement_id, LearningPath.id))
    }
    found: dict[str, tuple[int, int | None]] = {}
    for achievement_id, tier in index.tier_of.items():
        if achievement_id in paths:
            found.setdefault(tier, (achievement_id, paths[achievement_id]))
    for achievement_id, level in index.path_level_of.items():
        if achievement_id in paths:
            found.setdefault(level, (achievement_id, paths[achievement_id]))
    for achievement_id, level in index.cert_level_of.items():
        found.setdefault("C" + level[1], (achievement_id, None))
    missing = [c for c in ("T1", "T2", "T3", "T4", "L1", "L2", "C1", "C2") if c not in found]
    if missing:
        raise NotFound("catalogue_missing", missing=missing)
    return found


def _demo_signing_key(session: DBSession, base_url: str) -> int:
    """A retired key row for the generated credentials; its private half is thrown away."""
    key_id = f"{LARGE_BATCH}-unsigned"
    existing = session.scalar(select(SigningKey.id).where(SigningKey.key_id == key_id))
    if existing is not None:
        return existing
    now = utcnow()
    # Built by hand: badges.keys.kid_url insists on https, and demo instances run on http.
    url = f"{base_url.rstrip('/')}/keys/{key_id}"
    key = SigningKey(
        key_id=key_id,
        kid_url=url,
        public_jwk=public_jwk(generate_key(), url),
        status=KeyStatus.RETIRED,
        created_at=now,
        retired_at=now,
    )
    session.add(key)
    session.flush()
    return key.id


MUNICIPAL_DEPARTMENTS = (
    "総務部",
    "企画部",
    "住民部",
    "保健福祉部",
    "産業部",
    "建設部",
    "教育委員会",
)
#: (sections, staff) ranges per municipality type: a small generated office each.
MUNICIPAL_SIZES = {
    "city": ((8, 18), (40, 150)),
    "town": ((3, 7), (10, 40)),
    "village": ((2, 4), (6, 18)),
}


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` by `weights` exactly (largest remainders); everyone gets one first
    when there is enough to go round."""
    base = 1 if total >= len(weights) else 0
    rest = total - base * len(weights)
    shares = [rest * w / sum(weights) for w in weights]
    counts = [base + int(x) for x in shares]
    by_remainder = sorted(
        range(len(weights)), key=lambda i: shares[i] - int(shares[i]), reverse=True
    )
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


class _LargeGenerator:
    """Generates one organisation's units, staff, learning, credentials and leaders."""

    def __init__(self, session: DBSession, *, base_url: str, seed: int) -> None:
        self.session = session
        self.rng = random.Random(seed)
        self.now = utcnow()
        self.catalogue = _large_catalogue(session)
        self.key_id = _demo_signing_key(session, base_url)
        self.issued = 0
        self.totals = {"staff": 0, "sections": 0, "enrolments": 0, "credentials": 0, "leaders": 0}

    def sections(self, org: Organisation, departments: list[Unit], count: int) -> list[int]:
        session, rng = self.session, self.rng
        taken = {
            (r.parent_id, r.name)
            for r in session.execute(
                select(Unit.parent_id, Unit.name).where(Unit.organisation_id == org.id)
            )
        }
        base = (
            session.scalar(select(func.max(Unit.position)).where(Unit.organisation_id == org.id))
            or 0
        ) + 1
        per_dept = _apportion(count, [rng.uniform(0.5, 2.0) for _ in departments])
        rows: list[dict[str, Any]] = []
        for dept, n in zip(departments, per_dept, strict=True):
            if not n:
                continue
            stems = list(LARGE_SECTION_STEMS)
            rng.shuffle(stems)
            names: list[str] = []
            round_no = 1
            while len(names) < n:
                for stem in stems:
                    name = f"{stem}課" if round_no == 1 else f"{stem}第{round_no}課"
                    if (dept.id, name) not in taken and len(names) < n:
                        names.append(name)
                round_no += 1
            rows += [
                {
                    "organisation_id": org.id,
                    "parent_id": dept.id,
                    "kind": UnitKind.SECTION,
                    "name": name,
                    "position": base + len(rows) + i,
                    "is_active": True,
                    "created_at": self.now - timedelta(days=800),
                }
                for i, name in enumerate(names)
            ]
        session.execute(insert(Unit), rows)
        self.totals["sections"] += len(rows)
        return list(
            session.scalars(
                select(Unit.id)
                .where(Unit.organisation_id == org.id, Unit.position >= base)
                .order_by(Unit.position)
            )
        )

    def people(self, org: Organisation, section_ids: list[int], staff: int) -> dict[int, int]:
        """Create `staff` people spread unevenly over the sections; person id → section id."""
        session, rng, now = self.session, self.rng, self.now
        sizes = [rng.uniform(0.4, 2.2) for _ in section_ids]
        scale = staff / sum(sizes)
        assignment: list[int] = []
        for sid, size in zip(section_ids, sizes, strict=True):
            assignment += [sid] * max(1, round(size * scale))
        rng.shuffle(assignment)
        assignment = (assignment + section_ids * (staff // len(section_ids) + 1))[:staff]
        rows: list[dict[str, Any]] = []
        for n, sid in enumerate(assignment, start=1):
            family, family_kana = rng.choice(FAMILY_NAMES)
            given, given_kana = rng.choice(GIVEN_NAMES)
            kana = f"{family_kana} {given_kana}"
            if n % 7 == 0:  # some readings in katakana, as HR files often have them
                kana = kana.translate({c: c + 0x60 for c in range(0x3041, 0x3097)})
            rows.append(
                {
                    "uuid": new_uuid(),
                    "organisation_id": org.id,
                    "section_id": sid,
                    "staff_number": f"{LARGE_STAFF_PREFIX}{n:05d}",
                    "name": f"{family} {given}",
                    "name_kana": kana,
                    "is_active_account": True,
                    "last_login_at": now - timedelta(days=rng.randint(0, 200))
                    if rng.random() < 0.7
                    else None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        session.execute(insert(Person), rows)
        ids = {
            r.staff_number: r.id
            for r in session.execute(
                select(Person.staff_number, Person.id).where(
                    Person.organisation_id == org.id,
                    Person.staff_number.like(f"{LARGE_STAFF_PREFIX}%"),
                )
            )
        }
        session.execute(
            insert(Email),
            [
                {
                    "person_id": ids[r["staff_number"]],
                    "address": f"{r['staff_number'].lower()}.{org.slug}@demo-large.example",
                    "is_primary": True,
                    "verified_at": now,
                    "created_at": now,
                }
                for r in rows
            ],
        )
        session.execute(
            insert(Placement),
            [
                {
                    "person_id": ids[r["staff_number"]],
                    "organisation_id": org.id,
                    "section_id": r["section_id"],
                    "staff_number": r["staff_number"],
                    "started_at": now - timedelta(days=rng.randint(30, 1500)),
                }
                for r in rows
            ],
        )
        self.totals["staff"] += len(rows)
        return {ids[r["staff_number"]]: r["section_id"] for r in rows}

    def learning(self, org: Organisation, people: dict[int, int]) -> set[int]:
        """Enrolments and generated credentials; returns the Level 1 path badge holders."""
        rng, now = self.rng, self.now
        credentials: list[dict[str, Any]] = []
        enrolments: list[dict[str, Any]] = []
        holders: dict[str, set[int]] = {code: set() for code in self.catalogue}

        def when(max_days: int) -> datetime:
            # Recent months are busier: the programme is growing.
            return now - timedelta(
                days=max_days * rng.random() ** 1.25, minutes=rng.randint(0, 1440)
            )

        def issue(person_id: int, code: str, at: datetime, valid_years: int | None = None) -> None:
            credentials.append(
                {
                    "uuid": new_uuid(),
                    "person_id": person_id,
                    "achievement_id": self.catalogue[code][0],
                    "issuer_org_id": org.id,
                    "signing_key_id": self.key_id,
                    "status_list_index": LARGE_STATUS_INDEX_BASE + self.issued,
                    "jws": f"{LARGE_BATCH}:unsigned",
                    "credential": {"generated": LARGE_BATCH, "note": "demo data, not a credential"},
                    "status": CredentialStatus.ACTIVE,
                    "issued_at": at,
                    "valid_until": at + timedelta(days=365 * valid_years) if valid_years else None,
                    "batch_key": LARGE_BATCH,
                }
            )
            self.issued += 1
            holders[code].add(person_id)

        def enrol(person_id: int, code: str, at: datetime, completed: bool) -> None:
            enrolments.append(
                {
                    "person_id": person_id,
                    "path_id": self.catalogue[code][1],
                    "status": EnrolmentStatus.COMPLETED if completed else EnrolmentStatus.ACTIVE,
                    "enrolled_at": at - timedelta(days=rng.randint(7, 60)),
                    "completed_at": at if completed else None,
                    "last_activity_at": at,
                }
            )

        chain = (("T1", 0.62), ("T2", 0.55), ("T3", 0.33), ("T4", 0.4))
        for person_id in people:
            reached = True
            for code, chance in chain:
                if reached and rng.random() < chance:
                    at = when(540)
                    enrol(person_id, code, at, completed=True)
                    issue(person_id, code, at)
                elif reached:
                    reached = False
                    if rng.random() < 0.3:
                        enrol(person_id, code, when(90), completed=False)
            if person_id in holders["T1"] and person_id in holders["T2"]:
                if rng.random() < 0.32:
                    # The Level 1 programme is older: some certifications are due for renewal.
                    at = when(1150)
                    enrol(person_id, "L1", at, completed=True)
                    issue(person_id, "L1", at)
                    if rng.random() < 0.65:
                        issue(person_id, "C1", at + timedelta(days=rng.randint(5, 40)), 3)
                elif rng.random() < 0.15:
                    enrol(person_id, "L1", when(60), completed=False)
            if person_id in holders["T3"] and person_id in holders["T4"] and rng.random() < 0.45:
                at = when(500)
                enrol(person_id, "L2", at, completed=True)
                issue(person_id, "L2", at)
                if rng.random() < 0.5:
                    issue(person_id, "C2", at + timedelta(days=rng.randint(5, 40)), 3)
        if enrolments:
            self.session.execute(insert(Enrolment), enrolments)
        if credentials:
            self.session.execute(insert(IssuedCredential), credentials)
        self.totals["enrolments"] += len(enrolments)
        self.totals["credentials"] += len(credentials)
        return holders["L1"]

    def leaders(self, people: dict[int, int], l1_holders: set[int]) -> None:
        """Most sections get a leader over the past 15 months; some replaced one before."""
        rng, now = self.rng, self.now
        by_section: dict[int, list[int]] = {}
        for person_id, section_id in people.items():
            by_section.setdefault(section_id, []).append(person_id)
        rows = []
        for sid, members in by_section.items():
            if rng.random() > 0.74:
                continue
            preferred = [m for m in members if m in l1_holders] or members
            start = now - timedelta(days=int(450 * rng.random() ** 0.8) + 1)
            if rng.random() < 0.12 and len(members) > 1:
                rows.append(
                    {
                        "section_id": sid,
                        "person_id": rng.choice(members),
                        "started_at": start - timedelta(days=rng.randint(60, 300)),
                        "ended_at": start,
                        "note": "生成データ（前任）",
                    }
                )
            rows.append(
                {
                    "section_id": sid,
                    "person_id": rng.choice(preferred),
                    "started_at": start,
                    "ended_at": None,
                    "note": None,
                }
            )
        if rows:
            self.session.execute(insert(LeaderDesignation), rows)
        self.totals["leaders"] += len(rows)

    def organisation(
        self, org: Organisation, departments: tuple[str, ...], *, sections: int, staff: int
    ) -> None:
        units = [ensure_unit(self.session, org.id, name)[0] for name in departments]
        section_ids = self.sections(org, units, sections)
        people = self.people(org, section_ids, staff)
        self.leaders(people, self.learning(org, people))


def seed_large(
    session: DBSession,
    *,
    base_url: str,
    staff: int = LARGE_STAFF,
    sections: int = LARGE_SECTIONS,
    municipalities: bool = True,
    seed: int = 20261122,
) -> list[str]:
    """Add a generated dataset: `staff` people in `sections` new sections of 北海道 and a
    small office in every municipality (idempotent; demo only).

    With completed and active enrolments, path badges and level certifications (generated
    rows, batch_key ``demo-large``, never signed, under a retired key whose private half
    was thrown away) and leader designations with some history, so that the roster,
    coverage, charts and the admin overview have something to show. Bulk inserts only.

    :raises NotFound: the catalogue has not been synced.
    """
    started = time.monotonic()
    prefecture = get_organisation(session, "hokkaido")
    if session.scalar(
        select(Person.id).where(
            Person.organisation_id == prefecture.id,
            Person.staff_number == f"{LARGE_STAFF_PREFIX}{1:05d}",
        )
    ):
        return [f"exists  large dataset in {prefecture.name_ja}"]
    generator = _LargeGenerator(session, base_url=base_url, seed=seed)
    generator.organisation(prefecture, LARGE_DEPARTMENTS, sections=sections, staff=staff)
    if municipalities:
        rng = generator.rng
        for org in session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrgKind.MUNICIPALITY)
            .order_by(Organisation.position)
        ):
            (s_lo, s_hi), (p_lo, p_hi) = MUNICIPAL_SIZES.get(
                org.municipality_type or "town", MUNICIPAL_SIZES["town"]
            )
            n_sections = rng.randint(s_lo, s_hi)
            generator.organisation(
                org,
                MUNICIPAL_DEPARTMENTS[: max(1, min(len(MUNICIPAL_DEPARTMENTS), n_sections // 2))],
                sections=n_sections,
                staff=max(n_sections, rng.randint(p_lo, p_hi)),
            )
    session.flush()
    t = generator.totals
    return [
        f"created large dataset: {t['staff']} staff in {t['sections']} sections "
        f"({staff} staff in {sections} sections in {prefecture.name_ja}), {t['enrolments']} "
        f"enrolments, {t['credentials']} generated credentials (batch_key {LARGE_BATCH}, "
        f"unsigned), {t['leaders']} leader designations in {time.monotonic() - started:.1f}s"
    ]


def analyse_tables(session: DBSession) -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load (no-op elsewhere).

    Without it the planner still believes the tables are nearly empty and picks nested
    loops that turn a 5 ms query into a 100 ms one until autovacuum catches up.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in (
        "units",
        "people",
        "emails",
        "placements",
        "enrolments",
        "issued_credentials",
        "leader_designations",
    ):
        session.execute(text(f"ANALYZE {table}"))
