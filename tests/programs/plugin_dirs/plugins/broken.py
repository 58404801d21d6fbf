nonlocal run
