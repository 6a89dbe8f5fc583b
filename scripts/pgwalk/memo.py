# SPDX-License-Identifier: GPL-2.0
"""Results kept by content, so that a regenerated series costs only what
changed.

A value is stored under a key made of everything it was computed from:
file contents (by hash), the text of the rule or script that computed it,
and the source of the Python code that post-processes it.  Nothing is keyed
by a path or a time, so a cached value is the value a fresh computation
would give: a cache never changes the output.  PGWALK_NO_CACHE=1 turns
every cache off (the bench compares both ways, byte for byte).

Entries live under $PGWALK_CACHE/memo/KIND/ (default
~/.cache/pgwalk-series), one JSON file each, written atomically.
"""

import hashlib
import json
import os

FORMAT = 1      # bump when the shape of an entry changes


def cache_root():
    """$PGWALK_CACHE, or ~/.cache/pgwalk-series (XDG_CACHE_HOME honoured)."""
    return os.environ.get("PGWALK_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
        "pgwalk-series")


def enabled():
    return os.environ.get("PGWALK_NO_CACHE") != "1"


def digest(data):
    """sha1 of text or bytes."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return hashlib.sha1(data).hexdigest()


_FILE_DIGESTS = {}


def file_digest(path):
    """sha1 of a file's bytes ("" for a missing file, which is content
    too: checkpatch without its spelling list says other things)."""
    try:
        st = os.stat(path)
    except OSError:
        return ""
    key = (path, st.st_mtime_ns, st.st_size, st.st_ino)
    if key not in _FILE_DIGESTS:
        with open(path, "rb") as f:
            _FILE_DIGESTS[key] = digest(f.read())
    return _FILE_DIGESTS[key]


def key(*parts):
    """One key for any JSON-able parts."""
    return digest(json.dumps(parts, sort_keys=True))


class Memo:
    """Values of one kind of computation, by key."""

    def __init__(self, kind):
        self.root = os.path.join(cache_root(), "memo", kind)
        self.on = enabled()
        self.hits = self.misses = 0

    def _path(self, k):
        return os.path.join(self.root, k[:2], k + ".json")

    def get(self, k):
        """The stored value, or None."""
        if not self.on:
            return None
        try:
            with open(self._path(k), encoding="utf-8") as f:
                entry = json.load(f)
        except (OSError, ValueError):
            self.misses += 1
            return None
        if entry.get("format") != FORMAT:
            self.misses += 1
            return None
        self.hits += 1
        return entry["value"]

    def put(self, k, value):
        if not self.on:
            return
        path = self._path(k)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = "%s.%d.tmp" % (path, os.getpid())
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({"format": FORMAT, "value": value}, f)
            os.replace(tmp, path)   # never a half-written entry
        except OSError:
            # A full or read-only cache costs time, never the result.
            pass
