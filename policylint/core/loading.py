"""Loading: turn the bytes of one file into documents with positions, through its kind's loader.

The loader of each file kind is a `load(path, text) -> LoadResult` function in the kind's package,
found through the registry (`policylint.core.kinds`) and imported on first use, so start-up pays
only for what it reads. Whatever a loader does, a file becomes documents or a `parse-error`.
"""

from __future__ import annotations

from policylint.core import kinds
from policylint.core.documents import LoadResult, ParseFailure

#: Files larger than this are reported as a parse-error instead of being read into memory.
MAX_FILE_BYTES = 64 * 1024 * 1024


def decode(path: str, file_kind: str, raw: bytes) -> str | ParseFailure:
    """Decode file bytes as UTF-8 (a BOM is dropped); binary or non-UTF-8 content fails clearly."""
    if b"\x00" in raw[:8192]:
        return ParseFailure(path, file_kind, 1, 1, "binary content (NUL byte): not a text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return ParseFailure(path, file_kind, line, column, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def load_text(path: str, text: str, file_kind: str) -> LoadResult:
    """Run the loader for `file_kind` ("yaml" means: decide from the content)."""
    file_kind = kinds.settled_kind(path, text, file_kind)
    load = kinds.loader_for(file_kind)
    result = LoadResult()
    if load is None:
        return result
    try:
        result = load(path, text)
    except RecursionError:
        result = LoadResult()
        result.failures.append(ParseFailure(path, file_kind, 1, 1, "content nested too deeply"))
    except Exception as exc:  # a loader bug must become a finding, never a traceback
        result = LoadResult()
        result.failures.append(
            ParseFailure(path, file_kind, 1, 1, f"internal error in the {file_kind} loader: {type(exc).__name__}: {exc}")
        )
    # Kept for suppression comments only: a text without the word holds none (saves its memory).
    result.sources[path] = text if "policylint" in text else ""
    return result


def load_bytes(path: str, raw: bytes, file_kind: str) -> LoadResult:
    """Decode and load one file's bytes."""
    if len(raw) > MAX_FILE_BYTES:
        result = LoadResult()
        result.failures.append(
            ParseFailure(path, file_kind, 1, 1, f"file larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        )
        return result
    decoded = decode(path, kinds.fallback_kind() if file_kind == kinds.BY_CONTENT else file_kind, raw)
    if isinstance(decoded, ParseFailure):
        result = LoadResult()
        result.failures.append(decoded)
        return result
    return load_text(path, decoded, file_kind)
