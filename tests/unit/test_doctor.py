"""doctor's network check: each public source, through the user's proxy, never when offline."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from course_utils import doctor


class FakeProxy:
    """A proxy on 127.0.0.1 that records each request line and refuses it (or never answers)."""

    def __init__(self, answer: bytes | None = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"):
        self.answer, self.requests = answer, []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data and (chunk := conn.recv(4096)):
                data += chunk
            self.requests.append(data.split(b"\r\n", 1)[0].decode())
            if self.answer is None:
                time.sleep(5)
            else:
                conn.sendall(self.answer)


@pytest.fixture
def online(monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    for var in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


def test_offline_mode_touches_no_network_and_never_fails(monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setattr(doctor, "_probe", lambda *a: pytest.fail("probed the network in offline mode"))
    assert doctor.network_status() == {}
    rows = doctor._network_rows(doctor.needed_assets())
    assert len(rows) == 1 and rows[0].ok and "COURSE_OFFLINE=1" in rows[0].value


def test_every_public_source_is_checked_through_the_users_https_proxy(online, monkeypatch):
    proxy = FakeProxy()
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{proxy.port}")
    status = doctor.network_status(timeout=2)
    hosts = {url.split("/")[2] for url in doctor.public_hosts()}
    assert hosts >= {"huggingface.co", "download.pytorch.org", "dl.fbaipublicfiles.com", "pypi.org"}
    # the proxy, not a direct connection, was asked for each site (the test's socket guard
    # would have refused a direct one)
    assert sorted(proxy.requests) == sorted(f"CONNECT {host}:443 HTTP/1.0" for host in hosts)
    assert all("403" in why for why in status.values()), status


def test_an_unreachable_source_is_flagged_only_when_a_missing_asset_needs_it(online, clean_env, monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)  # clean_env (an empty cache) sets it again
    monkeypatch.setattr(doctor, "network_status", lambda: dict.fromkeys(doctor.public_hosts(), "refused"))
    rows = {r.name: r for r in doctor._network_rows(["sst2"])}
    assert (
        not rows["network dl.fbaipublicfiles.com"].ok
        and "sst2 cannot be fetched" in rows["network dl.fbaipublicfiles.com"].value
    )
    assert rows["network download.pytorch.org"].ok  # hymenoptera and ResNet-50 are not needed here


def test_a_site_that_never_answers_costs_the_timeout_not_more(online, monkeypatch):
    proxy = FakeProxy(answer=None)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{proxy.port}")
    start = time.monotonic()
    status = doctor.network_status(timeout=1)
    assert time.monotonic() - start < 3
    assert status and all(status.values())
