// Shows a model fetch on a stream (stderr in the CLI): a progress bar redrawn in place when the stream
// is a terminal, plain lines otherwise (logs, CI, pipes: one line when a file starts and one when it ends).
//
// Contract: writes only to `out`; the bar is redrawn at most every 100 ms and always once at 100 %.
// Thread-safety: one fetch (one thread) per observer.
#pragma once

#include <memory>
#include <ostream>

#include "hub/model_fetcher.h"

namespace dolmetsch::hub {

std::unique_ptr<FetchObserver> MakeConsoleObserver(std::ostream& out, bool is_terminal);

// "1.4 kB", "300.0 MB" (decimal units, as the hub shows sizes).
std::string FormatBytes(uint64_t bytes);

}  // namespace dolmetsch::hub
