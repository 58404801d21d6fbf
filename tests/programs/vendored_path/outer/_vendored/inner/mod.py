def which() -> str:
    return "vendored " + __name__
