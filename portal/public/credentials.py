"""Public credential endpoints: issuers, achievements, keys, status lists, credentials.

Stable URLs under ``PORTAL_BASE_URL`` (the ids inside credentials use its https form,
`portal.services.keys.credential_base_url`):

=================================  ===================================================
``/issuers/<slug>``                issuer Profile: JSON for ``Accept: application/json``
``/achievements/<slug>``           the achievement with criteria: HTML and JSON
``/keys/<key_id>``                 exactly one public JWK (the ``kid`` of every JWS)
``/.well-known/jwks.json``         all published keys: also the offline trust file
``/status/revocations/<n>``        1EdTech Revocation List
``/status/bitstring/<n>``          signed BitstringStatusListCredential (VC-JWT)
``/credentials/<uuid>``            the human page (privacy: `portal.services.sharing`)
``/credentials/<uuid>.<ext>``      ``jws`` (text/plain), ``json``, ``png``, ``svg``
``/credentials/<uuid>/certificate`` printable 修了証 with the QR code
=================================  ===================================================

This module also holds the edge helpers the other credential views share (settings, the
active key, the verification context) and registers the learning service's completion
hook when the blueprint is registered.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from flask import (
    Flask,
    abort,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    send_file,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_login.config import COOKIE_NAME
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

import badges
from portal.extensions import db
from portal.models import (
    Achievement,
    CredentialEvent,
    EvidenceFile,
    IssuedCredential,
    KeyStatus,
    LearningPath,
    Organisation,
    PathCompletion,
    Person,
    PublicationStatus,
    SigningKey,
    Visibility,
)
from portal.models.base import DBSession, utcnow
from portal.public import bp
from portal.services import issuance, sharing, status_lists
from portal.services.change_feed import RecordCache
from portal.services.evidence import EvidenceStore
from portal.services.keys import ActiveKey, KeyCache, credential_base_url, published_jwks
from portal.services.verification import (
    Record,
    SafeFetcher,
    VerifyContext,
    credential_state,
    make_record_cache,
)
from portal.templating import localtime

log = logging.getLogger(__name__)

OB_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
#: Served images never run script or load anything.
IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
PUBLIC_CACHE = "public, max-age=300"


# Edge helpers shared by the credential views -------------------------------------------


def issuance_settings(app: Flask | None = None) -> issuance.IssuanceSettings:
    config = (app or current_app).config
    return issuance.IssuanceSettings(
        base_url=credential_base_url(config["PORTAL_BASE_URL"]),
        operator_slug=config["OPERATOR_ORG_SLUG"],
        certification_years=int(config["CERTIFICATION_VALID_YEARS"]),
    )


def key_cache(app: Flask | None = None) -> KeyCache:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.get("signing_keys")
    if cache is None:
        cache = KeyCache(app.config["SIGNING_KEY_DIR"], app.config["SIGNING_KEY_PASSPHRASE"])
        app.extensions["signing_keys"] = cache
    return cache


def active_key(session: DBSession | None = None) -> ActiveKey:
    """The loaded active signing key. :raises KeyUnavailable: none usable."""
    return key_cache().get(session or db.session)


def public_base() -> str:
    """The configured origin for human links (QR codes, LinkedIn, share links)."""
    return str(current_app.config["PORTAL_BASE_URL"]).rstrip("/")


def fetcher() -> Any:
    found = current_app.extensions.get("credential_fetcher")
    if found is None:
        found = SafeFetcher(
            allow_private=bool(current_app.config.get("VERIFY_FETCH_ALLOW_PRIVATE"))
        )
        current_app.extensions["credential_fetcher"] = found
    return found


def verify_context(now: datetime | None = None, *, with_aliases: bool = False) -> VerifyContext:
    """Where verification runs; `with_aliases` adds the origins our URLs may be given under."""
    base = credential_base_url(current_app.config["PORTAL_BASE_URL"])
    aliases = tuple(sorted({public_base(), request.host_url.rstrip("/")})) if with_aliases else ()
    return VerifyContext(
        base_url=base,
        now=now or utcnow(),
        fetcher=fetcher(),
        aliases=aliases,
        engine=db.engine,
        records=record_cache(),
    )


def record_cache() -> RecordCache[str, Record] | None:
    """This app's copies of verification records (PostgreSQL; None on SQLite)."""
    extensions = current_app.extensions
    if "portal_record_cache" not in extensions:
        made = make_record_cache(db.engine, current_app.config["VERIFY_RECORD_CACHE_SIZE"])
        if extensions.setdefault("portal_record_cache", made) is not made and made is not None:
            made.feed.close()  # another thread made one first
    found: RecordCache[str, Record] | None = extensions["portal_record_cache"]
    return found


