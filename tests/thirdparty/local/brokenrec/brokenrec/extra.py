"""Listed in RECORD and deleted by the test: a distribution that is no longer whole."""

EXTRA = True
