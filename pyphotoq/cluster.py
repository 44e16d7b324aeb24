"""Past one machine: cache building, scoring and recipe sweeps on a Dask cluster (optional).

`build_cache(..., client=)`, `score_photos(..., client=)` and `sweep_runs(..., client=)` take a
`distributed.Client`, a scheduler address ("tcp://host:8786") or "local:N" (a LocalCluster of
N worker processes on this machine, loopback only). Without one nothing changes and Dask is not
imported. Install it with `pip install "pyphotoq[dask]"`.

What runs where:

* a cache build sends chunks of photos to the workers, which hash, decode, make every declared
  view and write the view files into the cache folder (which every worker must see at the same
  path); only the client writes the tables, with the local build's rules (atomic, resumable,
  locked), so the manifest is the one a local build makes. A worker killed mid-chunk has its
  chunk done again elsewhere (view files are written whole under a temporary name, and the same
  photo always gives the same bytes); a killed client resumes like a killed local build.
* scoring sends the same chunks of photos a local run batches together; each worker loads the
  model once (not per chunk) and returns the network's scores, the facts and the booster's
  statistics; the client compares each photo with its scene and writes nothing else. The table
  is the one local scoring gives.
* a sweep trains one run per (recipe, seed) on the workers, each in its own run folder, then
  evaluates it on the test split.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pandas as pd

from .errors import PhotoqError

#: Photos per task of a cache build on a cluster: enough to outweigh a task's overhead
#: (about a millisecond), few enough to spread a small build over every worker.
BUILD_CHUNK = 8
_LOCAL_CLUSTERS: dict = {}
_MODELS: dict = {}
_MODELS_LOCK = threading.Lock()


def dask_client(client):
    """A `distributed.Client` from `client` (a Client, a scheduler address, or "local:N"), or
    None when `client` is None."""
    if client is None:
        return None
    try:
        import distributed
    except ImportError:
        raise PhotoqError(
            "Running on a Dask cluster needs Dask: pip install \"pyphotoq[dask]\" "
            "(dask and distributed)"
        ) from None
    if isinstance(client, distributed.Client):
        return client
    if not isinstance(client, str) or not client.strip():
        raise PhotoqError(
            f"client must be a distributed.Client, a scheduler address or 'local:N', got {client!r}"
        )
    address = client.strip()
    if address == "local" or address.startswith("local:"):
        text = address.partition(":")[2] or str(os.cpu_count() or 1)
        if not text.isdigit() or not 1 <= int(text) <= 256:
            raise PhotoqError(f"A local cluster is 'local:N' with N worker processes (1 to 256), got {address!r}")
        return local_client(int(text))
    return _remote_client(scheduler_address(address))


#: How long a scheduler has to answer (connection and Dask's handshake together).
CONNECT_SECONDS = 20


def scheduler_address(text: str) -> str:
    """A scheduler address as Dask takes it: tcp://host:port or tls://host:port; host:port means
    tcp://host:port. PhotoqError for any other form."""
    scheme, separator, rest = text.partition("://")
    if not separator:
        scheme, rest = "tcp", text
    host, colon, port = rest.rpartition(":")
    if scheme not in ("tcp", "tls") or not colon or not host or not port.isdigit() or not 0 < int(port) < 65536 \
            or any(c in host for c in "/?#@ "):
        raise PhotoqError(f"A Dask scheduler address is tcp://HOST:PORT (or HOST:PORT, or tls://HOST:PORT), or "
                          f"local:N for a cluster here; got {text!r}")
    return f"{scheme}://{host}:{int(port)}"


def _remote_client(address: str):
    """A client of the scheduler at `address`, or PhotoqError when none answers as a Dask scheduler
    within CONNECT_SECONDS (Dask's own timeout does not bound the handshake with another service)."""
    import threading

    import distributed

    found: dict = {}

    def connect():
        try:
            found["client"] = distributed.Client(address, timeout=f"{CONNECT_SECONDS}s")
        except Exception as err:  # noqa: BLE001 - any failure to connect is said in one line
            found["error"] = err

    thread = threading.Thread(target=connect, name="photoq-connect", daemon=True)
    thread.start()
    thread.join(CONNECT_SECONDS + 5)
    if thread.is_alive():
        raise PhotoqError(f"No Dask scheduler answered at {address} within {CONNECT_SECONDS} s (is another "
                          "service listening there?)")
    if "error" in found:
        error = found["error"]
        raise PhotoqError(f"Cannot reach the Dask scheduler at {address}: "
                          f"{' '.join(str(error).split())[:200] or type(error).__name__}") from None
    return found["client"]


