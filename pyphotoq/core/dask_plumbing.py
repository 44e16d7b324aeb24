"""Dask plumbing: the client from what a user passes (a Client, a scheduler address or
"local:N"), chunk sizes, results in order, quiet workers. What runs on the workers is defined
beside the work it does: a cache build's chunks in cache_builder (build_chunk), scoring's in
scoring (score_chunk_task), a sweep's runs in cluster (the face users call, with the overview of
what runs where). Dask is imported only when a client is given; install it with
`pip install "pyphotoq[dask]"`.
"""

from __future__ import annotations

import os

from .errors import PhotoqError

_LOCAL_CLUSTERS: dict = {}


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


def quiet_worker() -> None:
    """On a worker started by the command line (which sets TF_CPP_MIN_LOG_LEVEL=3): TensorFlow
    imported without its start-up lines, as the command line imports it."""
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "3":
        from .quiet import import_tensorflow_quietly

        import_tensorflow_quietly(force=True)
