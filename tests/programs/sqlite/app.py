"""sqlite3 (the _sqlite3 extension and the libsqlite3 it needs) on an in-memory database."""

from __future__ import annotations

import sqlite3


def main() -> None:
    print("sqlite", sqlite3.sqlite_version)
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE city (name TEXT PRIMARY KEY, country TEXT, people INTEGER)")
    rows = [
        ("Zürich", "CH", 421878),
        ("Genève", "CH", 203856),
        ("東京", "JP", 13960000),
        ("Kyōto", "JP", 1464000),
        ("Oslo", "NO", 709037),
    ]
    con.executemany("INSERT INTO city VALUES (?, ?, ?)", rows)
    con.commit()
    for row in con.execute("SELECT country, COUNT(*), SUM(people) FROM city "
                           "GROUP BY country ORDER BY country"):
        print("group", row)
    con.create_function("shout", 1, lambda s: s.upper() + "!")
    print("udf", con.execute("SELECT shout(name) FROM city ORDER BY name").fetchall())
    con.row_factory = sqlite3.Row
    row = con.execute("SELECT * FROM city WHERE name = ?", ("東京",)).fetchone()
    print("row", dict(row))
    con.row_factory = None
    ranked = con.execute(
        "SELECT name, RANK() OVER (ORDER BY people DESC) FROM city ORDER BY name"
    ).fetchall()
    print("window", ranked)
    print("json", con.execute("SELECT json_extract('{\"a\": [1, 2, 3]}', '$.a[1]')").fetchone())
    try:
        with con:
            con.execute("INSERT INTO city VALUES ('Oslo', 'NO', 1)")
    except sqlite3.IntegrityError as exc:
        print("integrity error:", exc)
    print("count after rollback", con.execute("SELECT COUNT(*) FROM city").fetchone())
    copy = sqlite3.connect(":memory:")
    con.backup(copy)
    print("backup", copy.execute("SELECT name FROM city ORDER BY people").fetchall())
    print("dump", list(copy.iterdump())[:3])
    blob = con.execute("SELECT zeroblob(4), X'00ff'").fetchone()
    print("blob", blob)


main()
