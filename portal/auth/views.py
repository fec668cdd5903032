from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from portal.auth import bp
from portal.auth.forms import LoginForm, PasswordForgotForm, PasswordResetForm
from portal.authz import safe_next
from portal.exceptions import ValidationFailed
from portal.extensions import db, limiter
from portal.mail import send_mail
from portal.models import Person
from portal.models.base import utcnow
from portal.services import accounts
from portal.services.accounts import LoginFailure, TokenProblem
from portal.services.audit import record_event
from portal.web import hasher, password_error_message


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> str | Response | tuple[str, int]:
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("learner.home"))
    form = LoginForm()
    if form.validate_on_submit():
        config = current_app.config
        result = accounts.authenticate(
            db.session,
            form.email.data,
            form.password.data,
            hasher=hasher(),
            now=utcnow(),
            max_failures=config["LOGIN_MAX_FAILURES"],
            lockout=timedelta(seconds=config["LOGIN_LOCKOUT_SECONDS"]),
        )
        db.session.commit()
        if result.person is not None:
            session.clear()
            login_user(result.person, remember=bool(form.remember.data))
            if result.person.locale:
                session["lang"] = result.person.locale
            return redirect(target or url_for("learner.home"))
        if result.failure == LoginFailure.LOCKED and result.locked_until is not None:
            flash(
                _(
                    "ログインに続けて失敗したため、%(time)s までロックされています。",
                    time=format_datetime(result.locked_until, "short"),
                ),
                "error",
            )
        elif result.failure == LoginFailure.INACTIVE:
            flash(_("このアカウントは無効です。人事担当に問い合わせてください。"), "error")
        else:
            flash(_("メールアドレスまたはパスワードが正しくありません。"), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    session.clear()
    flash(_("ログアウトしました。"), "success")
    return redirect(url_for("public.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def password_forgot() -> str | Response:
    form = PasswordForgotForm()
    if form.validate_on_submit():
        person = accounts.find_person_by_email(db.session, form.email.data)
        if person is not None and person.is_active:
            send_password_mail(person, form.email.data, invitation=False)
        # The same answer whether or not the address exists.
        flash(_("登録されているアドレスであれば、パスワード再設定の案内を送信しました。"), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/password_forgot.html", form=form)


def send_password_mail(person: Person, address: str, *, invitation: bool) -> None:
    token = accounts.make_reset_token(person, current_app.config["SECRET_KEY"])
    link = current_app.config["PORTAL_BASE_URL"] + url_for("auth.password_reset", token=token)
    hours = current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600 or 1
    template = "auth/mail/invitation.txt" if invitation else "auth/mail/password_reset.txt"
    subject = (
        _("【北海道デジタル人材育成ポータル】アカウントのご案内")
        if invitation
        else _("【北海道デジタル人材育成ポータル】パスワード再設定")
    )
    send_mail(address, subject, render_template(template, person=person, link=link, hours=hours))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def password_reset(token: str) -> str | Response | tuple[str, int]:
    config = current_app.config
    person = accounts.load_reset_token(
        db.session, token, config["SECRET_KEY"], config["PASSWORD_RESET_MAX_AGE"]
    )
    if isinstance(person, TokenProblem):
        if person == TokenProblem.EXPIRED:
            message = _("このリンクは有効期限が切れています。もう一度再設定を申し込んでください。")
        else:
            message = _("このリンクは無効です。すでに使用されたか、正しくコピーされていません。")
        return render_template("auth/password_reset_invalid.html", message=message), 400
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(
                person, form.password.data, hasher(), config["PASSWORD_MIN_LENGTH"]
            )
        except ValidationFailed as exc:
            form.add_error("password", password_error_message(exc))
        else:
            record_event(
                db.session,
                action="password.reset",
                subject_type="person",
                subject_id=person.uuid,
                actor=person,
                organisation_id=person.organisation_id,
                ip_address=request.remote_addr,
            )
            db.session.commit()
            flash(_("パスワードを設定しました。ログインしてください。"), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/password_reset.html", form=form)
