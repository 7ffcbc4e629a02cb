// libFuzzer: office packages. The first byte picks the format (docx, pptx, odt, odp, epub); bit 7 of it
// picks the mode: the rest is a whole package (0), or the XML of the format's main part (1), which is
// wrapped into a valid package so the fuzzer reaches the paragraph engine without having to learn zip.
// Any input gives a Status or a package, never a crash; a package result must open again and its
// translated XML parts must be well-formed.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "markup/fake_translator_testing.h"
#include "markup/formats.h"
#include "markup/office_testing.h"
#include "markup/xml_document.h"
#include "markup/zip_package.h"

namespace {

using namespace dolmetsch::markup;

std::string Wrap(Format format, const std::string& xml) {
  switch (format) {
    case Format::kDocx: {
      std::string package = testing::Docx("");
      auto p = ZipPackage::Open(package);
      if (!p.ok() || !(*p)->Replace("word/document.xml", xml).ok()) return {};
      auto out = (*p)->Write();
      return out.ok() ? *out : std::string();
    }
    case Format::kPptx: {
      std::string package = testing::Pptx({""}, {""});
      auto p = ZipPackage::Open(package);
      if (!p.ok() || !(*p)->Replace("ppt/slides/slide1.xml", xml).ok()) return {};
      auto out = (*p)->Write();
      return out.ok() ? *out : std::string();
    }
    case Format::kOdt:
    case Format::kOdp: {
      std::string package = testing::Odf(format == Format::kOdp, "");
      auto p = ZipPackage::Open(package);
      if (!p.ok() || !(*p)->Replace("content.xml", xml).ok()) return {};
      auto out = (*p)->Write();
      return out.ok() ? *out : std::string();
    }
    default:
      return testing::Epub("Titel", {{"ch1.xhtml", xml}});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const Format kFormats[] = {Format::kDocx, Format::kPptx, Format::kOdt, Format::kOdp, Format::kEpub};
  const Format format = kFormats[(data[0] & 0x7f) % 5];
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string package = (data[0] & 0x80) ? Wrap(format, rest) : rest;
  DocumentTranslationOptions options;
  options.limits.max_input_bytes = 1u << 20;
  options.limits.zip.max_total_uncompressed = 8u << 20;
  options.limits.zip.max_entries = 64;
  options.limits.max_xml_bytes = 1u << 20;
  auto out = TranslatePackage(package, format, testing::ReversingTranslator(), options);
  if (!out.ok()) return 0;
  auto reopened = ZipPackage::Open(*out, options.limits.zip);
  auto before = ZipPackage::Open(package, options.limits.zip);
  if (!reopened.ok() || !before.ok()) std::abort();
  for (const auto& entry : (*reopened)->entries()) {
    const bool xml = entry.name.size() > 4 && (entry.name.substr(entry.name.size() - 4) == ".xml" ||
                                               entry.name.substr(entry.name.size() - 4) == ".opf");
    if (!xml) continue;
    // An entry that was readable must still be (an entry we do not translate is copied raw, so a damaged
    // one stays damaged), and a part that parsed before must still parse.
    auto original = (*before)->Read(entry.name);
    if (!original.ok()) continue;
    auto content = (*reopened)->Read(entry.name);
    if (!content.ok()) std::abort();
    if (XmlDocument::Parse(*original, entry.name).ok() && !XmlDocument::Parse(*content, entry.name).ok())
      std::abort();
  }
  return 0;
}
