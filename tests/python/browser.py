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


def need_chromium() -> None:
    """Skip the calling test where Chromium is not installed; in CI (CI=true), fail instead: CI
    must not skip a browser test."""
    import pytest

    if chromium() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI must not skip the browser test: install chromium (make install-r)")
        pytest.skip("chromium is not installed")


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


# ---- a live page: keys, scripts, reloads (the review page's tests) ------------------------------

#: DevTools key events: (key, code, Windows virtual key code, text typed).
_KEYS = {
    "ArrowRight": ("ArrowRight", "ArrowRight", 39, ""), "ArrowLeft": ("ArrowLeft", "ArrowLeft", 37, ""),
    "ArrowDown": ("ArrowDown", "ArrowDown", 40, ""), "ArrowUp": ("ArrowUp", "ArrowUp", 38, ""),
    "Escape": ("Escape", "Escape", 27, ""), " ": (" ", "Space", 32, " "), "?": ("?", "Slash", 191, "?"),
}


class Tabs:
    """A headless Chromium with live tabs: `open(url)` gives a Tab; close() ends the browser."""

    def __init__(self, timeout: float = 60):
        executable = chromium()
        if executable is None:
            raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
        self.browser = _Browser(executable, timeout)

    def open(self, url: str, width: int = 1280, height: int = 720) -> "Tab":
        target = self.browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime"):
            self.browser.send(f"{domain}.enable", session=session)
        self.browser.send("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)
        tab = Tab(self.browser, session)
        tab.go(url)
        return tab

    def close(self) -> None:
        self.browser.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Tab:
    def __init__(self, browser: _Browser, session: str):
        self.browser, self.session = browser, session

    def go(self, url: str) -> None:
        self.browser.send("Page.navigate", {"url": url}, self.session)
        self.browser.wait_for("Page.loadEventFired", self.session)

    def reload(self) -> None:
        self.browser.send("Page.reload", {"ignoreCache": True}, self.session)
        self.browser.wait_for("Page.loadEventFired", self.session)

    def run(self, expression: str):
        """The value of a JavaScript expression (promises awaited)."""
        reply = self.browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                       "awaitPromise": True}, self.session)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression}: {reply['exceptionDetails'].get('text')}")
        return reply["result"].get("value")

    def wait(self, expression: str, timeout: float = 20):
        """Until the expression is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.run(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"never true: {expression}")
            time.sleep(0.05)

    def key(self, key: str, ctrl: bool = False) -> None:
        """Press and release one key as a person would."""
        if key in _KEYS:
            name, code, virtual, text = _KEYS[key]
        else:
            name, code, virtual, text = key, (f"Digit{key}" if key.isdigit() else f"Key{key.upper()}"), \
                ord(key.upper()), key
        modifiers = 2 if ctrl else (8 if key == "?" else 0)
        down = {"type": "keyDown" if text and not ctrl else "rawKeyDown", "key": name, "code": code,
                "windowsVirtualKeyCode": virtual, "modifiers": modifiers}
        if text and not ctrl:
            down["text"] = text
        self.browser.send("Input.dispatchKeyEvent", down, self.session)
        self.browser.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": name, "code": code,
                                                     "windowsVirtualKeyCode": virtual, "modifiers": modifiers},
                          self.session)

    def errors(self) -> list:
        """The page's exceptions and console errors so far."""
        found = []
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append(f"exception: {details.get('exception', {}).get('description') or details.get('text')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(f"console: {params.get('args')}")
        return found

    def screenshot(self) -> bytes:
        return base64.b64decode(self.browser.send("Page.captureScreenshot", {"format": "png"}, self.session)["data"])
