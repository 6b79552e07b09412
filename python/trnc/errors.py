"""Exceptions raised by the trnc Python API."""


class TrncError(Exception):
    """Base class of every error raised by trnc."""


class UnsupportedOperatorError(TrncError):
    """The model uses operators the importer cannot express in trnc's input contract.

    Raised by :func:`trnc.compile` (and :func:`trnc.importer.import_module`) after tracing and
    before any compilation work.  ``operators`` lists every offending occurrence as
    ``(operator, module_path, reason)`` tuples, in graph order; the message lists them all.
    """

    def __init__(self, operators):
        self.operators = list(operators)
        lines = [f"{len(self.operators)} unsupported operator occurrence(s):"]
        for op, path, reason in self.operators:
            lines.append(f"  {op} at {path or '<root>'}: {reason}")
        super().__init__("\n".join(lines))


class CompileError(TrncError):
    """The trnc compiler rejected the program; ``diagnostics`` holds its error text."""

    def __init__(self, diagnostics):
        self.diagnostics = diagnostics
        super().__init__(diagnostics)


class RuntimeError_(TrncError):
    """Loading or running a program failed (bad file, input mismatch, emulator check)."""


TrncRuntimeError = RuntimeError_
