"""The README's two commands on a fresh machine: `python3 dev.py escalate` / `dev.py test`.

The slow tests copy the work tree into a temporary folder (a fresh clone in all but the
git history), give the command a clean HOME and a PATH without any uv, and run it with an
externally managed (PEP 668) Python such as Debian's /usr/bin/python3. Only uv's package
cache is shared, through UV_CACHE_DIR, so the test does not download every wheel again.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from test_tui_terminal import Screen

ROOT = Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location("dev_bootstrap", ROOT / "dev.py")
dev = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(dev)

# Variables a clean login still has: certificates (TLS inspection here and in offices),
# pip's own configuration, the locale.
KEEP = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "PIP_CERT", "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL", "LANG", "LC_ALL")


def _externally_managed_python() -> str | None:
    for candidate in ("/usr/bin/python3", sys.executable):
        if not Path(candidate).exists():
            continue
        probe = subprocess.run(
            [candidate, "-c", "import sys, sysconfig; print(sys.version_info >= (3, 11)); "
             "print(sysconfig.get_path('stdlib'))"], capture_output=True, text=True)
        lines = probe.stdout.split()
        if probe.returncode == 0 and lines[0] == "True" and \
                (Path(lines[1]) / "EXTERNALLY-MANAGED").exists():
            return candidate
    return None


def _uv_cache() -> str:
    if os.environ.get("UV_CACHE_DIR"):
        return os.environ["UV_CACHE_DIR"]
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv:
        out = subprocess.run([uv, "cache", "dir"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    return str(Path.home() / ".cache" / "uv")


def _fresh_copy(dest: Path) -> Path:
    """The files a clone of this work tree would have (tracked and new, not ignored)."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"],
                            cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def _clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in KEEP if k in os.environ}
    env.update(HOME=str(home), PATH="/usr/local/bin:/usr/bin:/bin", TERM="xterm-256color",
               UV_CACHE_DIR=_uv_cache(), **extra)
    return env


