"""Words for the learning services' error codes and notices (in the reader's language)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from portal.exceptions import PortalError
from portal.models import Notification
from portal.services import notifications


def entry_error(code: str, params: dict[str, Any]) -> str:
    """A field error of `learning.check_entry` / `evidence.inspect_upload`."""
    messages = {
        "date_required": _("修了日を入力してください。"),
        "date_future": _("修了日に未来の日付は入力できません。今日以前の日付を入力してください。"),
        "date_too_old": _(
            "修了日が古すぎます。%(years)s年以内の日付を入力してください。",
            years=params.get("max_age_years", 10),
        ),
        "url_invalid": _(
            "URLは http:// または https:// で始まる形で入力してください（1000文字まで）。"
        ),
        "evidence_required": _(
            "この講座は修了証を発行します。修了証のURLを入力するか、ファイルを添付してください。"
        ),
        "reflection_too_short": _(
            "振り返りは、空白を除いて%(n)s文字以上で書いてください。",
            n=params.get("min_reflection_chars", 0),
        ),
        "reflection_too_long": _(
            "振り返りは%(n)s文字以内にしてください。", n=params.get("max_reflection_chars", 0)
        ),
        "deliverable_required": _("提出物の本文を入力するか、ファイルを添付してください。"),
        "deliverable_too_long": _(
            "提出物の本文は%(n)s文字以内にしてください。長い場合はファイルで添付してください。",
            n=params.get("max_deliverable_chars", 0),
        ),
        "attestation_required": _("内容を確認し、チェックを入れてください。"),
        "file_empty": _("ファイルが空です。"),
        "file_too_large": _(
            "ファイルが大きすぎます。%(n)sMB以下のファイルを選んでください。",
            n=params.get("max_mb", 5),
        ),
        "file_type": _(
            "PDF・PNG・JPEG以外のファイルは添付できません（ファイルの中身で確認しています）。"
        ),
        "file_corrupt": _(
            "ファイルが壊れているか、正しく読み取れません。別のファイルを選んでください。"
        ),
        "image_too_large": _("画像の縦横のサイズが大きすぎます。縮小してから添付してください。"),
    }
    return messages.get(code, _("入力内容を確認してください。"))


def learning_error(exc: PortalError) -> str:
    """Words for a Conflict / ValidationFailed code raised by the learning services."""
    p = exc.params
    messages = {
        "prerequisites_missing": _("このパスを始めるには、先に前提となるパスを修了してください。"),
        "not_enrolled": _("このパスの受講を取りやめています。もう一度登録すると記録できます。"),
        "path_completed": _("このパスは修了済みのため、記録は変更できません。"),
        "record_locked": _("承認済みの記録は変更できません。"),
        "record_changed": _(
            "この記録は別の画面（別のタブなど）で更新されています。最新の内容を確認してから、もう一度保存してください。"
        ),
        "no_change": _("前回の提出と同じ内容です。修正してから再提出してください。"),
        "already_completed": _("修了済みのパスは取りやめできません。"),
        "completion_failed": _(
            "パスの修了処理（バッジの発行）に失敗しました。記録は保存されています。しばらくしてから、パスのページで「修了を確定する」を押してください。"
        ),
        "not_awaiting_review": _(
            "この提出はすでに確認済みです（別の研修担当が判定した可能性があります）。"
        ),
        "stale_version": _(
            "確認している間に、受講者が提出内容を更新しました（第%(v)s版）。最新の内容を確認してください。",
            v=p.get("current_version", ""),
        ),
        "learner_withdrew": _("受講者がこのパスの受講を取りやめたため、判定できません。"),
        "own_submission": _("自分の提出物は確認できません。別の研修担当に依頼してください。"),
    }
    return messages.get(exc.code, _("処理できませんでした（%(code)s）。", code=exc.code))


def review_error(code: str, params: dict[str, Any]) -> str:
    messages = {
        "level_required": _("評価を選んでください。"),
        "revise_needs_comment": _(
            "「要修正」の項目には、何をどう直すかをコメントで書いてください。"
        ),
        "approve_with_revise": _(
            "「要修正」の項目があるときは承認できません。評価を見直すか「修正を依頼」を選んでください。"
        ),
        "comment_too_long": _(
            "コメントは%(n)s文字以内にしてください。", n=params.get("max_chars", 0)
        ),
        "changes_need_comment": _(
            "修正を依頼するときは、全体コメントか「要修正」の項目で理由を書いてください。"
        ),
    }
    return messages.get(code, _("入力内容を確認してください。"))


def _localised(params: dict[str, Any], key: str) -> str:
    locale = get_locale()
    if locale is not None and locale.language == "en" and params.get(f"{key}_en"):
        return str(params[f"{key}_en"])
    return str(params.get(f"{key}_ja") or params.get(key) or "")


def notice_text(notice: Notification) -> str:
    p = notice.params or {}
    path = _localised(p, "path_name")
    step = _localised({"s_ja": p.get("step_title"), "s_en": p.get("step_title_en")}, "s")
    if notice.kind == notifications.REVIEW_APPROVED:
        return _("「%(step)s」が承認されました（%(path)s）。", step=step, path=path)
    if notice.kind == notifications.REVIEW_CHANGES_REQUESTED:
        return _(
            "「%(step)s」について、研修担当から修正の依頼があります（%(path)s）。",
            step=step,
            path=path,
        )
    if notice.kind == notifications.PATH_COMPLETED:
        return _("「%(path)s」を修了しました。おめでとうございます。", path=path)
    return _("お知らせがあります。")


def notice_url(notice: Notification) -> str | None:
    p = notice.params or {}
    slug = p.get("path_slug")
    if not slug:
        return None
    if p.get("step_id"):
        return url_for("learner.step", slug=slug, step_id=int(p["step_id"]))
    return url_for("learner.path", slug=slug)
