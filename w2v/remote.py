"""Corpus files named by URL (``s3://bucket/corpus.txt``, ``hdfs://...``,
``gs://...``, ``file:///...``): opened, sized and listed through fsspec.

Optional: fsspec must be installed (it comes with the ``dask`` extra), and so must
the package of the URL's protocol (s3fs, gcsfs, ...).  Local paths never come
here; the readers in w2v.corpus and w2v.compression call :func:`open_source` and
:func:`source_size`, which pass local paths to the operating system as before.
A cluster's workers each open the URLs themselves, so every worker needs the
packages and the credentials the URLs require.
"""
import errno
import os

__all__ = ["is_url", "expand_url", "open_source", "source_size", "source_stamp"]


def is_url(path):
    """Whether ``path`` names a file by URL (``protocol://...``)."""
    return isinstance(path, str) and "://" in path


def _fs(url):
    try:
        import fsspec
    except ImportError as exc:
        raise ImportError(f"{url}: reading URLs needs fsspec (pip install fsspec, and the "
                          f"package of the URL's protocol, e.g. s3fs)") from exc
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:     # unknown protocol, its package missing
        raise type(exc)(f"{url}: {exc}") from exc


def expand_url(url, what="corpus file"):
    """The files a URL names: the file itself, or a folder's files (not recursive,
    hidden names skipped, sorted), each as a full URL."""
    fs, path = _fs(url)
    if fs.isdir(path):
        files = sorted(fs.unstrip_protocol(p) for p in fs.ls(path, detail=False)
                       if not os.path.basename(p.rstrip("/")).startswith(".")
                       and fs.isfile(p))
        if not files:
            raise ValueError(f"corpus folder {url!r} holds no regular files")
        return files
    if not fs.exists(path):
        raise FileNotFoundError(errno.ENOENT, f"{what} not found", url)
    return [url]


def open_source(path):
    """A seekable binary file of ``path`` (a URL or a local path), for reading."""
    if is_url(path):
        fs, p = _fs(path)
        return fs.open(p, "rb")
    return open(path, "rb", buffering=0)


def source_size(path):
    """Size in bytes of ``path`` (a URL or a local path)."""
    if is_url(path):
        fs, p = _fs(path)
        return fs.size(p)
    return os.path.getsize(path)


def source_stamp(path):
    """(size, modification time) of ``path``; the time is None where the URL's
    filesystem does not tell it."""
    if is_url(path):
        fs, p = _fs(path)
        try:
            modified = fs.modified(p).timestamp()
        except (NotImplementedError, AttributeError, OSError):
            modified = None
        return fs.size(p), modified
    return os.path.getsize(path), os.path.getmtime(path)
