"""Pure cryptography: RFC 8785 canonical JSON, ECDSA P-256 primitives, DSSE envelopes,
RFC 9162 Merkle trees and C2SP checkpoints; no stores, no files, no keys on disk."""
