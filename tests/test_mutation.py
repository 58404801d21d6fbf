"""Payload integrity: a damaged binary runs correctly or says it is damaged, nothing else.

benchmarks/mutate.py damages a frozen hello in thousands of ways and classifies every run (see
its docstring); here a fixed sample of its mutants must give no failure at all: no signal, no
hang, no "Fatal Python error", no other output. The sample is small enough for the suite
(~10 s on two cores) and fixed (seed and count), so a failure here re-runs exactly with
`benchmarks/mutate.py --seed SEED --only I`, printed with the summary.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import REPO, TARGETS, Target, freeze, in_ci

SEED = 20240611
COUNT = 300
TARGET_MINOR = 11  # the harness's default target; one interpreter is enough for the format


def load_harness() -> ModuleType:
    """benchmarks/mutate.py as a module: benchmarks/ is a directory of scripts, no package."""
    name = "freezer_benchmarks_mutate"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / "mutate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def harness() -> ModuleType:
    return load_harness()


@pytest.fixture(scope="module")
def target311() -> Target:
    """pyenv's 3.11, as the other tests find their interpreters (a failure under CI)."""
    for target in TARGETS:
        if target.version[1] == TARGET_MINOR:
            return target
    message = f"no CPython 3.{TARGET_MINOR} among the targets ({[str(t) for t in TARGETS]})"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def hello(harness: ModuleType, target311: Target, tmp_path_factory: pytest.TempPathFactory
          ) -> Path:
    """The harness's own program, frozen through the suite's binary cache."""
    script = harness.write_hello(tmp_path_factory.mktemp("mutate") / "mutate_hello")
    return freeze(script, target311, name="mutate_hello")


def test_the_harness_covers_the_payload(harness: ModuleType, hello: Path) -> None:
    """Its map of the file tiles the whole payload, and every mutant differs from the pristine
    file: otherwise zero failures below could mean that nothing was damaged."""
    layout = harness.read_layout(hello)
    assert layout.regions[0].start == layout.payload >= layout.elf_end > 0
    for before, after in zip(layout.regions, layout.regions[1:]):
        assert before.end == after.start, (before, after)
    assert layout.regions[-1].end == layout.size == hello.stat().st_size
    groups = {r.group for r in layout.regions}
    assert {"local header", "central directory", "end record", "boot table", "data: libpython",
            "data: main.pyc", "data: manifest", "data: runtime", "data: store"} <= groups

    pristine = hello.read_bytes()
    mutator = harness.Mutator(layout, pristine, SEED)
    kinds = set()
    for index in range(COUNT):
        mutation = mutator.draw(index)
        kinds.add(mutation.kind)
        assert mutation.apply(pristine) != pristine, mutation
        assert mutation.offset >= layout.payload, mutation
    assert kinds == set(harness.KIND_WEIGHTS)


def test_damaged_binaries_run_or_say_so(harness: ModuleType, hello: Path) -> None:
    """Every mutant of the sample is ok or damaged; the summary says what failed and how."""
    options = harness.Options(binary=hello, args=harness.HELLO_ARGS, count=COUNT, seed=SEED,
                              jobs=min(os.cpu_count() or 1, 4), progress=False)
    report = harness.run(options)
    summary = report.summary()
    classes = {r.cls for r in report.results}
    assert len(report.results) == COUNT
    assert "damaged" in classes, f"no mutant was noticed at all: the harness is broken\n{summary}"
    assert report.failures == 0, f"{report.failures} of {COUNT} mutants failed:\n{summary}"
