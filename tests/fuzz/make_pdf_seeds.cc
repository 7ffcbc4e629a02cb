// Writes the pdf_fuzz seeds (tests/fuzz/pdf/) with the tests' PDF writer (markup/pdf_testing.h).
//   g++ -std=c++17 -I. tests/fuzz/make_pdf_seeds.cc -o /tmp/make_pdf_seeds && /tmp/make_pdf_seeds
//   tests/fuzz/pdf
#include <fstream>
#include <string>

#include "markup/pdf_testing.h"

using namespace dolmetsch::markup::testing;

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  auto write = [&](const std::string& name, const std::string& pdf) {
    std::ofstream(dir + "/" + name, std::ios::binary) << pdf;
  };
  PdfPage page;
  double y = 720;
  page.push_back({72, y, 20, "Ein kurzer Bericht"});
  y -= 40;
  AddParagraph(&page,
               {"Das ist der erste Absatz mit einer Überset-", "zung am Zeilenende und einer Nord-",
                "Süd-Verbindung. Siehe www.example.org."},
               &y);
  y -= 14;
  AddParagraph(&page, {"Der zweite Absatz beginnt hier", "und endet hier."}, &y, 11, 72, 13.5, 20);
  write("report.pdf", MakePdf({page}));

  std::vector<PdfPage> pages;
  for (int p = 1; p <= 3; ++p) {
    PdfPage pg;
    pg.push_back({72, 760, 9, "Jahresbericht"});
    double yy = 700;
    AddParagraph(
        &pg, {"Inhalt der Seite " + std::to_string(p) + ", der auf der", "nächsten Seite weitergeht"}, &yy);
    pg.push_back({300, 40, 9, "Seite " + std::to_string(p)});
    pages.push_back(pg);
  }
  write("pages.pdf", MakePdf(pages));

  PdfPage columns;
  y = 720;
  AddParagraph(&columns, {"Links steht die erste", "Spalte."}, &y, 11, 72);
  y = 720;
  AddParagraph(&columns, {"Rechts die zweite", "Spalte."}, &y, 11, 330);
  write("columns.pdf", MakePdf({columns}));
  write("encrypted.pdf", MakePdf({{{72, 700, 11, "Geheim."}}}, true));
  return 0;
}
