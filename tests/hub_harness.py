"""A real JupyterHub on loopback, driven as a class would use it: for tests/integration/test_hub.py and
benchmarks/bench_hub.py.

The hub loads the course's own deploy/jupyterhub_config.py, then a small overlay written here
changes only what a test machine needs: free loopback ports, every piece of state in one
temporary folder, a shared password instead of system accounts, one process per user without
Unix users (JupyterHub's SimpleLocalProcessSpawner), and an API token for the test. As root (CI),
each user server starts in its own mount namespace with the shared asset folder bind-mounted
read-only, as a container's read-only volume would be: root ignores file permissions, not a
read-only mount.

The proxy is the pure-Python port of configurable-http-proxy from PyPI, so that the test needs no
npm; a deployment would normally run the Node.js original that JupyterHub's docs install.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEPLOY_CONFIG = REPO / "deploy" / "jupyterhub_config.py"
SERVICE = "course-test"
PASSWORD = "transfer-learning-class"  # the shared-password authenticator wants 8 characters or more

# JupyterLab settings every user starts with: the notebook's kernel starts without a picker
# dialog, every cell is rendered (no windowing, so a test can find any cell), and no news pop-up.
LAB_SETTINGS = {
    "notebook-extension/tracker.jupyterlab-settings": {"autoStartDefaultKernel": True, "windowingMode": "none"},
    "apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_only_launcher(shared: Path) -> list[str] | None:
    """A command prefix under which ``shared`` is read-only for a server started as root, [] when
    the hub does not run as root (permissions then bind), None when root cannot make a mount
    namespace (the caller can then only check afterwards that nothing was written)."""
    if os.geteuid() != 0:
        return []
    script = 'mount --bind -o ro "$0" "$0" && exec "$@"'  # $0: the folder; "$@": the server's command
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", script, str(shared), "true"], capture_output=True)
    return ["unshare", "--mount", "sh", "-c", script, str(shared)] if probe.returncode == 0 else None


def class_folder_launcher(class_dir: Path) -> list[str]:
    """For a server started as root inside ``read_only_launcher``'s mount namespace: a command prefix under
    which the class folder is read-only except the user's own ``<user>.jsonl`` (created if missing), as
    per-user volumes would give it; root ignores the folder's sticky bit, not a read-only mount."""
    script = (
        'f="$0/$JUPYTERHUB_USER.jsonl"; : >> "$f" && mount --bind "$0" "$0" && mount --bind "$f" "$f"'
        ' && mount -o remount,bind,ro "$0" && exec "$@"'  # the file's own mount stays writable
    )
    return ["sh", "-c", script, str(class_dir)]


