//===- Npy.h - NumPy .npy files and atomic file output -*- C++ -*-===//
//
// Reads and writes NumPy `.npy` files (format versions 1.0, 2.0 and 3.0) as
// HostTensors, and provides the atomic file writes every tool uses so that no
// failure leaves a partial output file behind (DESIGN.md section 8).
//
// dtype mapping (docs/cli.md "NumPy dtype mapping"):
//   '<f4' f32   '<f2' f16   '<i4' i32   '<u4' u32   '|i1' i8   '|u1' u8
// bf16, f8e4m3, f8e5m2, f4e2m1 and e8m0 have no NumPy dtype: such tensors
// cannot be serialized directly; tools convert them to/from f32 (trn-run).
// Only little-endian, C-order (fortran_order False), non-structured arrays
// are accepted. One-byte dtypes may be spelled with '|', '<' or '>'.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_RUNTIME_NPY_H
#define TRN_RUNTIME_NPY_H

#include "trn/runtime/Device.h"
#include "trn/runtime/ISA.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trnrt {

/// The canonical NumPy descr of `t` ("<f4", "|u1", ...), or nullopt for the
/// dtypes NumPy lacks (bf16, FP8, FP4, E8M0).
std::optional<std::string> npyDescr(DType t);
/// The DType for a NumPy descr, or nullopt if unsupported.
std::optional<DType> dtypeFromNpyDescr(const std::string &descr);

/// The header fields of a .npy file.
struct NpyHeader {
  unsigned majorVersion = 1, minorVersion = 0;
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
  size_t dataOffset = 0; // bytes from the start of the file to the payload
};

/// Parses and validates the header only (magic, version, dict syntax, keys).
Expected<NpyHeader> parseNpyHeader(const uint8_t *data, size_t size);

/// Parses a whole .npy image: the header must be valid, the dtype supported,
/// the array C-ordered and little-endian, and the payload exactly
/// numel * itemsize bytes (shorter = truncated, longer = trailing data).
Expected<HostTensor> parseNpy(const uint8_t *data, size_t size);

/// Reads a .npy file; errors are prefixed with the path.
Expected<HostTensor> readNpyFile(const std::string &path);

/// Serializes a tensor. `majorVersion` 0 picks the smallest version whose
/// header field fits (1.0 unless the header exceeds 65535 bytes, then 2.0);
/// 1, 2 or 3 force that version. Fails for dtypes without a NumPy dtype, for
/// negative dims, or if `data` does not hold exactly numel elements.
Expected<std::vector<uint8_t>> serializeNpy(const HostTensor &tensor, unsigned majorVersion = 0);

/// serializeNpy + writeFileAtomic.
std::optional<Error> writeNpyFile(const std::string &path, const HostTensor &tensor);

//===----------------------------------------------------------------------===//
// Atomic file output
//===----------------------------------------------------------------------===//

/// Writes `size` bytes to a temporary file next to `path`, then renames it
/// over `path`. On any failure the temporary is removed and `path` is left as
/// it was. Errors read "PATH: cannot write: REASON".
std::optional<Error> writeFileAtomic(const std::string &path, const void *data, size_t size);

/// A group of output files that appear together or not at all: `stage()`
/// writes each to a temporary next to its destination; `commit()` renames them
/// all into place (if a rename fails, the files already renamed by this commit
/// are removed). Staged files that were never committed are removed by
/// `discard()` or the destructor.
class StagedFiles {
public:
  StagedFiles() = default;
  StagedFiles(const StagedFiles &) = delete;
  StagedFiles &operator=(const StagedFiles &) = delete;
  ~StagedFiles();

  std::optional<Error> stage(const std::string &path, const void *data, size_t size);
  std::optional<Error> commit();
  void discard();
  size_t size() const { return entries_.size(); }

private:
  struct Entry {
    std::string path, temp;
  };
  std::vector<Entry> entries_;
};

} // namespace trnrt

#endif // TRN_RUNTIME_NPY_H
