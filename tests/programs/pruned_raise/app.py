"""An uncaught exception in a --pruned build, which carries neither sources nor traceback."""

print("before", flush=True)
raise ValueError("pruned ✓")
