"""The click spool: append-only JSON-lines files for when the database is away.

What is spooled is the *enriched* click (visitor hash, device, …), never a
``RawClick``: the raw IP does not reach the disk here either. The unique flag
is left out and decided at replay, against what is stored by then.

Files are named ``clicks-<time ns>-<pid>-<seq>.jsonl`` so that sorting by name
is the order they were written in. Every append is flushed and fsynced before
it returns. To replay, a file is first *claimed* by renaming it to
``….<pid>.replaying`` (atomic, so two processes never replay the same file),
then read and, once every batch from it is committed, deleted. A crash
mid-replay leaves the claimed file behind; the next start replays it again,
which is harmless because click inserts are idempotent on ``click_id``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from perfluence.tracking.events import EnrichedClick

log = logging.getLogger(__name__)

_SEGMENT = re.compile(r"clicks-(\d{20})-(\d+)-(\d{6})\.jsonl")
_CLAIMED = re.compile(r"(clicks-\d{20}-\d+-\d{6}\.jsonl)\.(\d+)\.replaying")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class ClickSpool:
    """Append-only spool files in one directory. Used from the writer thread only."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._pid = os.getpid()
        self._seq = 0
        self._segment: BinaryIO | None = None
        self._segment_path: Path | None = None

    # -- writing ----------------------------------------------------------------

    def append(self, clicks: Sequence[EnrichedClick]) -> None:
        """Append clicks and fsync, all or nothing. Raises ``OSError`` (disk full, read-only, …).

        When the write fails part-way, the file is cut back to its size before
        the append: the caller counts the whole batch as dropped, so none of it
        may be replayed later.
        """
        if not clicks:
            return
        payload = b"".join(
            json.dumps(c.to_json(), separators=(",", ":")).encode() + b"\n" for c in clicks
        )
        segment = self._open_segment()
        fd = segment.fileno()
        start = os.fstat(fd).st_size
        try:
            view = memoryview(payload)
            while view:  # unbuffered: a short write leaves nothing behind in a buffer
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError:
            try:
                os.ftruncate(fd, start)
            except OSError:
                log.exception("cutting spool file %s back failed", self._segment_path)
            # Whatever happened to the file, the next append starts a new one.
            self.close_segment()
            raise

    def _open_segment(self) -> BinaryIO:
        if self._segment is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._seq += 1
            name = f"clicks-{time.time_ns():020d}-{self._pid}-{self._seq:06d}.jsonl"
            self._segment_path = self.directory / name
            self._segment = self._segment_path.open("ab", buffering=0)
            _fsync_directory(self.directory)
        return self._segment

    def close_segment(self) -> None:
        """Close the file being appended to, so it can be replayed; the next append opens anew."""
        if self._segment is not None:
            try:
                self._segment.close()
            except OSError:
                log.exception("closing spool file %s failed", self._segment_path)
            self._segment = None
            self._segment_path = None

    # -- replaying --------------------------------------------------------------

    def has_pending(self) -> bool:
        return bool(self.pending())

    def pending(self) -> list[Path]:
        """Files to replay, oldest first: orphaned claims, then closed segments.

        Segments of other live processes are theirs to replay; the file this
        process is still appending to is not listed until it is closed.
        """
        if not self.directory.is_dir():
            return []
        found: list[tuple[str, Path]] = []
        for path in self.directory.iterdir():
            claimed = _CLAIMED.fullmatch(path.name)
            if claimed:
                if int(claimed.group(2)) == self._pid or not _pid_alive(int(claimed.group(2))):
                    found.append((claimed.group(1), path))
                continue
            segment = _SEGMENT.fullmatch(path.name)
            if segment is None or path == self._segment_path:
                continue
            owner = int(segment.group(2))
            if owner == self._pid or not _pid_alive(owner):
                found.append((path.name, path))
        return [path for _, path in sorted(found)]

    def claim(self, path: Path) -> Path | None:
        """Take a file for replay by renaming it; None when another process took it first."""
        base = path.name.rsplit(".", 2)[0] if path.name.endswith(".replaying") else path.name
        claimed = path.with_name(f"{base}.{self._pid}.replaying")
        if claimed == path:
            return path
        try:
            path.rename(claimed)
        except FileNotFoundError:
            return None
        return claimed

    def read(self, path: Path) -> Iterator[EnrichedClick]:
        """The clicks in a spool file, in order; damaged lines (a crash mid-append) are skipped."""
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield EnrichedClick.from_json(json.loads(line))
                except (ValueError, KeyError, TypeError):
                    log.warning("skipping damaged line %d in spool file %s", number, path.name)

    def finish(self, path: Path) -> None:
        """A claimed file is fully committed: delete it."""
        path.unlink(missing_ok=True)
        _fsync_directory(self.directory)

    def quarantine(self, path: Path) -> Path:
        """Set aside a file the database refuses (not an outage), so replay can go on."""
        failed = path.with_name(path.name + ".failed")
        path.rename(failed)
        log.error("spool file %s could not be replayed; kept as %s", path.name, failed.name)
        return failed


def _fsync_directory(directory: Path) -> None:
    # A new or removed file is durable only once its directory entry is.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