def vm_hwm(pid: int) -> int:
    """A process's true peak resident memory so far (VmHWM), in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE).group(1)) * 1024


@dataclass
class NotebookRun:
    user: str
    notebook: str
    seconds: float
    cells: int
    errors: list[str]
    server_peak: int  # VmHWM of the user's server when the notebook finished
    kernel_peak: int  # VmHWM of the notebook's kernel when it finished


@dataclass
class Hub:
    url: str
    token: str
    root: Path
    shared: Path
    process: subprocess.Popen
    read_only: bool  # each server's view of the shared folder is a read-only mount
    seen: set[int] = field(default_factory=set)  # every pid the hub started, for the clean-stop check
    class_dir: Path | None = None  # the class folder for progress reports (COURSE_CLASS_DIR), if any
    class_isolated: bool = False  # each server may write only its own file there (a read-only mount)

    # ---------------------------------------------------------------- REST
    def request(self, method: str, path: str, body: dict | None = None, timeout: float = 60) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            text = resp.read().decode()
        return json.loads(text) if text.strip() else {}

    def create_users(self, names: list[str]) -> None:
        self.request("POST", "/hub/api/users", {"usernames": names})

    def spawn(self, names: list[str], timeout: float = 120) -> dict[str, float]:
        """Start every user's server at once; seconds until each is ready."""
        start = time.monotonic()
        for name in names:
            self.request("POST", f"/hub/api/users/{name}/server")
        ready: dict[str, float] = {}
        while len(ready) < len(names):
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"servers not ready after {timeout} s: {sorted(set(names) - set(ready))}")
            for name in set(names) - set(ready):
                server = self.request("GET", f"/hub/api/users/{name}")["servers"].get("", {})
                if server.get("ready"):
                    ready[name] = time.monotonic() - start
            time.sleep(0.25)
        return ready

    def server_pid(self, name: str) -> int:
        return int(self.request("GET", f"/hub/api/users/{name}")["servers"][""]["state"]["pid"])

    def stop_servers(self, names: list[str], timeout: float = 60) -> None:
        for name in names:
            try:
                self.request("DELETE", f"/hub/api/users/{name}/server")
            except urllib.error.HTTPError as exc:
                if exc.code != 400:  # 400: not running
                    raise
        deadline = time.monotonic() + timeout
        while any(self.request("GET", f"/hub/api/users/{n}")["servers"] for n in names):
            if time.monotonic() > deadline:
                raise TimeoutError("user servers did not stop")
            time.sleep(0.25)

    # ---------------------------------------------------------------- nbgitpuller
    def git_pull(self, name: str, repo: str, branch: str, target: str) -> list[dict]:
        """Pull ``repo`` into the user's home through nbgitpuller's API, as its link page does."""
        query = urllib.parse.urlencode({"repo": repo, "branch": branch, "targetpath": target})
        req = urllib.request.Request(
            f"{self.url}/user/{name}/git-pull/api?{query}", headers={"Authorization": f"token {self.token}"}
        )
        events = []
        with urllib.request.urlopen(req, timeout=120) as stream:  # a server-sent event stream
            for raw in stream:
                line = raw.decode().strip()
                if line.startswith("data:"):
                    events.append(json.loads(line[5:]))
                    if events[-1].get("phase") in ("finished", "error"):
                        break
        return events

    # ---------------------------------------------------------------- kernels
    def run_notebook(self, name: str, path: str, timeout: float = 600) -> NotebookRun:
        """Run every code cell of ``path`` (relative to the user's home) in a kernel of the user's own
        server, through the server's REST API and kernel websocket, as JupyterLab does."""
        import nbformat

        notebook = nbformat.read(self.root / "homes" / name / path, as_version=4)
        cells = [c.source for c in notebook.cells if c.cell_type == "code"]
        start = time.monotonic()
        errors, _, server_peak, kernel_peak = self.run_cells(name, path, cells, timeout)
        return NotebookRun(
            name, Path(path).name, time.monotonic() - start, len(cells), errors, server_peak, kernel_peak
        )

    def run_cells(
        self, name: str, path: str, cells: list[str], timeout: float = 600
    ) -> tuple[list[str], str, int, int]:
        """Errors, printed text, and the server's and kernel's peak memory, from running ``cells`` in a
        new kernel session for ``path`` on the user's server."""
        session = self.request(
            "POST", f"/user/{name}/api/sessions", {"path": path, "type": "notebook", "kernel": {"name": "python3"}}
        )
        own: list[psutil.Process] = []  # this session's kernel
        try:
            errors, printed = asyncio.run(self._execute(name, session["kernel"]["id"], cells, timeout))
            server = self.server_pid(name)
            kernels = [
                p for p in psutil.Process(server).children(recursive=True) if "ipykernel" in " ".join(p.cmdline())
            ]
            own = [p for p in kernels if session["kernel"]["id"] in " ".join(p.cmdline())]
            kernel_peak = max((vm_hwm(p.pid) for p in kernels), default=0)
            server_peak = vm_hwm(server)
        finally:
            self.request("DELETE", f"/user/{name}/api/sessions/{session['id']}")
            # The session's reply can come before its kernel has exited and handed back its memory. A learner
            # who closes one notebook and opens the next runs one kernel at a time: so does this.
            psutil.wait_procs(own, timeout=30)
        return errors, printed, server_peak, kernel_peak

    async def _execute(self, name: str, kernel: str, cells: list[str], timeout: float) -> tuple[list[str], str]:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        ws_url = self.url.replace("http://", "ws://") + f"/user/{name}/api/kernels/{kernel}/channels"
        ws = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": f"token {self.token}"}))
        session, errors, printed = uuid.uuid4().hex, [], []
        try:
            for index, code in enumerate(cells):
                msg_id = uuid.uuid4().hex
                header = {"msg_id": msg_id, "msg_type": "execute_request", "username": name, "session": session,
                          "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "version": "5.3"}  # fmt: skip
                content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                           "allow_stdin": False, "stop_on_error": True}  # fmt: skip
                message = {"header": header, "parent_header": {}, "metadata": {}, "content": content,
                           "channel": "shell", "buffers": []}  # fmt: skip
                await ws.write_message(json.dumps(message))
                # Done when both the reply (shell) and the kernel's "idle" (iopub) have come: the two
                # channels are not ordered, so a cell's printed text can arrive after its reply.
                replied = idle = False
                while not (replied and idle):
                    raw = await asyncio.wait_for(ws.read_message(), timeout)
                    if raw is None:
                        raise RuntimeError(f"{name}: the kernel's websocket closed during cell {index}")
                    if isinstance(raw, bytes):
                        continue  # a binary message (widget buffers): not a reply to us
                    msg = json.loads(raw)
                    if msg.get("parent_header", {}).get("msg_id") != msg_id:
                        continue
                    if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                        printed.append(msg["content"]["text"])
                    if msg["msg_type"] == "error":
                        errors.append(f"cell {index}: {msg['content']['ename']}: {msg['content']['evalue']}")
                    if msg["channel"] == "shell" and msg["msg_type"] == "execute_reply":
                        replied = True
                    if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                        idle = True
                if errors:
                    break  # as Run All does: stop at the first error
        finally:
            ws.close()
        return errors, "".join(printed)

    # ---------------------------------------------------------------- processes
    def descendants(self) -> list[psutil.Process]:
        try:
            found = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        self.seen.update(p.pid for p in found)
        return found


