"""packaging: versions, specifier sets, markers (evaluated against a given environment, so the
result does not depend on the machine), requirements, names and wheel file names."""

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version


def main() -> None:
    versions = ["1.0", "1.0.post1", "1.1a1", "2.0.dev3", "1.10", "1.9", "0.9"]
    print("sorted", [str(v) for v in sorted(map(Version, versions))])
    spec = SpecifierSet(">=1.0,!=1.9,<2")
    print("filter", list(spec.filter(versions)))
    print("prereleases", list(spec.filter(versions, prereleases=True)))
    print("contains", "1.9" in spec, Version("1.10") in spec)
    marker = Marker('python_version >= "3.9" and sys_platform == "linux" or extra == "x"')
    env = {"python_version": "3.11", "sys_platform": "linux", "extra": ""}
    print("marker", marker, marker.evaluate(env))
    requirement = Requirement('Demo.Pkg[extra1,extra2]>=1.2,<2; python_version < "3.14"')
    print("requirement", requirement.name, sorted(requirement.extras), requirement.specifier,
          requirement.marker)
    print("canonical", canonicalize_name("Demo.Pkg__Name"))
    name, version, build, tags = parse_wheel_filename("numpy-2.0.0-cp311-cp311-manylinux_2_17"
                                                      "_x86_64.manylinux2014_x86_64.whl")
    print("wheel", name, version, build, sorted(str(tag) for tag in tags))
    try:
        Version("not a version")
    except InvalidVersion as exc:
        print("invalid", exc)


if __name__ == "__main__":
    main()
