// RunDocumentTranslation: `dolmetsch translate --model DIR --document [FILE]` in one call: load the model,
// read the whole text (FILE, or `in` when the path is empty or "-"), translate it with TranslateDocument,
// and write the translation to `out` window by window as it is produced.
//
// Errors: a missing or unreadable model folder or input file, invalid options, or an engine failure come
// back as a Status naming the file or setting; nothing is written to `out` for a window that failed.
// With `progress`, lines "dolmetsch: N/M sentences" go to `err`. Thread-safety: one call per thread; the
// number of BLAS threads (`threads` > 0) is process-wide.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>

#include "engine/translator.h"
#include "text/document_translator.h"
#include "util/status.h"

namespace dolmetsch::text {

struct DocumentRunOptions {
  std::string model_dir;
  std::string input_path;           // "" or "-": read `in`
  engine::TranslateOptions search;  // beam size, max_new_tokens, forced_new_tokens (benchmarks)
  DocumentOptions document;
  std::size_t cache_entries = 10000;
  bool progress = false;
  int threads = 0;  // BLAS threads, 0: library default
};

StatusOr<DocumentStats> RunDocumentTranslation(const DocumentRunOptions& options, std::istream& in,
                                               std::ostream& out, std::ostream& err);

// The same with a model the caller has loaded (options.model_dir then only names it in cache keys).
StatusOr<DocumentStats> RunDocumentTranslation(const engine::Translator& translator,
                                               const DocumentRunOptions& options, std::istream& in,
                                               std::ostream& out, std::ostream& err);

}  // namespace dolmetsch::text
