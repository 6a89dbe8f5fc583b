# SPDX-License-Identifier: GPL-2.0
"""Progress messages (scripts/pgwalk/logs.py): stages log, the entry point
shows them; the runner's command lines stay out unless asked for."""

import logging

import pytest

from pgwalk import logs, runner

pytestmark = pytest.mark.unit


def test_a_stage_message_reaches_the_sink_while_shown():
    said = []
    stage = logging.getLogger("pgwalk.some.stage")
    with logs.shown(said.append):
        stage.info("facts: round 1")
        runner.run(["true"])        # a command line is a DEBUG record
    stage.info("after the block")
    assert said == ["facts: round 1"]


def test_two_sinks_each_get_the_messages_of_their_block():
    first, second = [], []
    stage = logging.getLogger("pgwalk.other")
    with logs.shown(first.append):
        stage.info("one")
        with logs.shown(second.append):
            stage.info("two")
    assert first == ["one", "two"] and second == ["two"]


def test_the_level_is_put_back_after_the_block():
    before = logs.LOG.level
    with logs.shown(lambda m: None):
        assert logs.LOG.level == logging.INFO
    assert logs.LOG.level == before