def local_client(workers: int):
    """A client of a LocalCluster of `workers` processes of one thread each on the loopback
    interface (no dashboard), started once per process and reused."""
    import distributed

    known = _LOCAL_CLUSTERS.get(workers)
    if known is not None and known.status == "running":
        return known
    _workers_find_this_python()
    cluster = distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, silence_logs=40,
    )
    if not _LOCAL_CLUSTERS:
        import atexit

        atexit.register(close_local_clusters)
    _LOCAL_CLUSTERS[workers] = distributed.Client(cluster)
    return _LOCAL_CLUSTERS[workers]


def close_local_clusters() -> None:
    """Stop the LocalClusters started for "local:N" (also done when Python exits)."""
    while _LOCAL_CLUSTERS:
        _, client = _LOCAL_CLUSTERS.popitem()
        cluster = client.cluster
        try:
            client.close()
            if cluster is not None:
                cluster.close()
        except Exception:  # noqa: BLE001 (closing at exit: nothing more to do)
            pass


def _workers_find_this_python() -> None:
    """Worker processes start this Python's executable; inside R (reticulate), R's
    LD_LIBRARY_PATH lists the system's library folders first, where another build's libpython
    may be found before this one's, and the worker dies on start ("Nanny failed to start").
    This Python's library folder is put first (for the processes started from here on)."""
    import glob
    import sysconfig

    library = sysconfig.get_config_var("LIBDIR")
    search = os.environ.get("LD_LIBRARY_PATH", "")
    if not search or not library or not glob.glob(os.path.join(library, "libpython*.so*")):
        return
    if search.split(os.pathsep)[0] != library:
        os.environ["LD_LIBRARY_PATH"] = os.pathsep.join([library, search])


