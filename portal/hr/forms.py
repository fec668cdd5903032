from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

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


class LeaderForm(BaseForm):
    # The service checks that the person belongs to the section (choices are not trusted).
    person = SelectField(
        _l("デジタル推進リーダーに指名する職員"), validators=[DataRequired()], validate_choice=False
    )
    note = TextAreaField(
        _l("メモ（任意）"), validators=[Optional(), Length(max=500), no_control_characters]
    )


class LeaderEndForm(BaseForm):
    note = TextAreaField(
        _l("解除の理由（任意）"), validators=[Optional(), Length(max=500), no_control_characters]
    )


class UnitMergeForm(BaseForm):
    target_id = SelectField(_l("統合先"), coerce=_optional_int, validators=[DataRequired()])
    confirm = BooleanField(
        _l("統合すると元に戻せないことを理解しました"),
        validators=[DataRequired(message=_l("確認のチェックを入れてください。"))],
    )


class UnitMoveForm(BaseForm):
    department_id = SelectField(_l("移動先の部"), coerce=_optional_int, validators=[DataRequired()])


class AwardRuleForm(BaseForm):
    name = StringField(
        _l("ルールの名称"), validators=[DataRequired(), Length(max=200), no_control_characters]
    )
    kind = RadioField(
        _l("条件"),
        choices=[
            SelectChoice("level_in_year", _l("年度内にレベル認定を受けた")),
            SelectChoice("tiers_completed", _l("指定したティアのパスをすべて修了した")),
        ],
        validators=[DataRequired()],
    )
    level_code = SelectField(
        _l("レベル（年度内の認定）"),
        choices=[SelectChoice("", _l("（選択）")), SelectChoice("L1"), SelectChoice("L2")],
        validators=[Optional()],
    )
    tier_codes = SelectMultipleField(
        _l("ティア（すべて修了）"),
        choices=[SelectChoice(t) for t in ("T1", "T2", "T3", "T4")],
        validators=[Optional()],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )


class AwardRuleActiveForm(BaseForm):
    active = HiddenField(validators=[AnyOf(["0", "1"])])


class AwardGiveForm(BaseForm):
    awarded_on = DateField(_l("表彰日"), validators=[DataRequired()])
    note = StringField(
        _l("メモ（任意）"), validators=[Optional(), Length(max=500), no_control_characters]
    )


class AwardRecordForm(BaseForm):
    title = StringField(
        _l("表彰の名称"), validators=[DataRequired(), Length(max=200), no_control_characters]
    )
    awarded_on = DateField(_l("表彰日"), validators=[DataRequired()])
    note = StringField(
        _l("メモ（任意）"), validators=[Optional(), Length(max=500), no_control_characters]
    )


class SimpleForm(BaseForm):
    """A form with nothing but its CSRF token (one-button actions)."""
