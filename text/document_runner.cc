#include "text/document_runner.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace dolmetsch::text {

namespace {

StatusOr<std::string> ReadInput(const DocumentRunOptions& options, std::istream& in) {
  std::string text;
  if (options.input_path.empty() || options.input_path == "-") {
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) return Status::IoError("reading standard input failed");
    return text;
  }
  std::ifstream file(options.input_path, std::ios::binary);
  if (!file) return Status::NotFound(options.input_path + ": cannot open the input file");
  std::ostringstream buffer;
  buffer << file.rdbuf();
  if (file.bad()) return Status::IoError(options.input_path + ": read error");
  return buffer.str();
}

}  // namespace

StatusOr<DocumentStats> RunDocumentTranslation(const engine::Translator& engine_translator,
                                               const DocumentRunOptions& options, std::istream& in,
                                               std::ostream& out, std::ostream& err) {
  DOLMETSCH_ASSIGN_OR_RETURN(const std::string text, ReadInput(options, in));
  if (options.threads > 0) engine::SetNumThreads(options.threads);
  EngineSentenceTranslator translator(&engine_translator, options.search, options.model_dir);
  TranslationCache cache(options.cache_entries);
  DocumentCallbacks callbacks;
  callbacks.on_output = [&out](std::string_view s) {
    out.write(s.data(), static_cast<std::streamsize>(s.size()));
  };
  std::size_t last_reported = static_cast<std::size_t>(-1);
  if (options.progress) {
    callbacks.on_progress = [&err, &last_reported](const DocumentProgress& p) {
      if (p.sentences_done == last_reported) return;
      last_reported = p.sentences_done;
      err << "dolmetsch: " << p.sentences_done << "/" << p.sentences_total << " sentences\n";
    };
  }
  StatusOr<DocumentStats> stats =
      TranslateDocument(text, translator, options.document, &cache, callbacks, nullptr);
  out.flush();
  if (stats.ok() && !out) return Status::IoError("writing the translation failed");
  return stats;
}

StatusOr<DocumentStats> RunDocumentTranslation(const DocumentRunOptions& options, std::istream& in,
                                               std::ostream& out, std::ostream& err) {
  if (options.model_dir.empty()) return Status::InvalidArgument("--model: no model folder given");
  // Read the input first: a missing file is reported without loading a model.
  DOLMETSCH_ASSIGN_OR_RETURN(const std::string text, ReadInput(options, in));
  StatusOr<std::unique_ptr<engine::Translator>> loaded = engine::Translator::Load(options.model_dir);
  if (!loaded.ok()) return loaded.status().WithContext("loading the model from " + options.model_dir);
  std::istringstream text_stream(text);
  DocumentRunOptions from_text = options;
  from_text.input_path.clear();
  return RunDocumentTranslation(**loaded, from_text, text_stream, out, err);
}

}  // namespace dolmetsch::text
