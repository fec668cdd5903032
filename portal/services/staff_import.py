"""All-or-nothing CSV import of staff by HR.

Excel in Japan writes CSV as UTF-8 with BOM or as Shift_JIS (cp932); both are
read. Every row is checked before anything is written: on any error the caller
gets a list of (line, column, code) problems and the database is untouched.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from portal.models import Email, Organisation, Person, Role, Unit, UnitKind
from portal.models.base import DBSession
from portal.services.accounts import (
    PersonInput,
    create_person,
    grant_role,
    normalise_email,
    transfer_person,
)
from portal.services.audit import record_event
from portal.services.orgs import ensure_unit

#: Accepted header names (Japanese or English) → field.
HEADERS = {
    "職員番号": "staff_number",
    "staff_number": "staff_number",
    "氏名": "name",
    "name": "name",
    "ふりがな": "name_kana",
    "フリガナ": "name_kana",
    "name_kana": "name_kana",
    "メールアドレス": "email",
    "email": "email",
    "部": "department",
    "department": "department",
    "課": "section",
    "section": "section",
    "役割": "roles",
    "roles": "roles",
}
REQUIRED = ("staff_number", "name", "email")
#: Column labels used in error reports, in the order of a template file.
COLUMN_LABELS = {
    "staff_number": "職員番号",
    "name": "氏名",
    "name_kana": "ふりがな",
    "email": "メールアドレス",
    "department": "部",
    "section": "課",
    "roles": "役割",
}
ROLE_WORDS = {"trainer": Role.TRAINER, "研修担当": Role.TRAINER, "hr": Role.HR, "人事担当": Role.HR}
STAFF_NUMBER_RE = re.compile(r"^[0-9A-Za-z\-_]{1,40}$")


@dataclass(frozen=True)
class ImportProblem:
    line: int  # 1-based line in the file; 0 for the whole file
    column: str | None  # field name (see COLUMN_LABELS)
    code: str
    value: str = ""


@dataclass
class ImportRow:
    line: int
    staff_number: str
    name: str
    name_kana: str
    email: str
    department: str
    section: str
    roles: frozenset[Role]
    existing: Person | None = None


@dataclass
class ImportPlan:
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    encoding: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    units_created: int


def decode_csv(raw: bytes) -> tuple[str, str] | None:
    """Text and encoding name of an uploaded CSV (UTF-8 with or without BOM, or Shift_JIS)."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None


def plan_import(
    session: DBSession, organisation: Organisation, raw: bytes, *, max_rows: int
) -> ImportPlan:
    """Parse and check a staff CSV against the database without writing anything."""
    plan = ImportPlan()
    decoded = decode_csv(raw)
    if decoded is None:
        plan.problems.append(ImportProblem(0, None, "bad_encoding"))
        return plan
    text, plan.encoding = decoded
    if "\x00" in text:
        plan.problems.append(ImportProblem(0, None, "not_csv"))
        return plan
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        plan.problems.append(ImportProblem(0, None, "empty_file"))
        return plan
    columns: list[str | None] = []
    for raw_name in header:
        key = HEADERS.get(raw_name.strip().lower()) or HEADERS.get(raw_name.strip())
        columns.append(key)
    missing = [c for c in REQUIRED if c not in columns]
    for name in missing:
        plan.problems.append(ImportProblem(1, name, "missing_column"))
    unknown = [h for h, c in zip(header, columns, strict=True) if c is None and h.strip()]
    for name in unknown:
        plan.problems.append(ImportProblem(1, None, "unknown_column", name))
    if plan.problems:
        return plan

    seen_numbers: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    try:
        records = list(enumerate(reader, start=2))
    except csv.Error as exc:
        plan.problems.append(ImportProblem(reader.line_num, None, "malformed_csv", str(exc)))
        return plan
    records = [(n, r) for n, r in records if any(cell.strip() for cell in r)]
    if not records:
        plan.problems.append(ImportProblem(0, None, "no_rows"))
        return plan
    if len(records) > max_rows:
        plan.problems.append(ImportProblem(0, None, "too_many_rows", str(max_rows)))
        return plan

    numbers = [
        r[columns.index("staff_number")].strip()
        for _, r in records
        if len(r) > columns.index("staff_number")
    ]
    existing_people = {
        p.staff_number: p
        for p in session.scalars(
            select(Person).where(
                Person.organisation_id == organisation.id, Person.staff_number.in_(numbers)
            )
        )
    }
    for line, record in records:
        if len(record) != len(columns):
            plan.problems.append(ImportProblem(line, None, "wrong_cell_count", str(len(record))))
            continue
        values = {c: cell.strip() for c, cell in zip(columns, record, strict=True) if c}
        row_problems = _check_row(line, values)
        number = values.get("staff_number", "")
        if number:
            if number in seen_numbers:
                row_problems.append(
                    ImportProblem(
                        line, "staff_number", "duplicate_in_file", str(seen_numbers[number])
                    )
                )
            else:
                seen_numbers[number] = line
        email = normalise_email(values.get("email", ""))
        if email:
            if email in seen_emails:
                row_problems.append(
                    ImportProblem(line, "email", "duplicate_in_file", str(seen_emails[email]))
                )
            else:
                seen_emails[email] = line
        roles = set()
        for word in re.split(r"[;；、,\s]+", values.get("roles", "")):
            if not word:
                continue
            role = ROLE_WORDS.get(word.lower()) or ROLE_WORDS.get(word)
            if role is None:
                row_problems.append(ImportProblem(line, "roles", "unknown_role", word))
            else:
                roles.add(role)
        if values.get("section") and not values.get("department"):
            row_problems.append(ImportProblem(line, "department", "department_required"))
        plan.problems.extend(row_problems)
        if not row_problems:
            plan.rows.append(
                ImportRow(
                    line=line,
                    staff_number=number,
                    name=values["name"],
                    name_kana=values.get("name_kana", ""),
                    email=email,
                    department=values.get("department", ""),
                    section=values.get("section", ""),
                    roles=frozenset(roles),
                    existing=existing_people.get(number),
                )
            )
    # Emails already used by someone else in the portal.
    owners = {
        e.address: e.person_id
        for e in session.scalars(
            select(Email).where(Email.address.in_([r.email for r in plan.rows]))
        )
    }
    for row in plan.rows:
        owner = owners.get(row.email)
        if owner is not None and (row.existing is None or row.existing.id != owner):
            plan.problems.append(ImportProblem(row.line, "email", "email_taken", row.email))
    plan.problems.sort(key=lambda p: (p.line, p.column or ""))
    return plan