def chunk_size(client, items: int, largest: int) -> int:
    """Items per task: at most `largest`, and few enough that every worker gets about four
    tasks (a small job still spreads over the whole cluster)."""
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    return max(1, min(largest, -(-items // (4 * workers))))


def in_order(client, futures, on_done=None) -> list:
    """The results of `futures` in their order, calling `on_done(result)` as each arrives (for
    progress bars); the first task that fails raises its error."""
    import distributed

    position = {future.key: number for number, future in enumerate(futures)}
    results: list = [None] * len(futures)
    for future in distributed.as_completed(futures):
        result = future.result()
        results[position[future.key]] = result
        if on_done is not None:
            on_done(result)
    return results


def _quiet_worker() -> None:
    """On a worker started by the command line (which sets TF_CPP_MIN_LOG_LEVEL=3): TensorFlow
    imported without its start-up lines, as the command line imports it."""
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "3":
        from .quiet import import_tensorflow_quietly

        import_tensorflow_quietly(force=True)


# ---- cache building -------------------------------------------------------------------------

_BUILDERS: dict = {}


def build_chunk(folder: str, info: dict, verify: str, token: str, jobs: list) -> list[dict]:
    """On a worker: cache a chunk of photos (path, label, size, mtime_ns) as a local build does,
    returning for each its sources row, the recorded entries of its view files and any damage
    found. The worker keeps one builder per build (`token`), which reads the cache's tables once."""
    from .cache_builder import _Builder
    from .cache_format import view_file

    _quiet_worker()
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


# ---- scoring --------------------------------------------------------------------------------


def _worker_model(run_path: str, checkpoint):
    """The run's model, loaded once per worker process (and per checkpoint file)."""
    from .runs import open_run

    run = open_run(run_path)
    file = str(run.checkpoint_path(checkpoint))
    key = (file, os.stat(file).st_mtime_ns)
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS.clear()
            _MODELS[key] = run.load_model(checkpoint)
        return _MODELS[key]


def score_chunk_task(run_path: str, checkpoint, network: bool, specs: dict, views, statistics: bool,
                     batch_size: int, paths: list) -> tuple[list, list]:
    """On a worker: (measured photos without pixels, skipped (path, reason)) for one chunk of
    paths, exactly as local scoring measures and batches the same chunk."""
    from .scoring import measure_photo, score_chunk

    _quiet_worker()
    model = _worker_model(run_path, checkpoint) if network else None
    chunk = [(path, measure_photo(path, specs, views, statistics, network)) for path in paths]
    skipped: list = []
    return score_chunk(model, chunk, views, batch_size, skipped), skipped


# ---- sweeps ---------------------------------------------------------------------------------

SWEEP_COLUMNS = ["recipe", "seed", "run", "batches", "validation_auc", "test_auc", "seconds", "error"]


def sweep_runs(cache, runs, recipes=("two-view",), seeds=(1,), client=None, progress: bool | None = None,
          **train_args) -> pd.DataFrame:
    """Train one run per (recipe, seed), each in its own folder `runs/<recipe>-seed<seed>`, and
    compare them: a table of recipe, seed, run, batches, validation_auc (the best checkpoint's),
    test_auc (evaluate_model on the test split), seconds (training and evaluation) and error
    (empty, or why that run failed: the others still finish). With `client` (see
    `dask_client`) the runs train side by side on the workers, one per worker; without, one
    after the other here. `train_args` go to every train_model (batches, batch_size, ...).
    Runs that exist are resumed, as train_model does."""
    from .progress import tqdm

    from .cache import Cache, open_cache
    from .parameters import check
    from .recipes import RECIPES

    recipes = [recipes] if isinstance(recipes, str) else list(recipes)
    seeds = [seeds] if isinstance(seeds, (int, float)) else list(seeds)
    if not recipes or not seeds:
        raise PhotoqError("A sweep needs at least one recipe and one seed")
    for recipe in recipes:
        if recipe not in RECIPES:
            raise PhotoqError(f"Unknown recipe {recipe!r}: choose from {', '.join(RECIPES)}")
    seeds = [check("seed", seed) for seed in seeds]
    cache_handle = cache if isinstance(cache, Cache) else open_cache(cache)
    for key in ("progress", "plot", "recipe", "seed"):
        train_args.pop(key, None)
    folder = Path(runs).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(recipe, seed, str(folder / f"{recipe}-seed{seed}")) for recipe in recipes for seed in seeds]
    bar = tqdm(total=len(jobs), desc="Sweep", unit="run", disable=None if progress is None else not progress)
    dask = dask_client(client)
    if dask is None:
        rows = []
        for job in jobs:
            rows.append(sweep_one(str(cache_handle.path), *job, train_args))
            bar.update()
    else:
        futures = [dask.submit(sweep_one, str(cache_handle.path), *job, train_args, pure=False) for job in jobs]
        rows = in_order(dask, futures, lambda _: bar.update())
    bar.close()
    return pd.DataFrame(rows, columns=SWEEP_COLUMNS)


def sweep_one(cache: str, recipe: str, seed: int, run: str, train_args: dict) -> dict:
    """One run of a sweep: train, evaluate on the test split, time it (on a worker or here)."""
    from .evaluation import evaluate_model
    from .training import train_model

    _quiet_worker()
    started = time.monotonic()
    row = {"recipe": recipe, "seed": seed, "run": run, "batches": 0, "validation_auc": float("nan"),
           "test_auc": float("nan"), "seconds": float("nan"), "error": ""}
    try:
        trained = train_model(cache, run, recipe=recipe, seed=seed, progress=False, plot=False, **train_args)
        evaluation = evaluate_model(trained, "test", cache=cache, progress=False)
        row.update(batches=int(trained.batches_done), test_auc=float(evaluation.auc),
                   validation_auc=_validation_auc(trained))
    except Exception as err:  # noqa: BLE001 (one failed run must not stop the others)
        row["error"] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:300]
    row["seconds"] = time.monotonic() - started
    return row


def _validation_auc(run) -> float:
    """The run's validation AUC as its scores are used: the booster blend's when it has one,
    else the best checkpoint's."""
    booster = run.booster_info
    if booster and booster.get("validation_auc") and booster.get("network_weight") is not None:
        return float(booster["validation_auc"][f"{booster['network_weight']:g}"])
    history = run.history
    auc = history[(history["set"] == "validation") & (history["metric"] == "auc")]["value"]
    return float(auc.max()) if len(auc) else float("nan")
