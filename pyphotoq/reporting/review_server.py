"""The review page's server: Flask on 127.0.0.1, a random free port, a random token.

Flask (with Werkzeug's threaded server) does the HTTP: photoq parses none of it. Every request
(but the page's static script and style) must carry the token (in the URL's `token`, or the `X-Photoq-Token` header) and name this
machine's loopback address as its Host (a page elsewhere cannot reach the server through a
renamed host); anything else is refused with 403. The server listens on 127.0.0.1 only.

The page (review_page/: one HTML file, its script and style) reads /api/shoot once, then asks
/api/changes every two seconds for what other tabs decided; every key is one POST to /api/decide
(or /api/restore for Ctrl+Z), answered with the photo as it now is. /done ends the review (with
`learn`, review() then learns from the decisions).
"""

from __future__ import annotations

import hmac
import secrets
import sys
import threading
import webbrowser
from pathlib import Path

import pandas as pd

from ..core.errors import PhotoqError
from ..core.parameters import check
from .review_shoot import Shoot, open_shoot

PAGE = Path(__file__).with_name("review_page")


def review(run, photos, table=None, xmp: bool = False, learn: bool = False, browser=True, port: int = 0,
           checkpoint="best", progress: bool | None = None) -> pd.DataFrame:
    """Review a culled shoot in the browser: keep, reject and rate the photos photoq sent to review,
    compare the shots of a burst side by side at 100%, and hand the decisions back.

    Scores the shoot `photos` (a folder, a photo or a list, as score_photos takes them) with the run,
    or reads back the scores table a review of it wrote before (`table`, default
    RUN/review/<folder>-<8 hex>.csv), makes thumbnails once (RUN/review/thumbs), then serves the page
    on 127.0.0.1 at a free port (or `port`) with a random token in its URL, and opens it in the
    browser (`browser`: True, False to only print the URL, or a function called with the URL).
    Every decision is written at once to the table (its rule says "you (review page)") and, with
    `xmp`, to the photos' XMP sidecars through the undo journal (`undo_sidecars(photos)` steps
    back one decision at a time). Waits until the page's Done button (or Ctrl+C), then, with
    `learn` or the page's "Done and learn", hands the decisions to learn_corrections. Returns the
    table as it is then.
    """
    for name, value in (("xmp", xmp), ("learn", learn)):
        if not isinstance(value, bool):
            raise PhotoqError(f"{name} must be True or False, got {value!r}")
    port = check("port", port)
    shoot = open_shoot(run, photos, table=table, xmp=xmp, progress=progress, checkpoint=checkpoint)
    server = ReviewServer(shoot, port).start()
    print(f"Review page: {server.url}\n(Done on the page, or Ctrl+C here, ends the review; decisions are "
          f"written to {shoot.table_path} as you make them)", flush=True)
    try:
        if callable(browser):
            browser(server.url)
        elif browser:
            webbrowser.open(server.url)
        while not server.wait(0.5):
            pass
    except KeyboardInterrupt:
        print("Review ended (Ctrl+C); every decision made so far is in the table", file=sys.stderr)
    finally:
        server.stop()
    decided = int((shoot.table["rule"] == "you (review page)").sum())
    print(f"{decided} decision{'s' if decided != 1 else ''} made on the page, in {shoot.table_path}")
    if learn or server.learn:
        from ..workflow.learning import learn_corrections

        learn_corrections(shoot.run, shoot.table_path, progress=progress)
    return shoot.table.copy()


class ReviewServer:
    """A running review: `url`, `wait()` (until Done), `stop()`; `learn` says whether the page
    asked to learn from the decisions."""

    def __init__(self, shoot: Shoot, port: int = 0):
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):  # no line per request in the photographer's terminal
            def log_request(self, *args, **kwargs):
                pass

        self.shoot = shoot
        self.token = secrets.token_urlsafe(24)
        self.done = threading.Event()
        self.learn = False
        self.maps: dict[int, str] = {}
        self.map_lock = threading.Lock()
        self.server = make_server("127.0.0.1", port, self._app(), threaded=True, request_handler=Quiet)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}/?token={self.token}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="photoq-review", daemon=True)

    def start(self) -> "ReviewServer":
        self.thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Until the page says Done (True), or `timeout` seconds (False)."""
        return self.done.wait(timeout)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def _app(self):
        from flask import Flask, abort, jsonify, request, send_file

        app = Flask("pyphotoq.review", static_folder=None)
        shoot = self.shoot
        hosts = ("127.0.0.1:{port}", "localhost:{port}")

        @app.before_request
        def guard():
            port = self.server.server_port
            if request.host not in {h.format(port=port) for h in hosts}:
                abort(403)
            if request.path.startswith("/page/"):
                return None  # the page's own script and style: the same for everyone, nothing of the shoot
            given = request.args.get("token") or request.headers.get("X-Photoq-Token") or ""
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                abort(403)

        @app.after_request
        def no_store(response):
            response.headers["Cache-Control"] = "no-store" if request.path.startswith("/api") else "private, max-age=3600"
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; img-src 'self' blob:; style-src 'self'; script-src 'self'")
            return response

        @app.errorhandler(PhotoqError)
        def refused(error):
            return jsonify({"error": str(error)}), 400

        @app.get("/")
        def page():
            html = (PAGE / "index.html").read_text(encoding="utf-8")
            return html, 200, {"Content-Type": "text/html; charset=utf-8"}

        @app.get("/page/<name>")
        def asset(name):
            kinds = {"review.js": "text/javascript", "review.css": "text/css"}
            if name not in kinds:
                abort(404)
            return send_file(PAGE / name, mimetype=kinds[name])

        @app.get("/api/shoot")
        def listing():
            return jsonify(shoot.listing())

        @app.get("/api/changes")
        def changes():
            return jsonify(shoot.changes(request.args.get("since", 0, type=int)))

        @app.post("/api/decide")
        def decide():
            body = request.get_json(force=True, silent=True) or {}
            return jsonify(shoot.decide(_whole(body.get("id")), str(body.get("key", ""))))

        @app.post("/api/restore")
        def restore():
            body = request.get_json(force=True, silent=True) or {}
            return jsonify(shoot.restore(_whole(body.get("id")), str(body.get("decision", "")), body.get("rating"),
                                         str(body.get("pick", "")), str(body.get("rule", ""))))

        @app.get("/thumb/<int:i>")
        def thumb(i):
            file = shoot.thumbnail(i)
            if file is None:
                abort(404)
            return send_file(file, mimetype="image/jpeg")

        @app.get("/photo/<int:i>")
        def photo(i):
            try:
                file, kind = shoot.display(i)
            except OSError:
                abort(404)
            return send_file(file, mimetype=kind)

        @app.get("/map/<int:i>")
        def activation(i):
            shoot._check_index(i)
            if i not in self.maps:
                from ..workflow.explain import explain_photos

                with self.map_lock:  # one network at a time; decisions go on meanwhile
                    table = explain_photos(shoot.run, [shoot.table.at[i, "path"]], out=shoot.thumbs.parent / "maps",
                                           progress=False)
                overlay = str(table.at[0, "overlay"])
                if not overlay:
                    abort(404)
                self.maps[i] = overlay
            return send_file(self.maps[i], mimetype="image/png")

        @app.post("/done")
        def done():
            body = request.get_json(force=True, silent=True) or {}
            self.learn = bool(body.get("learn"))
            self.done.set()
            return jsonify({"done": True, "learn": self.learn})

        return app


def _whole(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PhotoqError(f"A photo is named by its number, got {value!r}")
    return value
