WORDS = ("ünï", "✓")
