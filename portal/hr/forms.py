from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.forms import BaseForm
from portal.forms.base import no_control_characters

STAFF_NUMBER = Regexp(
    r"^[0-9A-Za-z\-_]{1,40}$",
    message=_l("職員番号は半角英数字・ハイフン・下線で入力してください。"),
)


def _optional_int(value: object) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(str(value))


class PersonCreateForm(BaseForm):
    staff_number = StringField(
        _l("職員番号"), validators=[DataRequired(), Length(max=40), STAFF_NUMBER]
    )
    name = StringField(
        _l("氏名"), validators=[DataRequired(), Length(max=120), no_control_characters]
    )
    name_kana = StringField(
        _l("ふりがな"), validators=[Optional(), Length(max=160), no_control_characters]
    )
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(), Length(max=254)])
    section_id = SelectField(_l("所属（課）"), coerce=_optional_int, validators=[Optional()])
    is_trainer = BooleanField(_l("研修担当"))
    is_hr = BooleanField(_l("人事担当"))
    send_invitation = BooleanField(_l("パスワード設定の案内メールを送る"), default=True)


class StaffImportForm(BaseForm):
    file = FileField(
        _l("CSVファイル"),
        validators=[FileRequired(message=_l("ファイルを選択してください。"))],
        description=_l(
            "UTF-8（BOM付き可）または Shift_JIS。1行目は見出し: 職員番号, 氏名, ふりがな, メールアドレス, 部, 課, 役割"
        ),
    )


class UnitCreateForm(BaseForm):
    name = StringField(
        _l("名称"), validators=[DataRequired(), Length(max=120), no_control_characters]
    )
    parent_id = SelectField(_l("種類・上位の部"), coerce=_optional_int, validators=[Optional()])


class UnitRenameForm(BaseForm):
    name = StringField(
        _l("新しい名称"), validators=[DataRequired(), Length(max=120), no_control_characters]
    )


class PersonSectionForm(BaseForm):
    section_id = SelectField(_l("所属（課）"), coerce=_optional_int, validators=[Optional()])


class PersonRolesForm(BaseForm):
    is_trainer = BooleanField(_l("研修担当"))
    is_hr = BooleanField(_l("人事担当"))
