"""The test search engine: one OpenSearch node (tests/engine, a small Maven project) in a JVM on
127.0.0.1, for the search tests and the benchmark.

    with running_node() as url:   # builds tests/engine if needed, starts the node, stops it after
        ...

or, to keep one node across several test runs: `.venv/bin/python -m tests.engine_node`, then
`SEARCH_TEST_ENGINE_URL=<the URL it prints> pytest ...` uses that node instead of starting one.

The node's data lives in a temporary directory that the JVM deletes when it stops; it stops when
our end of its stdin closes, so it never outlives the process that started it, however that ends.
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE_DIR = ROOT / "tests" / "engine"
BUILD_SCRIPT = ROOT / "scripts" / "engine.sh"
CLASSPATH_FILE = ENGINE_DIR / "target" / "classpath.txt"
MAIN_CLASS = "shanhuo.engine.TestNode"
READY_PREFIX = "SHANHUO_ENGINE_URL="
# The machine runs several test processes beside the node: a small heap is plenty for test indices.
JVM_OPTIONS = ("-Xms256m", "-Xmx512m", "-XX:+UseSerialGC", "-Xshare:auto", "-Dfile.encoding=UTF-8")
BUILD_TIMEOUT = 600  # the first build downloads ~60 MB of jars
START_TIMEOUT = 120
HEALTH_TIMEOUT = 60


class EngineUnavailable(Exception):
    """The node cannot run here; the message says why (and what to install)."""


def missing_tools() -> str | None:
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if not missing:
        return None
    return f"the test search engine needs {' and '.join(missing)} (Java 17 and Maven): not found"


def build() -> list[str]:
    """Build tests/engine if it changed since its last build (scripts/engine.sh); the classpath."""
    reason = missing_tools()
    if reason:
        raise EngineUnavailable(reason)
    env = {**os.environ, "CI": ""}  # the script's own CI check is for .ci/run: here we raise instead
    try:
        done = subprocess.run(
            ["sh", str(BUILD_SCRIPT)], env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise EngineUnavailable(f"building tests/engine took over {BUILD_TIMEOUT} s")
    if done.returncode != 0 or not CLASSPATH_FILE.exists():
        output = (done.stdout + done.stderr).strip()[-2000:]
        raise EngineUnavailable(f"building tests/engine failed (sh scripts/engine.sh):\n{output}")
    return [str(ENGINE_DIR / "target" / "classes"), CLASSPATH_FILE.read_text().strip()]


def free_port() -> int:
    """A port free now: the caller can publish the node's URL before the JVM has bound it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cluster_health(url: str, timeout: float = 2) -> str | None:
    """green/yellow/red, or None when nothing answers at the URL."""
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health", timeout=timeout) as response:  # noqa: S310 - our URL
            return json.load(response).get("status")
    except (OSError, ValueError):
        return None


