"""Learner forms: recording a step, submitting an exercise, the self-check."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, RadioField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from portal.forms import BaseForm
from portal.forms.base import no_control_characters
from portal.services import learning, selfcheck


def _int_or_zero(value: object) -> int:
    try:
        return max(int(str(value)), 0)
    except (TypeError, ValueError):
        return 0


def _base_version() -> HiddenField:
    """The record version the form was built from (0: nothing recorded yet)."""
    return HiddenField(filters=[_int_or_zero], default=0)


def _evidence_file(description: Any) -> FileField:
    return FileField(_l("ファイル（PDF・PNG・JPEG、5MBまで）"), description=description)


def _remove_file() -> BooleanField:
    return BooleanField(_l("登録済みのファイルを外す"))


def _attested() -> BooleanField:
    return BooleanField(_l("この内容は事実であり、自分で学習・作成したものです"))


# Fields are listed in page order (the error summary follows it), so the shared ones are
# made by the helpers above rather than inherited.


class CourseStepForm(BaseForm):
    base_version = _base_version()
    completed_on = DateField(
        _l("修了日"),
        validators=[InputRequired(message=_l("修了日を入力してください。"))],
        description=_l("講座を修了した日（今日以前）。"),
    )
    certificate_url = URLField(
        _l("修了証のURL"),
        validators=[Optional(), Length(max=learning.MAX_URL_LENGTH)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        description=_l("講座のサイトが発行する修了証やバッジのページ（https://…）。"),
    )
    evidence_file = _evidence_file(
        _l("修了証やスクリーンショットなど。ファイルの中身で種類を確認します。")
    )
    remove_file = _remove_file()
    reflection = TextAreaField(
        _l("振り返り"),
        validators=[no_control_characters],
        render_kw={"rows": 6},
    )
    attested = _attested()


class ExerciseStepForm(BaseForm):
    base_version = _base_version()
    deliverable_text = TextAreaField(
        _l("提出物（本文）"),
        validators=[no_control_characters],
        description=_l("本文を貼り付けるか、ファイルを添付してください（どちらか一方でも可）。"),
        render_kw={"rows": 14},
    )
    evidence_file = _evidence_file(
        _l("提案書などの提出物（Word・PowerPoint はPDFに変換してください）。")
    )
    remove_file = _remove_file()
    reflection = TextAreaField(
        _l("研修担当へのひとこと（任意）"),
        validators=[Optional(), no_control_characters],
        render_kw={"rows": 3},
    )
    attested = _attested()


# Self-check -------------------------------------------------------------------------

ANSWER_CHOICES = [
    SelectChoice("0", _l("まだできない")),
    SelectChoice("1", _l("少しできる")),
    SelectChoice("2", _l("だいたいできる")),
    SelectChoice("3", _l("自信をもってできる")),
]

#: The wording of each self-check question (codes from portal.services.selfcheck).
QUESTION_TEXT: dict[str, Any] = {
    "t1.phishing": _l("不審なメールの添付ファイルやリンクに気づき、開く前に確かめられる。"),
    "t1.security": _l(
        "パスワードの管理や多要素認証など、基本的な情報セキュリティ対策を説明できる。"
    ),
    "t1.moral": _l("SNSや生成AIを使うときの、著作権や個人情報についての注意点がわかる。"),
    "t1.read-data": _l("統計表やグラフから、数値の変化や違いを正しく読み取れる。"),
    "t2.spreadsheet": _l("表計算ソフトで、データの整形・集計・グラフ作成ができる。"),
    "t2.ai": _l(
        "生成AIの得意なこと・苦手なこと（誤った回答をすることなど）を理解し、仕事で試したことがある。"
    ),
    "t2.cloud": _l("クラウドサービスの特徴（利点と注意点）を説明できる。"),
    "t2.open-data": _l("e-Stat などのオープンデータから、仕事に使えるデータを探して入手できる。"),
    "t3.why-dx": _l(
        "人口減少や住民ニーズの変化など、行政にDXが必要な背景を自分の言葉で説明できる。"
    ),
    "t3.user": _l("住民や事業者の立場に立って、手続きやサービスの困りごとを整理できる。"),
    "t3.collaboration": _l("他の課や外部の関係者を巻き込んで、業務の見直しを進めたことがある。"),
    "t4.iterative": _l("小さく試して改善を繰り返すやり方で、新しい取組を進められる。"),
    "t4.service": _l("データやデジタル技術を組み合わせて、新しい行政サービスの案を企画できる。"),
}

AREA_NAMES: dict[str, Any] = {
    "why": _l("Why（DXの背景）"),
    "what": _l("What（データ・技術）"),
    "how": _l("How（データ・技術の利活用）"),
    "mind": _l("マインド・スタンス"),
}


def selfcheck_form_class() -> type[BaseForm]:
    """A form with one required radio group per self-check question."""

    class SelfCheckForm(BaseForm):
        pass

    for number, question in enumerate(selfcheck.QUESTIONS, start=1):
        setattr(
            SelfCheckForm,
            field_name(question.code),
            RadioField(
                _l("問%(n)s. %(text)s", n=number, text=QUESTION_TEXT[question.code]),
                choices=ANSWER_CHOICES,
                coerce=int,
                validators=[InputRequired(message=_l("いずれかを選んでください。"))],
            ),
        )
    return SelfCheckForm


def field_name(code: str) -> str:
    return "q_" + code.replace(".", "_").replace("-", "_")
