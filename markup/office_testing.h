// Builders of small office packages for the tests (and the fuzz seeds): the XML given, wrapped in the
// entries a reader needs. Also a raw zip builder that skips the name checks, for hostile packages.
#pragma once

#include <zip.h>

#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "markup/zip_package.h"

namespace dolmetsch::markup::testing {

using Entries = std::vector<std::pair<std::string, std::string>>;

// Through ZipWriter: `stored_first` stores the first entry (ODF/EPUB mimetype).
inline std::string Zip(const Entries& entries, bool stored_first = false) {
  ZipWriter writer;
  bool first = true;
  for (const auto& [name, data] : entries) {
    if (!writer.Add(name, data, stored_first && first).ok()) return {};
    first = false;
  }
  auto out = writer.Finish();
  return out.ok() ? *out : std::string();
}

// Directly through libzip, any names (hostile packages).
inline std::string RawZip(const Entries& entries) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_source_keep(src);
  zip_t* za = zip_open_from_source(src, ZIP_TRUNCATE, &error);
  std::deque<std::string> keep;
  for (const auto& [name, data] : entries) {
    keep.push_back(data);
    zip_source_t* s = zip_source_buffer(za, keep.back().data(), keep.back().size(), 0);
    if (zip_file_add(za, name.c_str(), s, ZIP_FL_ENC_UTF_8) < 0) zip_source_free(s);
  }
  zip_close(za);
  zip_stat_t st;
  zip_source_stat(src, &st);
  std::string out(st.size, '\0');
  zip_source_open(src);
  zip_source_read(src, out.data(), out.size());
  zip_source_close(src);
  zip_source_free(src);
  zip_error_fini(&error);
  return out;
}

inline const char* kWordNs =
    "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" "
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" "
    "xmlns:wps=\"http://schemas.microsoft.com/office/word/2010/wordprocessingShape\" "
    "xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" "
    "xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\"";

// A .docx: `body` inside w:body; `parts` are extra word/ parts: name (e.g. "header1") -> inner XML of
// its root (w:hdr, w:ftr, w:footnotes, w:comments ...), typed by the name's prefix.
inline std::string Docx(const std::string& body, const std::map<std::string, std::string>& parts = {},
                        bool with_document = true) {
  std::string types =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types "
      "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
      "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
      "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
      "<Override PartName=\"/word/document.xml\" "
      "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
      "<Override PartName=\"/word/styles.xml\" "
      "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>";
  Entries entries;
  const std::map<std::string, std::pair<std::string, std::string>> kinds = {
      {"header", {"hdr", "header"}},
      {"footer", {"ftr", "footer"}},
      {"footnotes", {"footnotes", "footnotes"}},
      {"endnotes", {"endnotes", "endnotes"}},
      {"comments", {"comments", "comments"}}};
  for (const auto& [name, inner] : parts) {
    for (const auto& [prefix, kind] : kinds) {
      if (name.rfind(prefix, 0) != 0) continue;
      types += "<Override PartName=\"/word/" + name +
               ".xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml." +
               kind.second + "+xml\"/>";
      entries.emplace_back("word/" + name + ".xml",
                           "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:" + kind.first +
                               " " + kWordNs + ">" + inner + "</w:" + kind.first + ">");
    }
  }
  types += "</Types>";
  entries.insert(entries.begin(), {"[Content_Types].xml", types});
  entries.insert(
      entries.begin() + 1,
      {"_rels/.rels",
       "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships "
       "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" "
       "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" "
       "Target=\"word/document.xml\"/></Relationships>"});
  if (with_document)
    entries.emplace_back("word/document.xml",
                         "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document " +
                             std::string(kWordNs) + "><w:body>" + body + "<w:sectPr/></w:body></w:document>");
  entries.emplace_back("word/styles.xml",
                       "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:styles " +
                           std::string(kWordNs) +
                           "><w:style w:type=\"paragraph\" w:styleId=\"Normal\"/></w:styles>");
  return Zip(entries);
}

inline const char* kPresentationNs =
    "xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" "
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" "
    "xmlns:p=\"http://schemas.openxmlformats.org/presentationml/2006/main\"";

// A shape holding `paragraphs` (a:p elements).
inline std::string Shape(const std::string& paragraphs) {
  return "<p:sp><p:nvSpPr><p:cNvPr id=\"2\" name=\"Title 1\"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr><p:spPr/>"
         "<p:txBody><a:bodyPr/><a:lstStyle/>" +
         paragraphs + "</p:txBody></p:sp>";
}

// A .pptx with one slide per element of `slides` and notes (same count, "" for none); each is the content
// of p:spTree.
inline std::string Pptx(const std::vector<std::string>& slides, const std::vector<std::string>& notes) {
  std::string types =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types "
      "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
      "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
      "<Override PartName=\"/ppt/presentation.xml\" "
      "ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml\"/>";
  Entries entries;
  entries.emplace_back("ppt/presentation.xml",
                       "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<p:presentation " +
                           std::string(kPresentationNs) + "/>");
  for (std::size_t i = 0; i < slides.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    types +=
        "<Override PartName=\"/ppt/slides/slide" + n +
        ".xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.slide+xml\"/>";
    entries.emplace_back("ppt/slides/slide" + n + ".xml",
                         "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<p:sld " +
                             std::string(kPresentationNs) + "><p:cSld><p:spTree>" + slides[i] +
                             "</p:spTree></p:cSld></p:sld>");
    if (i < notes.size() && !notes[i].empty()) {
      types +=
          "<Override PartName=\"/ppt/notesSlides/notesSlide" + n +
          ".xml\" "
          "ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.notesSlide+xml\"/>";
      entries.emplace_back("ppt/notesSlides/notesSlide" + n + ".xml",
                           "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<p:notes " +
                               std::string(kPresentationNs) + "><p:cSld><p:spTree>" + notes[i] +
                               "</p:spTree></p:cSld></p:notes>");
    }
  }
  types += "</Types>";
  entries.insert(entries.begin(), {"[Content_Types].xml", types});
  entries.emplace_back("ppt/theme/theme1.xml", "<?xml version=\"1.0\"?>\n<a:theme " +
                                                   std::string(kPresentationNs) + " name=\"Office\"/>");
  return Zip(entries);
}

