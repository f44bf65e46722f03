"""Writing a file a user named (``--output``, ``--ics``, ``--rejects`` …) without damaging what is there.

Every option that writes a file goes through :func:`writing` (or :class:`SafeFile`), which
decides by what the path is:

* ``-`` — standard output (in the asked encoding); nothing is renamed or closed.
* **a new path or a regular file** — the data goes to a temporary file in the same directory
  (``.NAME.XXXX.part``), which is flushed, synced and renamed over the target only when every
  byte was written.  A failed or interrupted write removes the temporary file and leaves the
  target as it was: never a half-written export.  An existing file keeps its permission bits
  (and, where allowed, its owner); a file the user may not write is refused, as the shell's
  ``>`` would.
* **a named pipe (FIFO) or a character device** (``/dev/null``, ``/dev/stdout``, a terminal) —
  written straight, never replaced by a regular file.  ``/dev/full`` gives "no space left".
* **a symbolic link is followed**: the file it points to is written by the rules above and the
  link stays a link (as ``>`` does).  The link is opened once through the kernel first, so
  the kernel's own protection against links planted in shared directories such as ``/tmp``
  (``fs.protected_symlinks``) still applies.  A dangling link creates the file it names.
* **a directory**, a block device or a socket — refused with one line (exit 6); so is a path
  whose directory does not exist.

A write error is one line — ``cannot write FILE: No space left on device`` — exit 1, or exit 4
when the system denies access (``Permission denied``, a read-only file system).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from contextlib import contextmanager
from typing import IO, Any, Iterator

from crmcli.errors import CrmError, PermissionDenied, ValidationError
from crmcli.i18n import _

_DENIED = (errno.EACCES, errno.EPERM, errno.EROFS)


def write_error(name: str, exc: OSError) -> CrmError:
    """The one-line error for an ``OSError`` while writing ``name``."""
    reason = exc.strerror or str(exc)
    error = PermissionDenied if exc.errno in _DENIED else CrmError
    return error(_("cannot write {file}: {reason}").format(file=name, reason=reason))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class SafeFile:
    """One target: :meth:`open` gives the stream, then :meth:`commit` (rename into place) or :meth:`discard`."""

    def __init__(self, name: str, encoding: str = "utf-8", binary: bool = False) -> None:
        self.name = name  # as the user gave it (messages say this)
        self.encoding = encoding
        self.binary = binary
        self.stream: Any = None
        self.tmp: str | None = None  # the temporary file, when the target is renamed into place
        self.path: str | None = None  # where the data ends up (a link's target)
        self.mode: int | None = None  # the replaced file's permission bits
        self.owner: tuple[int, int] | None = None
        self._stdout_wrapper = False

    # -- deciding --------------------------------------------------------------------------

    def _inspect(self) -> str:
        """'new', 'file' or 'stream' for the path; refuses what cannot be written."""
        given = os.path.expanduser(self.name)
        try:
            is_link = stat.S_ISLNK(os.lstat(given).st_mode)
        except FileNotFoundError:
            is_link = False
        except OSError as exc:
            raise write_error(self.name, exc) from None
        self.path = os.path.realpath(given) if is_link else given
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            parent = os.path.dirname(os.path.abspath(self.path))
            if not os.path.isdir(parent):
                raise ValidationError(_("cannot write {file}: the directory {dir} does not exist").format(
                    file=self.name, dir=parent)) from None
            return "new"
        except OSError as exc:
            raise write_error(self.name, exc) from None
        mode = info.st_mode
        if stat.S_ISDIR(mode):
            raise ValidationError(_("cannot write {file}: it is a directory").format(file=self.name),
                                  hint=_("name a file in it"))
        if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
            self.path = given  # opened through the link: the kernel's checks on links apply
            return "stream"
        if not stat.S_ISREG(mode):
            raise ValidationError(_("cannot write {file}: it is not a file, a pipe or a terminal").format(
                file=self.name))
        try:
            if is_link:  # the kernel's verdict on following this link (fs.protected_symlinks), truncating nothing
                os.close(os.open(given, os.O_WRONLY | os.O_NOCTTY))
            elif not os.access(self.path, os.W_OK):
                raise OSError(errno.EACCES, os.strerror(errno.EACCES))
        except OSError as exc:
            raise write_error(self.name, exc) from None
        self.mode = stat.S_IMODE(mode)
        self.owner = (info.st_uid, info.st_gid)
        return "file"

    # -- writing ---------------------------------------------------------------------------

    def open(self) -> IO[Any]:
        if self.name == "-":
            return self._open_stdout()
        kind = self._inspect()
        assert self.path is not None
        try:
            if kind == "stream":
                self.stream = open(self.path, "wb" if self.binary else "w", **self._text_args())
                return self.stream
            import tempfile

            directory, base = os.path.split(os.path.abspath(self.path))
            fd, self.tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".part", dir=directory)
        except OSError as exc:
            raise write_error(self.name, exc) from None
        self.stream = os.fdopen(fd, "wb" if self.binary else "w", **self._text_args())
        return self.stream

    def _text_args(self) -> dict[str, Any]:
        return {} if self.binary else {"encoding": self.encoding, "newline": ""}

    def _open_stdout(self) -> IO[Any]:
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        if self.binary:
            self.stream = buffer if buffer is not None else sys.stdout
        elif buffer is not None and self.encoding.replace("_", "-").lower() not in ("utf-8", "utf8"):
            import io

            self.stream = io.TextIOWrapper(buffer, encoding=self.encoding, newline="", write_through=False)
            self._stdout_wrapper = True
        else:
            self.stream = sys.stdout
        return self.stream

    def commit(self) -> None:
        """Everything is written: flush it and put it in place (errors are one line; the target stays as it was)."""
        stream, self.stream = self.stream, None
        if stream is None:
            return
        try:
            if self.name == "-":
                stream.flush()
                if self._stdout_wrapper:
                    stream.detach()
                return
            if self.tmp is None:
                stream.close()
                return
            stream.flush()
            os.fsync(stream.fileno())
            stream.close()
            if self.owner is not None:
                try:
                    os.chown(self.tmp, *self.owner)
                except OSError:
                    pass  # only root may give a file away; the file is then the writer's
            os.chmod(self.tmp, self.mode if self.mode is not None else 0o666 & ~_umask())
            os.replace(self.tmp, self.path)  # type: ignore[arg-type]
            self.tmp = None
        except OSError as exc:
            self._close_quietly(stream)
            self._remove_tmp()
            raise write_error(self.name, exc) from None

    def discard(self) -> None:
        """The write failed or was interrupted: no partial target is left (a pipe or device keeps what it got)."""
        stream, self.stream = self.stream, None
        if stream is not None:
            if self.name == "-":
                if self._stdout_wrapper:
                    try:
                        stream.detach()
                    except (OSError, ValueError):
                        pass
            else:
                self._close_quietly(stream)
        self._remove_tmp()

    @staticmethod
    def _close_quietly(stream: Any) -> None:
        try:
            stream.close()
        except (OSError, ValueError):
            pass

    def _remove_tmp(self) -> None:
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass
            self.tmp = None


@contextmanager
def writing(name: str, encoding: str = "utf-8", binary: bool = False) -> Iterator[IO[Any]]:
    """Write ``name`` (``-``: stdout) safely: put in place when the block ends, left alone when it raises.

    An ``OSError`` raised while the block writes (no space, a closed pipe) becomes the one-line
    error of :func:`write_error`.
    """
    target = SafeFile(name, encoding, binary)
    stream = target.open()
    try:
        yield stream
    except OSError as exc:
        target.discard()
        if exc.errno is None:
            raise
        raise write_error(name, exc) from None
    except BaseException:
        target.discard()
        raise
    target.commit()


def write_bytes(name: str, data: bytes) -> None:
    """Write ``data`` to ``name`` (``-``: stdout) by the rules of this module."""
    if name == "-" and getattr(sys.stdout, "buffer", None) is None:  # a text stdout (tests, embedding)
        sys.stdout.write(data.decode("utf-8"))
        return
    with writing(name, binary=True) as stream:
        stream.write(data)
