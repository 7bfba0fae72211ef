"""Session-scoped POSIX shared memory: creation, attachment, cleanup.

Every segment is named ``magscope-{session}-{name}`` where ``session`` is
``{pid}-{6 hex digits}`` of the owner process (see :func:`new_session_id`). The owner
creates segments through a :class:`SessionMemory`, which unlinks all of them on
:meth:`SessionMemory.close` (also from ``atexit``). Other processes only
:func:`attach_segment`; they never unlink. A later start can remove what a crashed
session left behind with :func:`cleanup_stale_segments`, because the owner's pid is in
every name.

Resource tracker: on Python < 3.13 attaching registers the segment with the process's
resource tracker. Children started by the owner through :mod:`multiprocessing` (spawn,
forkserver or fork) share the owner's tracker, where a second registration is harmless;
children must never unregister (that would remove the owner's registration). A process
that was *not* started by the owner has a tracker of its own, which would unlink the
segment when that process exits, so :func:`attach_segment` unregisters there.
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import sys
from multiprocessing import resource_tracker
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path

import numpy as np

from magscope_core._buffers._errors import BufferAttachError, SegmentExistsError, SharedBufferError

__all__ = [
    "SEGMENT_PREFIX",
    "SessionMemory",
    "attach_segment",
    "cleanup_stale_segments",
    "list_session_segments",
    "new_session_id",
]

SEGMENT_PREFIX = "magscope-"
"""Every segment name starts with this."""

PAGE_SIZE = 4096
_SESSION_RE = re.compile(r"^[0-9]+-[0-9a-f]{6}$")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,7}$")
_STALE_RE = re.compile(r"^magscope-([0-9]+)-")
_MACOS_NAME_MAX = 30  # PSHMNAMLEN 31 includes the leading "/"


def new_session_id() -> str:
    """Return a new session id ``"{pid}-{6 hex digits}"`` for this process."""
    return f"{os.getpid()}-{secrets.token_hex(3)}"


class _Segment(SharedMemory):
    """A :class:`SharedMemory` whose finaliser tolerates live numpy views.

    ``SharedMemory.__del__`` calls ``close()``, which raises :class:`BufferError` while
    numpy arrays still export the buffer. Here the mapping is then simply left to the
    last view (it is unmapped when that view is collected).
    """

    def __del__(self) -> None:
        try:
            self.close()
        except (OSError, BufferError):
            pass


def _close_quietly(shm: SharedMemory) -> None:
    """Close a mapping; if numpy views still use it, leave it to them."""
    try:
        shm.close()
    except BufferError:
        pass


def segment_buffer(shm: SharedMemory) -> memoryview:
    """The mapped memory of ``shm`` (raises if the mapping was closed)."""
    buf = shm.buf
    if buf is None:
        raise SharedBufferError(f"shared-memory segment {shm.name!r} is closed in this process")
    return buf


def _check_space(full_name: str, nbytes: int) -> None:
    """Refuse a segment larger than the free space of ``/dev/shm`` (writing it would SIGBUS)."""
    if not sys.platform.startswith("linux") or not os.path.isdir("/dev/shm"):
        return
    st = os.statvfs("/dev/shm")
    free = st.f_bavail * st.f_frsize
    if nbytes > free:
        raise SharedBufferError(
            f"cannot create shared-memory segment {full_name!r} of {nbytes:,} bytes: "
            f"/dev/shm has only {free:,} bytes free (make the buffer smaller or /dev/shm larger)"
        )


def _prefault_write(shm: SharedMemory) -> None:
    """Write zeros over the whole segment so every page is allocated now."""
    view = np.frombuffer(segment_buffer(shm), dtype=np.uint8)
    view.fill(0)
    del view


def prefault_read(shm: SharedMemory) -> None:
    """Read one byte of every page so this process maps all pages now.

    First touches otherwise fault page by page inside the hot loop. Reading keeps the
    data intact (unlike the owner's zero fill).
    """
    view = np.frombuffer(segment_buffer(shm), dtype=np.uint8)
    int(view[::PAGE_SIZE].sum())
    del view


class SessionMemory:
    """Owner of one session's shared-memory segments.

    Parameters
    ----------
    session_id
        ``"{pid}-{hex}"``; a new one (:func:`new_session_id`) when omitted.
    register_atexit
        Also unlink every segment at interpreter exit.

    Notes
    -----
    Use it as a context manager or call :meth:`close`; :meth:`close` is idempotent and
    safe from ``atexit`` handlers and signal handlers. It cannot be pickled: give other
    processes the buffers' handles instead.
    """

    def __init__(self, session_id: str | None = None, *, register_atexit: bool = True) -> None:
        sid = new_session_id() if session_id is None else session_id
        if not _SESSION_RE.match(sid):
            raise ValueError(
                f"invalid session id {sid!r}: expected '<pid>-<6 lowercase hex digits>'"
            )
        self._session_id = sid
        self._owner_pid = os.getpid()
        self._segments: dict[str, SharedMemory] = {}
        self._closed = False
        self._atexit = register_atexit
        if register_atexit:
            atexit.register(self.close)

    @property
    def session_id(self) -> str:
        """The session id, ``"{pid}-{hex}"``."""
        return self._session_id

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run."""
        return self._closed

    def full_name(self, name: str) -> str:
        """Return the segment name ``magscope-{session}-{name}``."""
        return f"{SEGMENT_PREFIX}{self._session_id}-{name}"

    def segment_names(self) -> list[str]:
        """Full names of the segments created and not yet unlinked, in creation order."""
        return list(self._segments)

    def create(self, name: str, nbytes: int) -> SharedMemory:
        """Create the segment ``magscope-{session}-{name}`` of ``nbytes`` bytes.

        The pages are written with zeros at once (pre-faulted), so first-touch page faults
        do not slow the first pass of a ring.

        Parameters
        ----------
        name
            Short buffer name: 1 to 8 characters of ``a-z``, ``0-9`` and ``-``, starting
            with a letter or digit (keeps full names within macOS's 31-character limit).
        nbytes
            Size in bytes, at least 1.

        Raises
        ------
        ValueError
            Bad name or size.
        SegmentExistsError
            A segment of that full name exists already.
        SharedBufferError
            The session is closed, or ``/dev/shm`` lacks the space.
        """
        if self._closed:
            raise SharedBufferError(
                f"session {self._session_id} is closed; cannot create segment {name!r}"
            )
        if not _NAME_RE.match(name):
            raise ValueError(
                f"invalid buffer name {name!r}: expected 1-8 characters of a-z, 0-9 and '-', "
                "starting with a letter or digit"
            )
        if nbytes < 1:
            raise ValueError(f"segment {name!r}: size must be >= 1 byte, got {nbytes}")
        full = self.full_name(name)
        if sys.platform == "darwin" and len(full) > _MACOS_NAME_MAX:
            raise ValueError(f"segment name {full!r} is longer than macOS allows (30 chars)")
        _check_space(full, nbytes)
        try:
            shm = _Segment(name=full, create=True, size=nbytes)
        except FileExistsError:
            raise SegmentExistsError(
                f"shared-memory segment {full!r} already exists "
                f"(buffer name {name!r} used twice in session {self._session_id}?)"
            ) from None
        self._segments[full] = shm
        try:
            _prefault_write(shm)
        except BaseException:
            self._unlink(full)
            raise
        return shm

    def _unlink(self, full: str) -> None:
        shm = self._segments.pop(full, None)
        if shm is None:
            return
        _close_quietly(shm)
        try:
            shm.unlink()
        except FileNotFoundError:
            pass

    def close(self) -> None:
        """Close and unlink every segment of the session (idempotent).

        Processes still attached keep valid mappings until they detach; new attaches fail.
        Does nothing in a forked child (only the creating process unlinks).
        """
        if os.getpid() != self._owner_pid:
            return
        self._closed = True
        first_error: OSError | None = None
        # pop-one-at-a-time loop: a re-entrant call from a signal handler continues safely.
        while self._segments:
            try:
                full = next(iter(self._segments))
            except (StopIteration, RuntimeError):
                break
            try:
                self._unlink(full)
            except OSError as exc:  # keep unlinking the others, report the first failure
                first_error = first_error or exc
        if self._atexit:
            self._atexit = False
            atexit.unregister(self.close)
        if first_error is not None:
            raise first_error

    def __enter__(self) -> SessionMemory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError(
            "SessionMemory belongs to the process that created the segments; "
            "pass the buffers' handles to other processes instead"
        )

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._segments)} segments"
        return f"SessionMemory({self._session_id!r}, {state})"


