# The exit statuses: sys.exit(n), sys.exit("msg"), an uncaught exception, a normal end.
import sys

how = sys.argv[1]
print("before", how)
if how == "int":
    sys.exit(3)
if how == "msg":
    sys.exit("a message ü")
if how == "raise":
    def f():
        raise ValueError("bad thing")
    f()
