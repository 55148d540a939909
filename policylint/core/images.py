"""Container image references: registry, repository, tag and digest, parsed the way Docker does."""

from __future__ import annotations

import re

from policylint.core.records import record

#: `algorithm:encoded` as the OCI image spec defines a digest (e.g. `sha256:` + 64 hex digits).
_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$")


@record(frozen=True, slots=True)
class ImageReference:
    """A parsed image reference; `tag` and `digest` are empty when absent."""

    registry: str
    repository: str
    tag: str
    digest: str

    @property
    def pinned_by_digest(self) -> bool:
        """True when the reference carries a well-formed content digest (`@sha256:<64 hex>`).

        A malformed digest (`@sha256:abc`, `@latest`) is refused by the runtime, so it pins nothing.
        """
        return bool(_DIGEST.match(self.digest))

    @property
    def mutable(self) -> bool:
        """True for no tag or the `latest` tag without a digest: the image can change under you."""
        return not self.pinned_by_digest and self.tag in ("", "latest")


def parse_image(reference: str) -> ImageReference:
    """Split `registry:5000/team/app:1.2@sha256:...` into its parts.

    The tag is the part after the last `:` of the last path component, so a registry port
    (`registry:5000/app`) is never mistaken for a tag.
    """
    ref = reference.strip()
    digest = ""
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    name, tag = ref, ""
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        name, tag = ref[:colon], ref[colon + 1 :]
    registry = ""
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, name = first, rest
    return ImageReference(registry, name, tag, digest)
