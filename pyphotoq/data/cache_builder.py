"""The worker of a build: brings the sources index up to date, making every declared view with a
pool of threads, and checks every cached file it keeps."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
from ..core.progress import tqdm

from ..core.errors import PhotoqError
from ..core.files import write_atomic as _write_file
from ..core.outputs import own_folder
from ..photos.images import UnusablePhoto, open_photo, read_photo_bytes
from ..photos.splits import look_hash
from .cache_format import (
    FORMAT_VERSION,
    OVERVIEW,
    FILES_COLUMNS,
    SOURCES_COLUMNS,
    _HASH,
    _INDEX_SAVE_SECONDS,
    view_file,
    _write_table,
    _read_table,
)
from .views import kind_of_spec, view_bytes


class _Builder:
    """Brings the sources index up to date, making every declared view with a pool of threads,
    and checks every cached file it keeps."""

    def __init__(self, folder: Path, info: dict, workers, progress, verify: str = "quick"):
        self.folder = folder
        self.info = info
        self.version = info["stored_version"]
        self.views = info["views"]
        for name, spec in self.views.items():
            if kind_of_spec(spec) is None:
                raise PhotoqError(
                    f"The cache {folder} declares the view {name!r} made by {spec['make']!r}, which "
                    "this pyphotoq cannot make: upgrade pyphotoq"
                )
        self.width = int(self.views[OVERVIEW]["width"])
        self.workers = workers or os.cpu_count() or 1
        self.progress = progress
        self.verify = verify
        self.known_by_hash: dict[str, dict] = {}  # ok rows of the last index, by content hash
        self.files: dict[tuple[str, str], dict] = {}
        for row in _read_table(folder / "files.csv", FILES_COLUMNS + ["mtime_ns"], FORMAT_VERSION,
                               tolerant=True).to_dict("records"):
            if row["view"] in self.views and _HASH.match(row["hash"]):
                self.files[(row["view"], row["hash"])] = row
        self.checked: set[tuple[str, str]] = set()
        self.repaired: dict[str, str] = {}
        self.lock = threading.Lock()
        self.client = None  # a distributed.Client: the photos are cached by its workers

    def load_known(self) -> list[dict]:
        """The rows of the last sources index; remembers the usable ones by content hash."""
        records = _read_table(self.folder / "sources.csv", SOURCES_COLUMNS, self.version, tolerant=True).to_dict("records")
        self.known_by_hash = {
            row["hash"]: row for row in records if row["status"] == "ok" and _HASH.match(row["hash"])
        }
        return records

    # -- the sources index
    def update_sources(self, listing: pd.DataFrame) -> pd.DataFrame:
        records = self.load_known()
        known_by_path = {row["path"]: row for row in records}
        rows: dict[str, dict] = {}
        todo: list[tuple[str, str, int, int]] = []
        reused: list[tuple[str, str, int, int]] = []
        for path, label in listing.itertuples(index=False):
            try:
                stat = os.stat(path)
            except OSError as err:
                rows[path] = _skipped_row(path, label, 0, 0, f"cannot read: {err.strerror or err}")
                continue
            previous = known_by_path.get(path)
            if (
                previous is not None
                and int(previous["size"]) == stat.st_size
                and int(previous["mtime_ns"]) == stat.st_mtime_ns
                # a file that could not be read is tried again: chmod fixes it without a new mtime
                and not str(previous["reason"]).startswith("cannot read")
                and (previous["status"] != "ok" or _HASH.match(previous["hash"]))
            ):
                rows[path] = {**previous, "label": label}
                if previous["status"] == "ok":
                    reused.append((path, label, stat.st_size, stat.st_mtime_ns))
            else:
                todo.append((path, label, stat.st_size, stat.st_mtime_ns))
        # Every file of a known photo is checked; a photo with a missing or damaged one is redone.
        hashes = sorted({rows[job[0]]["hash"] for job in reused})
        with ThreadPoolExecutor(self.workers) as pool:
            whole = dict(zip(hashes, pool.map(self._all_views_ok, hashes)))
        redo = {h for h, ok in whole.items() if not ok}
        if redo:
            done: set[str] = set()
            for job in reused:
                digest = rows[job[0]]["hash"]
                if digest in redo and digest not in done:
                    todo.append(job)
                    done.add(digest)
        if todo:
            self._cache_images(todo, rows)
        return pd.DataFrame([rows[p] for p in listing["path"] if p in rows], columns=SOURCES_COLUMNS)

    def _cache_images(self, todo, rows: dict) -> None:
        last_save = time.monotonic()
        bar = tqdm(total=len(todo), desc="Caching photos", unit="photo", disable=self._bar_off())

        def done(row):
            nonlocal last_save
            rows[row["path"]] = row
            bar.update()
            if time.monotonic() - last_save > _INDEX_SAVE_SECONDS:
                self._save_index(rows)
                last_save = time.monotonic()

        if self.client is not None:
            self._cache_on_cluster(todo, done)
        else:
            with ThreadPoolExecutor(self.workers) as pool:
                for row in pool.map(self._cache_one, todo):
                    done(row)
        bar.close()  # _finish writes the complete index

    def _cache_on_cluster(self, todo, done) -> None:
        """Chunks of photos cached by the client's workers (build_chunk); their view
        files are recorded here as they arrive, as the local pool records them."""
        import uuid

        import distributed

        from ..core.dask_plumbing import chunk_size

        token = uuid.uuid4().hex
        size = chunk_size(self.client, len(todo), BUILD_CHUNK)
        chunks = [todo[start : start + size] for start in range(0, len(todo), size)]
        futures = [self.client.submit(build_chunk, str(self.folder), self.info, self.verify, token, chunk,
                                      pure=False) for chunk in chunks]
        try:
            for future in distributed.as_completed(futures):
                for result in future.result():
                    with self.lock:
                        for entry in result["entries"]:
                            key = (entry["view"], entry["hash"])
                            self.files[key] = entry
                            self.checked.add(key)
                        for relative, problem in result["repaired"].items():
                            self.repaired.setdefault(relative, problem)
                    done(result["row"])
        finally:
            self.client.cancel(futures)

    def _bar_off(self):
        return None if self.progress is None else not self.progress

    def _save_index(self, rows: dict) -> None:
        _write_table(self.folder / "files.csv", self.files_table(None), FORMAT_VERSION)
        _write_table(self.folder / "sources.csv", pd.DataFrame(list(rows.values()), columns=SOURCES_COLUMNS),
                     FORMAT_VERSION)

    # -- the cached files
    def files_table(self, hashes) -> pd.DataFrame:
        with self.lock:
            entries = [e for key, e in self.files.items() if hashes is None or key[1] in hashes]
        frame = pd.DataFrame(entries, columns=FILES_COLUMNS + ["mtime_ns"])
        return frame.sort_values(["view", "hash"]).reset_index(drop=True)

    def _all_views_ok(self, digest: str) -> bool:
        return all(self._file_problem(view, digest) is None for view in self.views)

    def _file_problem(self, view: str, digest: str) -> str | None:
        """None when the cached file of (view, digest) is whole; else what is wrong (recorded)."""
        key = (view, digest)
        with self.lock:
            if key in self.checked:
                return None
            entry = self.files.get(key)
        relative = view_file(digest, view, self.info)
        path = self.folder / relative
        problem = None
        try:
            stat = os.lstat(path)
        except FileNotFoundError:
            problem = "missing"
        except OSError as err:
            problem = f"cannot be read: {err.strerror or err}"
        else:
            import stat as stat_module

            if not stat_module.S_ISREG(stat.st_mode):
                problem = "not a plain file (a link or a folder)"
            elif entry is None:
                problem = self._record_unknown(key, path, stat)  # version 1, or a killed build
            elif stat.st_size != int(entry["size"]):
                problem = f"truncated or changed: {stat.st_size} bytes, {entry['size']} recorded"
            elif self.verify == "full" or stat.st_mtime_ns != int(entry["mtime_ns"] or 0):
                data = _read_bytes(path)
                if data is None or hashlib.sha256(data).hexdigest() != entry["sha256"]:
                    problem = "damaged: its checksum differs from the one recorded"
                else:
                    with self.lock:
                        self.files[key] = {**entry, "mtime_ns": stat.st_mtime_ns}
        with self.lock:
            if problem is None:
                self.checked.add(key)
            elif digest in self.known_by_hash and (
                problem != "missing" or entry is not None or view == OVERVIEW
            ):  # damage to a file the cache had (a newly declared view's files are just made)
                self.repaired.setdefault(relative, problem)
        return problem

    def _record_unknown(self, key, path: Path, stat) -> str | None:
        """A file without a recorded checksum: kept (and recorded) when it decodes whole."""
        from PIL import Image

        data = _read_bytes(path)
        if data is None:
            return "cannot be read"
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.load()
        except Exception:  # noqa: BLE001 (any decoding failure means damaged)
            return "damaged: it cannot be decoded"
        with self.lock:
            self.files[key] = {"view": key[0], "hash": key[1], "size": len(data),
                               "sha256": hashlib.sha256(data).hexdigest(), "mtime_ns": stat.st_mtime_ns}
        return None

    def _write_view(self, view: str, digest: str, data: bytes) -> None:
        relative = view_file(digest, view, self.info)
        target = own_folder(self.folder, Path(relative).parent) / Path(relative).name
        _write_file(target, data, root=self.folder)
        stat = os.stat(target)
        with self.lock:
            self.files[(view, digest)] = {"view": view, "hash": digest, "size": len(data),
                                          "sha256": hashlib.sha256(data).hexdigest(),
                                          "mtime_ns": stat.st_mtime_ns}
            self.checked.add((view, digest))

    def _cache_one(self, job) -> dict:
        path, label, size, mtime_ns = job
        try:
            data = read_photo_bytes(path)
        except UnusablePhoto as err:
            return _skipped_row(path, label, size, mtime_ns, str(err))
        digest = hashlib.sha256(data).hexdigest()
        seen = self.known_by_hash.get(digest)
        missing = [view for view in self.views if self._file_problem(view, digest) is not None]
        if seen is not None and not missing:  # renamed, touched or copied: no image work
            return {**seen, "path": path, "label": label, "size": size, "mtime_ns": mtime_ns}
        try:
            photo = open_photo(data, self.width)
            for view in missing:
                spec = self.views[view]
                self._write_view(view, digest, view_bytes(data, spec, photo))
        except UnusablePhoto as err:
            return _skipped_row(path, label, size, mtime_ns, str(err), digest)
        width, height = photo.image.size
        return {
            "path": path, "label": label, "size": size, "mtime_ns": mtime_ns, "hash": digest,
            "status": "ok", "reason": "", "width": width, "height": height,
            "source_width": photo.source_width, "source_height": photo.source_height,
            "taken": photo.taken, "look": look_hash(photo.image),
        }


def _read_bytes(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _skipped_row(path, label, size, mtime_ns, reason, digest="") -> dict:
    return {
        "path": path, "label": label, "size": size, "mtime_ns": mtime_ns, "hash": digest,
        "status": "skipped", "reason": reason, "width": 0, "height": 0,
        "source_width": 0, "source_height": 0, "taken": "", "look": "",
    }


# ---- on a Dask worker -----------------------------------------------------------------------

#: Photos per task of a cache build on a cluster: enough to outweigh a task's overhead
#: (about a millisecond), few enough to spread a small build over every worker.
BUILD_CHUNK = 8
_BUILDERS: dict = {}


def build_chunk(folder: str, info: dict, verify: str, token: str, jobs: list) -> list[dict]:
    """On a worker: cache a chunk of photos (path, label, size, mtime_ns) as a local build does,
    returning for each its sources row, the recorded entries of its view files and any damage
    found. The worker keeps one builder per build (`token`), which reads the cache's tables once."""
    from ..core.dask_plumbing import quiet_worker

    quiet_worker()
    builder = _BUILDERS.get(token)
    if builder is None:
        _BUILDERS.clear()  # one build at a time per worker
        builder = _Builder(Path(folder), info, 1, False, verify)
        builder.load_known()
        _BUILDERS[token] = builder
    results = []
    for job in jobs:
        row = builder._cache_one(job)
        digest = row.get("hash", "")
        entries, repaired = [], {}
        if digest:
            with builder.lock:
                entries = [dict(e) for (view, h), e in builder.files.items() if h == digest]
                for view in builder.views:
                    relative = view_file(digest, view, builder.info)
                    if relative in builder.repaired:
                        repaired[relative] = builder.repaired[relative]
        results.append({"row": row, "entries": entries, "repaired": repaired})
    return results