@bp.app_template_filter("portal_link")
def portal_link(url: str | None) -> str:
    """Our https id as a link that works here (development instances serve http)."""
    if not url:
        return ""
    base = credential_base_url(current_app.config["PORTAL_BASE_URL"])
    public = public_base()
    if base != public and url.startswith(base + "/"):
        return public + url[len(base) :]
    return url


@bp.app_template_filter("isotime")
def isotime(value: str | None) -> str:
    """An ISO 8601 time from a credential (UTC) in the display time zone."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return localtime(moment)


def lang() -> str:
    locale = get_locale()
    return locale.language if locale else "ja"


def viewer() -> Person | None:
    """The signed-in person, or None. A request with neither a session nor a remember-me
    cookie (an API client) is anonymous without loading the session at all."""
    if not request.environ.get("HTTP_COOKIE"):
        return None
    cookies = request.cookies
    if not cookies or (
        current_app.config["SESSION_COOKIE_NAME"] not in cookies
        and current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) not in cookies
    ):
        return None
    return current_user._get_current_object() if current_user.is_authenticated else None


def share_query(credential: IssuedCredential) -> dict[str, str]:
    """``{"share": token}`` for link-shared credentials (so sub-URLs keep working)."""
    if credential.visibility == Visibility.LINK and credential.share_token:
        return {"share": credential.share_token}
    return {}


def page_url(credential: IssuedCredential, *, with_token: bool = True) -> str:
    """The absolute URL of the credential page, with the share token when link-shared."""
    query = share_query(credential) if with_token else {}
    suffix = f"?{urlencode(query)}" if query else ""
    return f"{public_base()}/credentials/{credential.uuid}{suffix}"


def verify_url_for(credential: IssuedCredential) -> str:
    """What the QR code encodes: the verify page, checking this credential's URL."""
    return f"{public_base()}/verify?{urlencode({'url': page_url(credential)})}"


def load_credential(uuid: str) -> IssuedCredential | None:
    """A credential with holder, organisation, achievement and issuer (one query)."""
    return db.session.scalar(
        select(IssuedCredential)
        .where(IssuedCredential.uuid == uuid)
        .options(
            joinedload(IssuedCredential.person).joinedload(Person.organisation),
            joinedload(IssuedCredential.achievement),
            joinedload(IssuedCredential.issuer).joinedload(Organisation.parent),
        )
    )


def visible_credential(uuid: UUID | str) -> IssuedCredential:
    """The credential if the current viewer may see it (holder, their HR, admin, or by
    visibility and share token); 404 otherwise, so existence is not revealed."""
    credential = load_credential(str(uuid))
    if credential is None or not sharing.can_view(
        viewer(), credential, credential.person.organisation_id, request.args.get("share")
    ):
        abort(404)
    return credential


def completion_hook(app: Flask) -> Any:
    """The callable the learning service runs inside the completion's savepoint."""

    def hook(session: DBSession, completion: PathCompletion, now: datetime) -> None:
        key = key_cache(app).get(session)
        issuance.issue_for_completion(session, issuance_settings(app), key, completion, now)

    return hook


def _register(state: BlueprintSetupState) -> None:
    app = state.app
    assert isinstance(app, Flask)
    key_cache(app)
    app.extensions.setdefault("completion_hook", completion_hook(app))


bp.record_once(_register)


