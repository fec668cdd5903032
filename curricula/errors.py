"""Exceptions and validation issues of the catalogue package.

Every problem found in the data files becomes an :class:`Issue` with the file,
line, field and a stable ``code``; the bilingual messages are rendered here so
that the CLI, CI logs and the portal's trainer pages all show the same words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

#: A parameter that reads differently in Japanese and English: ``(ja, en)``.
Bilingual = tuple[str, str]
Param = str | int | float | Bilingual


class CurriculaError(Exception):
    """Root of every exception raised by :mod:`curricula`."""


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in the catalogue, located as precisely as the source allows.

    ``line`` is 1-based and ``None`` when the catalogue was built in memory
    (for example by the portal from database rows). ``field`` is a path such as
    ``courses[ipa-10-major-threats].url`` or ``paths[t1-everyday-literacy].steps[2].course``
    (list indexes are 0-based).
    """

    file: str
    line: int | None
    field: str
    code: str
    message_ja: str
    message_en: str

    @property
    def location(self) -> str:
        """``file:line`` (or just ``file`` when the line is unknown)."""
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def __str__(self) -> str:
        return f"{self.location} {self.field}: [{self.code}] {self.message_ja} / {self.message_en}"


class CatalogueError(CurriculaError):
    """The catalogue did not validate; ``issues`` lists every problem found."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        super().__init__(
            f"{len(self.issues)} catalogue issue(s)"
            + "".join(f"\n  {issue}" for issue in self.issues[:20])
            + ("\n  ..." if len(self.issues) > 20 else "")
        )


class UnknownReferenceError(CurriculaError, KeyError):
    """A lookup by slug, code or alignment reference found nothing."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(kind, key)

    def __str__(self) -> str:
        return f"unknown {self.kind}: {self.key!r}"


class InvalidURLError(CurriculaError, ValueError):
    """A URL is not an absolute http(s) URL; ``code`` is ``bad-url`` or ``bad-url-scheme``."""

    def __init__(self, url: str, code: str) -> None:
        self.url = url
        self.code = code
        super().__init__(url, code)

    def __str__(self) -> str:
        return f"{self.code}: {self.url!r}"


# code -> (Japanese template, English template). Templates use str.format fields.
MESSAGES: Final[Mapping[str, Bilingual]] = {
    "missing-file": ("ファイルがありません", "file is missing"),
    "yaml-syntax": ("YAMLの構文エラー: {detail}", "YAML syntax error: {detail}"),
    "duplicate-key": ("キー「{name}」が重複しています", "duplicate key '{name}'"),
    "bad-key": ("キーは文字列で書いてください: {name}", "keys must be strings: {name}"),
    "wrong-type": ("{expected}で書いてください", "expected {expected}"),
    "missing-field": ("必須項目「{name}」がありません", "required field '{name}' is missing"),
    "unknown-field": (
        "未知の項目「{name}」です（綴りを確認してください）",
        "unknown field '{name}' (check the spelling)",
    ),
    "conflicting-fields": (
        "「{first}」と「{second}」のどちらか一方だけを書いてください",
        "give exactly one of '{first}' and '{second}'",
    ),
    "bad-value": (
        "「{value}」は使えません。使える値: {allowed}",
        "'{value}' is not allowed; use one of: {allowed}",
    ),
    "bad-slug": (
        "「{value}」は識別子として使えません（{rule}）",
        "'{value}' is not a valid identifier ({rule})",
    ),
    "duplicate-slug": (
        "「{value}」は既に使われています（{first}）",
        "'{value}' is already used ({first})",
    ),
    "duplicate-url": (
        "URLが講座「{other}」と重複しています（正規化後: {normalised}）",
        "URL duplicates course '{other}' (normalised: {normalised})",
    ),
    "bad-shared-url": (
        "shares_url_with で指定した講座「{other}」とURLが一致しません",
        "URL does not match the course named in shares_url_with ('{other}')",
    ),
    "bad-url-scheme": (
        "http/https 以外のURLは使えません: {value}",
        "only http(s) URLs are allowed: {value}",
    ),
    "bad-url": ("URLの形式が正しくありません: {value}", "malformed URL: {value}"),
    "verification-mismatch": (
        "出典で未確認（{value}）のURLは url_verified: false にしてください",
        "the reference marks this URL unconfirmed ({value}); set url_verified: false",
    ),
    "missing-japanese": ("日本語で書いてください", "must be written in Japanese"),
    "empty-text": ("空欄にはできません", "must not be empty"),
    "text-too-long": (
        "{max}文字以内にしてください（現在 {length}文字）",
        "must be at most {max} characters (now {length})",
    ),
    "markup-in-text": (
        "HTMLタグのような文字列は使えません",
        "HTML-like markup is not allowed",
    ),
    "bad-text": ("制御文字は使えません", "control characters are not allowed"),
    "bad-hours": ("時間数が不正です: {reason}", "bad hours: {reason}"),
    "bad-number": ("数値が範囲外です: {reason}", "number out of range: {reason}"),
    "unknown-reference": (
        "{kind}「{value}」が見つかりません",
        "unknown {kind} '{value}'",
    ),
    "retired-reference": (
        "廃止済みの{kind}「{value}」は使えません",
        "{kind} '{value}' is retired and cannot be used",
    ),
    "step-count": (
        "ステップ数は{min}〜{max}件にしてください（現在 {count}件）",
        "a path needs {min}-{max} steps (now {count})",
    ),
    "duplicate-step": (
        "{kind}「{value}」がこのパスに重複して入っています",
        "{kind} '{value}' appears twice in this path",
    ),
    "review-mode": (
        "模擬演習のステップは研修担当のレビュー（review: trainer）にしてください",
        "exercise steps must be trainer-reviewed (review: trainer)",
    ),
    "bad-completion-rule": ("修了条件が不正です: {reason}", "bad completion rule: {reason}"),
    "cyclic-prerequisite": (
        "前提パスが循環しています: {cycle}",
        "prerequisites form a cycle: {cycle}",
    ),
    "achievement-mismatch": ("バッジの設定が不正です: {reason}", "bad achievement: {reason}"),
    "bad-image": ("バッジ画像が不正です: {reason}", "bad badge image: {reason}"),
}


def _render(template: str, params: Mapping[str, Param], index: int) -> str:
    values = {
        key: (value[index] if isinstance(value, tuple) else value) for key, value in params.items()
    }
    return template.format(**values)


def make_issue(file: str, line: int | None, field: str, code: str, **params: Param) -> Issue:
    """Build an :class:`Issue` with its Japanese and English messages.

    :raises KeyError: if ``code`` has no message (a programming error).
    """
    ja, en = MESSAGES[code]
    return Issue(
        file=file,
        line=line,
        field=field,
        code=code,
        message_ja=_render(ja, params, 0),
        message_en=_render(en, params, 1),
    )
