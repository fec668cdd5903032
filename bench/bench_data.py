"""What the benchmarks start from: the operating organisation and the T1 path badge."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def libpq_url(url: str) -> str:
    """A database URL as psycopg.connect wants it (SQLAlchemy's postgresql+psycopg:// too)."""
    return re.sub(r"^postgres(?:ql)?\+\w+://", "postgresql://", url)


def add_operator_and_badge(session: Any) -> tuple[Any, Any]:
    """北海道 and the ``badge-t1`` achievement (with its real SVG image), flushed."""
    from portal.models import Achievement, Organisation, OrgKind

    pref = Organisation(
        kind=OrgKind.PREFECTURE,
        lgcode="010006",
        slug="hokkaido",
        name_ja="北海道",
        name_kana="ほっかいどう",
        name_en="Hokkaido",
    )
    badge = Achievement(
        slug="badge-t1",
        achievement_type="LearningProgram",
        issuance="path-completion",
        name_ja="ラーニングパスT1修了：生活レベルでのデジタルリテラシー",
        name_en="Learning path T1 completed",
        description_ja="ラーニングパスT1を修了したことを示すバッジ。" * 3,
        criteria_ja="すべての必須ステップを修了すること。" * 3,
        image_filename="t1.svg",
        image_svg=(ROOT / "curricula" / "data" / "images" / "t1.svg").read_text("utf-8"),
        image_alt="T1",
        alignments=["tier:T1"],
    )
    session.add_all([pref, badge])
    session.flush()
    return pref, badge
