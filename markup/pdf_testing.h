// Writes small PDFs for the tests, the fuzz seeds and the benchmarks: pages of text lines placed at given
// positions in Helvetica (a standard font: no font file, poppler knows its metrics), WinAnsi-encoded so
// German letters work. Not a general PDF writer: text only, Latin-1 characters and • – „ “ only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dolmetsch::markup::testing {

struct PdfTextLine {
  double x = 72, y = 720;  // baseline start, PDF points from the bottom left
  double size = 11;
  std::string text;  // UTF-8; characters outside Latin-1 become '?'
};
using PdfPage = std::vector<PdfTextLine>;

// UTF-8 -> a PDF string literal's bytes in WinAnsi (Latin-1, and • – „ “), ( ) \ escaped.
inline std::string PdfLiteral(std::string_view utf8) {
  std::string out;
  for (std::size_t i = 0; i < utf8.size();) {
    unsigned c = static_cast<unsigned char>(utf8[i]);
    unsigned cp = c;
    std::size_t len = 1;
    if (c >= 0xC0 && c < 0xE0 && i + 1 < utf8.size()) {
      cp = ((c & 0x1F) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3F);
      len = 2;
    } else if (c >= 0xE0 && c < 0xF0 && i + 2 < utf8.size()) {
      cp = ((c & 0x0F) << 12) | ((static_cast<unsigned char>(utf8[i + 1]) & 0x3F) << 6) |
           (static_cast<unsigned char>(utf8[i + 2]) & 0x3F);
      len = 3;
    } else if (c >= 0xF0) {
      cp = '?';
      len = 4;
    }
    i += len;
    // WinAnsi places a few punctuation marks below 0xA0.
    if (cp == 0x2022) cp = 0x95;  // bullet
    if (cp == 0x2013) cp = 0x96;  // en dash
    if (cp == 0x201E) cp = 0x84;  // German opening quote
    if (cp == 0x201C) cp = 0x93;  // closing quote
    if (cp > 0xFF) cp = '?';
    if (cp == '(' || cp == ')' || cp == '\\') out += '\\';
    out += static_cast<char>(cp);
  }
  return out;
}

// A whole PDF: one page per entry of `pages` (US Letter). `encrypt`: adds a Standard security handler
// dictionary whose password is not empty, so a reader needs a password.
inline std::string MakePdf(const std::vector<PdfPage>& pages, bool encrypt = false) {
  std::vector<std::string> objects;  // object i+1
  const std::size_t n = pages.size();
  // 1: catalog, 2: pages, 3: font, then per page: page object, content stream.
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  std::string kids;
  for (std::size_t p = 0; p < n; ++p) kids += std::to_string(4 + 2 * p) + " 0 R ";
  objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(n) + " >>");
  objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
  for (std::size_t p = 0; p < n; ++p) {
    objects.push_back(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> "
        ">> /Contents " +
        std::to_string(5 + 2 * p) + " 0 R >>");
    std::string content;
    for (const PdfTextLine& line : pages[p]) {
      content += "BT /F1 " + std::to_string(line.size) + " Tf " + std::to_string(line.x) + " " +
                 std::to_string(line.y) + " Td (" + PdfLiteral(line.text) + ") Tj ET\n";
    }
    objects.push_back("<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content +
                      "endstream");
  }
  std::size_t encrypt_object = 0;
  if (encrypt) {
    objects.push_back("<< /Filter /Standard /V 1 /R 2 /O <" + std::string(64, 'A') + "> /U <" +
                      std::string(64, 'B') + "> /P -4 >>");
    encrypt_object = objects.size();
  }
  std::string pdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (std::size_t off : offsets) {
    std::string o = std::to_string(off);
    pdf += std::string(10 - o.size(), '0') + o + " 00000 n \n";
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R";
  if (encrypt) {
    pdf += " /Encrypt " + std::to_string(encrypt_object) + " 0 R /ID [<" + std::string(32, 'C') + "> <" +
           std::string(32, 'C') + ">]";
  }
  pdf += " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

// Lines of a paragraph set from the top down: `first_y` the first baseline, `leading` the line distance.
inline void AddParagraph(PdfPage* page, const std::vector<std::string>& lines, double* y, double size = 11,
                         double x = 72, double leading = 13.5, double first_indent = 0) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    page->push_back({x + (i == 0 ? first_indent : 0), *y, size, lines[i]});
    *y -= leading;
  }
}

}  // namespace dolmetsch::markup::testing
