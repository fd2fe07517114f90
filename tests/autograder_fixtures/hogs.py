"""Submissions that try to exhaust the grading host, and a watcher of what the host spends.

``HOGS`` are answer cells for the tiny assignment (each then answers correctly, so a grader
that contains the attack still gives 3/3). :func:`grade_watched` runs ``python -m autograder
grade`` and samples, every 50 ms, the peak resident memory (``VmHWM``) of every host process
of the batch (the grader and its workers and kernel stand-ins, not the sandboxed fork
servers and kernels, whose memory the sandbox's own limits cover), the host's shared memory
(``Shmem`` in /proc/meminfo: tmpfs pages) and the free space of the disk that holds
``/tmp`` and the grading folder.
"""

import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

MB = 2**20
ANSWER = "\ndef double(x):\n    return 2 * x\n"
HOGS = {
    # ~1.1 GB printed, 1 MB at a time: capped in the kernel
    "flood_print": "for _ in range(1100):\n    print('x' * 2**20)\n",
    # 512 MB written to fd 1 directly (ipykernel captures the fd; the same cap applies)
    "flood_fd": "import os\nfor _ in range(512):\n    os.write(1, b'y' * 2**20)\n",
    # ~320 MB of stream messages sent past the kernel's cap, straight on the iopub socket,
    # then one 64 MB message: the grader's own defences (message size, per-cell cap)
    "flood_bypass": (
        "kernel = get_ipython().kernel\nparent = kernel.get_parent('shell')\n"
        "for text in ['z' * 2**20] * 320 + ['w' * 64 * 2**20]:\n"
        "    kernel.session.send(kernel.iopub_socket, 'stream', {'name': 'stdout', 'text': text}, parent=parent)\n"
    ),
    # 2 GB into /tmp and 2 GB into the working folder, 128 MB per file
    "fill_disk": (
        "import os\nwritten = 0\nfor folder in ['/tmp', '.']:\n    try:\n        for i in range(16):\n"
        "            with open(os.path.join(folder, f'fill{i}'), 'wb') as f:\n"
        "                for _ in range(128):\n                    f.write(b'\\0' * 2**20)\n"
        "                    written += 2**20\n"
        "    except OSError as error:\n        print(f'refused after {written >> 20} MB: {error}')\n"
    ),
    # one 2 GB file: stopped at the file-size limit
    "big_file": (
        "written = 0\ntry:\n    with open('big', 'wb') as f:\n        for _ in range(2048):\n"
        "            f.write(b'\\0' * 2**20)\n            written += 2**20\n"
        "except OSError as error:\n    print(f'refused after {written >> 20} MB: {error}')\n"
    ),
    # 20,000 small files, left behind
    "many_files": (
        "import os\nos.makedirs('many', exist_ok=True)\nfor i in range(20000):\n"
        "    with open(f'many/{i}', 'w') as f:\n        f.write('x')\nprint(len(os.listdir('many')))\n"
    ),
}
# graded right after the hogs on the same worker: sees none of what they left
LOOK = "import os\nprint('left in /tmp:', sorted(os.listdir('/tmp')), 'here:', sorted(os.listdir('.')))\n"


@dataclass
class Watch:
    host_peak_bytes: dict[str, int] = field(default_factory=dict)  # "pid name" -> VmHWM
    shmem_growth_bytes: int = 0
    disk_growth_bytes: int = 0
    seconds: float = 0.0

    @property
    def largest_host_process(self) -> int:
        return max(self.host_peak_bytes.values(), default=0)

    @property
    def host_total(self) -> int:
        return sum(self.host_peak_bytes.values())


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    return children


def _status(pid: int) -> dict[str, str]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return dict(line.split(":", 1) for line in lines if ":" in line)


def _host_processes(root: int) -> list[int]:
    """``root`` and its descendants, stopping at the sandboxes (bwrap and everything under it)."""
    tree, found, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        if _status(pid).get("Name", "").strip() == "bwrap":
            continue
        found.append(pid)
        todo += tree.get(pid, [])
    return found


def _shmem() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Shmem:"):
            return int(line.split()[1]) * 1024
    return 0


def grade_watched(command: list[str], disk: Path, env: dict | None = None, timeout: float = 600):
    """Run the grading command; return (CompletedProcess-like, Watch)."""
    watch = Watch()
    shmem0, free0 = _shmem(), shutil.disk_usage(disk).free
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in _host_processes(process.pid):
                status = _status(pid)
                if "VmHWM" in status:
                    key = f"{pid} {status['Name'].strip()}"
                    peak = int(status["VmHWM"].split()[0]) * 1024
                    watch.host_peak_bytes[key] = max(watch.host_peak_bytes.get(key, 0), peak)
            watch.shmem_growth_bytes = max(watch.shmem_growth_bytes, _shmem() - shmem0)
            watch.disk_growth_bytes = max(watch.disk_growth_bytes, free0 - shutil.disk_usage(disk).free)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        done.set()
        sampler.join()
    watch.seconds = time.monotonic() - start
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr), watch
