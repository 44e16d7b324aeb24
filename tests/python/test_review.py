"""The review page in a real headless Chromium: keys change decisions, the compare view keeps its
zoom, decisions survive a reload, a second tab and a server restart, sidecars carry them and undo
restores them byte for byte; the token is required and nothing listens beyond the loopback."""

import json
import os
import shutil
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import pyphotoq
from browser import Tabs, need_chromium
from pyphotoq.data.cache_folder import read_corrections
from pyphotoq.reporting.review_shoot import PERSON_RULE, open_shoot, sharpest_region
from pyphotoq.reporting.review_server import ReviewServer
from pyphotoq.workflow.scoring import scores_text
from pyphotoq.photos.sources import corrected_photos

SIDECAR = b"""<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="5"/>
</rdf:RDF></x:xmpmeta>
<?xpacket end='w'?>
"""


def _files(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.xmp"))}


def _request(server, path, token=True, host=None, body=None):
    url = f"http://127.0.0.1:{server.port}{path}"
    if token:
        url += ("&" if "?" in url else "?") + f"token={server.token}"
    request = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **({"Host": host} if host else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def shoot_folder(demo_photos, tmp_path):
    shoot = tmp_path / "shoot"
    photos = sorted((demo_photos / "good").glob("*.jpg"))[:6] + sorted((demo_photos / "bad").glob("*.jpg"))[:6]
    shoot.mkdir()
    for photo in photos:
        shutil.copy(photo, shoot / photo.name)
    (shoot / f"{photos[0].name}.xmp").write_bytes(SIDECAR)  # the photographer's own 5 stars
    (shoot / "broken.jpg").write_bytes(b"\xff\xd8\xff not a photo")  # skipped when scored
    return shoot


def test_review_page_in_chromium(trained_run, shoot_folder):
    need_chromium()
    before = _files(shoot_folder)
    shoot = open_shoot(trained_run, shoot_folder, xmp=True, progress=False)
    server = ReviewServer(shoot).start()
    try:
        # the token and the loopback host are required; nothing listens beyond the loopback
        assert _request(server, "/api/shoot", token=False)[0] == 403
        assert _request(server, "/?token=wrong", token=False)[0] == 403
        assert _request(server, "/api/shoot", host=f"example.com:{server.port}")[0] == 403
        assert server.server.server_address[0] == "127.0.0.1"
        status, picture = _request(server, "/map/0")  # the network's map, on request
        assert status == 200 and picture.startswith(b"\x89PNG")
        outside = [a for a in {i[4][0] for i in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
                   if not a.startswith("127.")]
        for address in outside:
            with pytest.raises(OSError):
                socket.create_connection((address, server.port), timeout=2).close()
        with Tabs() as browser:
            tab = browser.open(server.url)
            try:
                tab.wait("document.body.dataset.ready === '1'")
            finally:
                assert tab.errors() == []
            assert tab.run("document.querySelectorAll('.tile').length") == 13
            assert tab.run("document.querySelectorAll('.tile .unread').length") == 1  # the skipped one: its reason
            assert tab.run("Array.from(document.images).filter(i => i.complete && i.naturalWidth === 0).length") == 0
            first = tab.run("state.photos[state.current].id")
            tab.key("x")
            tab.wait(f"state.photos[state.byId.get({first})].decision === 'reject'")
            assert shoot.table.at[first, "decision"] == "reject" and shoot.table.at[first, "rule"] == PERSON_RULE
            assert "\u2717 reject" in tab.run("document.querySelector('.tile.current').innerText")
            tab.key("ArrowRight")
            second = tab.run("state.photos[state.current].id")
            assert second != first
            tab.key("p")
            tab.wait(f"state.photos[state.byId.get({second})].decision === 'keep'")
            kept = tab.run(f"state.photos[state.byId.get({second})].rating")
            assert kept >= 1
            tab.key("3" if kept != 3 else "2")
            stars = 3 if kept != 3 else 2
            tab.wait(f"state.photos[state.byId.get({second})].rating === {stars}")
            assert (shoot.table.at[second, "decision"], shoot.table.at[second, "rating"]) == ("keep", stars)
            tab.key("z", ctrl=True)  # undo the stars
            tab.wait(f"state.photos[state.byId.get({second})].rating === {kept}")
            # compare view: zoom to 100%, kept while stepping
            tab.key(" ")
            tab.wait("!document.getElementById('compare').hidden && document.querySelectorAll('.pane').length >= 2")
            assert tab.run("document.querySelectorAll('.pane .pick').length") == 1  # photoq's pick marked
            tab.key("z")
            tab.wait("document.getElementById('compare').dataset.zoom === '100'")
            tab.wait("Array.from(document.querySelectorAll('.pane')).every(p => p.dataset.scale === '1.0000')")
            zoom = tab.run("JSON.stringify(state.zoom)")
            tab.key("ArrowRight")
            tab.wait(f"state.current !== state.byId.get({second})")
            assert tab.run("document.getElementById('compare').dataset.zoom") == "100"
            assert tab.run("JSON.stringify(state.zoom)") == zoom
            assert tab.run("Array.from(document.querySelectorAll('.pane')).every(p => p.dataset.scale === '1.0000')")
            tab.key("Escape")
            tab.key("?")
            help_text = tab.run("document.getElementById('help').hidden ? '' : document.getElementById('help').innerText")
            for key in ("P", "X", "U", "0", "5", "Space", "Z", "M", "Ctrl", "?", "Esc"):
                assert key in help_text, key
            # a reload shows every decision; a second tab sees the first's and adds its own
            tab.reload()
            tab.wait("document.body.dataset.ready === '1'")
            assert tab.run(f"state.photos[state.byId.get({first})].decision") == "reject"
            other = browser.open(server.url)
            other.wait("document.body.dataset.ready === '1'")
            while other.run("state.photos[state.current].id") in (first, second):
                other.key("ArrowRight")
            third = other.run("state.photos[state.current].id")
            other.key("u" if shoot.table.at[third, "decision"] != "review" else "x")
            tab.wait(f"state.photos[state.byId.get({third})].by_you === true", timeout=10)
            assert tab.errors() == [] and other.errors() == []
    finally:
        server.stop()
    # the table on disk is the whole table as score_photos writes it (each key rewrote one line of it)
    assert shoot.table_path.read_text() == scores_text(shoot.table)
    # a server started again on the same shoot reads every decision back
    again = open_shoot(trained_run, shoot_folder, xmp=True, progress=False)
    assert (again.table["rule"] == PERSON_RULE).sum() == 3
    assert again.table.at[first, "decision"] == "reject" and again.table.at[second, "rating"] == kept
    # the sidecars carry the decisions (read by exiftool); the photographer's own one was replaced, journalled
    sidecar = shoot_folder / f"{Path(shoot.table.at[first, 'path']).name}.xmp"
    if shutil.which("exiftool"):
        read = json.loads(subprocess.run(["exiftool", "-j", "-Rating", str(sidecar)], capture_output=True,
                                         check=True).stdout)[0]
        assert read["Rating"] == -1
    # the decisions table is what learn_corrections reads
    learned = corrected_photos(shoot.table_path)
    assert set(learned["label"]) <= {"good", "bad"} and len(learned) >= 2
    # undo, once per decision written, restores the sidecars byte for byte
    journal = shoot_folder / ".photoq-undo"
    for _ in range(len([e for e in journal.iterdir() if e.is_dir()])):
        pyphotoq.undo_sidecars(shoot_folder)
    assert _files(shoot_folder) == before


def test_done_and_learn_hands_the_decisions_to_learning(own_run, shoot_folder, tmp_path):
    _, run = own_run
    before = pyphotoq.open_run(run).batches_done
    seen = {}

    def press(url):  # what a browser would do: two decisions, then "Done and learn"
        def work():
            base, token = url.split("/?token=")
            shoot = json.loads(urllib.request.urlopen(f"{base}/api/shoot?token={token}").read())
            seen["photos"] = len(shoot["photos"])
            for body in ({"id": 0, "key": "x"}, {"id": 1, "key": "p"}):
                _post(base, token, "api/decide", body)
            _post(base, token, "done", {"learn": True})
        threading.Thread(target=work).start()

    (tmp_path / "decisions.json").write_text("a file of the user's")  # beside the table: never written
    table = pyphotoq.review(run, shoot_folder, table=tmp_path / "decisions.csv", browser=press, progress=False)
    assert (tmp_path / "decisions.json").read_text() == "a file of the user's"
    assert seen["photos"] == 13
    assert table.at[0, "decision"] == "reject" and table.at[0, "rule"] == PERSON_RULE
    assert len(list(shoot_folder.rglob("*.xmp"))) == 1  # no xmp asked: the photographer's own sidecar only
    after = pyphotoq.open_run(run)
    assert after.batches_done > before  # learned from the decisions
    learned = read_corrections(after.open_cache().path)
    assert set(learned["source"]) == {str(tmp_path / "decisions.csv")} and len(learned) >= 2
    with pytest.raises(pyphotoq.PhotoqError, match="port must be"):
        pyphotoq.review(run, shoot_folder, port=70000)


def test_sharpest_region_finds_the_detail():
    import numpy as np

    grey = np.zeros((120, 160), np.float32)
    grey[90:120, 0:40] = np.random.default_rng(0).uniform(0, 255, (30, 40))
    assert sharpest_region(grey) == [0.125, 0.875]


def _start_review(command):
    """The review command started; (process, base URL, token) once it prints the page's URL."""
    # as a user starts it: TF_CPP_MIN_LOG_LEVEL not set (the command line then keeps TensorFlow quiet)
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    for line in process.stdout:
        if line.startswith("Review page: "):
            base, token = line.split(": ", 1)[1].strip().split("/?token=")
            return process, base, token
    process.kill()
    raise AssertionError(f"no URL printed: {process.stderr.read()}")


def _post(base, token, path, body):
    urllib.request.urlopen(urllib.request.Request(f"{base}/{path}?token={token}", data=json.dumps(body).encode()),
                           timeout=30)


def test_pyphotoq_review_command_killed_and_started_again(trained_run, shoot_folder, tmp_path):
    import signal
    import sys

    table = tmp_path / "decisions.csv"
    command = [sys.executable, "-m", "pyphotoq", "review", str(trained_run.path), str(shoot_folder), "--no-browser",
               "--table", str(table), "--no-progress"]
    process, base, token = _start_review(command)
    try:
        _post(base, token, "api/decide", {"id": 1, "key": "p"})
        process.send_signal(signal.SIGKILL)  # a server killed: the decision is on disk already
        process.wait(timeout=30)
        process, base, token = _start_review(command)
        shoot = json.loads(urllib.request.urlopen(f"{base}/api/shoot?token={token}", timeout=30).read())
        assert [p["by_you"] for p in shoot["photos"] if p["id"] == 1] == [True]
        _post(base, token, "done", {})
        rest, errors = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, errors
    assert "1 decision made on the page" in rest
    assert "I0000" not in errors and "E0000" not in errors  # no TensorFlow start-up lines
    assert len(corrected_photos(table)) >= 1
