"""What HR reads from the catalogue: which badges mean which tier or level, and shared helpers.

Tiers reached come from active path badges whose achievement aligns to ``tier:Tn`` (or
whose path has that tier code); Level 1/2 certifications are active ``hr-approval``
achievements aligned to ``level:Ln``; the "L1 path badge" (what makes a leader
candidate) is the path-completion achievement of the Level 1 path. The catalogue holds a
handful of achievements, so it is read once per request and the SQL filters on ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, Select, case, func, literal_column, select
from sqlalchemy.orm import Session

from curricula import normalise_search_text
from portal.models import Achievement, LearningPath
from portal.models.base import DBSession

#: Any SELECT (SQLAlchemy 2.1 types Select by its column types).
AnySelect: TypeAlias = Select[*tuple[Any, ...]]

TIERS = ("T1", "T2", "T3", "T4")
LEVELS = ("L1", "L2")
#: Certifications expiring within this many days are flagged.
EXPIRY_WINDOW_DAYS = 90

PATH_COMPLETION = "path-completion"
HR_APPROVAL = "hr-approval"


@dataclass(frozen=True)
class AchievementIndex:
    """Achievement ids by meaning. Built by `load_achievement_index`."""

    names: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: path badge achievement id → T1..T4
    tier_of: dict[int, str] = field(default_factory=dict)
    #: path badge achievement id → L1/L2 (the level paths' badges)
    path_level_of: dict[int, str] = field(default_factory=dict)
    #: hr-approval achievement id → L1/L2
    cert_level_of: dict[int, str] = field(default_factory=dict)

    def tier_ids(self, tier: str | None = None) -> list[int]:
        return sorted(a for a, t in self.tier_of.items() if tier is None or t == tier)

    def cert_ids(self, level: str | None = None) -> list[int]:
        return sorted(a for a, lv in self.cert_level_of.items() if level is None or lv == level)

    def path_level_ids(self, level: str) -> list[int]:
        return sorted(a for a, lv in self.path_level_of.items() if lv == level)

    @property
    def badge_ids(self) -> list[int]:
        """Every achievement the roster shows (tiers, level paths and certifications)."""
        return sorted({*self.tier_of, *self.path_level_of, *self.cert_level_of})

    def tier_rank(self) -> dict[int, int]:
        """achievement id → 1..4, for "highest tier reached"."""
        return {a: TIERS.index(t) + 1 for a, t in self.tier_of.items()}

    def name(self, achievement_id: int, lang: str = "ja") -> str:
        ja, en = self.names.get(achievement_id, ("", ""))
        return en if lang == "en" and en else ja


def _codes(alignments: Iterable[Any], prefix: str, allowed: tuple[str, ...]) -> list[str]:
    out = []
    for ref in alignments or ():
        if isinstance(ref, str) and ref.startswith(prefix):
            code = ref[len(prefix) :].upper()
            if code in allowed:
                out.append(code)
    return out


def load_achievement_index(session: DBSession) -> AchievementIndex:
    """Classify the catalogue's achievements (two small queries)."""
    achievements = session.execute(
        select(
            Achievement.id,
            Achievement.name_ja,
            Achievement.name_en,
            Achievement.issuance,
            Achievement.alignments,
        )
    ).all()
    paths = session.execute(
        select(LearningPath.achievement_id, LearningPath.tier_code, LearningPath.level_code)
    ).all()
    path_tier = {p.achievement_id: (p.tier_code or "").upper() for p in paths if p.tier_code}
    path_level = {p.achievement_id: (p.level_code or "").upper() for p in paths if p.level_code}
    index = AchievementIndex()
    for a in achievements:
        index.names[a.id] = (a.name_ja, a.name_en)
        if a.issuance == HR_APPROVAL:
            levels = _codes(a.alignments, "level:", LEVELS)
            if levels:
                index.cert_level_of[a.id] = max(levels)
            continue
        if a.issuance != PATH_COMPLETION:
            continue
        tiers = _codes(a.alignments, "tier:", TIERS)
        tier = path_tier.get(a.id) or (max(tiers) if tiers else None)
        levels = _codes(a.alignments, "level:", LEVELS)
        level = path_level.get(a.id) or (max(levels) if levels else None)
        if level in LEVELS:
            index.path_level_of[a.id] = level
        elif tier in TIERS:
            index.tier_of[a.id] = tier
    return index


