// libFuzzer: any bytes through the SubRip and WebVTT readers and writers (fake translator): a Status or a
// result, never a crash; a result must be valid UTF-8 and keep a timing line ("-->") for every cue.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "markup/fake_translator_testing.h"
#include "markup/formats.h"
#include "markup/subtitles.h"
#include "util/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  for (bool webvtt : {false, true}) {
    auto out = dolmetsch::markup::TranslateSubtitles(input, webvtt,
                                                     dolmetsch::markup::testing::ReversingTranslator());
    if (!out.ok()) continue;
    if (!dolmetsch::IsValidUtf8(*out)) std::abort();
    auto doc = dolmetsch::markup::SubtitleDocument::Parse(input, webvtt);
    if (!doc.ok()) std::abort();  // TranslateSubtitles accepted it
    std::size_t out_arrows = 0;
    for (std::size_t p = out->find("-->"); p != std::string::npos; p = out->find("-->", p + 1)) ++out_arrows;
    if (out_arrows < doc->cue_count()) std::abort();
  }
  return 0;
}
