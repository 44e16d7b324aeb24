"""A real headless Chromium for the tests, driven over the DevTools protocol on a pipe.

No Selenium, no websocket package: Chromium started with --remote-debugging-pipe reads
protocol commands (JSON, each ended by a NUL byte) on file descriptor 3 and answers on 4.
`open_page` loads a file, waits for its load event and returns what a browser test asserts on:
the console errors and exceptions, the images that failed to load, the page's text, and a
screenshot.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--remote-debugging-pipe",
]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@dataclass
class Page:
    errors: list = field(default_factory=list)  # console errors, exceptions, failed loads
    broken_images: list = field(default_factory=list)
    images: int = 0
    text: str = ""
    title: str = ""
    screenshot: bytes = b""


class _Browser:
    def __init__(self, executable: str, timeout: float):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="photoq-chromium-")
        commands_read, self.commands = os.pipe()
        self.answers, answers_write = os.pipe()

        def wire():  # in the child: the pipe ends on the descriptors Chromium expects
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (commands_read, answers_write)]
            for fd, wanted in zip(high, (3, 4)):
                os.dup2(fd, wanted)  # inheritable
                os.close(fd)

        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            preexec_fn=wire, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(commands_read)
        os.close(answers_write)
        self.next_id = 0
        self.buffer = b""
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str) -> dict:
        while True:
            for index, event in enumerate(self.events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self.events.pop(index)
            self.events.append(self._read())

    def _read(self) -> dict:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.answers], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.answers, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except Exception:  # noqa: BLE001 (it may be gone already)
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self.commands, self.answers):
            os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)


CHECK_IMAGES = """JSON.stringify({
  images: document.images.length,
  broken: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)
             .map(i => i.alt || i.src.slice(0, 60)),
  text: document.body ? document.body.innerText : "",
  title: document.title})"""


def open_page(path, width: int = 1280, height: int = 900, timeout: float = 60) -> Page:
    """Load the file `path` in headless Chromium; what a test needs to know about the page."""
    executable = chromium()
    if executable is None:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
    browser = _Browser(executable, timeout)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)
        browser.send("Page.navigate", {"url": Path(path).resolve().as_uri()}, session)
        browser.wait_for("Page.loadEventFired", session)
        state = json.loads(browser.send("Runtime.evaluate", {
            "expression": CHECK_IMAGES, "returnByValue": True}, session)["result"]["value"])
        shot = browser.send("Page.captureScreenshot", {"format": "png"}, session)["data"]
        page = Page(broken_images=state["broken"], images=state["images"], text=state["text"],
                    title=state["title"], screenshot=base64.b64decode(shot))
        for event in browser.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                page.errors.append(f"console: {params.get('args')}")
            elif method == "Runtime.exceptionThrown":
                page.errors.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                page.errors.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
            elif method == "Network.loadingFailed":
                page.errors.append(f"failed load: {params.get('errorText')}")
        return page
    finally:
        browser.close()