def wait_until_healthy(url: str, timeout: float = HEALTH_TIMEOUT, alive=lambda: True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cluster_health(url) in ("green", "yellow"):
            return
        if not alive():
            raise EngineUnavailable(f"the search engine at {url} stopped")
        time.sleep(0.2)
    raise EngineUnavailable(f"the search engine at {url} is not healthy after {timeout:.0f} s")


class Node:
    """A running node: its URL, its JVM (`process`), and how long it took to start."""

    def __init__(self, process: subprocess.Popen, url: str, log: Path, seconds: float):
        self.process = process
        self.url = url
        self.log = log
        self.seconds = seconds

    def rss_kib(self) -> int | None:
        """The JVM's resident memory (Linux), for reports."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), None)

    def stop(self, timeout: float = 30) -> None:
        """Close its stdin (the JVM stops itself and deletes its data), then insist if it must."""
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        with contextlib.suppress(OSError):
            self.log.unlink()


def start_node(port: int = 0, timeout: float = START_TIMEOUT) -> Node:
    """Build if needed, start the JVM, wait for its URL and a green or yellow cluster."""
    started = time.monotonic()
    classpath = build()
    log = Path(tempfile.mkstemp(prefix="shanhuo-engine-", suffix=".log")[1])
    with log.open("w") as log_file:
        process = subprocess.Popen(
            ["java", *JVM_OPTIONS, "-cp", os.pathsep.join(classpath), MAIN_CLASS, str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
            cwd=ENGINE_DIR,
        )
    url = _read_url(process, timeout, log)
    node = Node(process, url, log, 0)
    try:
        wait_until_healthy(url, alive=lambda: process.poll() is None)
    except EngineUnavailable:
        node.stop()
        raise
    node.seconds = time.monotonic() - started
    return node


def _read_url(process: subprocess.Popen, timeout: float, log: Path) -> str:
    """The ready line, read in a thread so that a silent JVM cannot hang us past the timeout."""
    found: list[str] = []

    def read():
        for line in process.stdout:
            if line.startswith(READY_PREFIX):
                found.append(line[len(READY_PREFIX) :].strip())
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if found:
        return found[0]
    process.kill()
    process.wait()
    tail = log.read_text(errors="replace")[-3000:]
    log.unlink(missing_ok=True)
    what = "did not start" if reader.is_alive() else f"exited with {process.returncode}"
    raise EngineUnavailable(f"the test search engine {what} within {timeout:.0f} s:\n{tail}")


@contextlib.contextmanager
def running_node(port: int = 0) -> Iterator[str]:
    """The URL of a node that runs for the block."""
    node = start_node(port)
    try:
        yield node.url
    finally:
        node.stop()


class BackgroundNode:
    """A node started in a thread at a port chosen now, so that its URL can be published (to
    pytest-xdist workers, through the environment) while the JVM boots. `wait()` gives the URL once
    the node is healthy, or raises EngineUnavailable with the reason it could not start; other
    processes read the same from `status_file` (see `read_status`)."""

    def __init__(self, status_file: Path | None = None):
        self.status_file = status_file
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.node: Node | None = None
        self.error: EngineUnavailable | None = None
        self._stopping = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._start, name="shanhuo-engine", daemon=True)
        self._thread.start()

    def _start(self):
        try:
            node = start_node(self.port)
        except EngineUnavailable as error:
            self.error = error
            self._write_status(f"{FAILED}\n{error}")
            return
        with self._lock:
            self.node = node
            if self._stopping:  # stopped while it booted
                node.stop()
        self._write_status(READY)

    def _write_status(self, text: str) -> None:
        if self.status_file is not None:
            partial = self.status_file.with_suffix(".partial")
            partial.write_text(text)
            partial.replace(self.status_file)  # readers never see half a reason

    def wait(self, timeout: float = BUILD_TIMEOUT + START_TIMEOUT) -> str:
        self._thread.join(timeout)
        if self.error is not None:
            raise self.error
        if self.node is None:
            raise EngineUnavailable(f"the test search engine did not start within {timeout:.0f} s")
        return self.url

    def stop(self):
        with self._lock:
            self._stopping = True
            node = self.node
        if node is not None:
            node.stop()


READY, FAILED = "ready", "failed"


def read_status(status_file: Path, timeout: float = BUILD_TIMEOUT + START_TIMEOUT) -> None:
    """Wait for a BackgroundNode in another process to be ready; EngineUnavailable if it failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError):
            status, _, reason = status_file.read_text().partition("\n")
            if status == READY:
                return
            if status == FAILED:
                raise EngineUnavailable(reason)
        time.sleep(0.2)
    raise EngineUnavailable(f"the test search engine did not start within {timeout:.0f} s")


def main() -> None:
    """Run a node until Ctrl-C (for several test runs on one node, or by hand)."""
    try:
        node = start_node()
    except EngineUnavailable as error:
        sys.exit(str(error))
    print(f"SEARCH_TEST_ENGINE_URL={node.url}  (started in {node.seconds:.1f} s; Ctrl-C stops it)", flush=True)
    try:
        node.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        node.stop()


if __name__ == "__main__":
    main()
