"""pydantic v2 (and its compiled pydantic_core): models, nested validation, custom validators,
coercion, serialisation, JSON schema, TypeAdapter, and the text of validation errors."""

import json
from datetime import datetime, timezone
from typing import Literal, Optional

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_validator


class Address(BaseModel):
    city: str
    postcode: str = Field(pattern=r"^\d{5}$")


class User(BaseModel):
    id: int
    name: str = Field(min_length=2)
    role: Literal["admin", "user"] = "user"
    tags: list[str] = []
    address: Address
    joined: datetime
    manager: Optional[int] = None

    @field_validator("name")
    @classmethod
    def no_digits(cls, value: str) -> str:
        if any(ch.isdigit() for ch in value):
            raise ValueError("no digits in names, please")
        return value.title()


def main() -> None:
    user = User.model_validate({
        "id": "42", "name": "ada lövelace", "tags": ["math"],
        "address": {"city": "London", "postcode": "12345"},
        "joined": "2024-03-01T12:30:00Z",
    })
    print("valid", repr(user))
    print("dump", user.model_dump(mode="json"))
    print("json", user.model_dump_json())
    print("joined utc", user.joined == datetime(2024, 3, 1, 12, 30, tzinfo=timezone.utc))

    try:
        User.model_validate({"id": "x", "name": "R2D2", "role": "boss",
                             "address": {"city": "Paris", "postcode": "75"},
                             "joined": "yesterday"})
    except ValidationError as exc:
        print("errors", exc.error_count())
        for error in exc.errors():
            print(" ", error["loc"], error["type"], error["msg"])
        print(str(exc))

    adapter = TypeAdapter(list[int])
    print("adapter", adapter.validate_python(["1", 2, 3.0]))
    try:
        adapter.validate_json('[1, "two"]')
    except ValidationError as exc:
        print("adapter error", exc.errors()[0]["loc"], exc.errors()[0]["type"])
    print("schema", json.dumps(Address.model_json_schema(), sort_keys=True))


if __name__ == "__main__":
    main()
