// libFuzzer: any bytes through the HTML reader and writer (with a fake translator) must give a Status or
// a result, never a crash, a hang or unbounded memory; a result must be valid UTF-8.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "markup/fake_translator_testing.h"
#include "markup/formats.h"
#include "util/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  dolmetsch::markup::DocumentTranslationOptions options;
  options.limits.max_input_bytes = 1 << 20;
  auto out =
      dolmetsch::markup::TranslateHtml(input, dolmetsch::markup::testing::ReversingTranslator(), options);
  if (out.ok() && !dolmetsch::IsValidUtf8(*out)) std::abort();
  return 0;
}
