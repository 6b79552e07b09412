func.func @too_wide(%st: memref<128x128xbf16, #trn.mem<sbuf>>, %mv: memref<128x640xbf16, #trn.mem<sbuf>>, %ps: memref<128x640xf32, #trn.mem<psum>>) {
  trn.matmul %st, %mv -> %ps : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x640xbf16, #trn.mem<sbuf>> -> memref<128x640xf32, #trn.mem<psum>>
  return
}