def _process_has_tracker() -> bool:
    """Whether this process is already connected to a resource tracker."""
    tracker = getattr(resource_tracker, "_resource_tracker", None)
    return getattr(tracker, "_fd", None) is not None


_OWN_TRACKER = False
"""Whether this process's resource tracker was started by :func:`attach_segment` (a process
outside the session's process tree); then every attached segment is unregistered from it."""


def attach_segment(full_name: str) -> SharedMemory:
    """Attach an existing segment by its full name (never unlinks it later).

    Raises
    ------
    BufferAttachError
        The segment does not exist (its session has ended or never created it).
    """
    if not full_name.startswith(SEGMENT_PREFIX):
        raise BufferAttachError(
            f"refusing to attach {full_name!r}: MagScope segments start with {SEGMENT_PREFIX!r}"
        )
    try:
        if sys.version_info >= (3, 13):
            return _Segment(name=full_name, create=False, track=False)
        global _OWN_TRACKER
        if not _process_has_tracker():
            _OWN_TRACKER = True  # attaching will start a tracker that serves only this process
        shm = _Segment(name=full_name, create=False)
        if _OWN_TRACKER:
            # Our own tracker would unlink the segment when this process exits.
            resource_tracker.unregister(shm._name, "shared_memory")  # type: ignore[attr-defined]
        return shm
    except FileNotFoundError:
        raise BufferAttachError(
            f"shared-memory segment {full_name!r} does not exist: the session that "
            "created it has ended (or the name is wrong)"
        ) from None


