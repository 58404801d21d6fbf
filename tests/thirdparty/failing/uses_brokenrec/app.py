"""Imports fzt-broken-record from a directory given with --path, after the test deleted a
file its RECORD lists (or garbled the RECORD): python still runs this, the tool must not
build from a distribution that is no longer what was installed."""

import brokenrec

print(brokenrec.GREETING)
