"""Servers and a headless Chromium for the browser tests, and the report of what they measured
(fixtures that test_browser.py imports; a module of its own name, not a conftest.py, so that
it never shadows tests/conftest.py).

The browser tests drive Debian's Chromium (``/usr/bin/chromium``, or ``$CHROMIUM``) with
Playwright's Python package; Playwright cannot download browsers here. Each server (JupyterLab,
Voila) runs on 127.0.0.1 on a free port with its own token, in its own process group, and is
stopped by its PID (and group) at teardown. Screenshots and ``timings.json`` go to
``$NETCHAOS_SCREENSHOTS`` (default ``<tmp>/netchaos-browser-screenshots``), named at the end
of the run.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = os.environ.get("NETCHAOS_SCREENSHOTS",
                       os.path.join(tempfile.gettempdir(), "netchaos-browser-screenshots"))
#: Chromium as root on a machine with no network: no sandbox, no background connections.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

#: what the tests measured, written to SHOTS/timings.json and printed at the end
REPORT = {"notebooks": {}, "app": {}}
_START = []                        # when the first browser test started


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process in its own process group, answering on 127.0.0.1:port."""

    def __init__(self, cmd, port, token, log_path, cwd=None):
        self.port, self.token, self.log_path = port, token, log_path
        self.url = f"http://127.0.0.1:{port}"
        self._log = open(log_path, "w")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                                     start_new_session=True)

    def wait_ready(self, path, timeout=120):
        """Poll ``path`` until it answers (any HTTP status); fail if the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with status {self.proc.returncode}:\n"
                                   + self.log())
            try:
                urllib.request.urlopen(self.url + path, timeout=5).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"server not answering on {self.url} after {timeout} s:\n"
                           + self.log())

    def log(self):
        self._log.flush()
        with open(self.log_path) as f:
            return f.read()[-4000:]

    def stop(self):
        """SIGTERM to the process group of the server's PID, SIGKILL after 15 s."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(15)
            except ProcessLookupError:
                pass
        try:                                   # leftovers of the group (kernels)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._log.close()


def _root_flag():
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


@pytest.fixture(scope="session")
def shots():
    """The screenshot folder, emptied (and the start of the browser tests' wall time)."""
    _START.append(time.perf_counter())
    shutil.rmtree(SHOTS, ignore_errors=True)
    os.makedirs(SHOTS)
    return SHOTS


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        msg = (f"no Chromium at {CHROMIUM}: apt-get install chromium (or set $CHROMIUM)")
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory, browser):
    """JupyterLab on a copy of notebooks/ (runs and autosaves never touch the checkout)."""
    root = tmp_path_factory.mktemp("lab")
    work = root / "notebooks"
    shutil.copytree(os.path.join(ROOT, "notebooks"), work,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    settings = root / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)             # no news prompt over the screenshots
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
           f"--port={port}", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={work}", "--LabApp.expose_app_in_browser=True",
           "--ServerApp.open_browser=False", f"--LabApp.user_settings_dir={root / 'settings'}",
           f"--LabApp.workspaces_dir={root / 'workspaces'}", *_root_flag()]
    server = Server(cmd, port, token, str(root / "lab.log"))
    try:
        server.wait_ready(f"/api/status?token={token}")
        yield server
    finally:
        server.stop()


@pytest.fixture
def app_server(tmp_path):
    """Start ``netchaos app TARGET`` (Voila) on a free port; stopped at teardown."""
    servers = []

    def start(target):
        port, token = _free_port(), secrets.token_hex(16)
        cmd = [sys.executable, "-m", "netchaos.app.cli", "app", target, f"--port={port}",
               f"--token={token}"]
        server = Server(cmd, port, token, str(tmp_path / f"app-{len(servers)}.log"), cwd=ROOT)
        servers.append(server)
        server.wait_ready(f"/voila/static/voila.js?token={token}", timeout=60)
        return server

    try:
        yield start
    finally:
        for s in servers:
            s.stop()


@pytest.fixture(scope="module")
def report(request):
    """Print what the module's tests measured, and write it to SHOTS/timings.json."""
    yield REPORT
    if not (REPORT["notebooks"] or REPORT["app"]) or not _START:
        return
    REPORT["wall_seconds"] = round(time.perf_counter() - _START[0], 1)
    os.makedirs(SHOTS, exist_ok=True)
    with open(os.path.join(SHOTS, "timings.json"), "w") as f:
        json.dump(REPORT, f, indent=1)
    w = request.config.pluginmanager.get_plugin("terminalreporter")
    if w is None:
        return
    w.write_line("")
    w.write_line(f"browser tests ({REPORT['wall_seconds']:.0f} s):")
    for nb, r in REPORT["notebooks"].items():
        times = ", ".join(f"{e['name']} {e['redraw_s']:.2f} s (limit {e['limit_s']:.1f} s, "
                          f"load {e['load']:.1f})" for e in r["explorers"])
        w.write_line(f"  {nb}: ran in {r['run_s']:.1f} s; slider to new image: {times or '-'}")
    for target, r in REPORT["app"].items():
        w.write_line(f"  netchaos app {target}: first render {r['first_render_s']:.1f} s, "
                     f"slider to new image {r['redraw_s']:.2f} s")
    w.write_line(f"  screenshots and timings.json in {SHOTS}")
