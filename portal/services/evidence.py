"""Evidence files: content checks, storage outside the web root, and who may read them.

An upload is accepted only when its *content* is a PDF, PNG or JPEG (the file name and
the browser's content type are ignored), it is at most ``max_bytes`` long and, for
images, Pillow can decode it. Files are stored under ``UPLOAD_DIR`` with a random key;
the learner's file name is kept for display and download only.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import secrets
import unicodedata
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from portal.exceptions import ValidationFailed
from portal.models import EvidenceFile, Person
from portal.models.base import new_uuid

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"

#: Refuse images larger than this many pixels before decoding them (decompression bombs).
MAX_IMAGE_PIXELS = 60_000_000

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class EvidenceUpload:
    """A checked upload, not yet stored."""

    data: bytes
    content_type: str
    original_name: str

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def clean_filename(name: str | None, content_type: str) -> str:
    """A display name: no directories, no control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    if not name:
        name = "evidence"
    extension = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}[content_type]
    allowed = {PDF: {".pdf"}, PNG: {".png"}, JPEG: {".jpg", ".jpeg"}}[content_type]
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or f".{ext.lower()}" not in allowed:
        stem = name
    return stem[: 200 - len(extension)] + extension


def sniff_type(data: bytes) -> str | None:
    """The content type the bytes really are (PDF, PNG, JPEG), or None."""
    if data.startswith(_PNG_MAGIC):
        return PNG
    if data.startswith(_JPEG_MAGIC):
        return JPEG
    if data.startswith(_PDF_MAGIC):
        return PDF
    return None


def _check_image(data: bytes, expected_format: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                if image.format != expected_format:
                    raise ValidationFailed("file_corrupt")
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ValidationFailed("image_too_large")
                image.verify()
            # verify() does not decode the pixels: load them to catch truncated files.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
        except ValidationFailed:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationFailed("image_too_large") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise ValidationFailed("file_corrupt") from None


def _check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-2048:]:
        raise ValidationFailed("file_corrupt")


def inspect_upload(data: bytes, filename: str | None, *, max_bytes: int) -> EvidenceUpload:
    """Check an uploaded file by its content.

    :raises ValidationFailed: ``file_empty``, ``file_too_large`` (``max_mb``), ``file_type``,
        ``file_corrupt`` or ``image_too_large``.
    """
    if not data:
        raise ValidationFailed("file_empty")
    if len(data) > max_bytes:
        raise ValidationFailed("file_too_large", max_mb=max_bytes // (1024 * 1024))
    content_type = sniff_type(data)
    if content_type is None:
        raise ValidationFailed("file_type")
    if content_type == PDF:
        _check_pdf(data)
    else:
        _check_image(data, "PNG" if content_type == PNG else "JPEG")
    return EvidenceUpload(data, content_type, clean_filename(filename, content_type))


@dataclass
class EvidenceStore:
    """Files under `root` (UPLOAD_DIR). Keeps the keys written in this request so that a
    failed transaction can remove them again (`discard_written`)."""

    root: Path
    written: list[str] = field(default_factory=list)

    def path_for(self, storage_key: str) -> Path:
        """The file of `storage_key`; refuses anything that would leave `root`."""
        root = self.root.resolve()
        path = (root / storage_key).resolve()
        if root not in path.parents:
            raise ValueError("storage key outside the upload directory")
        return path

    def save(self, upload: EvidenceUpload, owner: Person, now: datetime) -> EvidenceFile:
        """Write the file (atomically, owner-only permissions) and return its unsaved row."""
        token = secrets.token_hex(16)
        key = f"{token[:2]}/{token}"
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(upload.data)
        os.replace(tmp, path)
        self.written.append(key)
        return EvidenceFile(
            uuid=new_uuid(),
            owner_id=owner.id,
            storage_key=key,
            original_name=upload.original_name,
            content_type=upload.content_type,
            size=upload.size,
            sha256=upload.sha256,
            created_at=now,
        )

    def discard_written(self) -> None:
        """Remove the files written by this store (call when the transaction is rolled back)."""
        for key in self.written:
            with contextlib.suppress(OSError, ValueError):  # best effort
                self.path_for(key).unlink(missing_ok=True)
        self.written.clear()

    def forget_written(self) -> None:
        """The transaction committed: the files are referenced and must stay."""
        self.written.clear()


def can_view_evidence(viewer: Person, owner_id: int, owner_organisation_id: int) -> bool:
    """Who may open a learner's evidence file.

    The owner; trainers (they review submissions); HR of the owner's *current*
    organisation (so after a transfer the new organisation's HR sees it, the old one no
    longer does). Nobody else, not even through a guessed uuid.
    """
    if viewer.id == owner_id:
        return True
    if viewer.is_trainer:
        return True
    return bool(viewer.is_hr and viewer.organisation_id == owner_organisation_id)
