//===- trn-objdump.cpp - Print a .trnx program ----------------------------===//
//
//   trn-objdump [--no-verify] PROGRAM.trnx
//
// Prints the header (magic, format version, target, name), the I/O
// signature, the tensors, the memory plan, the semaphore count and every
// queue's instructions. The program is fully verified first; --no-verify
// still checks the file's structure but prints semantically invalid
// programs (for debugging the compiler). Errors: one "error: <file>: ..."
// line on stderr, exit status 1.
//
//===----------------------------------------------------------------------===//

#include "trn/runtime/Trnx.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace trnrt;

static int usage(FILE *out) {
  std::fputs("usage: trn-objdump [--no-verify] PROGRAM.trnx\n", out);
  return out == stdout ? 0 : 1;
}

int main(int argc, char **argv) {
  LoadOptions options;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h")
      return usage(stdout);
    if (a == "--no-verify") {
      options.verify = false;
    } else if (a.size() > 1 && a[0] == '-') {
      std::fprintf(stderr, "error: unknown option '%s'\n", a.c_str());
      return 1;
    } else if (path.empty()) {
      path = a;
    } else {
      std::fprintf(stderr, "error: more than one input file ('%s', '%s')\n", path.c_str(),
                   a.c_str());
      return 1;
    }
  }
  if (path.empty()) {
    std::fputs("error: no input file\n", stderr);
    return usage(stderr);
  }
  auto program = readProgramFile(path, options);
  if (!program) {
    // readProgramFile prefixes its messages with the path.
    std::fprintf(stderr, "error: %s\n", program.error().message.c_str());
    return 1;
  }
  // The load succeeded, so the header verified; print the stored version
  // (any version up to kTrnxFormatVersion loads).
  uint32_t version = kTrnxFormatVersion;
  {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    if (auto v = peekFormatVersion(bytes.data(), bytes.size()))
      version = *v;
  }
  std::printf("file: %s\n", path.c_str());
  std::printf("magic: %s\n", kTrnxMagic);
  std::printf("format version: %u\n", version);
  std::fputs(disassembleProgram(*program).c_str(), stdout);
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "error: %s: cannot write the listing: %s\n", path.c_str(),
                 std::strerror(errno));
    return 1;
  }
  return 0;
}
