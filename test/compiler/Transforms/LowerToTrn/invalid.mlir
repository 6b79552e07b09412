// RUN: trn-opt --trn-lower-to-trn -split-input-file -verify-diagnostics %s

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @unsupported_body(%x: memref<4x4xf32, #trn.mem<hbm>>, %y: memref<4x4xf32, #trn.mem<hbm>>) {
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<4x4xf32, #trn.mem<hbm>>) outs(%y : memref<4x4xf32, #trn.mem<hbm>>) {
    ^bb0(%a: f32, %o: f32):
      // expected-error @+1 {{'math.sin' op is not supported in an element-wise body by trnc; supported: arith add/sub/mul/div/maximumf/minimumf/negf/cmpf/select/extf/truncf/constant, math exp/log/tanh/erf/sqrt/rsqrt/absf}}
      %s = math.sin %a : f32
      linalg.yield %s : f32
    }
    return
  }
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @predicate(%x: memref<4x4xf32, #trn.mem<hbm>>, %y: memref<4x4xf32, #trn.mem<hbm>>) {
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<4x4xf32, #trn.mem<hbm>>) outs(%y : memref<4x4xf32, #trn.mem<hbm>>) {
    ^bb0(%a: f32, %o: f32):
      // expected-error @+1 {{comparison predicate ord is not supported by trnc (supported: eq, ne, lt, le, gt, ge)}}
      %c = arith.cmpf ord, %a, %a : f32
      %s = arith.select %c, %a, %o : f32
      linalg.yield %s : f32
    }
    return
  }
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @not_device_form(%a: memref<8x4xf32, #trn.mem<hbm>>, %b: memref<4x16xf32, #trn.mem<hbm>>, %c: memref<8x16xf32, #trn.mem<hbm>>) {
    // expected-error @+1 {{is a contraction that is not in device form (C[m,n] = sum_k L[k,m] R[k,n]); run trn-layout first}}
    linalg.matmul ins(%a, %b : memref<8x4xf32, #trn.mem<hbm>>, memref<4x16xf32, #trn.mem<hbm>>) outs(%c : memref<8x16xf32, #trn.mem<hbm>>)
    return
  }
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @reduce_body(%x: memref<4x4xf32, #trn.mem<hbm>>, %y: memref<4xf32, #trn.mem<hbm>>) {
    // expected-error @+1 {{reduction body must be a single arith addf/mulf/maximumf/minimumf of the element and the accumulator}}
    linalg.reduce ins(%x : memref<4x4xf32, #trn.mem<hbm>>) outs(%y : memref<4xf32, #trn.mem<hbm>>) dimensions = [1]
      (%a: f32, %acc: f32) {
        %s = arith.subf %a, %acc : f32
        linalg.yield %s : f32
      }
    return
  }
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @untiled(%x: memref<256x4xf32, #trn.mem<hbm>>, %y: memref<256x4xf32, #trn.mem<hbm>>) {
    // expected-error @+1 {{element-wise tile of 256 partitions x 4 elements exceeds the trn2 limits (128 partitions, 65536 elements per partition); run trn-tile first}}
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<256x4xf32, #trn.mem<hbm>>) outs(%y : memref<256x4xf32, #trn.mem<hbm>>) {
    ^bb0(%a: f32, %o: f32):
      linalg.yield %a : f32
    }
    return
  }
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @onchip_operand(%r: memref<4x16xf32, #trn.mem<hbm>>, %y: memref<8x16xf32, #trn.mem<hbm>>) {
    %t = trn.alloc() : memref<4x8xf32, #trn.mem<sbuf>>
    %v = memref.reinterpret_cast %t to offset: [0], sizes: [4, 8], strides: [8, 1] : memref<4x8xf32, #trn.mem<sbuf>> to memref<4x8xf32, strided<[8, 1]>, #trn.mem<sbuf>>
    // expected-error @+1 {{matmul operands computed on chip are not supported; the stationary and moving operands must be HBM tensors}}
    linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%v, %r : memref<4x8xf32, strided<[8, 1]>, #trn.mem<sbuf>>, memref<4x16xf32, #trn.mem<hbm>>) outs(%y : memref<8x16xf32, #trn.mem<hbm>>)
    return
  }
}
