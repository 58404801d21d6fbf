from .. import alpha


def run():
    return "deep uses " + alpha.run()


def helper():
    return __name__
