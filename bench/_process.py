"""What the benchmarks share about the server processes they start and measure."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import httpx

TICK = os.sysconf("SC_CLK_TCK")


class BenchFailure(RuntimeError):
    """The run is not valid (the server did not come up, media did not flow, flags were lost)."""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


async def wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    """Until the server started as ``process`` answers /healthz (30 s at most)."""
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(300):
            if process.poll() is not None:
                raise BenchFailure(f"server exited with {process.returncode}; see its log")
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise BenchFailure("server did not answer /healthz in 30 s")
