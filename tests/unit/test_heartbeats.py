"""A long month-end close step tells Temporal it is alive while it runs, so a worker that dies mid-step is
replaced within the heartbeat timeout instead of the step's 15 minutes; a step scheduled without a heartbeat
timeout runs as before, without heartbeats."""

import dataclasses
import time
from datetime import timedelta
from typing import Any

from temporalio.testing import ActivityEnvironment

from activities.heartbeat import heartbeats


@heartbeats
def _slow_step(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def _environment(heartbeat_timeout: timedelta | None) -> tuple[ActivityEnvironment, list[Any]]:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, heartbeat_timeout=heartbeat_timeout)
    beats: list[Any] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    return env, beats


def test_a_step_with_a_heartbeat_timeout_heartbeats_while_it_runs() -> None:
    env, beats = _environment(timedelta(seconds=0.3))
    assert env.run(_slow_step, 1.0) == "done"
    assert len(beats) >= 3  # every 0.1 s for a second; a busy machine still beats several times
    count = len(beats)
    time.sleep(0.3)
    assert len(beats) == count  # the beating stops with the step


def test_a_step_without_a_heartbeat_timeout_runs_without_heartbeats() -> None:
    env, beats = _environment(None)
    assert env.run(_slow_step, 0.3) == "done"
    assert beats == []
