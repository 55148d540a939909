"""SHA-256 for fingerprints and cache keys, without importing `hashlib` at start-up.

Why: `import hashlib` loads OpenSSL's bindings (a few milliseconds, on every pre-commit run). The
interpreter's own SHA-256 module gives the same digests; hashlib is the fallback where it is absent.
"""

from __future__ import annotations

try:  # Python 3.10, 3.11
    from _sha256 import sha256
except ImportError:  # pragma: no cover - depends on the Python version
    try:  # Python 3.12+
        from _sha2 import sha256  # type: ignore[no-redef]
    except ImportError:
        from hashlib import sha256  # type: ignore[no-redef]

__all__ = ["sha256"]
