import json


def run():
    return json.dumps({"beta": 2})
