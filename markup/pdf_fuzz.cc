// libFuzzer: any bytes as a PDF through the extraction (poppler-cpp) and the translation to text and
// Markdown (fake translator): a Status or a result, never a crash; a result must be valid UTF-8, and the
// text output must hold every extracted block's text.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "markup/fake_translator_testing.h"
#include "markup/formats.h"
#include "markup/pdf.h"
#include "util/utf8.h"

// fontconfig (which poppler asks for substitute fonts) keeps its process-wide configuration until exit;
// LeakSanitizer reports those 288 bytes at exit, once, not per input.
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dolmetsch::markup;
  const std::string input(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_pdf_pages = 50;  // keeps one input's time bounded; the limit itself is tested in pdf_test.cc
  auto blocks = ExtractPdfBlocks(input, limits);
  if (!blocks.ok()) return 0;
  const std::string text = RenderPdfBlocks(*blocks, PdfOutput::kText);
  for (const PdfBlock& b : *blocks) {
    if (b.text.empty() || text.find(b.text) == std::string::npos) std::abort();
  }
  DocumentTranslationOptions options;
  options.limits = limits;
  for (PdfOutput output : {PdfOutput::kText, PdfOutput::kMarkdown}) {
    options.pdf_output = output;
    auto out = TranslatePdf(input, output, testing::ReversingTranslator(), options);
    if (!out.ok()) continue;
    if (!dolmetsch::IsValidUtf8(*out)) std::abort();
  }
  return 0;
}
