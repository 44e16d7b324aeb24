"""Cache building, scoring and sweeps on a real Dask LocalCluster (2 worker processes, loopback
only): the same manifest and the same scores as here, also when a worker or the client is
killed in the middle."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import pyphotoq
from pyphotoq.cluster import dask_client
from pyphotoq.core.errors import PhotoqError

distributed = pytest.importorskip("distributed", reason="the Dask extra: pip install 'pyphotoq[dask]'")


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 single-threaded worker processes, restarted when one is killed."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=50) as local:
        with distributed.Client(local) as client:
            yield client


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """64 demo photos of 640x480: big enough that a build or a scoring run takes seconds."""
    return pyphotoq.make_demo_photos(tmp_path_factory.mktemp("trip") / "photos", n_photos=64,
                                     size=(640, 480), seed=5, progress=False)


def kill_a_busy_worker(client, running: threading.Thread, timeout: float = 120) -> bool:
    """SIGKILL the process of a worker while it runs a task; True when `running` (the build or
    scoring) had not finished at that moment."""
    started = time.monotonic()
    while time.monotonic() - started < timeout and running.is_alive():
        busy = [address for address, keys in client.processing().items() if keys]
        if busy:
            time.sleep(0.2)  # well inside the task
            pids = client.run(os.getpid, workers=busy[:1])
            alive = running.is_alive()
            os.kill(pids[busy[0]], signal.SIGKILL)
            return alive
        time.sleep(0.01)
    return False


def in_thread(function, *args, **kwargs):
    """Start function(*args, **kwargs) in a thread; the thread's .result() returns or raises."""
    outcome = {}

    def target():
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as err:  # noqa: BLE001 (re-raised in the test)
            outcome["error"] = err

    thread = threading.Thread(target=target)
    thread.start()

    def result():
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    thread.result = result
    return thread


def view_files(cache: Path) -> dict:
    return {str(p.relative_to(cache)): p.read_bytes() for p in sorted((cache / "views").rglob("*")) if p.is_file()}


def files_without_times(cache: Path) -> pd.DataFrame:
    return pd.read_csv(cache / "files.csv").drop(columns=["mtime_ns"])


def test_a_build_on_the_cluster_with_a_worker_killed_gives_the_local_manifest(cluster, photos, tmp_path):
    local = pyphotoq.build_cache(photos, tmp_path / "local", progress=False)
    build = in_thread(pyphotoq.build_cache, photos, tmp_path / "cluster", progress=False,
                      client=cluster)
    assert kill_a_busy_worker(cluster, build), "the build ended before a worker could be killed"
    remote = build.result()
    assert (tmp_path / "cluster" / "manifest.csv").read_bytes() == (local.path / "manifest.csv").read_bytes()
    pd.testing.assert_frame_equal(files_without_times(remote.path), files_without_times(local.path))
    assert view_files(remote.path) == view_files(local.path)  # nothing lost, nothing extra
    assert not [p for p in remote.path.rglob("*") if ".tmp" in p.name]
    assert remote.summary.photos == 64 and len(remote.manifest) == 64


def test_scoring_on_the_cluster_with_a_worker_killed_gives_the_local_table(cluster, photos, trained_run):
    local = pyphotoq.score_photos(trained_run, photos, progress=False)
    scoring = in_thread(pyphotoq.score_photos, trained_run, photos, progress=False, client=cluster)
    assert kill_a_busy_worker(cluster, scoring), "scoring ended before a worker could be killed"
    remote = scoring.result()
    pd.testing.assert_frame_equal(remote, local)
    assert remote["path"].is_unique and len(remote) == 64
    assert remote.attrs["threshold"] == local.attrs["threshold"]


def test_a_build_whose_client_is_killed_resumes_to_the_same_manifest(photos, tmp_path):
    """The command line with --scheduler local:2, killed (client, scheduler and workers) once
    view files are being written, then the build run again here."""
    whole = pyphotoq.build_cache(photos, tmp_path / "whole", detail=False, progress=False)
    cache = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "pyphotoq", "cache", str(photos), str(cache), "--no-detail", "--no-progress",
         "--scheduler", "local:2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and process.poll() is None:
            if len(list((cache / "views").rglob("*.jpg"))) >= 3 if (cache / "views").exists() else False:
                break
            time.sleep(0.01)
        assert process.poll() is None, "the build ended before it could be killed"
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert not (cache / "manifest.csv").exists() or len(list((cache / "views").rglob("*.jpg"))) < 64
    resumed = pyphotoq.build_cache(photos, cache, detail=False, progress=False)
    assert (resumed.path / "manifest.csv").read_bytes() == (whole.path / "manifest.csv").read_bytes()
    assert view_files(resumed.path) == view_files(whole.path)


def test_a_sweep_of_two_tiny_runs_on_the_cluster(cluster, small_cache, tmp_path):
    table = pyphotoq.sweep_runs(small_cache, tmp_path / "runs", recipes=["two-branch"], seeds=[1, 2], client=cluster,
                           batches=4, validate_every=4, progress=False)
    assert list(table["seed"]) == [1, 2] and (table["error"] == "").all(), table.to_string()
    assert list(table["batches"]) == [4, 4]
    for row in table.itertuples():
        assert Path(row.run) == (tmp_path / "runs" / f"two-branch-seed{row.seed}").resolve()
        run = pyphotoq.open_run(row.run)
        assert run.batches_done == 4 and run.settings["seed"] == row.seed
        assert row.test_auc == pytest.approx(pyphotoq.evaluate_model(run, "test", progress=False).auc)
        assert 0 <= row.validation_auc <= 1 and row.seconds > 0


def test_a_sweep_reports_a_failed_run_and_finishes_the_others(small_cache, tmp_path):
    """Here, without a cluster: the same table; a run that cannot train says why in `error`."""
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "two-branch-seed2").write_text("a file where the run folder should be")
    table = pyphotoq.sweep_runs(small_cache, tmp_path / "runs", recipes="two-branch", seeds=[1, 2], batches=2,
                           validate_every=2, progress=False)
    assert table.loc[0, "error"] == "" and table.loc[0, "batches"] == 2
    assert table.loc[1, "error"] and pd.isna(table.loc[1, "test_auc"])


def test_cluster_arguments_are_checked():
    assert dask_client(None) is None
    for bad in ("", "local:0", "local:x", 3):
        with pytest.raises(PhotoqError, match="local:N|client must be"):
            dask_client(bad)
    with pytest.raises(PhotoqError, match="Unknown recipe"):
        pyphotoq.sweep_runs(Path(__file__).parent, "unused", recipes=["no-such-recipe"])


def test_the_core_does_not_import_dask():
    code = ("import sys, pyphotoq; pyphotoq.build_cache; import pyphotoq.workflow.scoring, pyphotoq.cluster; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