class MemorySampler(threading.Thread):
    """Samples the summed resident memory of a user's server and its kernels every 0.2 s.

    ``breakdown`` keeps the processes that made up the peak, so a failure says which they were.
    """

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self._halt = pid, 0, threading.Event()
        self.breakdown: list[tuple[str, int]] = []  # (command line, RSS in bytes) at the peak

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                server = psutil.Process(self.pid)
                tree = [server, *server.children(recursive=True)]
                sizes = [(" ".join(p.cmdline())[:120], p.memory_info().rss) for p in tree if p.is_running()]
                total = sum(size for _, size in sizes)
                if total > self.peak:
                    self.peak, self.breakdown = total, sizes
            except psutil.Error:
                pass
            self._halt.wait(0.2)

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.peak


def overlay(
    root: Path,
    shared: Path,
    ports: dict[str, int],
    token: str,
    launcher: list[str],
    environment: dict[str, str],
    bin_dir: Path = BIN,
) -> str:
    """The test machine's settings on top of the course's deployment config (``bin_dir``: where
    jupyterhub-singleuser comes from)."""
    args = ["--allow-root"] if os.geteuid() == 0 else []  # jupyter_server refuses root without it
    return f"""
load_subconfig({str(DEPLOY_CONFIG)!r})  # the course's one-machine config, unchanged

c.JupyterHub.bind_url = "http://127.0.0.1:{ports["public"]}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{ports["hub"]}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports["proxy_api"]}"
c.ConfigurableHTTPProxy.command = [{str(BIN / "configurable-http-proxy")!r}]
c.ConfigurableHTTPProxy.pid_file = {str(root / "proxy.pid")!r}
c.JupyterHub.pid_file = {str(root / "hub.pid")!r}
c.JupyterHub.db_url = "sqlite:///{root / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(root / "cookie_secret")!r}

c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {PASSWORD!r}
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(root / "homes" / "{username}")!r}
c.Spawner.cmd = {[*launcher, str(bin_dir / "jupyterhub-singleuser")]!r}
c.Spawner.args = c.Spawner.args + {args!r}
c.Spawner.environment["COURSE_SHARED_DATA"] = {str(shared)!r}
c.Spawner.environment["COURSE_BACKBONE"] = {os.environ.get("COURSE_BACKBONE", "efficientnet_lite0")!r}
c.Spawner.environment.update({environment!r})
# The API answers a spawn request at once instead of waiting up to 10 s, so spawns overlap.
c.JupyterHub.tornado_settings = {{"slow_spawn_timeout": 0}}

c.JupyterHub.services = [{{"name": {SERVICE!r}, "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": {SERVICE!r},
    "scopes": ["admin:users", "admin:servers", "admin:server_state", "access:servers"],
    "services": [{SERVICE!r}],
}}]
"""