def _check_row(line: int, values: dict[str, str]) -> list[ImportProblem]:
    problems = []
    for name in REQUIRED:
        if not values.get(name):
            problems.append(ImportProblem(line, name, "required"))
    number = values.get("staff_number", "")
    if number and not STAFF_NUMBER_RE.match(number):
        problems.append(ImportProblem(line, "staff_number", "bad_staff_number", number))
    name = values.get("name", "")
    if len(name) > 120:
        problems.append(ImportProblem(line, "name", "too_long"))
    if len(values.get("name_kana", "")) > 160:
        problems.append(ImportProblem(line, "name_kana", "too_long"))
    for unit_field in ("department", "section"):
        if len(values.get(unit_field, "")) > 120:
            problems.append(ImportProblem(line, unit_field, "too_long"))
    email = values.get("email", "")
    if email:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            problems.append(ImportProblem(line, "email", "bad_email", email))
    return problems


def apply_import(
    session: DBSession,
    organisation: Organisation,
    plan: ImportPlan,
    *,
    actor: Person | None,
    now: datetime,
) -> ImportResult:
    """Write a checked plan: create new people, update existing ones, add missing units."""
    if not plan.ok:
        raise ValueError("cannot apply an import plan with problems")
    created = updated = units_created = 0
    for row in plan.rows:
        section: Unit | None = None
        if row.department:
            department, made = ensure_unit(session, organisation.id, row.department)
            units_created += made
            if row.section:
                section, made = ensure_unit(
                    session, organisation.id, row.section, parent=department
                )
                units_created += made
        if row.existing is None:
            create_person(
                session,
                organisation,
                PersonInput(
                    row.staff_number,
                    row.name,
                    row.name_kana,
                    row.email,
                    section.id if section else None,
                ),
                actor=actor,
                now=now,
                roles=row.roles,
            )
            created += 1
            continue
        person = row.existing
        changed = False
        if person.name != row.name or person.name_kana != row.name_kana:
            person.name, person.name_kana = row.name, row.name_kana
            changed = True
        if section is not None and person.section_id != section.id:
            transfer_person(
                session,
                person,
                organisation=organisation,
                section_id=section.id,
                staff_number=None,
                actor=actor,
                now=now,
            )
            changed = True
        if row.email not in {e.address for e in person.emails}:
            person.emails.append(Email(address=row.email, is_primary=False, verified_at=now))
            changed = True
        for role in row.roles - person.roles:
            grant_role(session, person, role, actor=actor, now=now)
            changed = True
        updated += changed
    session.flush()
    record_event(
        session,
        action="staff.imported",
        subject_type="organisation",
        subject_id=organisation.id,
        actor=actor,
        organisation_id=organisation.id,
        data={
            "created": created,
            "updated": updated,
            "units_created": units_created,
            "encoding": plan.encoding,
        },
        now=now,
    )
    return ImportResult(created, updated, units_created)


def unit_kind_label(kind: UnitKind) -> str:
    return "部" if kind == UnitKind.DEPARTMENT else "課"
