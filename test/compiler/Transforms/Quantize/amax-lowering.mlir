// The dynamic amax of trn-quantize (one linalg.reduce of max |x|) lowers to
// ONE read of x per row chunk: each loaded tile takes its absolute value on chip
// (ScalarE activation abs, in place) and VectorE reduces it with max; |x| never
// goes to HBM. invalid-amax-lowering.mlir: the bodies that are rejected.
// RUN: trn-opt --split-input-file --trn-lower-to-trn %s | FileCheck %s

// 300 rows: chunks of 128, 128, 44 rows; per chunk one load, abs, max-reduce.
// CHECK-LABEL: func.func @amax
// CHECK: %[[ACC:.*]] = trn.alloc() : memref<128x1xf32, #trn.mem<sbuf>>
// CHECK: trn.dma_copy %{{.*}} -> %[[T0:.*]] : memref<128x7xbf16, strided<[7, 1]>, #trn.mem<hbm>> -> memref<128x7xbf16, #trn.mem<sbuf>>
// CHECK-NEXT: trn.activation abs %[[T0]] -> %[[T0]]
// CHECK-NEXT: trn.tensor_reduce max %[[T0]] -> %[[ACC]] axes [0] : memref<128x7xbf16, #trn.mem<sbuf>>
// CHECK: trn.dma_copy %{{.*}} -> %[[T1:.*]] : memref<128x7xbf16
// CHECK-NEXT: trn.activation abs %[[T1]] -> %[[T1]]
// CHECK-NEXT: trn.tensor_reduce max %[[T1]]
// CHECK: trn.tensor_tensor max %[[ACC]]
// CHECK: trn.dma_copy %{{.*}} -> %[[T2:.*]] : memref<44x7xbf16
// CHECK-NEXT: trn.activation abs %[[T2]] -> %[[T2]]
// CHECK-NEXT: trn.tensor_reduce max %[[T2]]
// CHECK: trn.transpose %[[ACC]]
// The initial value (-inf, the identity of max) is not combined again.
// CHECK-NEXT: trn.tensor_reduce max
// CHECK-NEXT: trn.dma_copy
// CHECK-NOT: trn.activation
// CHECK-NOT: trn.dma_copy
// CHECK: return
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @amax(%x: memref<300x7xbf16, #trn.mem<hbm>>, %y: memref<bf16, #trn.mem<hbm>>) {
    %z = arith.constant 0xFF80 : bf16
    linalg.fill ins(%z : bf16) outs(%y : memref<bf16, #trn.mem<hbm>>)
    linalg.reduce ins(%x : memref<300x7xbf16, #trn.mem<hbm>>) outs(%y : memref<bf16, #trn.mem<hbm>>) dimensions = [0, 1]
      (%a: bf16, %acc: bf16) {
        %b = math.absf %a : bf16
        %s = arith.maximumf %acc, %b : bf16
        linalg.yield %s : bf16
      }
    return
  }
}

// -----

// Kept dims: per-row max |x| over the free dim (abs applied to the loaded tile).
// CHECK-LABEL: func.func @amax_rows
// CHECK: trn.dma_copy %arg0 -> %[[T:.*]] : memref<4x3x5xf32, #trn.mem<hbm>> -> memref<4x3x5xf32, #trn.mem<sbuf>>
// CHECK-NEXT: trn.activation abs %[[T]] -> %[[T]]
// CHECK-NEXT: trn.tensor_reduce max %[[T]] -> %{{.*}} axes [1]
// CHECK-NOT: trn.activation
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @amax_rows(%x: memref<4x3x5xf32, #trn.mem<hbm>>, %y: memref<4x3xf32, #trn.mem<hbm>>) {
    %z = arith.constant 0xFF800000 : f32
    linalg.fill ins(%z : f32) outs(%y : memref<4x3xf32, #trn.mem<hbm>>)
    linalg.reduce ins(%x : memref<4x3x5xf32, #trn.mem<hbm>>) outs(%y : memref<4x3xf32, #trn.mem<hbm>>) dimensions = [2]
      (%a: f32, %acc: f32) {
        %b = math.absf %a : f32
        %s = arith.maximumf %b, %acc : f32
        linalg.yield %s : f32
      }
    return
  }
}

// -----

// A long row is loaded in chunks of the DMA's full-rate size per partition (trn2: 4 KiB =
// 2048 bf16), each reduced as it arrives and combined in f32.
// CHECK-LABEL: func.func @amax_long
// CHECK: %[[ACC:.*]] = trn.alloc() : memref<4x1xf32, #trn.mem<sbuf>>
// CHECK: trn.dma_copy %{{.*}} -> %[[T0:.*]] : memref<4x2048xbf16, strided<[6144, 1]>, #trn.mem<hbm>> -> memref<4x2048xbf16, #trn.mem<sbuf>>
// CHECK-NEXT: trn.activation abs %[[T0]] -> %[[T0]]
// CHECK-NEXT: trn.tensor_reduce max %[[T0]] -> %[[ACC]] axes [0]
// CHECK: trn.dma_copy %{{.*}} -> %[[T1:.*]] : memref<4x2048xbf16, strided<[6144, 1], offset: 2048>, #trn.mem<hbm>> -> memref<4x2048xbf16, #trn.mem<sbuf>>
// CHECK-NEXT: trn.activation abs %[[T1]] -> %[[T1]]
// CHECK-NEXT: trn.tensor_reduce max %[[T1]] -> %[[P1:.*]] axes [0]
// CHECK-NEXT: trn.tensor_tensor max %[[ACC]], %[[P1]] -> %[[ACC]]
// CHECK: trn.dma_copy %{{.*}} -> %[[T2:.*]] : memref<4x2048xbf16, strided<[6144, 1], offset: 4096>, #trn.mem<hbm>> -> memref<4x2048xbf16, #trn.mem<sbuf>>
// CHECK-NEXT: trn.activation abs %[[T2]] -> %[[T2]]
// CHECK-NEXT: trn.tensor_reduce max %[[T2]]
// CHECK-NEXT: trn.tensor_tensor max %[[ACC]]
// CHECK-NOT: trn.activation
// CHECK: trn.transpose %[[ACC]]
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @amax_long(%x: memref<4x6144xbf16, #trn.mem<hbm>>, %y: memref<bf16, #trn.mem<hbm>>) {
    %z = arith.constant 0xFF80 : bf16
    linalg.fill ins(%z : bf16) outs(%y : memref<bf16, #trn.mem<hbm>>)
    linalg.reduce ins(%x : memref<4x6144xbf16, #trn.mem<hbm>>) outs(%y : memref<bf16, #trn.mem<hbm>>) dimensions = [0, 1]
      (%a: bf16, %acc: bf16) {
        %b = math.absf %a : bf16
        %s = arith.maximumf %b, %acc : bf16
        linalg.yield %s : bf16
      }
    return
  }
}
