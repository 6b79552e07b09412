func.func @f(%a: memref<128x64xf32, #trn.mem<sbuf>>) {
  trn.memset -> %a : memref<128x64xf32, #trn.mem<sbuf>>
  return
}
