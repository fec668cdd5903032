"""Revocation: 1EdTech Revocation List JSON and W3C Bitstring Status List credentials."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from badges._time import format_z
from badges.errors import BadgeBuildError, BadgeError, BadgeStatusError
from badges.jose import b64url_decode, b64url_encode, decode_compact
from badges.model import VCDM2_CONTEXT, require_https

__all__ = [
    "MIN_STATUS_LIST_BITS",
    "BitstringStatusList",
    "StatusDocuments",
    "StatusResolver",
    "build_revocation_list",
    "build_status_list_credential",
    "revoked_ids",
]

#: W3C Bitstring Status List minimum size (16 KiB of bits) for herd privacy.
MIN_STATUS_LIST_BITS = 131_072
#: Refuse status lists that inflate beyond this (gzip bomb guard): 4 MiB = 33.5 M entries.
MAX_STATUS_LIST_BYTES = 4 * 1024 * 1024
#: Refuse encoded lists longer than this many characters before decoding.
MAX_ENCODED_LIST_CHARS = 1024 * 1024

#: Fetched status documents by URL: a revocation-list dict, or a status-list credential as
#: a dict (unsigned JSON) or compact JWS string.  None means "not available".
StatusResolver = Callable[[str], Mapping[str, Any] | str | None]


class BitstringStatusList:
    """A mutable bitstring; bit ``i`` is the MSB-first bit ``i`` (index 0 = MSB of byte 0)."""

    def __init__(self, size: int = MIN_STATUS_LIST_BITS, set_bits: Iterable[int] = ()) -> None:
        if size < MIN_STATUS_LIST_BITS or size % 8:
            raise BadgeStatusError("status.bad_size", {"size": size})
        self._bits = bytearray(size // 8)
        for index in set_bits:
            self.set(index)

    @property
    def size(self) -> int:
        """Number of entries."""
        return len(self._bits) * 8

    def _check(self, index: int) -> None:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < self.size:
            raise BadgeStatusError("status.index_out_of_range", {"index": str(index)[:32]})

    def set(self, index: int, value: bool = True) -> None:
        """Set (revoke) or clear entry ``index``."""
        self._check(index)
        mask = 0x80 >> (index % 8)
        if value:
            self._bits[index // 8] |= mask
        else:
            self._bits[index // 8] &= ~mask & 0xFF

    def is_set(self, index: int) -> bool:
        """True if entry ``index`` is set (revoked)."""
        self._check(index)
        return bool(self._bits[index // 8] & (0x80 >> (index % 8)))

    def set_indices(self) -> list[int]:
        """All set indices in ascending order."""
        return [
            byte_index * 8 + bit
            for byte_index, byte in enumerate(self._bits)
            if byte
            for bit in range(8)
            if byte & (0x80 >> bit)
        ]

    def encode(self) -> str:
        """Multibase ``u`` + base64url(no pad) of gzip(bits); deterministic (mtime 0)."""
        return "u" + b64url_encode(gzip.compress(bytes(self._bits), compresslevel=9, mtime=0))

    @classmethod
    def decode(cls, encoded: object) -> BitstringStatusList:
        """Decode an ``encodedList`` value, refusing gzip bombs and short lists.

        Accepts the multibase ``u`` prefix (required by the spec) and, leniently, bare
        base64url and padded input as produced by some older implementations.

        :raises BadgeStatusError: ``status.bad_encoding`` or ``status.bad_size``.
        """
        if not isinstance(encoded, str) or not encoded or len(encoded) > MAX_ENCODED_LIST_CHARS:
            raise BadgeStatusError("status.bad_encoding", {"reason": "type"})
        text = encoded[1:] if encoded[0] == "u" else encoded
        text = text.rstrip("=")
        try:
            raw = b64url_decode(text)
        except ValueError as exc:
            raise BadgeStatusError("status.bad_encoding", {"reason": "base64url"}) from exc
        inflater = zlib.decompressobj(wbits=31)
        try:
            bits = inflater.decompress(raw, MAX_STATUS_LIST_BYTES + 1)
        except zlib.error as exc:
            raise BadgeStatusError("status.bad_encoding", {"reason": "gzip"}) from exc
        if len(bits) > MAX_STATUS_LIST_BYTES or inflater.unconsumed_tail:
            raise BadgeStatusError("status.bad_encoding", {"reason": "too large"})
        if not inflater.eof:
            raise BadgeStatusError("status.bad_encoding", {"reason": "truncated"})
        out = cls.__new__(cls)
        if len(bits) * 8 < MIN_STATUS_LIST_BITS:
            raise BadgeStatusError("status.bad_size", {"size": len(bits) * 8})
        out._bits = bytearray(bits)
        return out


def build_status_list_credential(
    *,
    list_url: str,
    issuer_id: str,
    status_list: BitstringStatusList,
    valid_from: datetime,
    valid_until: datetime | None = None,
    purpose: str = "revocation",
) -> dict[str, Any]:
    """BitstringStatusListCredential (VCDM 2.0) for ``list_url``; sign with sign_credential.

    ``credentialSubject.id`` is ``{list_url}#list`` (it becomes the JWT ``sub``).

    :raises BadgeBuildError: for a non-https URL/issuer or naive datetimes.
    """
    require_https(list_url, "statusListCredential")
    require_https(issuer_id, "issuer")
    if purpose not in ("revocation", "suspension"):
        raise BadgeBuildError("build.bad_enum", {"field": "statusPurpose", "value": purpose})
    credential: dict[str, Any] = {
        "@context": [VCDM2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": format_z(valid_from, "validFrom"),
    }
    if valid_until is not None:
        credential["validUntil"] = format_z(valid_until, "validUntil")
    credential["credentialSubject"] = {
        "id": f"{list_url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": status_list.encode(),
    }
    return credential


def build_revocation_list(
    *, list_url: str, issuer_id: str, revoked: Iterable[str]
) -> dict[str, Any]:
    """Serve-ready 1EdTech Revocation List for ``list_url`` (the credentials' status id).

    Entries are ``{"id": <credential id>, "revoked": true}``, de-duplicated and sorted.  The
    entry array is written under both ``revokedCredential`` (research-doc / VCRL wording)
    and ``revokedCredentials`` (the member the official 1EdTech validator reads) so that
    either reader finds it; :func:`revoked_ids` accepts either.

    :raises BadgeBuildError: for a non-https URL or issuer.
    """
    require_https(list_url, "credentialStatus.id")
    require_https(issuer_id, "issuer")
    entries = [{"id": cid, "revoked": True} for cid in sorted(set(revoked))]
    return {
        "id": list_url,
        "type": "1EdTechRevocationList",
        "issuer": issuer_id,
        "revokedCredential": entries,
        "revokedCredentials": [dict(e) for e in entries],
    }


def revoked_ids(document: Mapping[str, Any]) -> frozenset[str]:
    """Credential ids a 1EdTech Revocation List marks revoked (``revoked`` true or absent).

    :raises BadgeStatusError: ``status.bad_list`` if the document has no entry array.
    """
    found: set[str] = set()
    present = False
    for member in ("revokedCredential", "revokedCredentials"):
        entries = document.get(member)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise BadgeStatusError("status.bad_list", {"reason": member})
        present = True
        for entry in entries:
            if isinstance(entry, str):
                found.add(entry)
            elif isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
                flag = entry.get("revoked", True)
                if flag is True or flag is None:
                    found.add(entry["id"])
    if not present:
        raise BadgeStatusError("status.bad_list", {"reason": "revokedCredential"})
    return frozenset(found)


def _document_id(document: Mapping[str, Any] | str) -> str | None:
    if isinstance(document, str):
        try:
            payload = decode_compact(document).payload
        except BadgeError:  # unparsable documents are simply not indexed
            return None
        if isinstance(payload.get("vc"), Mapping):
            payload = payload["vc"]
        doc_id = payload.get("id", payload.get("jti"))
    else:
        doc_id = document.get("id")
    return doc_id if isinstance(doc_id, str) else None


class StatusDocuments:
    """A :data:`StatusResolver` over already-fetched documents, keyed by URL.

    ``StatusDocuments.from_documents(docs)`` indexes each document by its own ``id`` (for a
    JWS: the payload ``id``/``jti``); ``mapping`` entries map explicit URLs to documents.
    """

    def __init__(self, mapping: Mapping[str, Mapping[str, Any] | str] | None = None) -> None:
        self._docs: dict[str, Mapping[str, Any] | str] = dict(mapping or {})
        self._revoked: dict[str, frozenset[str]] = {}

    @classmethod
    def from_documents(cls, documents: Iterable[Mapping[str, Any] | str]) -> StatusDocuments:
        """Index documents by their own id; documents without one are ignored."""
        out = cls()
        for document in documents:
            doc_id = _document_id(document)
            if doc_id is not None:
                out._docs[doc_id] = document
        return out

    def __call__(self, url: str) -> Mapping[str, Any] | str | None:
        return self._docs.get(url)

    def __len__(self) -> int:
        return len(self._docs)

    def revoked_ids(self, url: str) -> frozenset[str]:
        """Revoked ids of the 1EdTech list at ``url`` (parsed once, then cached).

        :raises BadgeStatusError: as :func:`revoked_ids`; ``status.bad_list`` if missing.
        """
        cached = self._revoked.get(url)
        if cached is None:
            document = self._docs.get(url)
            if not isinstance(document, Mapping):
                raise BadgeStatusError("status.bad_list", {"reason": "not JSON"})
            cached = revoked_ids(document)
            self._revoked[url] = cached
        return cached
