"""An uncaught exception through generated code: python prints no source line for its frame."""

from gen import make_divider

divide = make_divider()
print("half", divide(1, 2))
divide(1, 0)
