// Round trip of the trn3-only forms: MX matmul with E8M0 scales, BF16 PSUM
// output, moving free sizes beyond one PSUM bank, quantize_mx.
// RUN: trn-opt %s | trn-opt | FileCheck %s
// RUN: trn-opt %s --mlir-print-op-generic | trn-opt | FileCheck %s

module attributes {trn.target = #trn.target<"trn3">} {
// CHECK-LABEL: func.func @mx
func.func @mx() {
  %st = trn.alloc() : memref<128x4x128xf8E4M3FN, #trn.mem<sbuf>>
  %mv = trn.alloc() : memref<128x4x512xf4E2M1FN, #trn.mem<sbuf>>
  %ss = trn.alloc() : memref<4x4x128xf8E8M0FNU, #trn.mem<sbuf>>
  %ms = trn.alloc() : memref<4x4x512xf8E8M0FNU, #trn.mem<sbuf>>
  %ps = trn.alloc() : memref<128x512xf32, #trn.mem<psum>>
  // CHECK: trn.matmul %{{.*}}, %{{.*}} scales(%{{.*}}, %{{.*}} : memref<4x4x128xf8E8M0FNU, #trn.mem<sbuf>>, memref<4x4x512xf8E8M0FNU, #trn.mem<sbuf>>) -> %{{.*}} mode mx {accumulate} : memref<128x4x128xf8E4M3FN, #trn.mem<sbuf>>, memref<128x4x512xf4E2M1FN, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  trn.matmul %st, %mv scales(%ss, %ms : memref<4x4x128xf8E8M0FNU, #trn.mem<sbuf>>, memref<4x4x512xf8E8M0FNU, #trn.mem<sbuf>>) -> %ps mode mx {accumulate} : memref<128x4x128xf8E4M3FN, #trn.mem<sbuf>>, memref<128x4x512xf4E2M1FN, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>

  // v4: moving free up to 4096 fp32 / 8192 bf16 outputs.
  %a = trn.alloc() : memref<128x128xbf16, #trn.mem<sbuf>>
  %b = trn.alloc() : memref<128x4096xbf16, #trn.mem<sbuf>>
  %c = trn.alloc() : memref<128x4096xf32, #trn.mem<psum>>
  // CHECK: trn.matmul %{{.*}}, %{{.*}} -> %{{.*}} : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x4096xbf16, #trn.mem<sbuf>> -> memref<128x4096xf32, #trn.mem<psum>>
  trn.matmul %a, %b -> %c : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x4096xbf16, #trn.mem<sbuf>> -> memref<128x4096xf32, #trn.mem<psum>>
  %b2 = trn.alloc() : memref<128x8192xbf16, #trn.mem<sbuf>>
  %c2 = trn.alloc() : memref<128x8192xbf16, #trn.mem<psum>>
  // CHECK: trn.matmul %{{.*}}, %{{.*}} -> %{{.*}} : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x8192xbf16, #trn.mem<sbuf>> -> memref<128x8192xbf16, #trn.mem<psum>>
  trn.matmul %a, %b2 -> %c2 : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x8192xbf16, #trn.mem<sbuf>> -> memref<128x8192xbf16, #trn.mem<psum>>

  %x = trn.alloc() : memref<128x512xbf16, #trn.mem<sbuf>>
  %q = trn.alloc() : memref<128x512xf8E5M2, #trn.mem<sbuf>>
  %s = trn.alloc() : memref<4x512xf8E8M0FNU, #trn.mem<sbuf>>
  // CHECK: trn.quantize_mx %{{.*}} -> %{{.*}}, %{{.*}} {queue = "dve"} : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf8E5M2, #trn.mem<sbuf>>, memref<4x512xf8E8M0FNU, #trn.mem<sbuf>>
  trn.quantize_mx %x -> %q, %s {queue = "dve"} : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf8E5M2, #trn.mem<sbuf>>, memref<4x512xf8E8M0FNU, #trn.mem<sbuf>>
  return
}
}
