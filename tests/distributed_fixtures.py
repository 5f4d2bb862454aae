"""Find and kill the training processes that ``torch.multiprocessing`` spawned below this test."""

from __future__ import annotations

import threading
import time

import psutil


def rank_processes() -> list[psutil.Process]:
    """Live spawn children below this process: the ranks of a distributed run."""
    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            command = process.cmdline()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if "--multiprocessing-fork" in command and any("spawn_main" in c for c in command):
            found.append(process)
    return found


class RankKiller(threading.Thread):
    """Kills the last of ``world`` ranks once each has used ``cpu_seconds`` (it is training)."""

    def __init__(self, world: int = 2, cpu_seconds: float = 8.0) -> None:
        super().__init__(daemon=True)
        self.world, self.cpu_seconds = world, cpu_seconds
        self.killed: int | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            ranks = rank_processes()
            try:
                busy = [p for p in ranks if sum(p.cpu_times()[:2]) >= self.cpu_seconds]
            except psutil.NoSuchProcess:
                continue
            if len(ranks) == self.world and len(busy) == self.world:
                victim = max(ranks, key=lambda p: p.pid)
                victim.kill()
                self.killed = victim.pid
                return
            time.sleep(0.2)

    def __enter__(self) -> RankKiller:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.join(timeout=5)
