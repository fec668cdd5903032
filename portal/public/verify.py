"""Verification for anyone: the /verify page (plain Japanese) and POST /api/verify (JSON).

Both accept a pasted JWS or JSON credential, an uploaded PNG/SVG/JWS/JSON file, or the
URL of one of our credentials. Bad input of any kind gives ``valid: false`` with the
failing check, never an error page; both are rate-limited (``VERIFY_RATE_LIMIT``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from flask import current_app, jsonify, render_template, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_wtf.file import FileField
from limits import RateLimitItem, parse_many
from werkzeug.wrappers import Response
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import Length, Optional

import badges
from portal.errors import render_error
from portal.extensions import csrf, db, limiter
from portal.forms import BaseForm
from portal.public import bp
from portal.public.credentials import lang, verify_context, viewer
from portal.services.verification import (
    MAX_INPUT_BYTES,
    CheckResult,
    Outcome,
    looks_like_url,
    verify_input,
    verify_url,
)


def _verify_limit() -> str:
    return str(current_app.config["VERIFY_RATE_LIMIT"])


#: Texts of the portal's own checks (the library's come from badges.messages).
PORTAL_MESSAGES = {
    "portal.issuer_ours": _l("本ポータルの発行者（%(issuer)s）が発行した認定証です。"),
    "portal.issuer_external": _l(
        "本ポータル以外の発行者（%(issuer)s）の認定証です。署名の鍵は %(origin)s から取得しました。"
        "その発行者がどのような組織かは、このページでは確認していません。"
    ),
    "portal.record_ok": _l("本ポータルの発行記録と一致しています。"),
    "portal.record_missing": _l("署名は有効ですが、本ポータルの発行記録に見つかりません。"),
    "portal.record_superseded": _l(
        "この認定証は更新されています。新しい認定証があります（この認定証は有効期限まで有効です）。"
    ),
    "portal.recipient_match": _l("入力したメールアドレスは、この認定証の受領者のものです。"),
    "portal.recipient_mismatch": _l(
        "入力したメールアドレスは、この認定証の受領者のものではありません。"
    ),
    "portal.kid_not_https": _l("署名の鍵の URL が https ではないため、取得しませんでした。"),
    "portal.kid_other_origin": _l(
        "署名の鍵の URL が発行者と別のサイトにあるため、取得しませんでした。"
    ),
    "portal.fetch_disabled": _l("外部の発行者の鍵は取得できない設定です。"),
    "portal.fetch_failed": _l("発行者の鍵を取得できませんでした（%(reason)s）。"),
    "portal.fetch_bad_key": _l("発行者のサイトから取得した鍵を使えません。"),
    "portal.fetch_ok": _l("発行者のサイトから署名の鍵を取得しました。"),
    "portal.url_not_ours": _l(
        "本ポータルの認定証の URL ではありません。ほかのサイトの URL は開きません。"
        "認定証のファイルをアップロードするか、内容を貼り付けてください。"
    ),
    "portal.url_not_found": _l("この URL の認定証は見つからないか、公開されていません。"),
    "portal.no_input": _l("認定証が入力されていません。"),
}

STEP_LABELS = {
    "issuer": _l("発行者"),
    "record": _l("発行記録"),
    "recipient": _l("受領者"),
    "fetch": _l("鍵の取得"),
}


_rendered: dict[tuple[str, str], str] = {}


def _portal_text(key: str, language: str) -> str:
    """The `language` template of a portal check (translated once per process and language,
    so answering in a language other than the page's costs nothing after the first time)."""
    found = _rendered.get((language, key))
    if found is None:
        with force_locale(language):
            found = str(PORTAL_MESSAGES.get(key, key))
        _rendered[(language, key)] = found
    return found


def check_message(check: CheckResult, language: str) -> str:
    """Words for one check: the portal's gettext texts, else the badges catalogue."""
    if check.message_key.startswith("portal."):
        template = _portal_text(check.message_key, language)
        try:
            return template % dict(check.params) if "%(" in template else template
        except (KeyError, ValueError, TypeError):
            return template
    return badges.message(check.message_key, language, dict(check.params))


def step_label(code: str, language: str) -> str:
    label = STEP_LABELS.get(code)
    return str(label) if label is not None else badges.message(f"step.{code}", language)


def outcome_json(outcome: Outcome, language: str) -> dict[str, Any]:
    return {
        "valid": outcome.valid,
        "checks": [
            {"code": c.code, "status": c.status, "message": check_message(c, language)}
            for c in outcome.checks
        ],
        "credential": outcome.summary,
    }


def _empty() -> Outcome:
    return Outcome(False, [CheckResult("extract", "fail", "portal.no_input", {})])


def _too_large(size: int) -> Outcome:
    return Outcome(
        False,
        [
            CheckResult(
                "extract", "fail", "input.too_large", {"size": size, "limit": MAX_INPUT_BYTES}
            )
        ],
    )


def run_verification(
    *, data: bytes | str | None = None, url: str | None = None, email: str | None = None
) -> Outcome:
    """Verify the first thing given: file bytes or pasted text (or a URL), else a URL."""
    if data is not None and (data.strip() if isinstance(data, str) else data):
        if isinstance(data, str) and looks_like_url(data):
            context = verify_context(with_aliases=True)
            return verify_url(db.session, data.strip(), context, viewer=viewer(), email=email)
        return verify_input(db.session, data, verify_context(), viewer=viewer(), email=email)
    if url and url.strip():
        context = verify_context(with_aliases=True)
        return verify_url(db.session, url.strip(), context, viewer=viewer(), email=email)
    return _empty()


class VerifyForm(BaseForm):
    token = TextAreaField(
        _l("認定証の内容（JWS または JSON）"),
        validators=[Optional(), Length(max=MAX_INPUT_BYTES)],
        description=_l("「eyJ」で始まる文字列、または { で始まる JSON を貼り付けてください。"),
    )
    file = FileField(
        _l("認定証のファイル"),
        description=_l("バッジの画像（PNG・SVG）、.jws、.json ファイル（8 MB まで）"),
    )
    url = StringField(
        _l("本ポータルの認定証の URL"),
        validators=[Optional(), Length(max=2000)],
        description=_l("例: https://…/credentials/…（QR コードの読み取り結果でもかまいません）"),
    )
    email = EmailField(
        _l("受領者のメールアドレス（任意）"),
        validators=[Optional(), Length(max=254)],
        description=_l("入力すると、この認定証がその人に発行されたものか確認します。"),
    )


def _too_big() -> int | None:
    size = request.content_length
    if size is not None and size > MAX_INPUT_BYTES + 64 * 1024:
        return size
    return None


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(
    _verify_limit, exempt_when=lambda: request.method == "GET" and not request.args.get("url")
)
def verify() -> tuple[str, int] | str:
    language = lang()
    outcome: Outcome | None = None
    big = _too_big() if request.method == "POST" else None
    form = VerifyForm(formdata=None) if big else VerifyForm()
    if big is not None:
        outcome = _too_large(big)
    elif request.method == "POST" and form.validate_on_submit():
        upload = form.file.data
        data: bytes | str | None = None
        if upload is not None and bool(getattr(upload, "filename", None)):
            data = upload.read(MAX_INPUT_BYTES + 1)
        elif form.token.data and form.token.data.strip():
            data = form.token.data
        outcome = run_verification(data=data, url=form.url.data, email=form.email.data)
    elif request.method == "GET" and request.args.get("url"):
        form.url.data = request.args["url"][:2000]
        outcome = run_verification(url=form.url.data)
    status = 200 if outcome is None or request.method == "GET" or not form.errors else 400
    return (
        render_template(
            "public/verify.html",
            form=form,
            outcome=outcome,
            check_message=lambda c: check_message(c, language),
            step_label=lambda code: step_label(code, language),
        ),
        status,
    )


def _api_language() -> str:
    """``?lang=``, else ``Accept-Language``, else Japanese (the page's toggle is not read:
    API clients rarely have a session, and opening one costs more than the answer)."""
    asked = request.args.get("lang") if request.query_string else None
    if asked in ("ja", "en"):
        return asked
    header = request.headers.get("Accept-Language")
    if header:
        return request.accept_languages.best_match(["ja", "en"]) or "ja"
    return "ja"


_parsed_limits: dict[str, list[RateLimitItem]] = {}


def _api_rate_limit() -> tuple[Response | None, dict[str, str]]:
    """Count this request against ``VERIFY_RATE_LIMIT`` per client address.

    The same strategy and storage as Flask-Limiter (``RATELIMIT_STORAGE_URI``), asked
    directly: its decorator costs more than verifying a token, and this is the hottest
    public endpoint. Returns the 429 answer when a limit is exceeded, and the
    ``X-RateLimit-*`` headers (``RATELIMIT_HEADERS_ENABLED``).
    """
    if not limiter.enabled:
        return None, {}
    spec = _verify_limit()
    items = _parsed_limits.get(spec)
    if items is None:
        items = _parsed_limits[spec] = parse_many(spec)
    strategy = limiter.limiter
    key = get_remote_address()
    breached = next((item for item in items if not strategy.hit(item, "api_verify", key)), None)
    headers: dict[str, str] = {}
    shown = breached or (items[0] if items else None)
    if shown is not None and current_app.config.get("RATELIMIT_HEADERS_ENABLED"):
        reset, remaining = strategy.get_window_stats(shown, "api_verify", key)
        headers = {
            "X-RateLimit-Limit": str(shown.amount),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(int(reset + 1)),
        }
    if breached is None:
        return None, headers
    reset = strategy.get_window_stats(breached, "api_verify", key).reset_time
    headers["Retry-After"] = str(max(1, int(reset - time.time()) + 1))
    answer, status = render_error(429)
    response = answer if isinstance(answer, Response) else current_app.response_class(answer)
    response.status_code = status
    return response, headers


@bp.post("/api/verify")
@csrf.exempt
def api_verify() -> Response:
    """JSON: {"valid", "checks": [{"code", "status", "message"}], "credential": {…}}.

    Body: JSON ``{"credential": "<JWS or JSON>" | {…}, "url": "…", "email": "…"}``, a
    multipart upload (``file``), or the credential itself as the raw body. ``?lang=en``
    (or ``Accept-Language: en``) for English messages.
    """
    refused, limit_headers = _api_rate_limit()
    if refused is not None:
        refused.headers.update(limit_headers)
        return refused
    language = _api_language()
    big = _too_big()
    if big is not None:
        response = jsonify(outcome_json(_too_large(big), language))
        response.status_code = 413
        response.headers.update(limit_headers)
        return response
    email: str | None = None
    url: str | None = None
    data: bytes | str | None = None
    if request.mimetype == "application/json":
        raw = request.get_data(cache=False)
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        if isinstance(payload, dict) and ("credential" in payload or "url" in payload):
            value = payload.get("credential")
            if isinstance(value, dict):
                data = json.dumps(value, ensure_ascii=False)
            elif isinstance(value, str):
                data = value
            url = payload.get("url") if isinstance(payload.get("url"), str) else None
            email = payload.get("email") if isinstance(payload.get("email"), str) else None
        else:  # the credential itself (the verifier parses it strictly)
            data = raw
    elif request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        upload = request.files.get("file")
        if upload is not None:
            data = upload.read(MAX_INPUT_BYTES + 1)
        else:
            data = request.form.get("credential")
            url = request.form.get("url")
        email = request.form.get("email")
    else:  # the credential itself: text/plain, image/png, application/octet-stream, …
        data = request.get_data(cache=False)
    outcome = run_verification(data=data, url=url, email=email)
    # Compact UTF-8 JSON, keys in their natural order (jsonify would sort and escape).
    body = json.dumps(outcome_json(outcome, language), ensure_ascii=False, separators=(",", ":"))
    response = current_app.response_class(body, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(limit_headers)
    return response
