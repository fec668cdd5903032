"""Accounts: passwords, login with lockout, reset tokens, people, roles and transfers."""

from __future__ import annotations

import contextlib
import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from portal.exceptions import Conflict, NotFound, ValidationFailed
from portal.models import Email, Organisation, Person, Placement, Role, RoleGrant, Unit, UnitKind
from portal.models.base import DBSession
from portal.services.audit import record_event
from portal.services.coverage import end_designations_on_transfer

# A fixed hash to verify against when the email is unknown, so that timing does not
# reveal which addresses exist.
_DUMMY_PASSWORD = "not-a-real-password"  # noqa: S105


def make_hasher(time_cost: int, memory_cost: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)


def normalise_email(address: str) -> str:
    return unicodedata.normalize("NFKC", address).strip().lower()


def set_password(
    person: Person, password: str, hasher: PasswordHasher, min_length: int = 10
) -> None:
    """Hash and store a new password; older sessions and reset tokens stop working.

    :raises ValidationFailed: the password is too short or too simple.
    """
    if len(password) < min_length:
        raise ValidationFailed("password_too_short", min_length=min_length)
    if len(password) > 256:
        raise ValidationFailed("password_too_long")
    if len(set(password)) < 4:
        raise ValidationFailed("password_too_simple")
    person.password_hash = hasher.hash(password)
    person.session_version = (person.session_version or 0) + 1
    person.failed_logins = 0
    person.locked_until = None


class LoginFailure(StrEnum):
    INVALID = "invalid"
    LOCKED = "locked"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class LoginResult:
    person: Person | None
    failure: LoginFailure | None = None
    locked_until: datetime | None = None


def authenticate(
    session: DBSession,
    email: str,
    password: str,
    *,
    hasher: PasswordHasher,
    now: datetime,
    max_failures: int,
    lockout: timedelta,
) -> LoginResult:
    """Check a login. Counts failures and locks the account after `max_failures` in a row."""
    address = normalise_email(email)
    person = session.scalar(
        select(Person)
        .join(Email, Email.person_id == Person.id)
        .where(Email.address == address, Email.verified_at.is_not(None))
    )
    if person is None or person.password_hash is None:
        _burn_time(hasher)
        return LoginResult(None, LoginFailure.INVALID)
    if person.locked_until is not None and person.locked_until > now:
        return LoginResult(None, LoginFailure.LOCKED, person.locked_until)
    try:
        hasher.verify(person.password_hash, password)
    except (VerificationError, InvalidHashError):
        person.failed_logins = (person.failed_logins or 0) + 1
        if person.failed_logins >= max_failures:
            person.locked_until = now + lockout
            person.failed_logins = 0
            record_event(
                session,
                action="account.locked",
                subject_type="person",
                subject_id=person.uuid,
                organisation_id=person.organisation_id,
                data={"until": person.locked_until.isoformat()},
                now=now,
            )
            return LoginResult(None, LoginFailure.LOCKED, person.locked_until)
        return LoginResult(None, LoginFailure.INVALID)
    if not person.is_active:
        return LoginResult(None, LoginFailure.INACTIVE)
    person.failed_logins = 0
    person.locked_until = None
    person.last_login_at = now
    if hasher.check_needs_rehash(person.password_hash):
        person.password_hash = hasher.hash(password)
    return LoginResult(person)


def _burn_time(hasher: PasswordHasher) -> None:
    with contextlib.suppress(VerificationError):
        hasher.verify(hasher.hash(_DUMMY_PASSWORD), _DUMMY_PASSWORD + "x")


# Password reset tokens -----------------------------------------------------------


def _reset_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="password-reset")


def _fingerprint(person: Person) -> str:
    material = f"{person.password_hash or ''}:{person.session_version}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def make_reset_token(person: Person, secret_key: str) -> str:
    """A signed token for one password reset; it dies when the password changes."""
    return _reset_serializer(secret_key).dumps({"p": person.uuid, "f": _fingerprint(person)})


class TokenProblem(StrEnum):
    EXPIRED = "expired"
    INVALID = "invalid"


def load_reset_token(
    session: DBSession, token: str, secret_key: str, max_age: int
) -> Person | TokenProblem:
    """The person a reset token is for, or why it cannot be used."""
    try:
        data = _reset_serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired:
        return TokenProblem.EXPIRED
    except BadSignature:
        return TokenProblem.INVALID
    if not isinstance(data, dict):
        return TokenProblem.INVALID
    person = session.scalar(select(Person).where(Person.uuid == data.get("p")))
    if person is None or _fingerprint(person) != data.get("f"):
        return TokenProblem.INVALID
    return person


def find_person_by_email(session: DBSession, email: str) -> Person | None:
    return session.scalar(
        select(Person)
        .join(Email, Email.person_id == Person.id)
        .where(Email.address == normalise_email(email))
    )


# People ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonInput:
    staff_number: str
    name: str
    name_kana: str
    email: str
    section_id: int | None = None


