"""trnc: compile PyTorch models and linalg MLIR for Trainium-class accelerators and run them on
trnc's cycle-modelled CPU emulator.

    import torch, trnc
    cm = trnc.compile(model, (x,), target="trn2")   # import (torch.fx / make_fx) + compile
    y = cm(x)                                        # runs on the emulator, returns torch tensors
    print(cm.stats["total_cycles"]); cm.save("model.trnx")
    cm = trnc.load("model.trnx")

See docs/python.md.
"""
from ._api import CompiledModule, compile, compile_mlir, import_model, load
from .errors import CompileError, TrncError, TrncRuntimeError, UnsupportedOperatorError

__all__ = ["compile", "compile_mlir", "load", "import_model", "CompiledModule", "CompileError",
           "TrncError", "TrncRuntimeError", "UnsupportedOperatorError"]
