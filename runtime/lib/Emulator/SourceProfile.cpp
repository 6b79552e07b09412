//===- SourceProfile.cpp - Modeled time grouped by source operation -------===//
//
// The compiler writes each instruction's provenance into Instruction::debug
// ("trn.matmul in layer2.0.conv1 at model.mlir:12:5"): the name location is
// the source model's module path, the file location the input line. Grouping
// a traced run by it answers "which layer costs the time" without opening a
// trace viewer.
//
//===----------------------------------------------------------------------===//
#include "trn/runtime/Device.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace trnrt {

std::string sourceOfDebug(const std::string &debug) {
  auto field = [&](const char *tag) -> std::string {
    size_t at = debug.find(tag);
    if (at == std::string::npos)
      return {};
    at += std::char_traits<char>::length(tag);
    return debug.substr(at, debug.find(' ', at) - at);
  };
  std::string name = field(" in ");
  if (!name.empty())
    return name;
  // A file location: the file's base name keeps table rows short.
  std::string at = field(" at ");
  size_t slash = at.rfind('/');
  return slash == std::string::npos ? at : at.substr(slash + 1);
}

std::vector<SourceCost> costBySource(const Program &program, const RunStats &stats) {
  std::map<std::string, SourceCost> bySource;
  for (const TraceEvent &ev : stats.trace) {
    const Queue *queue = nullptr;
    for (const Queue &q : program.queues)
      if (q.id == ev.queue)
        queue = &q;
    if (!queue || ev.index >= queue->instructions.size())
      continue;
    const Instruction &inst = queue->instructions[ev.index];
    std::string src = sourceOfDebug(inst.debug);
    SourceCost &c = bySource[src];
    c.source = src.empty() ? "(no location)" : src;
    c.instructions += 1;
    double ns = ev.endNs - ev.startNs;
    if (queueEngine(ev.queue) == Engine::DMA) {
      c.dmaNs += ns;
      if (const auto *dma = std::get_if<DmaCopy>(&inst.body))
        c.dmaBytes += dtypeBytes(dma->src.dtype, dma->src.numElements());
    } else {
      c.engineNs[queueName(ev.queue)] += ns;
    }
    c.firstNs = c.instructions == 1 ? ev.startNs : std::min(c.firstNs, ev.startNs);
    c.lastNs = std::max(c.lastNs, ev.endNs);
  }
  std::vector<SourceCost> out;
  for (auto &kv : bySource)
    out.push_back(std::move(kv.second));
  // Most expensive first: the larger of engine time and per-queue DMA time
  // (DMA time is summed over queues that run in parallel).
  size_t dmaQueues = 0;
  for (const Queue &q : program.queues)
    dmaQueues += queueEngine(q.id) == Engine::DMA;
  auto weight = [&](const SourceCost &c) {
    double engine = 0;
    for (const auto &e : c.engineNs)
      engine = std::max(engine, e.second);
    return std::max(engine, c.dmaNs / static_cast<double>(std::max<size_t>(1, dmaQueues)));
  };
  std::stable_sort(out.begin(), out.end(),
                   [&](const SourceCost &a, const SourceCost &b) { return weight(a) > weight(b); });
  return out;
}

std::string costBySourceTable(const Program &program, const RunStats &stats, size_t maxRows) {
  std::vector<SourceCost> costs = costBySource(program, stats);
  if (costs.empty())
    return {};
  auto us = [](double ns) { return fmt::format("{:.1f}", ns / 1000.0); };
  std::string out = "\n  busy time by source op (us; dma summed over its queues)\n";
  out += fmt::format("  {:<32}{:>8}{:>10}{:>10}{:>10}{:>10}{:>11}{:>11}\n", "source", "instrs", "pe",
                     "act", "dve", "pool", "dma", "dma MiB");
  size_t rows = std::min(maxRows, costs.size());
  for (size_t i = 0; i < rows; ++i) {
    const SourceCost &c = costs[i];
    auto eng = [&](const char *q) {
      auto it = c.engineNs.find(q);
      return us(it == c.engineNs.end() ? 0.0 : it->second);
    };
    std::string name = c.source.size() > 31 ? "..." + c.source.substr(c.source.size() - 28)
                                            : c.source;
    out += fmt::format("  {:<32}{:>8}{:>10}{:>10}{:>10}{:>10}{:>11}{:>11.2f}\n", name,
                       c.instructions, eng("pe"), eng("act"), eng("dve"), eng("pool"),
                       us(c.dmaNs), static_cast<double>(c.dmaBytes) / (1024.0 * 1024.0));
  }
  if (costs.size() > rows)
    out += fmt::format("  ... {} more sources\n", costs.size() - rows);
  return out;
}

} // namespace trnrt
