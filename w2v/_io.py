"""Crash-safe writes: a reader sees either the previous file (or directory) or the new
complete one, never a torn mixture, whatever happens during the save (exception,
KeyboardInterrupt, full disk, power loss after the final rename).

The recipe is the usual one: write everything into a temporary sibling (same directory,
hence same file system, so the final rename is atomic), flush and fsync the data, rename
over the target, then fsync the parent directory so the rename itself is durable.

``atomic_write(path)``      one file.
``atomic_directory(path)``  a directory of files (native KeyedVectors / Word2Vec saves).
``temporary_directory(parent, prefix)``  a scratch directory (the id cache).
``read_directory(path, read)``  read every file of one directory save, never a mixture of
                            two saves made while reading (``SavedDirectory``).

Every temporary name carries the host and process id of its writer
(``.NAME.HOST-PID-RANDOM.tmp``, ``PREFIX.HOST-PID-RANDOM``), so that a process
killed mid-save (kill -9, power loss) leaves nothing for ever: the next save of
the same target, or the next scratch directory made beside it, removes the
temporaries of processes of this host that no longer run.  A live writer's
files are never touched.
"""
import contextlib
import ctypes
import errno
import os
import re
import shutil
import socket
import sys
import tempfile
import time

import numpy as np

__all__ = ["atomic_write", "atomic_directory", "temporary_directory", "remove_stale_temporaries",
           "SavedDirectory", "read_directory", "check_free_space"]


def _read_umask():
    # os.umask can only be read by setting it; do it once, at import, before any threads
    # of ours exist, so later saves never race on the process-wide value.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def _host():
    # dots and dashes would make the name ambiguous to parse
    return re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname())[:64] or "host"


def _owner_tag():
    """HOST-PID-, the middle of every temporary name of this process."""
    return f"{_host()}-{os.getpid()}-"


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True          # exists, owned by someone else
    except OSError:
        return True          # cannot tell: keep its files
    return True


def remove_stale_temporaries(parent, head, tail=""):
    """Remove ``parent/head + HOST-PID-RANDOM + tail`` entries (files or directories)
    left by processes of this host that no longer run. Returns the paths removed."""
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    pattern = re.compile(re.escape(head) + r"([A-Za-z0-9_]+)-(\d+)-[^/]*" + re.escape(tail) + r"(\.old)?$")
    host, removed = _host(), []
    for entry in names:
        m = pattern.fullmatch(entry)
        if m is None or m.group(1) != host:
            continue
        pid = int(m.group(2))
        if pid == os.getpid() or _process_alive(pid):
            continue
        path = os.path.join(parent, entry)
        _remove(path)
        if not os.path.lexists(path):
            removed.append(path)
    return removed


def temporary_directory(parent=None, prefix="w2v-"):
    """A new scratch directory ``parent/PREFIX HOST-PID-RANDOM`` (parent: the system's
    temporary folder when None); first removes those of dead processes beside it."""
    parent = parent if parent is not None else tempfile.gettempdir()
    remove_stale_temporaries(parent, prefix)
    return tempfile.mkdtemp(dir=parent, prefix=prefix + _owner_tag())


def _name_the_target(exc, path):
    """Give a write error that names no file (ENOSPC, EIO and EFBIG from write, flush or
    fsync carry none; numpy's short writes not even an errno) the target's name:
    "No space left on device" alone names no disk.  Returns the exception to raise."""
    if not isinstance(exc, OSError) or exc.filename is not None:
        return exc
    if exc.errno is not None:
        exc.filename = path
        if exc.strerror is None:
            exc.strerror = os.strerror(exc.errno)
        return exc
    return OSError(f"{path}: {exc}")


def _fsync_dir(path):
    """Make a rename inside `path` durable. Best effort: not every OS/FS allows it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _target_mode(path, default):
    """Permission bits for the new file: keep those of the file being replaced, else
    what a plain open() would have given (mkstemp/mkdtemp create 0600/0700)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return default & ~_UMASK


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding=None, newline=None):
    """Open a temporary file next to `path` for writing; on a clean exit of the ``with``
    block it is flushed, fsynced and renamed over `path` (``os.replace``: atomic).
    On any exception the temporary file is removed and `path` is left untouched.

    `mode` is ``"wb"`` (default) or ``"w"``/``"wt"`` (then `encoding`/`newline` apply).
    Yields the open file object.
    """
    if mode not in ("wb", "w", "wt"):
        raise ValueError(f"atomic_write: unsupported mode {mode!r} (use 'wb', 'w' or 'wt')")
    path = os.path.abspath(os.fspath(path))
    parent, name = os.path.split(path)
    remove_stale_temporaries(parent, f".{name}.", ".tmp")
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{name}.{_owner_tag()}", suffix=".tmp")
    try:
        if "b" in mode:
            f = os.fdopen(fd, mode)
        else:
            f = os.fdopen(fd, mode, encoding=encoding or "utf-8", newline=newline)
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _target_mode(path, 0o666))
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        named = _name_the_target(exc, path)
        if named is not exc:
            raise named from exc
        raise
    _fsync_dir(parent)


