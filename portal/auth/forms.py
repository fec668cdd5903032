from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.forms import BaseForm


class LoginForm(BaseForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("パスワード"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("ログイン状態を保持する"))


class PasswordForgotForm(BaseForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(), Length(max=254)])


class PasswordResetForm(BaseForm):
    password = PasswordField(
        _l("新しいパスワード"),
        validators=[DataRequired(), Length(min=10, max=256)],
        description=_l("10文字以上。推測されにくい文を使ってください。"),
    )
    confirm = PasswordField(
        _l("新しいパスワード（確認）"),
        validators=[DataRequired(), EqualTo("password", message=_l("パスワードが一致しません。"))],
    )


class PasswordChangeForm(PasswordResetForm):
    current = PasswordField(_l("現在のパスワード"), validators=[DataRequired(), Length(max=256)])
