"""The public API: compile / compile_mlir / load and CompiledModule."""
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np

from .errors import CompileError, TrncError, TrncRuntimeError

TARGETS = ("trn1", "trn2", "trn3")


def _runtime():
    try:
        from . import _runtime as rt
    except ImportError as e:  # pragma: no cover - depends on the build
        raise TrncError("the trnc runtime extension (trnc._runtime) is not built: build the project "
                        "(bash scripts/build.sh) and use PYTHONPATH=build/python") from e
    return rt


def _compiler_binary():
    env = os.environ.get("TRNC_BIN")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    cand = os.path.normpath(os.path.join(here, "..", "..", "bin", "trnc"))
    if os.path.exists(cand):
        return cand
    return shutil.which("trnc")


def _compile_to_bytes(text: str, target: str, quant: str, quant_weights: str = "per-channel",
                      calibration=None, tiling: str = "auto") -> bytes:
    """MLIR text -> .trnx bytes with the in-process compiler (trnc._compiler), or the `trnc`
    driver binary when the extension was built without the compiler libraries.
    `calibration`: example inputs (numpy/torch, program input order) to calibrate FP8 activation
    scales on, or None."""
    if target not in TARGETS:
        raise CompileError(f"error: target={target!r}: unknown target; targets: {', '.join(TARGETS)}")
    with tempfile.TemporaryDirectory(prefix="trnc-") as d:
        calib = []
        if calibration is not None:
            for i, x in enumerate(calibration):
                path = os.path.join(d, f"calibration{i}.npy")
                np.save(path, np.ascontiguousarray(x.detach().cpu().numpy() if _is_torch(x)
                                                   else np.asarray(x), dtype=np.float32))
                calib.append(path)
            if not calib:
                raise CompileError("error: calibration needs at least one example input")
        return _compile_files(text, target, quant, quant_weights, calib, tiling, d)


def _compile_files(text, target, quant, quant_weights, calib, tiling, d):
    try:
        from . import _compiler
    except ImportError:
        _compiler = None
    if _compiler is not None:
        ok, payload = _compiler.compile(text, target, quant, "", quant_weights, calib, tiling)
        if not ok:
            raise CompileError(payload.rstrip("\n"))
        return payload
    exe = _compiler_binary()
    if not exe:
        raise TrncError("no trnc compiler available: neither trnc._compiler nor the trnc binary was found "
                        "(build the project, or set TRNC_BIN)")
    src, out = os.path.join(d, "input.mlir"), os.path.join(d, "out.trnx")
    with open(src, "w") as f:
        f.write(text)
    cmd = [exe, src, "-o", out, f"--target={target}", f"--quant={quant}",
           f"--quant-weights={quant_weights}", f"--trn-tiling={tiling}"]
    if calib:
        cmd.append("--calibrate=" + ",".join(calib))
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise CompileError(p.stderr.strip() or f"trnc exited with status {p.returncode}")
    with open(out, "rb") as f:
        return f.read()


def _is_torch(x):
    try:
        import torch
    except ImportError:  # pragma: no cover
        return False
    return isinstance(x, torch.Tensor)


