//===- Passes.td - trnc compiler passes --------------------*- tablegen -*-===//
//
// Every trnc pass is declared here (a `trn-*` command-line name, summary,
// description, options, dependent dialects) and implemented in its own file
// under compiler/lib/Transforms/. `registerTrnPasses()` (Passes.h) registers
// all of them with trn-opt and trnc.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_TRANSFORMS_PASSES_TD
#define TRN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Stage 1-3: tensor-level front (frontend)
//===----------------------------------------------------------------------===//

def TrnCheckEntryPass : Pass<"trn-check-entry", "ModuleOp"> {
  let summary = "Verify the trnc input contract (stage 1) and make the target explicit";
  let description = [{
    Checks that the module only contains `func.func` definitions on ranked,
    static tensors of f32/bf16 (i1 for select conditions; index/i32/i64
    scalars inside region bodies) built from the ops trnc supports: the
    linalg named ops trn-decompose handles, `linalg.generic`/`reduce`/
    `transpose`/`broadcast`/`fill`/`copy`, `tensor.{empty, pad (constant),
    extract_slice, insert_slice, collapse_shape, expand_shape, concat}`,
    `arith`, `math` and `func.return`. Calls, control flow (scf/cf/affine),
    memrefs, vectors and dynamic shapes are rejected. Every violation gets
    one diagnostic at the offending op; the pass fails after reporting all
    of them.

    A module without `trn.target` receives `#trn.target<"<default-target>">`.

    Example:
    ```mlir
    func.func @f(%x: tensor<?x4xf32>) -> index {
      %c0 = arith.constant 0 : index
      // error: 'tensor.dim' op is not supported by trnc: dynamic shapes are
      // not supported; inputs must be ranked static tensors of f32 or bf16
      %d = tensor.dim %x, %c0 : tensor<?x4xf32>
      return %d : index
    }
    ```
  }];
  let options = [
    Option<"defaultTarget", "default-target", "std::string", /*default=*/"\"trn2\"",
           "Target attached as trn.target when the module has none">,
  ];
  let dependentDialects = ["trn::TrnDialect"];
}

#endif // TRN_TRANSFORMS_PASSES_TD
