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
~/.cache/pgwalk-series), one JSON file each, written atomically.  Each
holds its schema version and a checksum of its value: an entry that fails
either (a crash, an editor, a disk) is dropped and computed again, with one
warning per run.  A cache that cannot be written (full, read-only) is
turned off for the run, with one warning: a cache costs time, never the
result.
"""

import hashlib
import json
import logging
import os
import threading

FORMAT = 2      # bump when the shape of an entry changes
LOG = logging.getLogger(__name__)
# This run's: the cache roots turned off (they could not be written), and
# whether a damaged entry was said.
_STATE = {"off": set(), "damaged": False}


def cache_root():
    """$PGWALK_CACHE, or ~/.cache/pgwalk-series (XDG_CACHE_HOME honoured)."""
    return os.environ.get("PGWALK_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
        "pgwalk-series")


def enabled():
    return os.environ.get("PGWALK_NO_CACHE") != "1" and \
        cache_root() not in _STATE["off"]


def digest(data):
    """sha1 of text or bytes."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return hashlib.sha1(data).hexdigest()


def _sum(value):
    return digest(json.dumps(value, sort_keys=True))


def read_entry(path):
    """The value stored at path, or None when there is none; a damaged
    entry (not JSON, another schema, a checksum that does not match) is
    removed and is None too."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError:
        return None
    try:
        entry = json.loads(raw.decode("utf-8"))
        ok = isinstance(entry, dict) and entry.get("format") == FORMAT \
            and "value" in entry and entry.get("sum") == _sum(entry["value"])
    except (ValueError, UnicodeDecodeError, TypeError):
        ok = False
    if ok:
        return entry["value"]
    try:
        os.unlink(path)
    except OSError:
        pass
    if not _STATE["damaged"]:
        _STATE["damaged"] = True
        LOG.warning("warning: cache entry %s was damaged or of another "
                    "version: dropped, its value computed again", path)
    return None


def write_entry(path, value):
    """Store value at path, whole or not at all; a cache that cannot be
    written turns caching off for the rest of the run."""
    if not enabled():
        return
    # Threads of one run may store the same key: a name of each.
    tmp = "%s.%d.%d.tmp" % (path, os.getpid(), threading.get_ident())
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"format": FORMAT, "sum": _sum(value),
                       "value": value}, f, sort_keys=True)
        os.replace(tmp, path)   # never a half-written entry
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        _STATE["off"].add(cache_root())
        LOG.warning("warning: the cache cannot be written (%s: %s): "
                    "caching is off for this run", cache_root(),
                    e.strerror or e)


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
        self.hits = self.misses = 0

    @property
    def on(self):
        return enabled()

    def _path(self, k):
        return os.path.join(self.root, k[:2], k + ".json")

    def get(self, k):
        """The stored value, or None."""
        if not self.on:
            return None
        value = read_entry(self._path(k))
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def put(self, k, value):
        write_entry(self._path(k), value)
