#!/usr/bin/env python3
"""Set-up and run in one command, with nothing but Python 3.11+ (standard library only).

    python3 dev.py escalate [ARGS...]   open the trainer (``uv run escalate ARGS``)
    python3 dev.py test [ARGS...]       run the whole test suite (``uv run pytest ARGS``)
    python3 dev.py uv [ARGS...]         any other uv command, with the uv this script found

It needs `uv` (https://docs.astral.sh/uv/) and gets it the first way that works:

1. a uv already installed (``$UV``, or ``uv`` on PATH) at least version MIN_UV;
2. a uv this script installed before, in ``.tools/uv-VERSION/`` beside this file;
3. the uv wheel for this platform straight from PyPI (its JSON index, PEP 691), checked
   against PyPI's SHA-256 and unpacked into that private folder — no pip needed, so it
   works on Debian without python3-pip, and it takes under a second;
4. where PyPI cannot be reached directly (a mirror or proxy that only pip is set up for):
   ``pip install --target .tools/uv-VERSION uv==VERSION``, a private folder, which
   Debian's and Ubuntu's externally managed Python (PEP 668) allows; nothing
   system-wide changes and pip's root warning is turned off.

uv then installs the pinned dependencies from ``uv.lock`` into ``.venv/`` (byte-compiled at
install so the first start is quick) and runs the command. No OS package is needed beyond
Python itself: uv makes the virtual environment, so python3-venv/ensurepip are not used.
``ESCALATE_UV_VIA=pip|download`` forces one way of getting uv (used by the tests).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

UV_VERSION = "0.13.9"  # what a private install gets; uv.lock needs a recent uv
MIN_UV = (0, 13, 0)  # an installed uv older than this cannot read uv.lock's revision
PYPI_SIMPLE = "https://pypi.org/simple/uv/"  # PEP 691 JSON index: files, sha256, size
ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".tools"
EXE = ".exe" if os.name == "nt" else ""

USAGE = """usage: python3 dev.py escalate [ARGS...]   open the trainer
       python3 dev.py test [ARGS...]       run the whole test suite
       python3 dev.py uv [ARGS...]         run uv itself (e.g. `uv sync --locked`)"""


def say(message: str) -> None:
    print(f"dev.py: {message}", file=sys.stderr, flush=True)


def _version_of(uv: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run([uv, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    # "uv 0.13.9 (abc 2026-01-01)" or "uv 0.13.9"
    words = out.stdout.split()
    if len(words) < 2:
        return None
    parts = []
    for piece in words[1].split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts) or None


def _usable(uv: str | None) -> bool:
    if not uv:
        return False
    version = _version_of(uv)
    return version is not None and version >= MIN_UV


def private_dir(version: str = UV_VERSION) -> Path:
    return TOOLS / f"uv-{version}"


def _private_uv(folder: Path) -> Path | None:
    """The uv binary inside a private folder, from pip --target (bin/ or Scripts/) or from
    an unpacked wheel (uv-X.data/scripts/)."""
    candidates = [folder / "bin" / f"uv{EXE}", folder / "Scripts" / f"uv{EXE}"]
    candidates += sorted(folder.glob(f"uv-*.data/scripts/uv{EXE}"))
    for path in candidates:
        if path.is_file():
            return path
    return None


def existing_uv() -> str | None:
    if os.environ.get("ESCALATE_UV_VIA"):
        return None  # the tests force a fresh private install
    for uv in (os.environ.get("UV"), shutil.which("uv")):
        if _usable(uv):
            return uv
    return None


def pip_available() -> bool:
    probe = subprocess.run([sys.executable, "-m", "pip", "--version"],
                           capture_output=True, text=True)
    return probe.returncode == 0


def install_with_pip(folder: Path) -> bool:
    """pip into a private --target folder: PEP 668 only guards the interpreter's own
    site-packages, and a quiet root-user action keeps the root warning away."""
    say(f"installing uv {UV_VERSION} with pip into {folder.relative_to(ROOT)}/ (once)")
    env = dict(os.environ, PIP_ROOT_USER_ACTION="ignore", PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_NO_WARN_SCRIPT_LOCATION="1")
    env.pop("PIP_TARGET", None)
    env.pop("PIP_USER", None)
    staging = Path(tempfile.mkdtemp(prefix=".uv-", dir=folder.parent))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-input",
             "--only-binary", ":all:", "--no-deps", "--target", str(staging),
             f"uv=={UV_VERSION}"],
            env=env,
        )
        if done.returncode != 0 or _private_uv(staging) is None:
            return False
        _move_into_place(staging, folder)
        return True
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _move_into_place(made: Path, folder: Path) -> None:
    """Rename the finished install into place; a second dev.py that got there first wins
    (its copy is the same version) and ours is dropped."""
    try:
        made.rename(folder)
    except OSError:
        if _private_uv(folder) is None:
            raise


def _glibc() -> tuple[int, int] | None:
    name, version = platform.libc_ver()
    if name != "glibc" or not version:
        return None
    try:
        major, minor = version.split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return None


def platform_tags() -> list[str]:
    """Wheel platform tags this machine runs, best first (only those uv publishes)."""
    system, machine = platform.system(), platform.machine().lower()
    if system == "Windows":
        return {"amd64": ["win_amd64"], "x86_64": ["win_amd64"], "arm64": ["win_arm64"],
                "x86": ["win32"], "i686": ["win32"]}.get(machine, [])
    if system == "Darwin":
        return ["macosx_11_0_arm64"] if machine == "arm64" else ["macosx_10_12_x86_64"]
    if system != "Linux":
        return []
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    glibc = _glibc()
    if glibc is None:  # musl (Alpine) and the like
        return [f"musllinux_1_1_{arch}"]
    tags = []
    for minor in range(glibc[1], 16, -1):
        tags.append(f"manylinux_2_{minor}_{arch}")
    tags.append(f"manylinux2014_{arch}")
    return tags


def pick_wheel(files: list[dict], tags: list[str]) -> dict | None:
    """The first wheel (a PEP 691 'files' entry) whose compressed tag set holds one of tags."""
    for tag in tags:
        for entry in files:
            name = entry.get("filename", "")
            if not name.endswith(".whl"):
                continue
            platforms = name[:-4].split("-")[-1].split(".")
            if tag in platforms:
                return entry
    return None


def _fetch(url: str, dest: Path | None = None, size: int = 0) -> bytes:
    headers = {"User-Agent": "escalation-trainer dev.py",
               "Accept": "application/vnd.pypi.simple.v1+json"}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        if dest is None:
            return response.read()
        got, shown = 0, -1
        size = size if sys.stderr.isatty() else 0  # a percentage only where it redraws
        with dest.open("wb") as out:
            while chunk := response.read(1 << 16):
                out.write(chunk)
                got += len(chunk)
                if size:
                    percent = got * 100 // size
                    if percent // 10 != shown:
                        shown = percent // 10
                        print(f"\rdev.py: downloading uv {UV_VERSION}: {percent:3d}%",
                              end="", file=sys.stderr, flush=True)
        if size:
            print(file=sys.stderr, flush=True)
    return b""


def install_from_pypi(folder: Path) -> bool:
    """The wheel from PyPI, verified, unpacked (a wheel is a zip file) into folder."""
    tags = platform_tags()
    try:
        index = json.loads(_fetch(PYPI_SIMPLE))
    except (OSError, ValueError) as exc:
        say(f"cannot reach PyPI for uv ({exc})")
        return False
    prefix = f"uv-{UV_VERSION}-"
    files = [f for f in index.get("files", [])
             if f.get("filename", "").startswith(prefix) and not f.get("yanked")]
    wheel = pick_wheel(files, tags)
    if wheel is None:
        say(f"PyPI has no uv {UV_VERSION} wheel for {platform.system()} "
            f"{platform.machine()}; install uv yourself: https://docs.astral.sh/uv/")
        return False
    staging = Path(tempfile.mkdtemp(prefix=".uv-", dir=folder.parent))
    try:
        archive = staging / wheel["filename"]
        try:
            _fetch(wheel["url"], archive, int(wheel.get("size") or 0))
        except OSError as exc:
            say(f"downloading {wheel['filename']} failed ({exc})")
            return False
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        if digest != wheel.get("hashes", {}).get("sha256"):
            say(f"{wheel['filename']} does not match PyPI's SHA-256; not using it")
            return False
        target = staging / "unpacked"
        with zipfile.ZipFile(archive) as zf:
            for member in zf.infolist():
                resolved = (target / member.filename).resolve()
                if not resolved.is_relative_to(target.resolve()):
                    say(f"{wheel['filename']} holds an unsafe path; not using it")
                    return False
            zf.extractall(target)
        binary = _private_uv(target)
        if binary is None:
            return False
        for tool in binary.parent.iterdir():
            tool.chmod(tool.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        _move_into_place(target, folder)
        return True
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def find_uv() -> str:
    found = existing_uv()
    if found:
        return found
    folder = private_dir()
    binary = _private_uv(folder) if folder.is_dir() else None
    if binary is not None and _usable(str(binary)):
        return str(binary)
    shutil.rmtree(folder, ignore_errors=True)  # half-made or broken: start again
    TOOLS.mkdir(exist_ok=True)
    (TOOLS / ".gitignore").write_text("*\n", encoding="utf-8")
    via = os.environ.get("ESCALATE_UV_VIA", "")
    installed = False
    if via in ("", "download"):
        say(f"getting uv {UV_VERSION} from PyPI into {folder.relative_to(ROOT)}/ (once)")
        installed = install_from_pypi(folder)
    if not installed and via in ("", "pip"):
        if pip_available():
            installed = install_with_pip(folder)  # pip's own index, proxy and certificates
        else:
            say("no pip to try instead")
    binary = _private_uv(folder) if installed else None
    if binary is None or not _usable(str(binary)):
        raise SystemExit("dev.py: could not get uv. Install it (https://docs.astral.sh/uv/) "
                         "and run this command again.")
    return str(binary)


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may meet an older Python
        print(f"dev.py: needs Python 3.11 or newer; this is {platform.python_version()} "
              f"({sys.executable})", file=sys.stderr)
        return 2
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if argv else 2
    verb, rest = argv[0], argv[1:]
    commands = {"escalate": ["run", "escalate"], "test": ["run", "pytest"], "uv": []}
    if verb not in commands:
        print(USAGE, file=sys.stderr)
        return 2
    uv = find_uv()
    env = dict(os.environ)
    env.setdefault("UV_COMPILE_BYTECODE", "1")  # pay once at install, not at each start
    if not (ROOT / ".venv").is_dir():
        env.setdefault("UV_PYTHON", sys.executable)  # the Python that ran this script
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    # The OS's certificate store, as Python's own urllib uses: works behind the TLS
    # inspection of council and NHS networks, where uv's built-in roots do not.
    env.setdefault("UV_SYSTEM_CERTS", "1")
    if verb != "uv" and not (ROOT / ".venv").is_dir():
        say("first run: installing the pinned dependencies from uv.lock into .venv/")
    command = [uv, *commands[verb], *rest]
    if verb != "uv":
        command[2:2] = ["--locked", "--project", str(ROOT)]
    if os.name == "nt":
        return subprocess.run(command, env=env).returncode
    os.execve(uv, command, env)  # the trainer gets the terminal and the signals
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
