"""sympy: solving, simplifying, series, and printing (sympy imports timeit, and carries
generated modules nested deeper than a recursive AST walk survives)."""

import sympy as sp

x, y = sp.symbols("x y")
print("solve", sp.solve(x**2 - 5 * x + 6, x))
print("simplify", sp.simplify(sp.sin(x) ** 2 + sp.cos(x) ** 2 + (x**2 - 1) / (x - 1)))
print("series", sp.series(sp.exp(x), x, 0, 5))
print("integrate", sp.integrate(x * sp.exp(-x), (x, 0, sp.oo)))
print("matrix", sp.Matrix([[1, 2], [3, 4]]).inv())
print("latex", sp.latex(sp.Integral(sp.sqrt(x + y), x)))
print("pretty")
print(sp.pretty(sp.Rational(1, 3) + x**2 / y, use_unicode=True))
