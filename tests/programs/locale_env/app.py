"""What the interpreter made of the locale environment before the program ran.

Under LANG=C (or no locale variable at all) python coerces LC_CTYPE to C.UTF-8 (PEP 538)
and says so in the environment its children inherit; LC_ALL=C forbids that.
"""

import locale
import os

print("LC_CTYPE", locale.setlocale(locale.LC_CTYPE))
print("getlocale", locale.getlocale())
print("env LC_CTYPE", os.environ.get("LC_CTYPE"))
