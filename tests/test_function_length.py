"""No function in the package is longer than one can hold in one's head (60 lines, decorators and docstring included)."""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / 'gazeqwen'
MAX_LINES = 60


def long_functions(source: str, max_lines: int = MAX_LINES) -> list:
    "(name, first line, length) of every function or method in `source` longer than `max_lines`."
    out = []
    for n in ast.walk(ast.parse(source)):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([n.lineno] + [d.lineno for d in n.decorator_list])
            if n.end_lineno - first + 1 > max_lines: out.append((n.name, first, n.end_lineno - first + 1))
    return out


def test_the_check_finds_a_long_function():
    "The check itself: a 61-line function (nested or not) is found, a 60-line one is not."
    body = lambda name, n: f'def {name}():\n' + '    x = 1\n' * (n - 2) + '    return x\n'
    assert long_functions(body('ok', 60)) == []
    assert long_functions(body('long', 61)) == [('long', 1, 61)]
    nested = 'class C:\n    def m(self):\n' + '        x = 1\n' * 60 + '        return x\n'
    assert long_functions(nested) == [('m', 2, 62)]


def test_no_function_over_60_lines():
    found = [f'{p.name}:{line} {name} ({n} lines)' for p in sorted(PKG.glob('*.py')) if p.name != '_modidx.py'
             for name, line, n in long_functions(p.read_text())]
    assert found == [], 'functions over 60 lines (split them into steps): ' + ', '.join(found)
