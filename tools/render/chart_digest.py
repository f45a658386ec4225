"""The content digest of a chart archive: what the chart *is*, apart from how it was packed.

Two ``helm package`` runs of the same chart directory give different archive bytes when the tar
mtimes, the member order or the gzip header/level differ (``reference/packaged/SOURCES.md``). The
content digest ignores all of that: it is the sha256 of the ``sha256sum``-format listing of every
regular file in the archive, sorted by path::

    <sha256 of the file's bytes>  <path inside the archive>\\n   (one line per file, paths in byte order)

so it can be recomputed without this code (an empty directory ``D``):

    tar -xzf ARCHIVE -C D && cd D && find . -type f -printf '%P\\n' | LC_ALL=C sort \\
        | xargs -d '\\n' sha256sum | sha256sum

Directories and all tar/gzip metadata (mtime, mode, owner, order, compression) are ignored. A file
added, dropped, renamed or changed changes the digest. An archive that holds anything but regular
files and directories (links, devices), a path twice, or a path that is absolute, climbs out with
``..`` or needs escaping in that listing (newline, backslash) is refused: no digest.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import zlib
from pathlib import Path, PurePosixPath

__all__ = ["UnsafeArchive", "content_digest", "content_listing"]


class UnsafeArchive(Exception):
    """The archive cannot be read, or holds something a content digest must not gloss over."""


def _member_path(path: Path, member: tarfile.TarInfo) -> str:
    name = member.name
    while name.startswith("./"):
        name = name[2:]
    parts = PurePosixPath(name).parts
    if not name or name.startswith("/") or ".." in parts or "\n" in name or "\\" in name:
        raise UnsafeArchive(f"{path}: member {member.name!r} has a path that is absolute, climbs out or needs escaping")
    return "/".join(parts)


def content_listing(path: Path) -> list[tuple[str, str]]:
    """``(path inside the archive, sha256 of its bytes)`` for every regular file, sorted by path."""
    entries: dict[str, str] = {}
    try:
        with tarfile.open(path) as archive:
            for member in archive:
                if member.isdir():
                    continue
                if not member.isreg():
                    raise UnsafeArchive(f"{path}: member {member.name!r} is not a regular file or directory (links are not accepted)")
                name = _member_path(path, member)
                if name in entries:
                    raise UnsafeArchive(f"{path}: member {name!r} appears twice")
                handle = archive.extractfile(member)
                assert isinstance(handle, io.BufferedReader)  # a regular file's body (tarfile.ExFileObject), never None
                entries[name] = hashlib.file_digest(handle, "sha256").hexdigest()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise UnsafeArchive(f"{path}: not a readable tar archive ({exc})") from exc
    return sorted(entries.items(), key=lambda item: item[0].encode())


def content_digest(path: Path) -> str:
    listing = "".join(f"{digest}  {name}\n" for name, digest in content_listing(path))
    return hashlib.sha256(listing.encode()).hexdigest()