inline const char* kOdfNs =
    "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "
    "xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\" "
    "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" "
    "xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" "
    "xmlns:draw=\"urn:oasis:names:tc:opendocument:xmlns:drawing:1.0\" "
    "xmlns:presentation=\"urn:oasis:names:tc:opendocument:xmlns:presentation:1.0\" "
    "xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" office:version=\"1.3\"";

// An .odt (`presentation` false) or .odp: `body` inside office:text / office:presentation, `master` inside
// the styles.xml master page (headers and footers).
inline std::string Odf(bool presentation, const std::string& body, const std::string& master = "") {
  const std::string kind = presentation ? "presentation" : "text";
  Entries entries;
  entries.emplace_back("mimetype", "application/vnd.oasis.opendocument." + kind);
  entries.emplace_back("META-INF/manifest.xml",
                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest:manifest "
                       "xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" "
                       "manifest:version=\"1.3\"><manifest:file-entry manifest:full-path=\"/\" "
                       "manifest:media-type=\"application/vnd.oasis.opendocument." +
                           kind + "\"/></manifest:manifest>");
  entries.emplace_back("content.xml",
                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content " +
                           std::string(kOdfNs) + "><office:body><office:" + kind + ">" + body +
                           "</office:" + kind + "></office:body></office:document-content>");
  entries.emplace_back("styles.xml",
                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-styles " +
                           std::string(kOdfNs) +
                           "><office:master-styles><style:master-page style:name=\"Standard\">" + master +
                           "</style:master-page></office:master-styles></office:document-styles>");
  entries.emplace_back("meta.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-meta " +
                                       std::string(kOdfNs) + "/>");
  return Zip(entries, /*stored_first=*/true);
}

// An .epub with `chapters` (file name -> XHTML), the OPF title `title`, an NCX with one label per chapter.
inline std::string Epub(const std::string& title,
                        const std::vector<std::pair<std::string, std::string>>& chapters) {
  Entries entries;
  entries.emplace_back("mimetype", "application/epub+zip");
  entries.emplace_back(
      "META-INF/container.xml",
      "<?xml version=\"1.0\"?>\n<container version=\"1.0\" "
      "xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\"><rootfiles><rootfile "
      "full-path=\"OEBPS/content.opf\" media-type=\"application/oebps-package+xml\"/></rootfiles>"
      "</container>");
  std::string manifest, spine, nav;
  int k = 0;
  for (const auto& [name, xhtml] : chapters) {
    const std::string id = "c" + std::to_string(++k);
    manifest += "<item id=\"" + id + "\" href=\"" + name + "\" media-type=\"application/xhtml+xml\"/>";
    spine += "<itemref idref=\"" + id + "\"/>";
    nav += "<navPoint id=\"n" + id + "\" playOrder=\"" + std::to_string(k) + "\"><navLabel><text>Kapitel " +
           std::to_string(k) + " beginnt hier</text></navLabel><content src=\"" + name + "\"/></navPoint>";
    entries.emplace_back("OEBPS/" + name, xhtml);
  }
  entries.emplace_back(
      "OEBPS/content.opf",
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<package xmlns=\"http://www.idpf.org/2007/opf\" "
      "version=\"3.0\" "
      "unique-identifier=\"id\"><metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:identifier "
      "id=\"id\">urn:uuid:1</dc:identifier><dc:title>" +
          title + "</dc:title><dc:language>de</dc:language></metadata><manifest>" + manifest +
          "<item id=\"ncx\" href=\"toc.ncx\" media-type=\"application/x-dtbncx+xml\"/><item id=\"css\" "
          "href=\"style.css\" media-type=\"text/css\"/></manifest><spine toc=\"ncx\">" +
          spine + "</spine></package>");
  entries.emplace_back(
      "OEBPS/toc.ncx",
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ncx xmlns=\"http://www.daisy.org/z3986/2005/ncx/\" "
      "version=\"2005-1\"><head/><docTitle><text>" +
          title + "</text></docTitle><navMap>" + nav + "</navMap></ncx>");
  entries.emplace_back("OEBPS/style.css", "p { margin: 0; }\n");
  return Zip(entries, /*stored_first=*/true);
}

inline std::string Xhtml(const std::string& body) {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE html>\n<html "
         "xmlns=\"http://www.w3.org/1999/xhtml\" "
         "xmlns:epub=\"http://www.idpf.org/2007/ops\">\n<head>\n<title>Kapitel</title>\n<link "
         "rel=\"stylesheet\" "
         "href=\"style.css\" type=\"text/css\"/>\n</head>\n<body>\n" +
         body + "\n</body>\n</html>\n";
}

}  // namespace dolmetsch::markup::testing
