def greet(args):
    return "hello " + " ".join(args or ["world"])


def status(args):
    return len(args) + 2
