"""Fixtures for the browser tests of `docclass serve`: a server on a free port with a
temporary data folder, and one headless Chromium driven by chromedriver.

Run: DOCCLASS_BIN=target/release/docclass target/python-venv/bin/python -m pytest -q tests/web
(DOCCLASS_SCREENSHOTS=DIR also saves screenshots; DOCCLASS_SERVE_ASSETS=src/serve/assets makes
the server read the page from disk instead of the copy compiled into it.)
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

# Missing tools fail the run (scripts/test installs them); they never skip it.
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DOCCLASS_BIN = os.environ.get("DOCCLASS_BIN", str(REPO / "target" / "release" / "docclass"))
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WIDTH, HEIGHT = 1280, 800

class Server:
    """`docclass serve` on 127.0.0.1 with a free port, its stderr drained by a thread."""

    def __init__(self, data_dir: Path, labels: Path):
        self.data_dir = data_dir
        self.labels = labels
        self.log: list[str] = []
        cmd = [DOCCLASS_BIN, "serve", "--addr", "127.0.0.1:0", "--data-dir", str(data_dir), "--data", str(labels)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace")
        found = threading.Event()
        self.url = None

        def drain():
            for line in self.proc.stderr:
                self.log.append(line.rstrip("\n"))
                m = re.search(r"docclass: serving on (http://127\.0\.0\.1:\d+/)", line)
                if m and not found.is_set():
                    self.url = m.group(1)
                    found.set()

        threading.Thread(target=drain, daemon=True).start()
        if not found.wait(60):
            self.stop()
            raise RuntimeError(f"{' '.join(cmd)} did not say where it serves; stderr:\n" + "\n".join(self.log))
        self.origin = self.url.rstrip("/")

    def get_json(self, path: str):
        with urllib.request.urlopen(self.origin + path, timeout=30) as response:
            return json.loads(response.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def make_driver(profile: Path, downloads: Path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}"]:
        options.add_argument(flag)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
        "download.directory_upgrade": True,
        "safebrowsing.enabled": False,
    })
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # Headless Chromium may ignore the profile's download folder: tell it again over CDP, and fix
    # the viewport itself (not the window) at 1280x800 so that screenshots have that size.
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
    driver.set_script_timeout(30)
    return driver


class App:
    """The server, the browser on its page, and the steps tests share."""

    def __init__(self, root: Path):
        self.root = root
        self.data_dir = root / "data"
        self.labels = root / "labels.jsonl"
        shutil.copy(HERE / "fixtures" / "labels.jsonl", self.labels)
        self.uploads = root / "upload"
        self.downloads = root / "downloads"
        self.downloads.mkdir()
        self.server = Server(self.data_dir, self.labels)
        self.driver = make_driver(root / "profile", self.downloads)
        self.uploaded = False  # set by the test module once its folder is in the table
        self.open_page()

    # -- browser helpers ---------------------------------------------------------------
    def open_page(self):
        self.driver.get(self.server.url)
        self.wait(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true", 30)

    def wait(self, condition, timeout=20, message=""):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(condition, message)

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css):
        return self.find(css).text

    def tab(self, name):
        # A document left open (by a test that failed half way) covers the
        # tabs; close it so one failure does not fail every later test.
        self.close_doc()
        self.find(f"#tab-{name}").click()
        self.wait(lambda d: self.find(f"#view-{name}").is_displayed(), 10, f"view {name} not shown")

    def rows(self):
        return self.find_all("#results tbody tr")

    def row_ids(self):
        return [r.find_element(By.CSS_SELECTOR, "td.id").text for r in self.rows()]

    def job(self):
        href = self.find("#export-csv").get_attribute("href") or ""
        m = re.search(r"/api/jobs/([^/]+)/export", href)
        assert m, f"export link has no job: {href!r}"
        return m.group(1)

    def shot(self, name):
        folder = os.environ.get("DOCCLASS_SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            time.sleep(0.3)  # let bars and transitions settle
            self.driver.save_screenshot(str(Path(folder) / name))

    def open_doc(self, doc_id):
        self.tab("classify")
        self.reset_filters()
        row = next(r for r in self.rows() if r.find_element(By.CSS_SELECTOR, "td.id").text == doc_id)
        row.click()
        self.wait(lambda d: self.find("#doc-view").is_displayed(), 10, "doc view not shown")
        self.wait(lambda d: self.text("#doc-title") == doc_id and self.find_all("#doc-scores li"), 20,
                  "document not loaded")

    def reset_filters(self):
        Select(self.find("#filter-label")).select_by_value("")
        self.find("#filter-min-score").clear()
        self.find("#filter-text").clear()

    def close_doc(self):
        if self.find("#doc-view").is_displayed():
            self.find("#doc-close").click()
            self.wait(lambda d: not self.find("#doc-view").is_displayed(), 5)

    def close(self):
        try:
            self.driver.quit()
        finally:
            self.server.stop()


@pytest.fixture(scope="module")
def app():
    if not Path(DOCCLASS_BIN).exists():
        pytest.fail(f"no docclass binary at {DOCCLASS_BIN} (build it, or set DOCCLASS_BIN)")
    for tool in (CHROMIUM, CHROMEDRIVER):
        if not Path(tool).exists():
            pytest.fail(f"{tool} is not installed (apt-get install chromium chromium-driver)")
    root = Path(tempfile.mkdtemp(prefix="docclass-web-"))
    application = App(root)
    try:
        yield application
    finally:
        application.close()
        if os.environ.get("DOCCLASS_KEEP_TMP"):
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
