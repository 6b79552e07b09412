//===- trnx-testgen.cpp - Write sample .trnx programs for tests -----------===//
//
//   trnx-testgen NAME OUT.trnx      (trnx-testgen --list prints the names)
//
// Test-only tool: the valid samples come from lib/Program/TestPrograms.h and
// are verified before writing; the "bad-*" samples break one verification
// rule on purpose (they are written unverified) so tools' error paths can be
// tested from lit without committing binary files.
//
//===----------------------------------------------------------------------===//

#include "../lib/Program/TestPrograms.h"
#include "trn/runtime/Trnx.h"

#include <cstdio>
#include <functional>
#include <map>
#include <string>

using namespace trnrt;

namespace {

struct Sample {
  bool valid;
  std::function<Program()> make;
};

Matmul &firstMatmul(Program &p) {
  for (Queue &q : p.queues)
    if (q.id == kQueuePE)
      return std::get<Matmul>(q.instructions.front().body);
  std::abort();
}

const std::map<std::string, Sample> &samples() {
  static const std::map<std::string, Sample> s = {
      {"gemm", {true, [] { return testprog::gemm("trn2"); }}},
      {"gemm-trn1", {true, [] { return testprog::gemm("trn1"); }}},
      {"gemm-trn3", {true, [] { return testprog::gemm("trn3"); }}},
      {"fp8-double-row", {true, [] { return testprog::fp8DoubleRow(); }}},
      {"every-instruction", {true, [] { return testprog::everyInstruction(); }}},
      // gemm with a 640-wide moving tile: exceeds one PSUM bank on trn2.
      {"bad-moving-free", {false, [] {
         Program p = testprog::gemm("trn2");
         firstMatmul(p).moving.sizes[0] = 640;
         return p;
       }}},
      // gemm waiting on a semaphore nobody signals often enough.
      {"bad-deadlock", {false, [] {
         Program p = testprog::gemm("trn2");
         p.queues.back().instructions.back().waits[0].value = 5;
         return p;
       }}},
  };
  return s;
}

} // namespace

int main(int argc, char **argv) {
  if (argc == 2 && std::string(argv[1]) == "--list") {
    for (const auto &[name, sample] : samples())
      std::printf("%s%s\n", name.c_str(), sample.valid ? "" : " (invalid)");
    return 0;
  }
  if (argc != 3) {
    std::fputs("usage: trnx-testgen NAME OUT.trnx | --list\n", stderr);
    return 1;
  }
  auto it = samples().find(argv[1]);
  if (it == samples().end()) {
    std::fprintf(stderr, "error: unknown sample '%s' (see --list)\n", argv[1]);
    return 1;
  }
  Program p = it->second.make();
  if (it->second.valid) {
    if (auto err = verifyProgram(p)) {
      std::fprintf(stderr, "error: sample '%s' does not verify: %s\n", argv[1],
                   err->message.c_str());
      return 1;
    }
  }
  if (auto err = writeProgramFile(p, argv[2])) {
    std::fprintf(stderr, "error: %s\n", err->message.c_str());
    return 1;
  }
  return 0;
}
