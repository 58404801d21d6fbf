"""flask's test client: routing, JSON, a template, an error handler (werkzeug imports
http.server, a stdlib "tooling" module, at start-up); a template and a static file from the
directories beside the script, where Flask looks for them (its application's root path)."""

from flask import Flask, jsonify, render_template, render_template_string, request

app = Flask(__name__)


@app.route("/hello/<name>")
def hello(name):
    return render_template_string("<p>Hallo {{ name|upper }} ✓</p>", name=name)


@app.post("/sum")
def total():
    numbers = request.get_json()["numbers"]
    return jsonify(sum=sum(numbers), count=len(numbers))


@app.route("/page")
def page_from_file():
    return render_template("page.html", title="Seite")


@app.errorhandler(404)
def missing(error):
    return jsonify(error="nothing here", code=404), 404


client = app.test_client()
page = client.get("/hello/wörld")
print("GET", page.status_code, page.get_data(as_text=True))
answer = client.post("/sum", json={"numbers": [1, 2, 39]})
print("POST", answer.status_code, answer.get_json())
print("404", client.get("/nope").get_json())
print("template", client.get("/page").get_data(as_text=True))
print("static", client.get("/static/site.css").get_data(as_text=True).strip())
print("url_map", sorted(rule.rule for rule in app.url_map.iter_rules()))
