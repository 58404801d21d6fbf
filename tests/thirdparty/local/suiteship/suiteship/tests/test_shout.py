import json
from pathlib import Path

import pytest  # not installed: a test suite's imports are not followed

import suiteship


@pytest.mark.parametrize("case", json.loads(
    (Path(__file__).parent / "data" / "cases.json").read_text()))
def test_shout(case: list[str]) -> None:
    assert suiteship.shout(case[0]) == case[1]
