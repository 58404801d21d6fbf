"""Functions made at run time from generated source, compiled under a made-up file name, the
way networkx's argmap and attrs' generated methods are: a traceback through one shows no
source line under python, whose printer finds no such file."""


def make_divider():
    source = "def divide(a, b):\n    return a / b\n"
    namespace = {}
    exec(compile(source, "<generated divide> compilation 7", "exec"), globals(), namespace)
    return namespace["divide"]