class Terminal(Screen):
    """A pty of 100×32 running ``argv``, its output read in the background (`Screen`)."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        primary, secondary = pty.openpty()
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 32, 100, 0, 0))
        self.process = subprocess.Popen(argv, stdin=secondary, stdout=secondary,
                                        stderr=secondary, cwd=cwd, env=env,
                                        start_new_session=True)
        os.close(secondary)
        super().__init__(primary)

    def wait_for(self, text: str, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text.encode() in self.data:
                return True
            if self.process.poll() is not None:
                time.sleep(0.2)
                return text.encode() in self.data
            time.sleep(0.1)
        return False

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        os.close(self.fd)


# ---- the bootstrap's pieces ----------------------------------------------------------------

FILES = [{"filename": f"uv-{dev.UV_VERSION}-py3-none-{tags}.whl"} for tags in (
    "macosx_11_0_arm64", "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64",
    "musllinux_1_1_x86_64", "win_amd64")] + [{"filename": f"uv-{dev.UV_VERSION}.tar.gz"}]


@pytest.mark.parametrize(("tags", "expected"), [
    (["manylinux_2_36_x86_64", "manylinux_2_17_x86_64"], "manylinux_2_17_x86_64"),
    (["musllinux_1_1_aarch64"], "musllinux_1_1_aarch64"),
    (["macosx_11_0_arm64"], "macosx_11_0_arm64"),
    (["win_amd64"], "win_amd64"),
])
def test_the_wheel_for_this_platform_is_picked(tags, expected):
    assert expected in dev.pick_wheel(FILES, tags)["filename"]


def test_no_wheel_for_an_unknown_platform_and_never_the_sdist():
    assert dev.pick_wheel(FILES, ["linux_sparc"]) is None
    assert dev.pick_wheel(FILES, []) is None


def test_this_machine_has_a_wheel_tag():
    tags = dev.platform_tags()
    assert tags, "uv publishes wheels for every platform the trainer supports"
    if sys.platform == "linux" and dev._glibc():
        assert tags[-1].startswith("manylinux2014_")


def test_an_old_uv_on_path_is_not_used(tmp_path, monkeypatch):
    old = tmp_path / "uv"
    old.write_text("#!/bin/sh\necho 'uv 0.4.1'\n")
    old.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("UV", raising=False)
    monkeypatch.delenv("ESCALATE_UV_VIA", raising=False)
    assert dev.existing_uv() is None
    old.write_text(f"#!/bin/sh\necho 'uv {dev.UV_VERSION} (abc 2026-01-01)'\n")
    assert dev.existing_uv() == str(old)


def test_usage_and_unknown_verbs(capsys):
    assert dev.main([]) == 2
    assert dev.main(["--help"]) == 0
    assert "dev.py escalate" in capsys.readouterr().out
    assert dev.main(["frobnicate"]) == 2


# ---- the README's commands, for real --------------------------------------------------------

@pytest.mark.slow
def test_uv_straight_from_pypi_without_pip(tmp_path):
    """No pip at all (Debian without python3-pip): the wheel from PyPI, hash-checked."""
    shutil.copy2(ROOT / "dev.py", tmp_path / "dev.py")
    home = tmp_path / "home"
    home.mkdir()
    done = subprocess.run([sys.executable, "dev.py", "uv", "--version"], cwd=tmp_path,
                          env=_clean_env(home, ESCALATE_UV_VIA="download"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"uv {dev.UV_VERSION}")
    assert "from PyPI" in done.stderr
    assert (tmp_path / ".tools" / f"uv-{dev.UV_VERSION}").is_dir()


@pytest.mark.slow
def test_readme_first_command_opens_the_trainer_with_an_externally_managed_python(tmp_path):
    python = _externally_managed_python()
    if python is None:
        pytest.skip("no externally managed (PEP 668) Python 3.11+ on this machine")
    tree = _fresh_copy(tmp_path / "clone")
    home = tmp_path / "home"
    home.mkdir()
    env = _clean_env(home)
    # The README's first command, as written there (`python3` being this Python).
    started = time.monotonic()
    terminal = Terminal([python, "dev.py", "escalate"], tree, env)
    try:
        assert terminal.wait_for("Start the case", timeout=300), \
            bytes(terminal.data).decode(errors="replace")[-3000:]
        first_screen = time.monotonic() - started
        os.write(terminal.fd, b"\x11")  # ctrl+q
        assert terminal.process.wait(timeout=60) == 0
    finally:
        terminal.close()
    shown = bytes(terminal.data).decode(errors="replace")
    assert "getting uv" in shown  # no uv on PATH: the private one
    assert "Running pip as the 'root' user" not in shown
    assert "externally-managed-environment" not in shown
    assert (tree / ".venv").is_dir() and (tree / ".tools").is_dir()
    print(f"first screen after {first_screen:.1f}s")

    # The second command reuses both; here on one quick file rather than the whole suite
    # (which CI runs as written, see .ci/run).
    done = subprocess.run([python, "dev.py", "test", "tests/test_calendar.py",
                           "-p", "no:cacheprovider"], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout
    assert "getting uv" not in done.stderr


@pytest.mark.slow
def test_uv_with_pip_into_a_private_folder_under_an_externally_managed_python(tmp_path):
    """The fallback: pip --target, which PEP 668 allows, without pip's root warning."""
    python = _externally_managed_python()
    if python is None:
        pytest.skip("no externally managed (PEP 668) Python 3.11+ on this machine")
    if subprocess.run([python, "-m", "pip", "--version"], capture_output=True).returncode:
        pytest.skip(f"{python} has no pip (the PyPI download covers that case)")
    shutil.copy2(ROOT / "dev.py", tmp_path / "dev.py")
    home = tmp_path / "home"
    home.mkdir()
    done = subprocess.run([python, "dev.py", "uv", "--version"], cwd=tmp_path,
                          env=_clean_env(home, ESCALATE_UV_VIA="pip"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"uv {dev.UV_VERSION}")
    assert "with pip" in done.stderr
    assert "WARNING" not in done.stderr and "externally-managed" not in done.stderr
