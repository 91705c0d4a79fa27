"""The recorder and processing child processes, as the server starts and watches them.

Both run outside the SFU process: ``python -m recordings.recorder`` (a client of the room, see
recordings/recorder.py) and ``python -m recordings.process`` (archive, check, process, publish).
Nothing here knows of the database: ``server.recording`` decides, this module runs processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 15


def _log_file(path: Path) -> IO[bytes]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("ab")


async def spawn_recorder(
    signal_url: str,
    token: str,
    capture: Path,
    root: Path,
    max_bytes: int | None,
    segment_seconds: int,
    host_addresses: Sequence[str],
    extra: Sequence[str] = (),
) -> asyncio.subprocess.Process:
    """Start a recorder; its room token goes over stdin (a command line is visible in ps)."""
    args = [
        sys.executable,
        "-m",
        "recordings.recorder",
        "--signal-url",
        signal_url,
        "--out",
        str(capture),
        "--root",
        str(root),
        "--segment-seconds",
        str(segment_seconds),
    ]
    if max_bytes is not None:
        args += ["--max-bytes", str(max_bytes)]
    for address in host_addresses:
        args += ["--host-address", address]
    args += list(extra)
    output = _log_file(capture.parent / "recorder.log")
    try:
        process = await asyncio.create_subprocess_exec(
            *args, stdin=asyncio.subprocess.PIPE, stdout=output, stderr=output
        )
    finally:
        output.close()
    assert process.stdin is not None
    process.stdin.write(token.encode() + b"\n")
    with contextlib.suppress(ConnectionError):
        await process.stdin.drain()
    process.stdin.close()
    return process


async def spawn_processing(root: Path, layout: str) -> asyncio.subprocess.Process:
    """Start post-processing of one recording folder (re-runnable: phases leave markers)."""
    output = _log_file(root / "process.log")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "recordings.process",
            str(root),
            "--layout",
            layout,
            "--nice",
            "10",
            stdout=output,
            stderr=output,
        )
    finally:
        output.close()


async def stop_process(
    process: asyncio.subprocess.Process, grace: float = STOP_GRACE_SECONDS
) -> int:
    """SIGTERM, then SIGKILL after ``grace`` seconds; returns the exit code."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(grace):
                await process.wait()
        except TimeoutError:
            log.warning("process %s ignored SIGTERM; killing it", process.pid)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
    return await process.wait()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