def list_session_segments(
    session_id: str, directory: str | os.PathLike[str] = "/dev/shm"
) -> list[str]:
    """Names of the segments of ``session_id`` present in ``directory``, sorted."""
    d = Path(directory)
    if not d.is_dir():
        return []
    prefix = f"{SEGMENT_PREFIX}{session_id}-"
    return sorted(p.name for p in d.iterdir() if p.name.startswith(prefix))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, belongs to another user
    return True


def cleanup_stale_segments(directory: str | os.PathLike[str] = "/dev/shm") -> list[str]:
    """Remove segments ``magscope-<pid>-...`` whose owner process no longer exists.

    Segments of live processes (and of this process) are left alone. A recycled pid
    keeps a dead session's segments until that pid is free again: conservative, never
    destructive.

    Returns
    -------
    list[str]
        The names removed, sorted; ``[]`` where ``directory`` does not exist (macOS,
        Windows).
    """
    d = Path(directory)
    if not d.is_dir():
        return []
    removed: list[str] = []
    alive: dict[int, bool] = {os.getpid(): True}
    for entry in sorted(d.iterdir()):
        m = _STALE_RE.match(entry.name)
        if m is None:
            continue
        pid = int(m.group(1))
        if pid not in alive:
            alive[pid] = _pid_alive(pid)
        if alive[pid]:
            continue
        try:
            entry.unlink()
        except FileNotFoundError:
            continue
        removed.append(entry.name)
    return removed
