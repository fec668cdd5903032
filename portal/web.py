"""Small helpers shared by the views (the web edge)."""

from __future__ import annotations

from argon2 import PasswordHasher
from flask import current_app, flash
from flask_babel import gettext as _

from portal.exceptions import PortalError
from portal.services.accounts import Transfer, make_hasher


def hasher() -> PasswordHasher:
    """The app's password hasher (cost from config), built once per app."""
    cached = current_app.extensions.get("password_hasher")
    if cached is None:
        cached = make_hasher(
            current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"]
        )
        current_app.extensions["password_hasher"] = cached
    return cached


def password_error_message(exc: PortalError) -> str:
    return {
        "password_too_short": _(
            "パスワードは%(n)d文字以上にしてください。", n=exc.params.get("min_length", 10)
        ),
        "password_too_long": _("パスワードが長すぎます。"),
        "password_too_simple": _("同じ文字の繰り返しなど、単純すぎるパスワードは使えません。"),
    }.get(exc.code, _("パスワードを設定できませんでした。"))


def error_message(exc: PortalError) -> str:
    """Words for a service error code, in the user's language."""
    p = exc.params
    messages = {
        "staff_number_taken": _(
            "職員番号 %(n)s はすでに使われています。", n=p.get("staff_number", "")
        ),
        "email_taken": _("メールアドレス %(e)s はすでに登録されています。", e=p.get("email", "")),
        "section_not_in_organisation": _("選択した課はこの組織にありません。"),
        "unit_name_taken": _("同じ名前の部署がすでにあります: %(n)s", n=p.get("name", "")),
        "unit_name_required": _("名称を入力してください。"),
        "unit_name_too_long": _("名称は120文字以内にしてください。"),
        "parent_not_department": _("上位の部を選択してください。"),
        "not_found": _("見つかりません。"),
        "permission_denied": _("この操作を行う権限がありません。"),
    }
    if exc.code.startswith("password_"):
        return password_error_message(exc)
    return messages.get(exc.code, _("処理できませんでした（%(code)s）。", code=exc.code))


def flash_transfer(moved: Transfer, done: str) -> None:
    """`done` (the move is recorded), and a warning when it ended a leader designation."""
    flash(done, "success")
    if moved.designations_ended:
        flash(
            _(
                "デジタル推進リーダーの指定を終了しました（元の課を離れたため）。"
                "元の課の新しいリーダーを指定してください。"
            ),
            "warning",
        )
