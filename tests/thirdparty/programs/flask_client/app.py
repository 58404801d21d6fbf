"""flask's test client: routing, JSON, a template, an error handler (werkzeug imports
http.server, a stdlib "tooling" module, at start-up)."""

from flask import Flask, jsonify, render_template_string, request

app = Flask(__name__)


@app.route("/hello/<name>")
def hello(name):
    return render_template_string("<p>Hallo {{ name|upper }} ✓</p>", name=name)


@app.post("/sum")
def total():
    numbers = request.get_json()["numbers"]
    return jsonify(sum=sum(numbers), count=len(numbers))


@app.errorhandler(404)
def missing(error):
    return jsonify(error="nothing here", code=404), 404


client = app.test_client()
page = client.get("/hello/wörld")
print("GET", page.status_code, page.get_data(as_text=True))
answer = client.post("/sum", json={"numbers": [1, 2, 39]})
print("POST", answer.status_code, answer.get_json())
print("404", client.get("/nope").get_json())
print("url_map", sorted(rule.rule for rule in app.url_map.iter_rules()))
