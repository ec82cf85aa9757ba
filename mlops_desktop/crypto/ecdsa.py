"""ECDSA P-256 / SHA-256 primitives and key ids (CRYPTO.md).

Key id = lowercase hex SHA-256 of the DER SubjectPublicKeyInfo; it is the fingerprint
shown everywhere. Key files, passphrases and certificates live in ``governance.keys``.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


class NotP256KeyError(ValueError):
    """PEM data that is not an ECDSA P-256 public key."""


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def spki_der(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo."""
    return hashlib.sha256(spki_der(public_key)).hexdigest()


def public_pem(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def is_p256(key: object) -> bool:
    return isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) and isinstance(
        key.curve, ec.SECP256R1
    )


def public_key_from_pem(data: bytes) -> ec.EllipticCurvePublicKey:
    """The P-256 public key in PEM ``data``; :class:`NotP256KeyError` for anything else."""
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise NotP256KeyError("not a readable PEM public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not is_p256(key):
        raise NotP256KeyError("not an ECDSA P-256 key")
    return key


def sign_bytes(private_key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """ECDSA P-256 / SHA-256, DER-encoded."""
    return private_key.sign(data, ec.ECDSA(hashes.SHA256()))


def verify_bytes(public_key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    try:
        public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True
