"""Jinja's sandbox, bounded: a prompt template cannot build an unbounded string, run an
unbounded loop or raise anything but a render error.

Jinja's own sandbox stops a template reaching outside (no private attributes, no unsafe
calls) but lets ``{{ name * 20000000 }}`` build a 180 MB prompt and nested ``range``
loops run for hours. Here every step a template takes (a call, a filter, an attribute or
item lookup, an operator, a turn of any loop, a piece of output) counts against a
budget, and anything that would make a string or list longer than the prompt may be is
refused before it is built. docs/security.md, "Prompt templates".
"""

import contextvars
import functools
import inspect
import math
import re
from dataclasses import dataclass

from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment


class LimitExceeded(Exception):
    """The template went past one of its bounds."""


@dataclass(frozen=True)
class Limits:
    max_chars: int = 200_000  # the longest prompt (and any string or list on the way)
    max_steps: int = 100_000  # calls, lookups, operators, loop turns and output pieces


_BUDGET: contextvars.ContextVar = contextvars.ContextVar("template_budget")
_NUMBERS = re.compile(r"\d+")
LOOP = "_bounded_loop"  # every {% for %} iterates through this global (see _parse)
_SEQUENCES = (str, list, tuple)


class _Budget:
    def __init__(self, limits: Limits):
        self.limits, self.steps = limits, 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > self.limits.max_steps:
            raise LimitExceeded(
                f"the template took more than {self.limits.max_steps:,} steps "
                "(loop turns, calls, lookups, output)"
            )

    def size(self, n: int) -> None:
        if n > self.limits.max_chars:
            raise LimitExceeded(
                f"the template would build something longer than {self.limits.max_chars:,} "
                "characters or items"
            )

    def number(self, value) -> None:
        """An integer argument as large as a whole prompt is a padding width or a count."""
        if isinstance(value, int) and not isinstance(value, bool):
            self.size(abs(value))

    def format_string(self, text: str) -> None:
        """Widths and precisions in a format string ("%99999999s", "{:>99999999}")."""
        for digits in _NUMBERS.findall(text):
            if len(digits) > 9:
                self.size(self.limits.max_chars + 1)
            self.size(int(digits))

    def result(self, value):
        if isinstance(value, _SEQUENCES):
            self.size(len(value))
        return value


def _budget() -> _Budget:
    budget = _BUDGET.get(None)
    if budget is None:  # rendered outside ``render`` (Jinja's own API): sizes are still
        return _Budget(Limits())  # bounded; steps are counted per render only in ``render``
    return budget


class BoundedEnvironment(SandboxedEnvironment):
    """A SandboxedEnvironment whose templates render through ``render`` within ``Limits``."""

    intercepted_binops = frozenset({"*", "**", "+", "%", "//"})

    def __init__(self, **options):
        super().__init__(**options)
        self.globals["range"] = self._range
        self.globals[LOOP] = self._loop
        self.filters = {name: _bounded_filter(f) for name, f in self.filters.items()}
        # Compiling a template costs far more than rendering it: once per distinct source.
        self._compiled = functools.lru_cache(maxsize=256)(self.from_string)

    def _parse(self, source, name, filename):
        """The template's syntax tree with every loop's iterable passed through ``_loop``,
        so each turn of any loop counts (a loop over a list or string has no call to count)."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(nodes.Name(LOOP, "load"), [loop.iter], [], None, None)
        return tree

    @staticmethod
    def _loop(iterable):
        budget = _budget()
        for item in iterable:
            budget.step()
            yield item

    @staticmethod
    def _range(*args):
        numbers = range(*args)
        _budget().size(len(numbers))
        return numbers

    def call_binop(self, context, operator, left, right):
        budget = _budget()
        budget.step()
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, _SEQUENCES) and isinstance(times, int):
                    budget.size(len(sequence) * times)
        elif operator == "+":
            if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
                budget.size(len(left) + len(right))
        elif operator == "**":
            if isinstance(left, int | float) and isinstance(right, int | float):
                if abs(left) > 1 and abs(right) * math.log10(abs(left)) > 1000:
                    raise LimitExceeded("a power with more than 1,000 digits")
        elif operator == "%" and isinstance(left, str):
            budget.format_string(left)
        return budget.result(super().call_binop(context, operator, left, right))

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's signature
        budget = _budget()
        budget.step()
        for value in (*args, *kwargs.values()):
            budget.number(value)
        # Jinja hands templates str.format wrapped (3.1.5+): the string is the wrapped's.
        bound_to = getattr(inspect.unwrap(__obj), "__self__", None)
        if isinstance(bound_to, str):  # str.format and friends: widths live in the string
            budget.format_string(bound_to)
        return budget.result(SandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs))

    def getattr(self, obj, attribute):
        _budget().step()
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        _budget().step()
        return super().getitem(obj, argument)

    def render(self, template_source: str, limits: Limits, **variables) -> str:
        """The template rendered within ``limits`` (LimitExceeded past them; any other
        exception the template raises is the caller's to report)."""
        token = _BUDGET.set(_Budget(limits))
        try:
            budget, pieces, length = _BUDGET.get(), [], 0
            for piece in self._compiled(template_source).generate(**variables):
                budget.step()
                length += len(piece)
                budget.size(length)
                pieces.append(piece)
            return "".join(pieces)
        except RecursionError:
            raise LimitExceeded("the template recursed too deeply") from None
        finally:
            _BUDGET.reset(token)


def _bounded_filter(f):
    """A filter that counts as a step, refuses a huge numeric argument (center(10**9)) or
    result, and keeps Jinja's marker for what it is passed (context, environment)."""

    passed = 2 if hasattr(f, "jinja_pass_arg") else 1  # (context or environment,) value

    @functools.wraps(f)
    def bounded(*args, **kwargs):
        budget = _budget()
        budget.step()
        for value in (*args[passed:], *kwargs.values()):
            budget.number(value)
        if f.__name__ == "do_format" and isinstance(args[passed - 1], str):
            budget.format_string(args[passed - 1])
        return budget.result(f(*args, **kwargs))

    return bounded
