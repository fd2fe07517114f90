"""A Dask cluster on this machine, started the way an instructor starts one (autograder/README.md):
``dask scheduler`` and ``dask worker --nworkers N --nthreads 1``, as subprocesses."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from distributed import Client

BIN = Path(sys.executable).parent
ENV = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", OMP_NUM_THREADS="1")
ENV["DASK_DISTRIBUTED__WORKER__DAEMON"] = "False"  # a worker starts grading processes (engine/cluster.py)


class LocalDask:
    """``dask scheduler`` and ``dask worker --nworkers N --nthreads 1`` as subprocesses; stopped by ``stop``."""

    def __init__(self, folder: Path, workers: int = 2):
        self.file = folder / "scheduler.json"
        common = ["--no-dashboard"]
        self.scheduler = subprocess.Popen([BIN / "dask", "scheduler", "--scheduler-file", self.file, "--port", "0",
                                           *common], env=ENV, stdout=subprocess.DEVNULL, stderr=folder.joinpath(
                                           "scheduler.log").open("w"))  # fmt: skip
        deadline = time.monotonic() + 120
        while not self.file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.workers = subprocess.Popen([BIN / "dask", "worker", "--scheduler-file", self.file, "--nworkers",
                                         str(workers), "--nthreads", "1", *common], env=ENV, stdout=subprocess.DEVNULL,
                                        stderr=folder.joinpath("workers.log").open("w"))  # fmt: skip
        self.address = json.loads(self.file.read_text())["address"]
        with Client(self.address) as client:
            client.wait_for_workers(workers, timeout=180)

    def worker_pids(self) -> dict[str, int]:
        with Client(self.address) as client:
            return client.run(os.getpid)

    def busy_worker(self) -> tuple[int, list[str]]:
        """The worker holding the most tasks now: its process id and those tasks' keys."""
        with Client(self.address) as client:
            pids = client.run(os.getpid)
            processing = client.processing()
        address, keys = max(processing.items(), key=lambda item: len(item[1]))
        return pids[address], list(keys)

    def stop(self) -> None:
        for process in (self.workers, self.scheduler):
            process.send_signal(signal.SIGTERM)
        for process in (self.workers, self.scheduler):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


