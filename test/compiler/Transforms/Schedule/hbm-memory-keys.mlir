// RUN: trn-opt --trn-schedule %s | FileCheck %s

// Regression: HBM tensor 0 (here the scratch buffer, the first HBM tensor an
// instruction touches) and PSUM must be different memories for the
// dependency analysis. A dense PSUM write covering the same partition/byte
// box as the scratch write must not retire that write: the load of the
// scratch buffer still waits for the store into it (read-after-write).

// CHECK-LABEL: func.func @scratch_then_psum
// CHECK: trn.dma_copy %[[A:.*]] -> %[[S:alloc]] {queue = "[[Q:dma[0-9]+]]", sync = #trn.sync<{{.*}}signal = {{\[}}[[SEM:s[0-9]+]]]>}
// CHECK: trn.dma_copy %[[S]] -> %{{.*}} {queue = "{{dma[0-9]+}}", sync = #trn.sync<wait = [{{.*}}[[SEM]] : 1{{.*}}]
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @scratch_then_psum(%y: memref<1x8xf32, #trn.mem<hbm>>) {
    %s = memref.alloc() : memref<1x8xf32, #trn.mem<hbm>>
    %a = trn.alloc() {offset = 0 : i64} : memref<1x8xf32, #trn.mem<sbuf>>
    trn.memset 1.0 -> %a : memref<1x8xf32, #trn.mem<sbuf>>
    trn.dma_copy %a -> %s : memref<1x8xf32, #trn.mem<sbuf>> -> memref<1x8xf32, #trn.mem<hbm>>
    %p = trn.alloc() {offset = 0 : i64} : memref<1x8xf32, #trn.mem<psum>>
    trn.tensor_copy %a -> %p : memref<1x8xf32, #trn.mem<sbuf>> -> memref<1x8xf32, #trn.mem<psum>>
    %b = trn.alloc() {offset = 64 : i64} : memref<1x8xf32, #trn.mem<sbuf>>
    trn.dma_copy %s -> %b : memref<1x8xf32, #trn.mem<hbm>> -> memref<1x8xf32, #trn.mem<sbuf>>
    %c = trn.alloc() {offset = 128 : i64} : memref<1x8xf32, #trn.mem<sbuf>>
    trn.tensor_tensor add %b, %p -> %c : memref<1x8xf32, #trn.mem<sbuf>>, memref<1x8xf32, #trn.mem<psum>> -> memref<1x8xf32, #trn.mem<sbuf>>
    trn.dma_copy %c -> %y : memref<1x8xf32, #trn.mem<sbuf>> -> memref<1x8xf32, #trn.mem<hbm>>
    return
  }
}
