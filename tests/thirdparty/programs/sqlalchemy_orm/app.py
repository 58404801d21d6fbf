"""SQLAlchemy 2 ORM on an in-memory sqlite database: declarative models, a relationship,
joins, aggregates, Core text() and an IntegrityError."""

from typing import Optional

from sqlalchemy import ForeignKey, String, create_engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    books: Mapped[list["Book"]] = relationship(back_populates="author", order_by="Book.title")


class Book(Base):
    __tablename__ = "book"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    pages: Mapped[Optional[int]]
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id"))
    author: Mapped[Author] = relationship(back_populates="books")


def main() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([
            Author(name="Ünï", books=[Book(title="Zeta", pages=100), Book(title="Alpha")]),
            Author(name="Bo", books=[Book(title="Mid ✓", pages=250)]),
        ])
        session.commit()
        for author in session.scalars(select(Author).order_by(Author.name)):
            print(author.name, [(b.title, b.pages) for b in author.books])
        rows = session.execute(
            select(Author.name, func.count(Book.id), func.coalesce(func.sum(Book.pages), 0))
            .join(Book).group_by(Author.name).order_by(Author.name)).all()
        print("aggregates", [tuple(row) for row in rows])
        session.add(Author(name="Bo"))
        try:
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            print("integrity error", type(exc.orig).__name__)
    with engine.connect() as connection:
        print("core", connection.execute(text("select count(*) from book")).scalar_one())


if __name__ == "__main__":
    main()