def _json(
    document: Any, *, cache: str = PUBLIC_CACHE, mimetype: str = "application/json"
) -> Response:
    response = jsonify(document)
    response.mimetype = mimetype
    response.headers["Cache-Control"] = cache
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _wants_json() -> bool:
    if request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(
        ["text/html", "application/json", "application/ld+json"], default="text/html"
    )
    return best in ("application/json", "application/ld+json") and (
        request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _vary(response: Response) -> Response:
    response.headers["Vary"] = "Accept"
    return response


# Issuers -----------------------------------------------------------------------------


def _operator() -> Organisation:
    org = db.session.scalar(
        select(Organisation).where(Organisation.slug == current_app.config["OPERATOR_ORG_SLUG"])
    )
    if org is None:
        abort(404)
    return org


def issuer_document(org: Organisation, operator: Organisation) -> dict[str, Any]:
    """The issuer Profile JSON (the same Profile the credentials embed, plus @context)."""
    profile = issuance.issuer_profile(issuance_settings(), org, operator)
    return {"@context": OB_CONTEXT, **_profile_dict(profile)}


def _profile_dict(profile: badges.IssuerProfile) -> dict[str, Any]:
    out: dict[str, Any] = {"id": profile.id, "type": ["Profile"], "name": profile.name}
    out["url"] = profile.url
    if profile.parent is not None:
        out["parentOrg"] = _profile_dict(profile.parent)
    return out


@bp.get("/issuers/<slug>")
def issuer(slug: str) -> Response | str:
    org = db.session.scalar(
        select(Organisation)
        .where(Organisation.slug == slug)
        .options(joinedload(Organisation.parent))
    )
    if org is None:
        abort(404)
    operator = _operator()
    document = issuer_document(org, operator)
    if _wants_json():
        return _vary(_json(document))
    achievements = db.session.scalars(
        select(Achievement)
        .where(
            Achievement.issuance
            == (issuance.PATH_COMPLETION if org.id == operator.id else issuance.HR_APPROVAL)
        )
        .order_by(Achievement.slug)
    ).all()
    response = make_response(
        render_template(
            "public/issuer.html",
            org=org,
            operator=operator,
            document=document,
            achievements=achievements,
            is_operator=org.id == operator.id,
        )
    )
    return _vary(response)


# Achievements -------------------------------------------------------------------------

#: A recipient for rendering an achievement through build_credential (never published).
_PLACEHOLDER = badges.Recipient(
    subject_id="urn:uuid:00000000-0000-4000-8000-000000000000",
    identity_hash="sha256$" + "0" * 64,
    salt="-",
)


def achievement_document(achievement: Achievement) -> dict[str, Any]:
    """The Achievement JSON exactly as credentials embed it (built through `badges`)."""
    settings = issuance_settings()
    targets = issuance.load_targets(db.session, [achievement])
    spec = issuance.achievement_spec(settings, achievement, targets)
    credential = badges.build_credential(
        credential_id="00000000-0000-4000-8000-000000000000",
        issuer=badges.IssuerProfile(
            id=f"{settings.base_url}/issuers/-", name="-", url=settings.base_url
        ),
        achievement=spec,
        recipient=_PLACEHOLDER,
        valid_from=datetime(2025, 1, 1, tzinfo=UTC),
        status=badges.RevocationListStatus(f"{settings.base_url}/status/revocations/1"),
        check_schema=False,
    )
    return {"@context": OB_CONTEXT, **credential["credentialSubject"]["achievement"]}


@bp.get("/achievements/<slug>")
def achievement(slug: str) -> Response | str:
    found = db.session.scalar(select(Achievement).where(Achievement.slug == slug))
    if found is None:
        abort(404)
    document = achievement_document(found)
    if _wants_json():
        return _vary(_json(document))
    path = db.session.scalar(
        select(LearningPath).where(
            LearningPath.achievement_id == found.id,
            LearningPath.status == PublicationStatus.PUBLISHED,
        )
    )
    requires = (
        db.session.scalars(select(Achievement).where(Achievement.slug.in_(found.requires))).all()
        if found.requires
        else []
    )
    return _vary(
        make_response(
            render_template(
                "public/achievement.html",
                achievement=found,
                document=document,
                path=path,
                requires=requires,
                operator=_operator(),
            )
        )
    )


# Keys --------------------------------------------------------------------------------


@bp.get("/keys/<key_id>")
def signing_key(key_id: str) -> Response:
    row = db.session.scalar(select(SigningKey).where(SigningKey.key_id == key_id))
    if row is None:
        abort(404)
    if row.status == KeyStatus.COMPROMISED:
        abort(410)
    return _json(row.public_jwk, mimetype="application/jwk+json")


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    rows = list(db.session.scalars(select(SigningKey).order_by(SigningKey.id.desc())))
    return _json(published_jwks(rows))


# Status lists -------------------------------------------------------------------------


def _list_or_404(number: int) -> int:
    if number < 1 or number > status_lists.allocated_lists(db.session):
        abort(404)
    return number


@bp.get("/status/revocations/<int:number>")
def revocation_list(number: int) -> Response:
    settings = issuance_settings()
    document = status_lists.revocation_list(
        db.session,
        base_url=settings.base_url,
        issuer_id=f"{settings.base_url}/issuers/{settings.operator_slug}",
        number=_list_or_404(number),
    )
    return _json(document, cache="no-cache")


@bp.get("/status/bitstring/<int:number>")
def bitstring_list(number: int) -> Response:
    settings = issuance_settings()
    key = active_key()
    token = status_lists.bitstring_list(
        db.session,
        base_url=settings.base_url,
        issuer_id=f"{settings.base_url}/issuers/{settings.operator_slug}",
        number=_list_or_404(number),
        key=key.signer,
        key_row_id=key.row_id,
    )
    response = Response(token, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# Credentials -------------------------------------------------------------------------


def _private_headers(response: Response, credential: IssuedCredential) -> Response:
    if credential.visibility == Visibility.PUBLIC:
        response.headers["Cache-Control"] = "public, max-age=60"
    else:
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["Referrer-Policy"] = "no-referrer"  # keep the share token private
    response.headers["Vary"] = "Cookie"
    return response


def credential_context(credential: IssuedCredential) -> dict[str, Any]:
    """What the credential and certificate pages show (two small queries)."""
    now = utcnow()
    me = viewer()
    staff = sharing.is_holder_or_staff(me, credential, credential.person.organisation_id)
    events: list[CredentialEvent] = []
    successor = None
    if staff:
        events = list(
            db.session.scalars(
                select(CredentialEvent)
                .where(CredentialEvent.credential_id == credential.id)
                .order_by(CredentialEvent.occurred_at, CredentialEvent.id)
            )
        )
    related_ids = [i for i in (credential.replaces_id,) if i]
    related = {
        c.id: c
        for c in db.session.scalars(
            select(IssuedCredential).where(
                (IssuedCredential.id.in_(related_ids))
                | (IssuedCredential.replaces_id == credential.id)
            )
        )
    }
    previous = related.get(credential.replaces_id) if credential.replaces_id else None
    successor = next((c for c in related.values() if c.replaces_id == credential.id), None)
    document = credential.credential or {}
    subject = document.get("credentialSubject") or {}
    return {
        "credential": credential,
        "document": document,
        "achievement_doc": subject.get("achievement") or {},
        "evidence": document.get("evidence") or [],
        "state": credential_state(credential, now),
        "is_staff": staff,
        "is_holder": me is not None and me.id == credential.person_id,
        "can_manage": me is not None
        and me.id != credential.person_id
        and (me.is_admin or me.is_hr)
        and issuance.can_manage(me, credential.person.organisation_id),
        "events": events,
        "previous": previous,
        "successor": successor,
        "share": share_query(credential),
        "page_url": page_url(credential),
        "verify_url": verify_url_for(credential),
        # qr_svg writes the markup itself and escapes the label.
        "qr_svg": Markup(sharing.qr_svg(verify_url_for(credential), _("検証用 QR コード"))),  # noqa: S704
        "now": now,
    }


@bp.get("/credentials/<uuid:uuid>")
def credential(uuid: UUID) -> Response:
    found = visible_credential(uuid)
    context = credential_context(found)
    response = make_response(render_template("public/credential.html", **context))
    return _private_headers(response, found)


@bp.get("/credentials/<uuid:uuid>/certificate")
def credential_certificate(uuid: UUID) -> Response:
    found = visible_credential(uuid)
    context = credential_context(found)
    response = make_response(render_template("public/credential_certificate.html", **context))
    return _private_headers(response, found)


@bp.get("/credentials/<uuid:uuid>.<any(jws, json, png, svg):ext>")
def credential_file(uuid: UUID, ext: str) -> Response:
    found = visible_credential(uuid)
    if found.jws.count(".") != 2:  # generated demo rows carry no real token
        abort(404)
    name = f"{found.achievement.slug}-{str(found.uuid)[:8]}.{ext}"
    if ext == "jws":
        response = Response(found.jws, mimetype="text/plain")
    elif ext == "json":
        response = Response(badges.credential_json(found.credential), mimetype="application/json")
    elif ext == "png":
        response = Response(sharing.baked_png(found, found.achievement), mimetype="image/png")
        response.headers["Content-Security-Policy"] = IMAGE_CSP
    else:
        response = Response(sharing.baked_svg(found, found.achievement), mimetype="image/svg+xml")
        response.headers["Content-Security-Policy"] = IMAGE_CSP
    disposition = "attachment" if request.args.get("download") else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return _private_headers(response, found)


@bp.get("/credentials/<uuid:uuid>/evidence/<file_uuid>")
def credential_evidence(uuid: UUID, file_uuid: str) -> Response:
    """An evidence file the learner chose to share, linked from the credential."""
    found = visible_credential(uuid)
    link = f"{issuance.credential_url(issuance_settings(), found.uuid)}/evidence/{file_uuid}"
    linked = any(
        isinstance(e, dict) and e.get("id") == link
        for e in (found.credential or {}).get("evidence") or []
    )
    file = db.session.scalar(
        select(EvidenceFile).where(
            EvidenceFile.uuid == file_uuid, EvidenceFile.owner_id == found.person_id
        )
    )
    if not linked or file is None or not file.share_in_credential:
        abort(404)
    try:
        location = EvidenceStore(Path(current_app.config["UPLOAD_DIR"])).path_for(file.storage_key)
    except ValueError:
        abort(404)
    if not location.is_file():
        abort(404)
    response = send_file(
        location,
        mimetype=file.content_type,
        as_attachment=file.content_type == "application/pdf",
        download_name=file.original_name,
        max_age=0,
        etag=False,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return _private_headers(response, found)
