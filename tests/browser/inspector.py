#!/usr/bin/env python3
"""The mock's inspector page (GET /__admin/) in a real headless Chromium.

Starts the mock binary (manual timing), makes one valid create and one that breaks two
rules, loads the page once, and drives Chromium over its DevTools protocol:

- the page shows the task `pending`; the script then completes it through the admin API,
  and the page shows it `completed` with "pending → completed" in its own history column,
  which only a page that was not reloaded can know;
- the rejected request is listed with its answer (400) and the JSON pointers of the rules
  it broke;
- at phone width (390 px) nothing overflows sideways, every control has a label, and the
  tables have captions and column headers.

Every wait is for an explicit condition, bounded by a deadline only to fail instead of
hanging. Usage: inspector.py MOCK_BINARY [--screenshot PNG]
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # websocket-client

CREATE = "/vendors/klingai/v1/kling-v3-omni/reference-video-to-video/generation"
KEY = "sk-mr-test"
BOUND = 30  # seconds any one condition may take before the test fails


def http(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("authorization", "Bearer " + KEY)
    if data is not None:
        request.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def start_mock(binary):
    mock = subprocess.Popen(
        [binary, "--port", "0", "--timing", "manual"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "RUST_LOG": "off"},
    )
    first = mock.stdout.readline().strip()
    if not first.startswith("MuleRouter mock listening on "):
        raise SystemExit(f"the mock did not start: {first!r}")
    return mock, first.rsplit(" ", 1)[1]


def start_chromium(profile):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    browser = subprocess.Popen(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
            "--remote-debugging-port=0", "--window-size=1000,900", "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.monotonic() + BOUND
    while not os.path.exists(port_file) or not open(port_file).read().strip():
        if time.monotonic() > deadline or browser.poll() is not None:
            raise SystemExit("chromium did not open its DevTools port")
        time.sleep(0.05)
    port = open(port_file).read().split()[0]
    targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
    page = next(t for t in targets if t["type"] == "page")
    return browser, page["webSocketDebuggerUrl"]


class Page:
    """A page target over the DevTools protocol."""

    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=BOUND, suppress_origin=True)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, what, expression):
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.1)
        body = self.evaluate("document.body.innerText")
        raise SystemExit(f"FAIL: the page never showed {what}; it shows:\n{body}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mock_binary")
    parser.add_argument("--screenshot")
    args = parser.parse_args()

    mock, base = start_mock(args.mock_binary)
    profile = tempfile.mkdtemp(prefix="inspector-chromium-")
    browser = None
    try:
        # Arrange: one valid create, one that breaks two rules.
        status, body = http("POST", base + CREATE, {"prompt": "A paper boat on a rainy street", "video": "https://example.com/v.mp4"})
        assert status == 200, (status, body)
        task_id = json.loads(body)["task_info"]["id"]
        status, _ = http("POST", base + CREATE, {"prompt": "", "video": "https://example.com/v.mp4", "duration": 99})
        assert status == 400, status

        browser, ws_url = start_chromium(profile)
        page = Page(ws_url)
        page.call("Page.enable")
        page.call("Page.navigate", url=base + "/__admin/")
        row = f'document.querySelector(\'tr[data-task="{task_id}"]\')'

        # The task as it is now, then moved by someone else while the page stays loaded.
        page.wait_for("the task pending", f'{row}?.dataset.status === "pending"')
        page.evaluate("window.__notReloaded = true")
        http("POST", f"{base}/__admin/tasks/{task_id}/complete", None)
        page.wait_for("the task completed", f'{row}?.dataset.status === "completed"')
        history = page.evaluate(f'{row}.cells[2].textContent')
        assert history == "pending → completed", history
        assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"

        # The rejected request with its answer and each broken rule's pointer.
        rejected = 'document.querySelector(\'#journal tr[data-status="400"]\')'
        page.wait_for("the rejected request", f"{rejected} !== null")
        pointers = page.evaluate(f'[...{rejected}.querySelectorAll("li.violation code")].map(c => c.textContent)')
        assert "/duration" in pointers and "/prompt" in pointers, pointers

        # Accessible markup.
        unlabelled = page.evaluate('[...document.querySelectorAll("input, select")].filter(e => e.labels.length === 0).map(e => e.id)')
        assert unlabelled == [], f"controls without a label: {unlabelled}"
        assert page.evaluate('[...document.querySelectorAll("table")].every(t => t.caption && t.tHead.querySelectorAll("th[scope=col]").length > 2)'), "a table lacks a caption or column headers"

        # Readable at phone width: nothing wider than the screen.
        page.call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True)
        page.wait_for("a layout at phone width", "window.innerWidth === 390")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide at a 390px screen"

        if args.screenshot:
            page.call("Emulation.setDeviceMetricsOverride", width=1000, height=760, deviceScaleFactor=1, mobile=False)
            page.wait_for("a layout at desktop width", "window.innerWidth === 1000")
            shot = page.call("Page.captureScreenshot", format="png")
            with open(args.screenshot, "wb") as out:
                out.write(base64.b64decode(shot["data"]))
        print(f"ok: the inspector showed task {task_id} pending → completed and the pointers {pointers} without a reload")
    finally:
        if browser:
            browser.terminate()
            browser.wait(timeout=10)
        mock.terminate()
        mock.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