def seed_lab_settings(home: Path) -> None:
    settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab"
    for rel, value in LAB_SETTINGS.items():
        (settings / rel).parent.mkdir(parents=True, exist_ok=True)
        (settings / rel).write_text(json.dumps(value))


def course_repo(root: Path) -> tuple[str, str]:
    """A local git repository holding this checkout's HEAD as branch main, for nbgitpuller to clone."""
    repo = root / "course.git"
    git = ["git", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "--quiet", "--bare", str(repo)], check=True)
    subprocess.run([*git, "-C", str(REPO), "push", "--quiet", str(repo), "HEAD:refs/heads/main"], check=True)
    return str(repo), "main"


@contextmanager
def running_hub(
    root: Path,
    shared: Path,
    users: list[str],
    environment: dict | None = None,
    bin_dir: Path = BIN,
    class_dir: Path | None = None,
) -> Iterator[Hub]:
    """Start the hub (``environment``: more variables for every user server; ``bin_dir``: where the
    jupyterhub and jupyterhub-singleuser commands come from, by default this environment's; ``class_dir``:
    the class folder every server records exercise progress in); on exit stop every server and the hub."""
    launcher = read_only_launcher(shared)
    isolated = False
    if class_dir is not None:
        environment = {**(environment or {}), "COURSE_CLASS_DIR": str(class_dir)}
        if launcher:  # root, in a mount namespace of each server's own
            launcher, isolated = [*launcher, *class_folder_launcher(class_dir)], True
    ports = {k: _free_port() for k in ("public", "hub", "proxy_api")}
    token = secrets.token_hex(16)
    root.mkdir(parents=True, exist_ok=True)
    for name in users:
        seed_lab_settings(root / "homes" / name)
    settings = overlay(root, shared, ports, token, launcher or [], environment or {}, bin_dir)
    (root / "jupyterhub_config.py").write_text(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "HF_", "TORCH_"))}
    env["CONFIGPROXY_AUTH_TOKEN"] = secrets.token_hex(16)
    log = open(root / "hub.log", "w")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        [str(bin_dir / "jupyterhub"), "-f", str(root / "jupyterhub_config.py")],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    hub = Hub(f"http://127.0.0.1:{ports['public']}", token, root, shared, process, launcher is not None)
    hub.class_dir, hub.class_isolated = class_dir, isolated
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                hub.request("GET", "/hub/api/", timeout=2)
                break
            except (OSError, urllib.error.HTTPError):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the hub did not start:\n" + (root / "hub.log").read_text()[-3000:]) from None
                time.sleep(0.25)
        hub.descendants()
        yield hub
    finally:
        try:
            hub.descendants()
            if process.poll() is None:
                hub.stop_servers(users)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            finally:
                log.close()


def leftovers(hub: Hub, grace: float = 15.0) -> list[str]:
    """Processes the hub started that are still alive, and mounts of the shared folder anywhere,
    ``grace`` seconds after the hub stopped at the latest. A kernel outlives its server by up to
    a second or so when the server is stopped: ipykernel notices that its parent has gone and
    exits. Whatever is left after the grace period is reported, then killed."""
    deadline = time.monotonic() + grace
    while True:
        alive = [p for p in map(_process, hub.seen) if p is not None]
        mounts = []
        for info in Path("/proc").glob("[0-9]*/mountinfo"):
            try:
                text = info.read_text()
                if f" {hub.shared} " in text or (hub.class_dir and f" {hub.class_dir}" in text):
                    mounts.append(str(info))
            except OSError:
                pass  # the process ended while we looked
        if not (alive or mounts) or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    found = [f"{p.pid} {' '.join(p.cmdline())[:120]}" for p in alive] + mounts
    for p in alive:
        with contextlib.suppress(psutil.Error):  # it may have ended after all
            p.kill()  # never leave a stray kernel behind on a CI machine
    return found


def _process(pid: int) -> psutil.Process | None:
    try:
        p = psutil.Process(pid)
        return p if p.is_running() and p.status() != psutil.STATUS_ZOMBIE else None
    except psutil.Error:
        return None