def create_person(
    session: DBSession,
    organisation: Organisation,
    data: PersonInput,
    *,
    actor: Person | None,
    now: datetime,
    roles: frozenset[Role] = frozenset(),
    email_verified: bool = True,
) -> Person:
    """Add a staff member to `organisation`.

    :raises Conflict: the staff number or the email is taken.
    :raises ValidationFailed: the section is not in this organisation.
    """
    staff_number = data.staff_number.strip()
    address = normalise_email(data.email)
    if session.scalar(
        select(Person.id).where(
            Person.organisation_id == organisation.id, Person.staff_number == staff_number
        )
    ):
        raise Conflict("staff_number_taken", staff_number=staff_number)
    if session.scalar(select(Email.id).where(Email.address == address)):
        raise Conflict("email_taken", email=address)
    section = _check_section(session, organisation, data.section_id)
    person = Person(
        organisation_id=organisation.id,
        section_id=section.id if section else None,
        staff_number=staff_number,
        name=data.name.strip(),
        name_kana=data.name_kana.strip(),
        created_at=now,
    )
    person.emails.append(
        Email(address=address, is_primary=True, verified_at=now if email_verified else None)
    )
    for role in roles:
        person.role_grants.append(
            RoleGrant(role=role, granted_at=now, granted_by_id=actor.id if actor else None)
        )
    session.add(person)
    session.flush()
    _open_placement(session, person, actor=actor, now=now)
    record_event(
        session,
        action="person.created",
        subject_type="person",
        subject_id=person.uuid,
        actor=actor,
        organisation_id=organisation.id,
        data={"staff_number": staff_number, "roles": sorted(r.value for r in roles)},
        now=now,
    )
    return person


def _open_placement(
    session: DBSession, person: Person, *, actor: Person | None, now: datetime
) -> None:
    """Record where the person works from `now` on (history for transfers)."""
    session.add(
        Placement(
            person_id=person.id,
            organisation_id=person.organisation_id,
            section_id=person.section_id,
            staff_number=person.staff_number,
            started_at=now,
            recorded_by_id=actor.id if actor else None,
        )
    )


def _check_section(
    session: DBSession, organisation: Organisation, section_id: int | None
) -> Unit | None:
    if section_id is None:
        return None
    section = session.get(Unit, section_id)
    if (
        section is None
        or section.organisation_id != organisation.id
        or section.kind != UnitKind.SECTION
    ):
        raise ValidationFailed(
            "section_not_in_organisation", field_errors={"section_id": ["invalid"]}
        )
    return section


@dataclass(frozen=True)
class Transfer:
    person: Person
    #: Leader designations that ended because the person left those sections.
    designations_ended: int = 0


def transfer_person(
    session: DBSession,
    person: Person,
    *,
    organisation: Organisation,
    section_id: int | None,
    staff_number: str | None,
    actor: Person | None,
    now: datetime,
) -> Transfer:
    """Move a person to another section or organisation. The person (and uuid) stays the same.

    A Level 1 leader designation in a section the person leaves ends with the move.

    :raises Conflict: the staff number is taken in the target organisation.
    """
    section = _check_section(session, organisation, section_id)
    new_number = (staff_number or person.staff_number).strip()
    clash = session.scalar(
        select(Person.id).where(
            Person.organisation_id == organisation.id,
            Person.staff_number == new_number,
            Person.id != person.id,
        )
    )
    if clash:
        raise Conflict("staff_number_taken", staff_number=new_number)
    current = session.scalar(
        select(Placement).where(Placement.person_id == person.id, Placement.ended_at.is_(None))
    )
    if current is not None:
        current.ended_at = now
    from_org = person.organisation_id
    person.organisation_id = organisation.id
    person.section_id = section.id if section else None
    person.staff_number = new_number
    ended = end_designations_on_transfer(
        session, person, keep_section_id=person.section_id, actor=actor, now=now
    )
    if from_org != organisation.id:
        # HR of the old organisation loses its grip; roles are organisational.
        person.role_grants[:] = [g for g in person.role_grants if g.role == Role.ADMIN]
    _open_placement(session, person, actor=actor, now=now)
    record_event(
        session,
        action="person.transferred",
        subject_type="person",
        subject_id=person.uuid,
        actor=actor,
        organisation_id=organisation.id,
        data={
            "from_organisation_id": from_org,
            "to_organisation_id": organisation.id,
            "section_id": person.section_id,
        },
        now=now,
    )
    return Transfer(person, len(ended))


def grant_role(
    session: DBSession, person: Person, role: Role, *, actor: Person | None, now: datetime
) -> None:
    if role in person.roles:
        return
    person.role_grants.append(
        RoleGrant(role=role, granted_at=now, granted_by_id=actor.id if actor else None)
    )
    record_event(
        session,
        action="role.granted",
        subject_type="person",
        subject_id=person.uuid,
        actor=actor,
        organisation_id=person.organisation_id,
        data={"role": role.value},
        now=now,
    )


def revoke_role(
    session: DBSession, person: Person, role: Role, *, actor: Person | None, now: datetime
) -> None:
    before = len(person.role_grants)
    person.role_grants[:] = [g for g in person.role_grants if g.role != role]
    if len(person.role_grants) != before:
        record_event(
            session,
            action="role.revoked",
            subject_type="person",
            subject_id=person.uuid,
            actor=actor,
            organisation_id=person.organisation_id,
            data={"role": role.value},
            now=now,
        )


def get_person(session: DBSession, uuid: str) -> Person:
    """:raises NotFound: no such person."""
    person = session.scalar(select(Person).where(Person.uuid == uuid))
    if person is None:
        raise NotFound("person_not_found")
    return person
