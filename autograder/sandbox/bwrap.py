"""The sandbox's command line: what a submission's kernel may see and do.

bubblewrap (Debian's ``bwrap``) is run as root without a user namespace, so that the kernel
can then drop to an unprivileged uid of its own with ``setpriv``: the process-count limit
(RLIMIT_NPROC) is not enforced for root, and a per-worker uid keeps one worker's fork bomb
from starving the other. Inside there is no network (``--unshare-net``; Jupyter talks to the
kernel over unix sockets), a private pid namespace (the fork server cleans up with
``kill(-1)``), a size-limited tmpfs on ``/tmp`` (``--size``, in bubblewrap since 0.7.0,
containers/bubblewrap#509; Debian bookworm ships 0.8.0), and only these paths: ``/usr`` (the system libraries), the
interpreter, the venv, the course package and its data (read-only; both named by the course
profile, :mod:`autograder.profile`),
the fork server's own file, and one run folder for the connection files (itself a small
tmpfs, see :class:`~autograder.sandbox.kernels.ForkServer`). Not the solutions, not the
gradebook, not other submissions: they are simply not there.
"""

import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from ..profile import Profile, current

ZYGOTE = Path(__file__).resolve().parent / "zygote.py"


@dataclass(frozen=True)
class Limits:
    """Per-kernel limits (autograder/README.md, "How it is safe", lists them and why).

    The memory limit is on address space, which torch alone uses ~1.5 GB of. tmpfs pages are
    not counted in it: the sandbox's ``/tmp`` (which holds the working folder and ``HOME``)
    is a tmpfs of ``scratch_bytes``, the run folder one of ``run_folder_bytes``, and no file
    may grow past ``file_bytes`` (RLIMIT_FSIZE). Output is capped in the kernel and again as
    it reaches the grader: ``output_cell_bytes`` per cell, ``output_total_bytes`` per
    submission (characters of text, bytes of images), ``message_bytes`` per message part.
    """

    memory_bytes: int = 6 * 2**30
    cpu_seconds: int = 300
    wall_seconds: float = 600.0
    processes: int = 64
    scratch_bytes: int = 512 * 2**20
    file_bytes: int = 256 * 2**20
    run_folder_bytes: int = 16 * 2**20
    output_cell_bytes: int = 2**20
    output_total_bytes: int = 4 * 2**20
    message_bytes: int = 8 * 2**20

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | None) -> "Limits":
        return cls(**json.loads(text)) if text else cls()


def available() -> bool:
    return shutil.which("bwrap") is not None and shutil.which("setpriv") is not None and os.geteuid() == 0


def _readonly_paths(profile: Profile) -> list[Path]:
    """The interpreter, the venv, the course package, and the data the notebooks read (the course profile's)."""
    paths = [Path(sys.base_prefix), Path(sys.prefix), profile.package_dir(), ZYGOTE]
    paths += [profile.data_dir() / name for name in profile.read_only_data]
    return [p.resolve() for p in paths if p.exists()]


def zygote_settings(profile: Profile) -> str:
    """What the fork server pre-imports and watches, as JSON (it cannot import the autograder)."""
    return json.dumps({
        "package": profile.package,
        "path": str(profile.package_dir().parent),
        "preimport": list(profile.preimport),
        "not_preimported": list(profile.not_preimported),
        "watched": list(profile.watched),
    })


def _mkdirs(path: Path, made: set[Path]) -> list[str]:
    """bwrap creates missing parents as 0700 root-owned; make them traversable for the kernel's uid."""
    args = []
    for parent in reversed(path.parents):
        if parent in (Path("/"), Path("/tmp")) or parent in made or str(parent).startswith("/usr"):
            continue
        made.add(parent)
        args += ["--perms", "0755", "--dir", str(parent)]
    return args


def command(run_dir: Path, uid: int, limits: Limits) -> list[str]:
    """The argv that starts the fork server in a fresh sandbox, listening on ``run_dir/zygote.sock``."""
    profile = current()
    made: set[Path] = set()
    argv = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    argv += ["--die-with-parent", "--new-session", "--cap-add", "CAP_SETUID,CAP_SETGID"]
    argv += ["--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64"]
    argv += ["--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev", "--perms", "1777"]
    argv += ["--size", str(limits.scratch_bytes), "--tmpfs", "/tmp"]
    for system_file in ("/etc/ld.so.cache", "/etc/fonts"):
        argv += ["--ro-bind", system_file, system_file] if Path(system_file).exists() else []
    for path in _readonly_paths(profile):
        argv += _mkdirs(path, made) + ["--ro-bind", str(path), str(path)]
    argv += _mkdirs(run_dir, made) + ["--bind", str(run_dir), str(run_dir)]
    env = {
        "HOME": "/tmp/work/home",
        "MPLCONFIGDIR": "/tmp/work/home/.matplotlib",
        "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin",
        "OMP_NUM_THREADS": "1",  # one core per worker: N workers on N cores
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "LANG": "C.UTF-8",
    } | profile.sandbox_env()
    argv += ["--clearenv"]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    argv += ["--chdir", "/tmp"]
    argv += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]
    argv += [str(Path(sys.prefix) / "bin" / "python"), "-I", str(ZYGOTE), str(run_dir / "zygote.sock")]
    argv += [limits.to_json(), zygote_settings(profile)]
    return argv
