"""3.12's generic syntax: the interpreter imports typing from C when these statements run."""


class Box[T]:
    def __init__(self, item: T) -> None:
        self.item = item


def first[T](items: list[T]) -> T:
    return items[0]


type Pair[T] = tuple[T, T]

print(Box[int], Box(3).item, first([4, 5]), Pair[str].__value__)
