"""attrs: @define and @frozen classes, validators, converters, defaults, evolve, asdict, and
the messages of their errors (both the attr and the attrs namespaces)."""

import attr
import attrs
from attrs import define, field, frozen, validators


@define(order=True)
class Item:
    name: str = field(converter=str.strip)
    quantity: int = field(default=1, validator=validators.ge(0))
    tags: list = field(factory=list)


@frozen
class Point:
    x: float = field(converter=float)
    y: float = field(converter=float, validator=validators.instance_of(float))


def main() -> None:
    item = Item("  Äpfel ✓ ", 3, ["fruit"])
    print(repr(item))
    print("asdict", attrs.asdict(item))
    print("evolve", attrs.evolve(item, quantity=5))
    print("sorted", sorted([Item("b", 2), Item("a", 9), Item("b", 1)]))
    print("fields", [f.name for f in attrs.fields(Item)])
    try:
        Item("x", -1)
    except ValueError as exc:
        print("validator", exc)
    point = Point(1, "2.5")
    print("point", point, hash(point) == hash(Point(1.0, 2.5)))
    try:
        point.x = 3.0
    except attrs.exceptions.FrozenInstanceError as exc:
        print("frozen", type(exc).__name__)
    print("attr namespace", attr.has(Point), attr.astuple(point))


if __name__ == "__main__":
    main()
