from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms import BaseForm
from portal.hr.forms import STAFF_NUMBER, _optional_int


class AdminRolesForm(BaseForm):
    is_trainer = BooleanField(_l("研修担当"))
    is_editor = BooleanField(_l("編集者（カタログ承認）"))
    is_hr = BooleanField(_l("人事担当"))
    is_admin = BooleanField(_l("ポータル管理者"))


class TransferForm(BaseForm):
    organisation_id = SelectField(_l("異動先の組織"), coerce=int, validators=[DataRequired()])
    staff_number = StringField(
        _l("異動先での職員番号"),
        validators=[Optional(), Length(max=40), STAFF_NUMBER],
        description=_l("空欄なら現在の番号のまま"),
    )
    section_id = SelectField(
        _l("異動先の課"),
        coerce=_optional_int,
        validators=[Optional()],
        description=_l("課は異動後に異動先の人事担当が設定できます"),
    )
