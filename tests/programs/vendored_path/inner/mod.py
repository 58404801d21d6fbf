def which() -> str:
    return "standalone " + __name__
