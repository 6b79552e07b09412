// RUN: trn-opt --trn-lower-to-trn %s --split-input-file -verify-diagnostics

#mL = affine_map<(m, n, k) -> (k, m)>
#mR = affine_map<(m, n, k) -> (k, n)>
#sL = affine_map<(m, n, k) -> (k floordiv 32, m)>
#sR = affine_map<(m, n, k) -> (k floordiv 32, n)>
#mO = affine_map<(m, n, k) -> (m, n)>
// A scaled MX contraction reaching the lowering for a target without the MX matmul.
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @mx(%l: memref<64x128xf8E4M3FN, #trn.mem<hbm>>, %r: memref<64x64xf8E4M3FN, #trn.mem<hbm>>,
                %ls: memref<2x128xf8E8M0FNU, #trn.mem<hbm>>, %rs: memref<2x64xf8E8M0FNU, #trn.mem<hbm>>,
                %y: memref<128x64xf32, #trn.mem<hbm>>) {
    // expected-error @+1 {{MX scaled contraction needs the MX matmul, which trn2 does not have}}
    linalg.generic {indexing_maps = [#mL, #mR, #sL, #sR, #mO], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%l, %r, %ls, %rs : memref<64x128xf8E4M3FN, #trn.mem<hbm>>, memref<64x64xf8E4M3FN, #trn.mem<hbm>>, memref<2x128xf8E8M0FNU, #trn.mem<hbm>>, memref<2x64xf8E8M0FNU, #trn.mem<hbm>>)
        outs(%y : memref<128x64xf32, #trn.mem<hbm>>) attrs = {trnc.mx_contraction} {
    ^bb0(%a: f8E4M3FN, %b: f8E4M3FN, %sa: f8E8M0FNU, %sb: f8E8M0FNU, %o: f32):
      %x = arith.scaling_extf %a, %sa : f8E4M3FN, f8E8M0FNU to f32
      %w = arith.scaling_extf %b, %sb : f8E4M3FN, f8E8M0FNU to f32
      %p = arith.mulf %x, %w : f32
      %s = arith.addf %o, %p : f32
      linalg.yield %s : f32
    }
    return
  }
}

// -----

#id = affine_map<(k, x) -> (k, x)>
#blk = affine_map<(k, x) -> (k floordiv 32, x)>
// The activation quantization needs trn.quantize_mx (trn3 VectorE).
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @quantize(%x: memref<64x8xf32, #trn.mem<hbm>>, %a: memref<2x8xf32, #trn.mem<hbm>>,
                      %q: memref<64x8xf8E4M3FN, #trn.mem<hbm>>, %s: memref<2x8xf8E8M0FNU, #trn.mem<hbm>>) {
    // expected-error @+1 {{MX quantization needs trn.quantize_mx, which trn2 does not have}}
    linalg.generic {indexing_maps = [#id, #blk, #id, #blk], iterator_types = ["parallel", "parallel"]}
        ins(%x, %a : memref<64x8xf32, #trn.mem<hbm>>, memref<2x8xf32, #trn.mem<hbm>>)
        outs(%q, %s : memref<64x8xf8E4M3FN, #trn.mem<hbm>>, memref<2x8xf8E8M0FNU, #trn.mem<hbm>>) attrs = {trnc.mx_quantize} {
    ^bb0(%in: f32, %am: f32, %oq: f8E4M3FN, %os: f8E8M0FNU):
      %sc = arith.truncf %am : f32 to f8E8M0FNU
      %c = arith.scaling_truncf %in, %sc : f32, f8E8M0FNU to f8E4M3FN
      linalg.yield %c, %sc : f8E4M3FN, f8E8M0FNU
    }
    return
  }
}