# Dates -------------------------------------------------------------------------------


def fiscal_year_of(day: date) -> int:
    """The Japanese fiscal year (年度, April–March) that `day` falls in."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(year: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of fiscal year `year` as aware datetimes in `tz`."""
    return (
        datetime.combine(date(year, 4, 1), time(), tzinfo=tz),
        datetime.combine(date(year + 1, 4, 1), time(), tzinfo=tz),
    )


def expiry_state(valid_until: datetime | None, now: datetime) -> str:
    """'ok', 'expiring' (within EXPIRY_WINDOW_DAYS) or 'expired'."""
    if valid_until is None:
        return "ok"
    if valid_until < now:
        return "expired"
    if valid_until < now + timedelta(days=EXPIRY_WINDOW_DAYS):
        return "expiring"
    return "ok"


def month_starts(now: datetime, months: int, tz: tzinfo) -> list[date]:
    """The first days of the last `months` months, oldest first, ending with now's month."""
    local = now.astimezone(tz).date().replace(day=1)
    out = []
    y, m = local.year, local.month
    for _ in range(months):
        out.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def month_key(column: Any, dialect: str, tz: tzinfo, now: datetime) -> ColumnElement[str]:
    """SQL for 'YYYY-MM' of a UTC timestamp column, in the display time zone."""
    if dialect == "postgresql":
        zone = getattr(tz, "key", None) or "UTC"
        return func.to_char(func.timezone(zone, column), "YYYY-MM")
    # SQLite stores naive UTC; Japan has no daylight saving, so a fixed offset is exact.
    offset = now.astimezone(tz).utcoffset() or timedelta()
    minutes = int(offset.total_seconds() // 60)
    return func.strftime("%Y-%m", column, f"{minutes:+d} minutes")


# Japanese search ---------------------------------------------------------------------

SQLITE_FOLD = "portal_fold"
_HIRA_TO_KATA = {c: c + 0x60 for c in range(0x3041, 0x3097)} | {0x309D: 0x30FD, 0x309E: 0x30FE}


def fold_query(text: str) -> list[str]:
    """Search terms: NFKC, katakana → hiragana, case-folded, split on spaces (at most 5)."""
    return [t for t in normalise_search_text(text).split(" ") if t][:5]


def _fold_sqlite(value: str | None) -> str:
    return normalise_search_text(value or "").replace(" ", "")


def folded_text(dialect: str, *columns: Any) -> ColumnElement[str]:
    """The columns joined by '|' and folded for search, in SQL.

    SQLite: folded like the query by a registered Python function (see `prepare_search`).
    PostgreSQL: NFKC-normalised, lower-cased and without spaces, but katakana stay
    katakana (folding them with translate() and 90 characters would cost more than the
    rest of the page): `text_matches` looks for the term in both scripts instead.
    """
    joined = columns[0]
    for column in columns[1:]:
        joined = joined + "|" + column
    if dialect != "postgresql":
        return getattr(func, SQLITE_FOLD)(joined)
    # Most names are already NFKC; checking is much cheaper than normalising.
    normal = case(
        (func.is_normalized(joined, "NFKC"), joined),
        else_=func.normalize(joined, literal_column("NFKC")),
    )
    return func.replace(func.lower(normal), " ", "")


def text_matches(text: Any, term: str, dialect: str) -> ColumnElement[bool]:
    """`text` (from `folded_text`) contains the folded `term`."""
    match = text.contains(term, autoescape=True)
    katakana = term.translate(_HIRA_TO_KATA)
    if dialect != "postgresql" or katakana == term:
        return match
    return match | text.contains(katakana, autoescape=True)


def prepare_search(session: DBSession) -> str:
    """Make `folded_text` work on this session's connection; return the dialect name.

    SQLite has no NFKC or katakana folding, so the same Python function used for the
    query is registered on the connection (no SQL statement is sent).
    """
    bind = session.get_bind()
    dialect = bind.dialect.name
    if dialect == "sqlite":
        raw = session.connection().connection.driver_connection
        raw.create_function(SQLITE_FOLD, 1, _fold_sqlite, deterministic=True)  # type: ignore[union-attr]
    return dialect


def dialect_of(session: DBSession | Session) -> str:
    return session.get_bind().dialect.name
