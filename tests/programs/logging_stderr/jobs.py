"""A program module with its own logger, so logger names come from module names."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def run(values: list[int]) -> int:
    log.debug("running on %d values", len(values))
    total = 0
    for value in values:
        try:
            total += 100 // value
        except ZeroDivisionError:
            log.exception("cannot divide by %r", value)
    log.info("total is %d ✓", total)
    return total