class CompiledModule:
    """A compiled program plus what is needed to call it like the original module.

    ``cm(*inputs)`` runs the program on the emulator: torch tensors in -> torch tensors out,
    NumPy arrays in -> NumPy arrays out.  ``stats`` holds the statistics of the latest run.
    """

    def __init__(self, program, mlir=None, imported=None, target=None, quant="none"):
        self._program = program
        self._mlir = mlir
        self._imported = imported
        self.target = target or program.target
        self.quant = quant
        self.stats = None           # dict: stats of the latest run (statsToJson fields)
        self.stats_table = None     # the same as the readable table trn-run --stats prints
        self.quantization_report = None

    # -- introspection ---------------------------------------------------------------------------
    @property
    def inputs(self):
        """The program's inputs: list of {"name", "dtype", "shape"} in call order."""
        return self._program.inputs

    @property
    def outputs(self):
        return self._program.outputs

    def asm(self) -> str:
        """The program listing (trn-objdump format)."""
        return self._program.disassemble()

    def mlir(self):
        """The imported linalg MLIR (None for programs loaded from a .trnx file)."""
        return self._mlir

    def save(self, path) -> None:
        """Writes the .trnx program (atomically)."""
        try:
            self._program.save(os.fspath(path))
        except _runtime().Error as e:
            raise TrncRuntimeError(str(e)) from None

    def to_bytes(self) -> bytes:
        return self._program.to_bytes()

    # -- execution --------------------------------------------------------------------------------
    def __call__(self, *inputs):
        return self.run(*inputs)

    def run(self, *inputs, profile=None, check=False, by_source=False):
        """Runs on the emulator.  ``profile=path`` writes a Chrome trace-event JSON (Perfetto);
        ``check=True`` enables the race / uninitialised-read checker; ``by_source=True`` adds
        ``stats["by_source"]``: modeled busy time per source operation (the model's module
        paths, e.g. ``layer1.0.conv1``), most expensive first, also appended to ``stats_table``."""
        rt = _runtime()
        sig = self.inputs
        if len(inputs) != len(sig):
            raise TrncRuntimeError(f"the program takes {len(sig)} input(s), got {len(inputs)}")
        as_torch = any(_is_torch(x) for x in inputs)
        arrays = [self._to_numpy(x, s, i) for i, (x, s) in enumerate(zip(inputs, sig))]
        try:
            outs, stats_json, table, sources = self._program.run(
                arrays, os.fspath(profile) if profile else "", check, by_source=by_source)
        except rt.Error as e:
            raise TrncRuntimeError(str(e)) from None
        self.stats = json.loads(stats_json)
        if by_source:
            self.stats["by_source"] = sources
        self.stats_table = table
        return self._wrap_outputs(outs, as_torch)

    @staticmethod
    def _to_numpy(x, spec, index):
        if _is_torch(x):
            import torch
            t = x.detach().cpu()
            if t.dtype == torch.bfloat16:
                t = t.float()  # exact: the runtime converts f32 -> bf16 exactly for bf16 values
            x = t.numpy()
        x = np.asarray(x)
        dtype = spec["dtype"]
        if dtype in ("i32", "u32") and x.dtype.kind in "iu":
            info = np.iinfo(np.int32 if dtype == "i32" else np.uint32)
            if x.size and (x.min() < info.min or x.max() > info.max):
                raise TrncRuntimeError(f"input {index} ('{spec['name']}'): values out of {dtype} range")
            x = x.astype(np.int32 if dtype == "i32" else np.uint32)
        elif dtype not in ("i32", "u32", "i8", "u8") and x.dtype == np.float64:
            raise TrncRuntimeError(f"input {index} ('{spec['name']}'): float64 array; pass float32 "
                                   f"(the program expects {dtype})")
        return x

    def _wrap_outputs(self, outs, as_torch):
        specs = self._imported.outputs if self._imported is not None else None
        if as_torch:
            import torch
            res = []
            for i, o in enumerate(outs):
                t = torch.from_numpy(np.ascontiguousarray(o))
                if specs is not None and specs[i].dtype != t.dtype and specs[i].dtype.is_floating_point:
                    t = t.to(specs[i].dtype)  # bf16 outputs are bf16 values widened exactly
                res.append(t)
            outs = res
        if self._imported is not None and self._imported.output_tree is not None:
            from torch.utils import _pytree as pytree
            return pytree.tree_unflatten(list(outs), self._imported.output_tree)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def __repr__(self):
        ins = ", ".join(f"{s['name']}: {s['dtype']}{list(s['shape'])}" for s in self.inputs)
        outs = ", ".join(f"{s['dtype']}{list(s['shape'])}" for s in self.outputs)
        return f"<trnc.CompiledModule target={self.target} quant={self.quant} ({ins}) -> ({outs})>"


