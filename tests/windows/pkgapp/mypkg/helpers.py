from . import sub


def greet(who):
    return f"hi {who} {sub.LEVEL}"
