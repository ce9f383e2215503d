"""
Fixtures for the end-to-end tests: a real `quell serve` (the binary in QUELL_BIN) on a free
local port with a temporary SQLite registry, member keys, cases opened from generated images
with `quell case open`, and the real `threatexchange` CLI with a state directory and HOME of
its own for each test. Nothing is mocked: every call crosses real HTTP to the real server.
"""

from dataclasses import dataclass
import json
import os
from pathlib import Path
import random
import selectors
import subprocess
import sys
import time
import typing as t

from PIL import Image
import pytest
import requests

# Members: one with every scope a pytx user needs, and two with less.
PLATFORM = "platform"
SYNC_ONLY = "sync-only"
NO_MATCH = "no-match"
_SCOPES = {
    PLATFORM: "sync,match,outcomes",
    SYNC_ONLY: "sync",
    NO_MATCH: "sync,outcomes",
}


@dataclass(frozen=True)
class Case:
    """A case opened by `quell case open --save`: its id and the file holding its secret."""

    case_id: str
    file: Path


class Registry:
    """A running `quell serve` and the `quell` commands that act on it."""

    def __init__(
        self, binary: str, data_dir: Path, url: str, work: Path, keys: t.Dict[str, str]
    ) -> None:
        self.binary = binary
        self.data_dir = data_dir
        self.url = url
        self.work = work
        # Member name -> API key.
        self.keys = keys

    def quell(self, *args: t.Union[str, Path]) -> str:
        """Runs `quell ARGS`, failing the test with its stderr if it fails; its stdout."""
        return _run([self.binary, *map(str, args)]).stdout

    def open_case(self, *paths: Path) -> Case:
        """Opens a case from files the way a person does, saving its codes."""
        file = self.work / f"case-{time.monotonic_ns()}.txt"
        self.quell("case", "open", "--registry", self.url, "--save", file, *paths)
        fields = dict(
            line.split(": ", 1)
            for line in file.read_text().splitlines()
            if ": " in line
        )
        return Case(fields["Case number"], file)

    def status(self, case: Case) -> t.Dict[str, t.Any]:
        return json.loads(
            self.quell("case", "status", "--case-file", case.file, "--json")
        )

    def withdraw(self, case: Case) -> None:
        self.quell("case", "withdraw", "--case-file", case.file, "--yes")

    def open_case_with_hashes(self, hashes: t.List[t.Dict[str, t.Any]]) -> str:
        """`POST /v1/cases` with hashes only (for hashes not made from a file here)."""
        resp = requests.post(
            f"{self.url}/v1/cases", json={"hashes": hashes}, timeout=30
        )
        assert resp.status_code == 201, resp.text
        return resp.json()["case_id"]

    def export(self) -> t.List[str]:
        """`quell list export`: the active hashes as pytx local-file lines."""
        out = self.work / f"export-{time.monotonic_ns()}.txt"
        self.quell("list", "export", out, "--data-dir", self.data_dir)
        return out.read_text().splitlines()


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Registry]:
    binary = os.environ.get("QUELL_BIN")
    if not binary or not os.access(binary, os.X_OK):
        pytest.exit(f"QUELL_BIN={binary!r} must be the quell binary to test", 2)
    work = tmp_path_factory.mktemp("registry")
    data_dir = work / "data"
    store = ["--data-dir", str(data_dir)]
    keys = {}
    for name, scopes in _SCOPES.items():
        added = _run([binary, "member", "add", name, "--scopes", scopes, *store])
        keys[name] = added.stdout.strip()
    # Tests open many cases from one address; one false positive report pauses an entry.
    limits = "--case-open-limit off --quarantine-after 1".split()
    log_path = work / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [binary, "serve", *store, "--listen", "127.0.0.1:0", *limits],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    # test.sh stops the server by this file if pytest itself is killed.
    pidfile = Path(os.environ.get("QUELL_SERVE_PIDFILE", work / "serve.pid"))
    pidfile.write_text(str(proc.pid))
    try:
        try:
            url = _listening_url(proc)
            _wait_healthy(url)
        except RuntimeError as e:
            raise RuntimeError(f"{e}; its log:\n{log_path.read_text()[-3000:]}") from e
        yield Registry(binary, data_dir, url, work, keys)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        pidfile.unlink()


def _listening_url(proc: "subprocess.Popen[str]") -> str:
    """The address `quell serve` prints once bound (`quell: listening on http://…`)."""
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sel.select(timeout=1):
            line = proc.stdout.readline()
            if not line:
                break
            if "listening on " in line:
                return line.split("listening on ", 1)[1].strip()
    raise RuntimeError(f"quell serve did not start (exit status {proc.poll()})")


def _wait_healthy(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url}/healthz never answered 200")
        time.sleep(0.1)


class Pytx:
    """The real `threatexchange` CLI with its own state directory, HOME and TMPDIR."""

    def __init__(self, root: Path, api_key: str) -> None:
        self.home = root / "home"
        self.home.mkdir()
        self.env = {
            **os.environ,
            "HOME": str(self.home),
            "TX_STATEDIR": str(root / "state"),
            "QUELL_API_KEY": api_key,
            # pytx leaves temporary files behind (`label -- HASH` writes one).
            "TMPDIR": str(root),
        }

    def __call__(
        self, *args: t.Union[str, Path], check: bool = True
    ) -> "subprocess.CompletedProcess[str]":
        exe = Path(sys.executable).parent / "threatexchange"
        return _run([str(exe), *map(str, args)], env=self.env, check=check)

    def add_quell_collab(self, name: str, registry_url: str) -> None:
        self("config", "extensions", "add", "quell_threatexchange")
        self(
            "config",
            "collab",
            "edit",
            "quell",
            name,
            "--create",
            "--registry-url",
            registry_url,
        )

    def signals(self) -> t.Dict[str, t.Dict[str, str]]:
        """The fetched state as `dataset -P` prints it: signal type -> signal -> metadata."""
        ret: t.Dict[str, t.Dict[str, str]] = {}
        for line in self("dataset", "-P").stdout.splitlines():
            s_type, signal, _collab, metadata = line.split(" ", 3)
            ret.setdefault(s_type, {})[signal] = metadata
        return ret

    def match(self, content_type: str, path: Path) -> t.List[str]:
        """`match` output lines: `<signal type> <distance> (<collab>) <metadata>`."""
        return self("match", content_type, path).stdout.splitlines()

    def matched_types(self, content_type: str, path: Path) -> t.List[str]:
        """The signal types of the matches, sorted."""
        return sorted(line.split(" ")[0] for line in self.match(content_type, path))


@pytest.fixture
def pytx(tmp_path: Path, registry: Registry) -> Pytx:
    return Pytx(tmp_path, registry.keys[PLATFORM])


@pytest.fixture
def make_image(tmp_path: Path) -> t.Callable[[], Path]:
    """A new PNG of random smooth texture (PDQ quality 100), different every call."""

    def make() -> Path:
        rng = random.Random(time.monotonic_ns())
        small = Image.new("RGB", (12, 12))
        small.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(144)])
        path = tmp_path / f"image-{time.monotonic_ns()}.png"
        small.resize((384, 384), Image.Resampling.BICUBIC).save(path)
        return path

    return make


def _run(
    argv: t.List[str],
    *,
    env: t.Optional[t.Mapping[str, str]] = None,
    check: bool = True,
) -> "subprocess.CompletedProcess[str]":
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        pytest.fail(
            f"{' '.join(argv)} exited {proc.returncode}\nstdout:\n{proc.stdout}\n"
            f"stderr:\n{proc.stderr}"
        )
    return proc