def compile_mlir(text: str, *, target: str = "trn2", quant: str = "none",
                 quant_weights: str = "per-channel", calibration=None,
                 tiling: str = "auto") -> CompiledModule:
    """Compiles linalg-on-tensors MLIR (docs/pipeline.md stage 1) to a program.

    quant_weights: "per-channel" (default) or "per-tensor" weight scales (quantized modes);
    calibration: example inputs (program input order) on which FP8 activation scales are
    calibrated at compile time instead of computed on the device (fp8-e4m3/fp8-e5m2 only);
    tiling: GEMM blocking, "auto" (cost model) or tile/naive/hoist/block-mn/block-mnk[:MxNxK]
    (docs/scheduling.md)."""
    data = _compile_to_bytes(text, target, quant, quant_weights, calibration, tiling)
    rt = _runtime()
    try:
        program = rt.Program.from_bytes(data)
    except rt.Error as e:
        raise CompileError(f"error: the compiled program failed verification: {e}") from None
    return CompiledModule(program, mlir=text, target=target, quant=quant)


def import_model(module, example_inputs):
    """Imports a torch.nn.Module to trnc's linalg input contract (no compilation):
    returns a trnc.importer.ImportedModule (``.mlir`` text, input/output specs)."""
    from .importer import import_module
    return import_module(module, example_inputs)


def compile(module, example_inputs, *, target: str = "trn2", quant: str = "none",
            quant_weights: str = "per-channel", calibrate=False,
            tiling: str = "auto") -> CompiledModule:
    """Traces ``module`` with ``example_inputs`` (make_fx at the ATen level), imports it to linalg
    and compiles it.  Raises UnsupportedOperatorError (before compiling) or CompileError.

    calibrate: False (FP8 activation scales computed on the device), True (calibrated at compile
    time on ``example_inputs``) or a tuple of inputs to calibrate on; quant_weights and tiling as
    in compile_mlir."""
    imported = import_model(module, example_inputs)
    calibration = None
    if calibrate is True:
        calibration = (example_inputs,) if _is_torch(example_inputs) else tuple(example_inputs)
    elif calibrate is not False and calibrate is not None:
        calibration = (calibrate,) if _is_torch(calibrate) else tuple(calibrate)
    cm = compile_mlir(imported.mlir, target=target, quant=quant, quant_weights=quant_weights,
                      calibration=calibration, tiling=tiling)
    cm._imported = imported
    if quant != "none":
        cm.quantization_report = _quantization_report(cm, module, example_inputs)
    return cm


def _quantization_report(cm, module, example_inputs):
    """Accuracy of the quantized program against PyTorch eager (f32) on the example inputs."""
    import torch
    from torch.utils import _pytree as pytree
    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    with torch.no_grad():
        ref = pytree.tree_flatten(module.eval()(*example_inputs))[0]
    got = pytree.tree_flatten(cm(*example_inputs))[0]
    report = {"mode": cm.quant, "outputs": []}
    for r, g in zip(ref, got):
        r, g = r.double(), g.double()
        err = (g - r)
        sig = float((r * r).sum())
        noise = float((err * err).sum())
        report["outputs"].append({
            "max_abs_error": float(err.abs().max()) if err.numel() else 0.0,
            "rel_l2_error": (noise / sig) ** 0.5 if sig > 0 else float(noise > 0),
            "sqnr_db": 10 * np.log10(sig / noise) if noise > 0 and sig > 0 else float("inf"),
        })
    return report


def load(path) -> CompiledModule:
    """Loads and fully verifies a .trnx program."""
    rt = _runtime()
    try:
        program = rt.Program.from_file(os.fspath(path))
    except rt.Error as e:
        raise TrncRuntimeError(str(e)) from None
    return CompiledModule(program)
