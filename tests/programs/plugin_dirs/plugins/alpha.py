def run():
    return "alpha ✓"
