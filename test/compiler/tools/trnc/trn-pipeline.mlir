// The registered pass pipeline (TrnPipeline) in trn-opt.
// RUN: trn-opt --trn-pipeline="device-only=true" %s | FileCheck %s
// RUN: trn-opt --trn-pipeline="device-only=true stop-after=allocate" %s | FileCheck %s --check-prefix=ALLOC
// RUN: not trn-opt --trn-pipeline="stop-after=nowhere" %s 2>&1 | FileCheck %s --check-prefix=STAGE
// RUN: not trn-opt --trn-pipeline="device-only=true stop-after=tile" %s 2>&1 | FileCheck %s --check-prefix=EARLY
// RUN: not trn-opt --trn-pipeline="device-only=true quant=mxfp4" %s 2>&1 | FileCheck %s --check-prefix=QUANT

// CHECK: trn.alloc() {offset = 0 : i64}
// CHECK: trn.memset 1.000000e+00 -> %{{.*}} {queue = "{{dve|pool}}"
// ALLOC: trn.alloc() {offset = 0 : i64}
// ALLOC-NOT: queue =
// STAGE: trn-pipeline: unknown stage 'nowhere'; stages: input, entry, decompose, layout, fuse-rows, tile, bufferize, place-memory, lower, unroll, allocate, schedule, program
// EARLY: trn-pipeline: stage 'tile' does not run: the input is already at device level
// QUANT: trn-pipeline: --quant=mxfp4: the input is already at device level; quantization applies to tensor-level inputs
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @f() {
    %a = trn.alloc() : memref<128x16xf32, #trn.mem<sbuf>>
    trn.memset 1.0 -> %a : memref<128x16xf32, #trn.mem<sbuf>>
    return
  }
}
