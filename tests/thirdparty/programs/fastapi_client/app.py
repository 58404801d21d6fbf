"""fastapi with starlette's TestClient, which runs the app through httpx: validation errors,
a path parameter, a response model."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


app = FastAPI(title="freezer test")


@app.post("/items/{item_id}")
def create(item_id: int, item: Item) -> dict:
    return {"id": item_id, "name": item.name.title(), "total": item.price * 2,
            "tags": sorted(item.tags)}


client = TestClient(app)
ok = client.post("/items/7", json={"name": "äpfel ✓", "price": 1.25, "tags": ["b", "a"]})
print("ok", ok.status_code, ok.json())
bad = client.post("/items/x", json={"price": "cheap"})
print("bad", bad.status_code, sorted(e["loc"][-1] for e in bad.json()["detail"]))
schema = client.get("/openapi.json").json()
print("openapi", schema["info"]["title"], sorted(schema["paths"]))
