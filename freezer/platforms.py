"""The platforms a binary can be built for, and how the build machine reaches each.

One table, so every part of the build that depends on the target (which CPU the runtime root's
files are for, where its libraries live, how its interpreter is run here, which triple the
C toolchain is given) reads the same facts. A platform's name is `<os>-<machine>`, the machine
spelt as `uname -m` prints it on that system; Windows and macOS names are known so that they
are refused with a reason rather than as typos.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from freezer.errors import FreezeError


@dataclass(frozen=True)
class Platform:
    """A Linux target: what its ELF files and its runtime root look like."""

    name: str  # linux-aarch64
    machine: str  # os.uname().machine there: aarch64
    multiarch: str  # Debian's library directory name: aarch64-linux-gnu
    elf_machine: str  # pyelftools' e_machine: EM_AARCH64
    debian_arch: str  # dpkg's architecture: arm64
    wheel_arch: str  # manylinux tag suffix: aarch64
    qemu: str  # the user-mode emulator that runs its programs here
    loader: str  # glibc's dynamic linker

    @property
    def zig_target(self) -> str:
        """The toolchain triple (its glibc version is added by the bootloader's build)."""
        return f"{self.machine}-linux-gnu"

    def library_dirs(self, root: str) -> tuple[str, ...]:
        """Where the target's dynamic linker looks by default, inside the runtime root."""
        rel = (f"lib/{self.multiarch}", f"usr/lib/{self.multiarch}", "lib64", "usr/lib64",
               "lib", "usr/lib", "usr/local/lib")
        return tuple(os.path.join(root, d) for d in rel)


LINUX = {
    p.name: p for p in (
        Platform("linux-x86_64", "x86_64", "x86_64-linux-gnu", "EM_X86_64", "amd64", "x86_64",
                 "qemu-x86_64", "ld-linux-x86-64.so.2"),
        Platform("linux-aarch64", "aarch64", "aarch64-linux-gnu", "EM_AARCH64", "arm64",
                 "aarch64", "qemu-aarch64", "ld-linux-aarch64.so.1"),
    )
}
# Known names that cannot be built here yet, and why (one line each).
NOT_YET = {
    "windows-x86_64": "built from a Windows CPython: give it with --target-python",
    "macos-x86_64": "no macOS runtime can be tested here, so macOS binaries are not built",
    "macos-aarch64": "no macOS runtime can be tested here, so macOS binaries are not built",
}


def host() -> Platform:
    """The platform of the machine running freeze."""
    machine = os.uname().machine
    for platform in LINUX.values():
        if platform.machine == machine:
            return platform
    raise FreezeError(f"freeze runs on Linux x86_64 or aarch64, not on {machine}")


def by_name(name: str) -> Platform:
    """The platform called `name`, or a one-line error listing those that exist."""
    if name in LINUX:
        return LINUX[name]
    if name in NOT_YET:
        raise FreezeError(f"--target {name}: {NOT_YET[name]}")
    raise FreezeError(f"--target {name}: unknown platform (choose from "
                      f"{', '.join(sorted(LINUX))})")


def emulator(platform: Platform) -> str:
    """The path of the user-mode qemu that runs the target's interpreter during the build.

    The analysis runs under the target's own python (its grammar, import tables, site and
    wheel tags are then the target's, as for a native build), so a cross build needs qemu.
    The static build is taken as well: it is what CI images usually carry.
    """
    for name in (platform.qemu, platform.qemu + "-static"):
        found = shutil.which(name)
        if found:
            return found
    raise FreezeError(f"--target {platform.name}: {platform.qemu} not found, which runs the "
                      "target's python during the build (Debian: apt-get install qemu-user)")
