"""Forms of the trainers' catalogue pages. Shape only: the rules live in services.curation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import BaseForm

CHOICE_MESSAGE = _l("一覧から選んでください。")


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    """A group of checkboxes (rendered by forms.field as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OptionalSelectField(SelectField):  # type: ignore[misc]
    """A select whose empty choice ("" or not sent at all) means "none"."""

    def pre_validate(self, form: object) -> None:
        if getattr(self, "data", None) in (None, ""):
            self.data = ""
            return
        super().pre_validate(form)


REQUIRED = DataRequired(message=_l("入力してください。"))


class CourseForm(BaseForm):
    """Add or edit a course (the proposal goes to an editor for review)."""

    title = StringField(_l("講座名"), validators=[REQUIRED])
    provider = StringField(_l("提供者"), validators=[REQUIRED])
    url = StringField(
        _l("URL"),
        validators=[REQUIRED],
        description=_l("講座のページのURL（http:// または https:// で始まるもの）"),
    )
    url_checked = BooleanField(
        _l("このURLを開いて、講座が無料で公開されていることを確認した"),
    )
    description = TextAreaField(
        _l("説明"),
        validators=[REQUIRED],
        description=_l("受講者向けの短い説明（日本語、1000文字以内）。改行は空白になります。"),
    )
    caution = TextAreaField(
        _l("受講前の注意（任意）"),
        validators=[Optional()],
        description=_l("有料の部分や開講期間など、受講者に伝えること（日本語）。"),
    )
    language = SelectField(_l("言語"), invalid_choice_message=CHOICE_MESSAGE, validators=[REQUIRED])
    format = SelectField(_l("形式"), invalid_choice_message=CHOICE_MESSAGE, validators=[REQUIRED])
    certificate = SelectField(
        _l("修了証"),
        invalid_choice_message=CHOICE_MESSAGE,
        validators=[REQUIRED],
        default="unknown",
    )
    hours_min = StringField(
        _l("学習時間の目安（下限・時間）"),
        validators=[REQUIRED],
        description=_l("例: 1.5（半角数字、0より大きく500以下）"),
    )
    hours_max = StringField(_l("学習時間の目安（上限・時間）"), validators=[REQUIRED])
    hours_text = StringField(
        _l("学習時間の補足（任意）"), validators=[Optional()], description=_l("例: 全4週・各3時間")
    )
    tiers = MultiCheckboxField(
        _l("人材像（1つ以上）"), invalid_choice_message=CHOICE_MESSAGE, validators=[Optional()]
    )
    levels = MultiCheckboxField(
        _l("対象レベル（1つ以上）"), invalid_choice_message=CHOICE_MESSAGE, validators=[Optional()]
    )
    dss = SelectMultipleField(
        _l("デジタルスキル標準（任意・複数選択可）"),
        invalid_choice_message=CHOICE_MESSAGE,
        validators=[Optional()],
        description=_l("Ctrl キー（Mac は command キー）を押しながら選ぶと複数選べます。"),
    )
    comment = TextAreaField(
        _l("編集者へのコメント（任意）"),
        validators=[Optional()],
        description=_l("追加・変更の理由など。変更履歴に残ります。"),
    )


class CourseNewForm(CourseForm):
    slug = StringField(
        _l("識別子（任意）"),
        validators=[Optional()],
        description=_l(
            "英小文字・数字・ハイフン。空欄ならURLから作ります。公開後は変更できません。"
        ),
    )
    add_to_path = OptionalSelectField(
        _l("承認されたらこのラーニングパスに追加する（任意）"),
        invalid_choice_message=CHOICE_MESSAGE,
    )
    add_required = BooleanField(_l("必須のステップとして追加する（外すと選択）"))


class StepForm(Form):  # type: ignore[misc]
    """One row of the path editor (part of PathForm, which carries the CSRF token)."""

    key = HiddenField()
    position = IntegerField(
        _l("順番"),
        validators=[
            InputRequired(message=_l("順番を入力してください。")),
            NumberRange(min=1, max=99, message=_l("1〜99で入力してください。")),
        ],
    )
    required = SelectField(
        _l("区分"),
        invalid_choice_message=CHOICE_MESSAGE,
        choices=[SelectChoice("1", _l("必須")), SelectChoice("0", _l("選択"))],
    )
    review = SelectField(
        _l("確認方法"),
        invalid_choice_message=CHOICE_MESSAGE,
        choices=[
            SelectChoice("self", _l("自己申告")),
            SelectChoice("trainer", _l("研修担当がレビュー")),
        ],
    )
    remove = BooleanField(_l("パスから外す"))


class PathForm(BaseForm):
    electives_required = IntegerField(
        _l("修了に必要な選択ステップの数"),
        validators=[
            InputRequired(message=_l("数を入力してください。")),
            NumberRange(min=0, max=12, message=_l("0〜12で入力してください。")),
        ],
    )
    add_course = OptionalSelectField(
        _l("講座を追加する（任意）"), invalid_choice_message=CHOICE_MESSAGE
    )
    add_required = BooleanField(_l("追加する講座を必須にする（外すと選択）"))
    comment = TextAreaField(
        _l("編集者へのコメント（任意）"),
        validators=[Optional()],
        description=_l("変更の理由など。変更履歴に残ります。"),
    )


class DecisionForm(BaseForm):
    note = TextAreaField(
        _l("コメント"),
        validators=[Optional()],
        description=_l("差し戻すときは理由を書いてください（承認のときは任意）。"),
    )


class ActionForm(BaseForm):
    """A button that only needs the CSRF token (submit, withdraw, mark checked)."""


class FeaturedForm(BaseForm):
    month = StringField(
        _l("月"),
        validators=[REQUIRED],
        description=_l("YYYY-MM の形式（例: 2026-04）"),
    )
    course = SelectField(_l("講座"), invalid_choice_message=CHOICE_MESSAGE, validators=[REQUIRED])
    comment_ja = TextAreaField(_l("紹介文（日本語・任意）"), validators=[Optional()])
    comment_en = TextAreaField(_l("紹介文（英語・任意）"), validators=[Optional()])
