"""`except ImportError:` fallbacks: one that never runs names a module installed nowhere
(the build must not refuse it), one that runs stands in for a missing accelerator."""

try:
    import json
except ImportError:
    import freezer_test_never_installed_json as json

try:
    import freezer_test_never_installed_speedups as speedups
except ImportError:
    speedups = None
    from html import escape
else:
    escape = speedups.escape

print("json", json.dumps({"a": [1, "ü"]}, ensure_ascii=False))
print("speedups", speedups, escape("<b>"))