def _fsync_tree(root):
    """fsync every file and directory below `root` (bottom-up), so the tree is on disk
    before it is renamed into place."""
    for dirpath, _dirnames, filenames in os.walk(root, topdown=False):
        for fn in filenames:
            p = os.path.join(dirpath, fn)
            if os.path.islink(p):
                continue
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(dirpath)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a, b):
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE).
    Returns False where unsupported (not Linux, old glibc/kernel, file system without it)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), b)


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)


@contextlib.contextmanager
def atomic_directory(path):
    """Yield the path of a new empty temporary directory next to `path`; write all files
    of a multi-file save into it. On a clean exit every file is fsynced and the directory
    replaces `path` (a directory or a file, or nothing yet); on an exception it is deleted
    and `path` is untouched.

    The swap is one atomic ``renameat2(RENAME_EXCHANGE)`` on Linux. Elsewhere it is two
    renames (old -> hidden sibling, new -> `path`): a crash exactly between them leaves no
    `path` but both complete versions as hidden siblings ``.<name>.*``; the previous save is
    never modified before the new one is complete and on disk.
    """
    path = os.path.abspath(os.fspath(path))
    parent, name = os.path.split(path)
    if not name:
        raise ValueError(f"atomic_directory: {path!r} has no final component")
    remove_stale_temporaries(parent, f".{name}.", ".tmp")
    tmp = tempfile.mkdtemp(dir=parent, prefix=f".{name}.{_owner_tag()}", suffix=".tmp")
    try:
        yield tmp
        _fsync_tree(tmp)
        os.chmod(tmp, 0o777 & ~_UMASK)
        if not os.path.lexists(path):
            os.rename(tmp, path)
            old = None
        elif _exchange(tmp, path):
            old = tmp          # after the exchange tmp names the previous save
        else:
            old = tmp + ".old"   # tmp is unique (mkdtemp), so is this
            os.rename(path, old)
            os.rename(tmp, path)
    except BaseException as exc:
        _remove(tmp)
        named = _name_the_target(exc, path)
        if named is not exc:
            raise named from exc
        raise
    _fsync_dir(parent)
    if old is not None:
        _remove(old)       # the new save is committed; failing to clean up is not an error


# ---------------------------------------------------------------- reading a directory save

_DIR_FD = os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY")
_READ_ATTEMPTS = 50


