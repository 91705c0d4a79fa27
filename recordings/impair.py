"""Deliberate loss and reordering on the way into the recorder, for tests and benchmarks.

``--impair loss=0.05,reorder=0.1,seed=1`` drops 5% of packets and holds back 10% to deliver each
after the next few packets. The impairment sits where network trouble would show: between the
receiver's tap and the jitter buffer (aiortc's own receiver still sees every packet, so it asks
for no retransmission that could hide the damage).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

Deliver = Callable[[], None]


@dataclass(frozen=True)
class ImpairmentSpec:
    """Probabilities of loss and of reordering, and the random seed."""

    loss: float = 0.0
    reorder: float = 0.0
    seed: int = 1

    @classmethod
    def parse(cls, text: str) -> ImpairmentSpec:
        values: dict[str, float] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, _, raw = item.partition("=")
            if name not in ("loss", "reorder", "seed"):
                raise ValueError(f"unknown impairment {name!r}")
            values[name] = float(raw)
        return cls(values.get("loss", 0.0), values.get("reorder", 0.0), int(values.get("seed", 1)))

    @property
    def active(self) -> bool:
        return self.loss > 0 or self.reorder > 0


class Impairment:
    """Drops or delays deliveries of one stream of packets."""

    def __init__(self, spec: ImpairmentSpec) -> None:
        self._spec = spec
        self._random = random.Random(spec.seed)
        self._held: list[tuple[int, Deliver]] = []
        self.dropped = 0
        self.reordered = 0

    def pass_on(self, deliver: Deliver) -> None:
        roll = self._random.random()
        if roll < self._spec.loss:
            self.dropped += 1
        elif roll < self._spec.loss + self._spec.reorder:
            self.reordered += 1
            self._held.append((self._random.randint(1, 4), deliver))
        else:
            deliver()
        self._release()

    def _release(self) -> None:
        due = [d for left, d in self._held if left <= 1]
        self._held = [(left - 1, d) for left, d in self._held if left > 1]
        for deliver in due:
            deliver()
