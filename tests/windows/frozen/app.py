# What only the frozen program says (python.exe has no sys.frozen): printed for the test.
import os
import sys

beside = os.path.dirname(__file__) == os.path.dirname(sys.executable)
print(sys.frozen, os.path.basename(sys.executable), beside)