class SavedDirectory:
    """One save of a directory written by :func:`atomic_directory`, held open.

    A save replaces the whole directory, so a reader that opened ``path/a`` and then
    ``path/b`` by name may get ``a`` of one save and ``b`` of the next.  Here the
    directory is opened once and every file relative to that descriptor (``dir_fd``),
    so all come from the same save; if that save is replaced and deleted meanwhile,
    files opened already stay readable and the next open fails, and :meth:`replaced`
    says why (:func:`read_directory` then starts over).  Where ``dir_fd`` is missing
    (Windows), files are opened by name and only :meth:`replaced` guards the read.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._fd = None
        if _DIR_FD:
            self._fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
            st = os.fstat(self._fd)
        else:
            st = os.stat(self.path)
        self._identity = (st.st_dev, st.st_ino)

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def join(self, name):
        """The path of file ``name`` (for messages)."""
        return os.path.join(self.path, name)

    def pinned_path(self, name):
        """A path to entry ``name`` of this very save, for readers that need a path (a
        sub-folder): through /proc/self/fd where there is one, else by name."""
        if self._fd is not None and os.path.isdir(f"/proc/self/fd/{self._fd}"):
            return f"/proc/self/fd/{self._fd}/{name}"
        return self.join(name)

    def open(self, name, mode="rb", encoding=None):
        """Open file ``name`` of this save (modes "rb", "r+b", "r")."""
        if os.path.basename(name) != name or name in ("", ".", ".."):
            raise ValueError(f"bad file name {name!r}")
        flags = os.O_RDWR if "+" in mode else os.O_RDONLY
        if self._fd is not None:
            fd = os.open(name, flags | getattr(os, "O_CLOEXEC", 0), dir_fd=self._fd)
        else:
            fd = os.open(self.join(name), flags | getattr(os, "O_BINARY", 0))
        try:
            if "b" in mode:
                return os.fdopen(fd, mode)
            return os.fdopen(fd, mode, encoding=encoding)
        except BaseException:
            os.close(fd)
            raise

    def exists(self, name):
        """Whether this save holds file ``name``."""
        try:
            if self._fd is not None:
                os.stat(name, dir_fd=self._fd)
            else:
                os.stat(self.join(name))
        except FileNotFoundError:
            return False
        return True

    def load_npy(self, name, mmap_mode=None):
        """``np.load`` of file ``name`` of this save, without pickle; ``mmap_mode``
        ("r", "r+", "c") maps the open file, so the map stays on this save."""
        with self.open(name, "r+b" if mmap_mode == "r+" else "rb") as f:
            _check_npy_size(f, self.join(name))
            if mmap_mode is None:
                return np.load(f, allow_pickle=False)
            return _memmap_npy(f, mmap_mode)

    def replaced(self):
        """Whether ``path`` names another directory now (a save replaced this one)."""
        try:
            st = os.stat(self.path)
        except OSError:
            return True
        return (st.st_dev, st.st_ino) != self._identity


def _read_npy_header(f):
    """(version, (shape, fortran_order, dtype)) of the .npy file open at its start;
    the header is None for a version other than 1.0 and 2.0."""
    fmt = np.lib.format
    version = fmt.read_magic(f)
    if version == (1, 0):
        return version, fmt.read_array_header_1_0(f)
    if version == (2, 0):
        return version, fmt.read_array_header_2_0(f)
    return version, None


def _check_npy_size(f, path):
    """ValueError naming `path` when the .npy header of open file `f` claims more data
    than the file holds (hostile or truncated), before anything that large is
    allocated; leaves `f` at its start."""
    try:
        version, header = _read_npy_header(f)
    except ValueError as e:
        raise ValueError(f"{path}: not a valid .npy file: {e}") from None
    if header is None:
        f.seek(0)
        return
    shape, _, dtype = header
    need = dtype.itemsize
    for n in shape:
        need *= n
    have = os.fstat(f.fileno()).st_size - f.tell()
    f.seek(0)
    if need > have:
        raise ValueError(f"{path}: the header claims a {dtype} array of shape {shape} "
                         f"({need:,} bytes) but only {have:,} bytes follow it (damaged or "
                         f"truncated file)")


def _memmap_npy(f, mode):
    """Memory-map the array of an open .npy file (np.load maps only file names)."""
    version, header = _read_npy_header(f)
    if header is None:
        raise ValueError(f".npy format version {version} cannot be memory-mapped here")
    shape, fortran, dtype = header
    if dtype.hasobject:
        raise ValueError("the array holds Python objects: not loaded without pickle")
    return np.memmap(f, dtype=dtype, mode=mode, shape=shape, order="F" if fortran else "C",
                     offset=f.tell())


def read_directory(path, read):
    """``read(SavedDirectory)`` on one save of ``path``; starts over (up to 50 times)
    when a save replaced the directory during the read, so the result never mixes
    files of two saves.  Other errors propagate as ``read`` raised them."""
    for attempt in range(_READ_ATTEMPTS):
        try:
            saved = SavedDirectory(path)
        except FileNotFoundError:
            # without renameat2 a save leaves `path` missing for an instant
            if attempt + 1 == _READ_ATTEMPTS:
                raise
            time.sleep(0.001)
            continue
        with saved:
            try:
                result = read(saved)
            except Exception:
                if attempt + 1 < _READ_ATTEMPTS and saved.replaced():
                    continue
                raise
            if saved._fd is not None or not saved.replaced():
                return result
    raise OSError(errno.EAGAIN, f"{path} was replaced {_READ_ATTEMPTS} times while being read")


# ---------------------------------------------------------------- free space

def check_free_space(folder, need, what):
    """Raise OSError(ENOSPC) naming ``folder`` and the figures when its file system has
    less than ``need`` bytes free for ``what``.  Best effort: no answer, no error."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if need > free:
        raise OSError(errno.ENOSPC,
                      f"{what} needs about {_human(need)} but {folder} has {_human(free)} free "
                      f"(/tmp is often a RAM disk: choose a folder on a real disk with "
                      f"cache_dir= / --cache-dir or W2V_CACHE_DIR)")


def _human(n):
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
