// Office packages built in the test (office_testing.h), translated with the fake translators: structure
// kept, text changed, untouched entries byte-identical; hostile packages refused with a clear Status.
#include <gtest/gtest.h>
#include <zip.h>

#include <string>

#include "markup/fake_translator_testing.h"
#include "markup/formats.h"
#include "markup/office_testing.h"
#include "markup/xml_document.h"
#include "markup/zip_package.h"

namespace dolmetsch::markup {
namespace {

using testing::Docx;
using testing::Entries;
using testing::Epub;
using testing::Odf;
using testing::Pptx;
using testing::RawZip;
using testing::Shape;
using testing::UpperCaseTranslator;
using testing::Xhtml;
using testing::Zip;

std::string Entry(const std::string& package, const std::string& name) {
  auto p = ZipPackage::Open(package);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (!p.ok()) return {};
  auto data = (*p)->Read(name);
  EXPECT_TRUE(data.ok()) << name << ": " << data.status().ToString();
  return data.ok() ? *data : std::string();
}

// The compressed bytes of an entry as stored in the archive (to check raw copies).
std::string RawEntry(const std::string& package, const std::string& name) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(package.data(), package.size(), 0, &error);
  zip_t* za = zip_open_from_source(src, ZIP_RDONLY, &error);
  std::string out, method = "?";
  if (za) {
    zip_stat_t st;
    zip_stat_init(&st);
    zip_stat(za, name.c_str(), 0, &st);
    method = std::to_string(st.comp_method);
    zip_file_t* f = zip_fopen(za, name.c_str(), ZIP_FL_COMPRESSED);
    out.resize(st.comp_size);
    if (f) {
      zip_fread(f, out.data(), out.size());
      zip_fclose(f);
    }
    zip_close(za);
  } else {
    zip_source_free(src);
  }
  zip_error_fini(&error);
  return out + "|method=" + method;
}

std::vector<std::string> Names(const std::string& package) {
  std::vector<std::string> names;
  auto p = ZipPackage::Open(package);
  if (p.ok())
    for (const auto& e : (*p)->entries()) names.push_back(e.name);
  return names;
}

std::string Translate(const std::string& package, Format format, const TranslateFn& fn,
                      TranslateBlocksStats* stats = nullptr) {
  auto out = TranslatePackage(package, format, fn, {}, stats);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : std::string();
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Every entry of `out` except `changed` has the same compressed bytes as in `in`, in the same order.
void ExpectUntouchedEntriesRaw(const std::string& in, const std::string& out,
                               const std::vector<std::string>& changed) {
  EXPECT_EQ(Names(in), Names(out));
  for (const auto& name : Names(in)) {
    if (std::find(changed.begin(), changed.end(), name) != changed.end()) continue;
    EXPECT_EQ(RawEntry(in, name), RawEntry(out, name)) << name;
  }
}

const char* kP = "<w:p><w:pPr><w:pStyle w:val=\"Normal\"/></w:pPr>";

TEST(DocxTest, BoldWordMidSentenceIsOneSentenceAndStaysBold) {
  const std::string body = std::string(kP) +
                           "<w:r><w:t xml:space=\"preserve\">Das ist </w:t></w:r>"
                           "<w:r w:rsidR=\"00A1\"><w:rPr><w:b/></w:rPr><w:t>se</w:t></w:r>"
                           "<w:r w:rsidR=\"00B2\"><w:rPr><w:b/></w:rPr><w:t>hr</w:t></w:r>"
                           "<w:r><w:t xml:space=\"preserve\"> gut.</w:t></w:r></w:p>";
  const std::string in = Docx(body);
  UpperCaseTranslator upper;
  const std::string out = Translate(in, Format::kDocx, upper.fn());
  ASSERT_EQ(upper.seen, std::vector<std::string>{"Das ist sehr gut."});
  const std::string doc = Entry(out, "word/document.xml");
  EXPECT_TRUE(Contains(doc, "<w:pPr><w:pStyle w:val=\"Normal\"/></w:pPr>")) << doc;
  EXPECT_TRUE(Contains(doc, "<w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">SEHR</w:t></w:r>")) << doc;
  EXPECT_TRUE(Contains(doc, ">DAS IST </w:t>")) << doc;
  EXPECT_TRUE(Contains(doc, "> GUT.</w:t>")) << doc;
  EXPECT_FALSE(Contains(doc, "Das")) << doc;
  ExpectUntouchedEntriesRaw(in, out, {"word/document.xml"});

  // With an alignment that reverses the words, the bold follows its word.
  const std::string reversed =
      Entry(Translate(in, Format::kDocx, testing::ReversingTranslator()), "word/document.xml");
  EXPECT_TRUE(Contains(reversed, "<w:b/></w:rPr><w:t xml:space=\"preserve\">SEHR</w:t>")) << reversed;
  EXPECT_TRUE(Contains(reversed, ">GUT. </w:t>")) << reversed;
}

TEST(DocxTest, NestedFormattingHyperlinksAndTablesKeepTheirStructure) {
  const std::string body =
      std::string(kP) +
      "<w:r><w:t xml:space=\"preserve\">Lies die </w:t></w:r>"
      "<w:hyperlink r:id=\"rId9\" w:history=\"1\"><w:r><w:rPr><w:rStyle "
      "w:val=\"Hyperlink\"/><w:b/><w:i/></w:rPr>"
      "<w:t>wichtige Seite</w:t></w:r></w:hyperlink>"
      "<w:r><w:t xml:space=\"preserve\"> jetzt bitte.</w:t></w:r></w:p>"
      "<w:p><w:sdt><w:sdtPr><w:alias w:val=\"Titel\"/></w:sdtPr><w:sdtContent><w:r><w:t>Der Titel "
      "hier</w:t></w:r></w:sdtContent></w:sdt></w:p>"
      "<w:tbl><w:tblPr/><w:tr><w:tc><w:tcPr/><w:p><w:r><w:t>Erste Zelle</w:t></w:r></w:p></w:tc>"
      "<w:tc><w:p><w:r><w:t>Zweite Zelle</w:t></w:r></w:p></w:tc></w:tr></w:tbl>";
  const std::string out = Translate(Docx(body), Format::kDocx, UpperCaseTranslator().fn());
  const std::string doc = Entry(out, "word/document.xml");
  EXPECT_TRUE(
      Contains(doc,
               "<w:hyperlink r:id=\"rId9\" w:history=\"1\"><w:r><w:rPr><w:rStyle w:val=\"Hyperlink\"/>"
               "<w:b/><w:i/></w:rPr><w:t xml:space=\"preserve\">WICHTIGE SEITE</w:t></w:r></w:hyperlink>"))
      << doc;
  EXPECT_TRUE(Contains(doc,
                       "<w:tbl><w:tblPr/><w:tr><w:tc><w:tcPr/><w:p><w:r><w:t xml:space=\"preserve\">ERSTE "
                       "ZELLE</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t xml:space=\"preserve\">ZWEITE "
                       "ZELLE</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"))
      << doc;
  EXPECT_TRUE(Contains(doc,
                       "<w:p><w:sdt><w:sdtPr><w:alias w:val=\"Titel\"/></w:sdtPr><w:sdtContent><w:r><w:t "
                       "xml:space=\"preserve\">DER TITEL HIER</w:t></w:r></w:sdtContent></w:sdt></w:p>"))
      << doc;
  // No namespace was declared again on the rebuilt elements.
  EXPECT_EQ(doc.find("xmlns:w", doc.find("<w:body>")), std::string::npos) << doc;
}

TEST(DocxTest, HeadersFootersFootnotesEndnotesAndCommentsAreTranslated) {
  const std::string body =
      std::string(kP) +
      "<w:r><w:t>Der Text hat eine Fußnote.</w:t></w:r>"
      "<w:r><w:rPr><w:rStyle w:val=\"FootnoteReference\"/></w:rPr><w:footnoteReference "
      "w:id=\"1\"/></w:r><w:commentRangeStart w:id=\"0\"/><w:r><w:t xml:space=\"preserve\"> "
      "Hier ist mehr.</w:t></w:r><w:commentRangeEnd w:id=\"0\"/></w:p>";
  const std::string in = Docx(
      body,
      {{"header1", "<w:p><w:r><w:t>Kopfzeile des Berichts</w:t></w:r></w:p>"},
       {"footer1", "<w:p><w:r><w:t>Fußzeile des Berichts</w:t></w:r></w:p>"},
       {"footnotes",
        "<w:footnote w:type=\"separator\" w:id=\"-1\"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>"
        "<w:footnote w:id=\"1\"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space=\"preserve\"> Eine "
        "Anmerkung dazu.</w:t></w:r></w:p></w:footnote>"},
       {"endnotes", "<w:endnote w:id=\"1\"><w:p><w:r><w:t>Eine Endnote hier.</w:t></w:r></w:p></w:endnote>"},
       {"comments",
        "<w:comment w:id=\"0\" w:author=\"A\"><w:p><w:r><w:t>Bitte prüfen.</w:t></w:r></w:p></w:comment>"}});
  const std::string out = Translate(in, Format::kDocx, UpperCaseTranslator().fn());
  EXPECT_TRUE(Contains(Entry(out, "word/header1.xml"), ">KOPFZEILE DES BERICHTS</w:t>"));
  EXPECT_TRUE(Contains(Entry(out, "word/footer1.xml"), ">FUSSZEILE DES BERICHTS</w:t>") ||
              Contains(Entry(out, "word/footer1.xml"), ">FUßZEILE DES BERICHTS</w:t>"));
  const std::string notes = Entry(out, "word/footnotes.xml");
  EXPECT_TRUE(Contains(notes, "<w:r><w:separator/></w:r>")) << notes;
  EXPECT_TRUE(Contains(notes, "<w:r><w:footnoteRef/>")) << notes;
  EXPECT_TRUE(Contains(notes, "ANMERKUNG DAZU.</w:t>")) << notes;
  EXPECT_TRUE(Contains(Entry(out, "word/endnotes.xml"), "EINE ENDNOTE HIER.</w:t>"));
  const std::string comments = Entry(out, "word/comments.xml");
  EXPECT_TRUE(Contains(comments, "<w:comment w:id=\"0\" w:author=\"A\">")) << comments;
  EXPECT_TRUE(Contains(comments, "BITTE PR")) << comments;
  const std::string doc = Entry(out, "word/document.xml");
  EXPECT_TRUE(Contains(doc, "<w:footnoteReference w:id=\"1\"/>")) << doc;
  EXPECT_TRUE(Contains(doc, "<w:commentRangeStart w:id=\"0\"/>")) << doc;
  EXPECT_TRUE(Contains(doc, "<w:commentRangeEnd w:id=\"0\"/>")) << doc;
  EXPECT_TRUE(Contains(doc, "HIER IST MEHR.")) << doc;
  ExpectUntouchedEntriesRaw(in, out,
                            {"word/document.xml", "word/header1.xml", "word/footer1.xml",
                             "word/footnotes.xml", "word/endnotes.xml", "word/comments.xml"});
}

TEST(DocxTest, TextBoxesFieldsBookmarksTabsAndSpellMarks) {
  const std::string body =
      std::string(kP) +
      "<w:bookmarkStart w:id=\"0\" w:name=\"Anfang\"/><w:r><w:t xml:space=\"preserve\">Seite </w:t></w:r>"
      "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText xml:space=\"preserve\"> PAGE "
      "</w:instrText></w:r><w:r><w:fldChar w:fldCharType=\"separate\"/></w:r><w:r><w:t>3</w:t></w:r>"
      "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r><w:proofErr w:type=\"spellStart\"/><w:r><w:t "
      "xml:space=\"preserve\">"
      " vonn</w:t></w:r><w:proofErr w:type=\"spellEnd\"/><w:r><w:tab/><w:t>allen Seiten</w:t></w:r>"
      "<w:r><w:br/><w:t>neue Zeile.</w:t></w:r><w:bookmarkEnd w:id=\"0\"/></w:p>" +
      kP +
      "<w:r><w:t xml:space=\"preserve\">Vor dem Kasten </w:t></w:r><w:r><w:drawing><wp:anchor><a:graphic>"
      "<a:graphicData><wps:wsp><wps:txbx><w:txbxContent><w:p><w:r><w:t>Im Kasten steht "
      "Text.</w:t></w:r></w:p>"
      "</w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></w:r>"
      "<w:r><w:t xml:space=\"preserve\"> und danach.</w:t></w:r></w:p>";
  UpperCaseTranslator upper;
  const std::string doc = Entry(Translate(Docx(body), Format::kDocx, upper.fn()), "word/document.xml");
  EXPECT_NE(std::find(upper.seen.begin(), upper.seen.end(), "Seite 3 vonn allen Seiten neue Zeile."),
            upper.seen.end());
  EXPECT_NE(std::find(upper.seen.begin(), upper.seen.end(), "Im Kasten steht Text."), upper.seen.end());
  EXPECT_NE(std::find(upper.seen.begin(), upper.seen.end(), "Vor dem Kasten und danach."), upper.seen.end());
  // The field's code travels as one piece, begin before separate before end.
  const std::size_t begin = doc.find("w:fldCharType=\"begin\""), code = doc.find("> PAGE </w:instrText>"),
                    separate = doc.find("w:fldCharType=\"separate\""),
                    end = doc.find("w:fldCharType=\"end\"");
  ASSERT_NE(begin, std::string::npos) << doc;
  ASSERT_NE(code, std::string::npos) << doc;
  EXPECT_LT(begin, code);
  EXPECT_LT(code, separate);
  EXPECT_LT(separate, end);
  EXPECT_NE(end, std::string::npos);
  EXPECT_TRUE(Contains(doc, "<w:bookmarkStart w:id=\"0\" w:name=\"Anfang\"/>")) << doc;
  EXPECT_TRUE(Contains(doc, "<w:bookmarkEnd w:id=\"0\"/>")) << doc;
  EXPECT_FALSE(Contains(doc, "proofErr")) << doc;
  EXPECT_TRUE(Contains(doc, "<w:tab/>")) << doc;
  EXPECT_TRUE(Contains(doc, "<w:br/>")) << doc;
  EXPECT_TRUE(Contains(doc, "VONN")) << doc;
  // The text box stays inside a run of its paragraph, and its own paragraph is translated.
  EXPECT_TRUE(Contains(doc, "<w:r><w:t xml:space=\"preserve\">VOR DEM KASTEN </w:t><w:drawing><wp:anchor>"))
      << doc;
  EXPECT_TRUE(
      Contains(doc, "<w:txbxContent><w:p><w:r><w:t xml:space=\"preserve\">IM KASTEN STEHT TEXT.</w:t>"))
      << doc;
  EXPECT_TRUE(Contains(doc, "UND DANACH.")) << doc;
  EXPECT_FALSE(Contains(doc, "Kasten")) << doc;
}

TEST(PptxTest, SlidesAndNotesKeepRunsBreaksAndParagraphProperties) {
  const std::string slide = Shape(
      "<a:p><a:pPr algn=\"ctr\"/><a:r><a:rPr lang=\"de-DE\" dirty=\"0\"/><a:t>Das ist "
      "</a:t></a:r><a:r><a:rPr "
      "lang=\"de-DE\" b=\"1\" dirty=\"0\"/><a:t>sehr</a:t></a:r><a:r><a:rPr lang=\"de-DE\" dirty=\"0\" "
      "err=\"1\"/>"
      "<a:t> gut.</a:t></a:r><a:br><a:rPr lang=\"de-DE\"/></a:br><a:r><a:rPr lang=\"de-DE\"/><a:t>Zweite "
      "Zeile</a:t></a:r><a:fld id=\"{1}\" type=\"slidenum\"><a:rPr lang=\"de-DE\"/><a:t>1</a:t></a:fld>"
      "<a:endParaRPr lang=\"de-DE\" dirty=\"0\"/></a:p>");
  const std::string notes =
      Shape("<a:p><a:r><a:rPr lang=\"de-DE\"/><a:t>Notiz für den Vortrag.</a:t></a:r></a:p>");
  const std::string in = Pptx({slide, Shape("<a:p><a:r><a:t>Folie zwei</a:t></a:r></a:p>")}, {notes, ""});
  const std::string out = Translate(in, Format::kPptx, UpperCaseTranslator().fn());
  const std::string s1 = Entry(out, "ppt/slides/slide1.xml");
  EXPECT_TRUE(
      Contains(s1,
               "<a:p><a:pPr algn=\"ctr\"/><a:r><a:rPr lang=\"de-DE\" dirty=\"0\"/><a:t>DAS IST </a:t></a:r>"
               "<a:r><a:rPr lang=\"de-DE\" b=\"1\" dirty=\"0\"/><a:t>SEHR</a:t></a:r>"))
      << s1;
  EXPECT_TRUE(Contains(s1, "<a:br><a:rPr lang=\"de-DE\"/></a:br>")) << s1;
  EXPECT_TRUE(Contains(s1, "<a:t>ZWEITE ZEILE</a:t>")) << s1;
  EXPECT_TRUE(Contains(s1, "<a:fld id=\"{1}\" type=\"slidenum\"><a:rPr lang=\"de-DE\"/><a:t>1</a:t></a:fld>"))
      << s1;
  EXPECT_TRUE(Contains(s1, "<a:endParaRPr lang=\"de-DE\" dirty=\"0\"/></a:p>")) << s1;
  EXPECT_TRUE(Contains(Entry(out, "ppt/slides/slide2.xml"), "<a:t>FOLIE ZWEI</a:t>"));
  // Formatted runs the projection leaves without words still have their (empty) a:t.
  const std::string shorter = Entry(
      Translate(
          Pptx({Shape(
                   "<a:p><a:r><a:t>Eins zwei drei vier</a:t></a:r><a:r><a:rPr b=\"1\"/><a:t>fett</a:t></a:r>"
                   "<a:r><a:rPr i=\"1\"/><a:t>kursiv</a:t></a:r></a:p>")},
               {}),
          Format::kPptx,
          [](const std::vector<std::string>& s) -> StatusOr<std::vector<SentenceTranslation>> {
            return std::vector<SentenceTranslation>(s.size(), SentenceTranslation{"ONE", {}});
          }),
      "ppt/slides/slide1.xml");
  std::size_t runs = 0, runs_with_text = 0;
  for (std::size_t at = shorter.find("<a:r>"); at != std::string::npos; at = shorter.find("<a:r>", at + 1)) {
    ++runs;
    const std::string run = shorter.substr(at, shorter.find("</a:r>", at) - at);
    runs_with_text += Contains(run, "<a:t>") || Contains(run, "<a:t/>");
  }
  EXPECT_GE(runs, 2u) << shorter;
  EXPECT_EQ(runs, runs_with_text) << shorter;
  EXPECT_TRUE(Contains(shorter, "<a:t/>")) << shorter;
  EXPECT_TRUE(Contains(Entry(out, "ppt/notesSlides/notesSlide1.xml"), "<a:t>NOTIZ F"))
      << Entry(out, "ppt/notesSlides/notesSlide1.xml");
  ExpectUntouchedEntriesRaw(
      in, out, {"ppt/slides/slide1.xml", "ppt/slides/slide2.xml", "ppt/notesSlides/notesSlide1.xml"});
}

TEST(OdfTest, TextDocumentSpansLinksTablesNotesFramesAndHeaders) {
  const std::string body =
      "<text:h text:outline-level=\"1\">Die Überschrift</text:h>"
      "<text:p text:style-name=\"P1\">Das ist <text:span text:style-name=\"T1\">sehr <text:span "
      "text:style-name=\"T2\">gut</text:span></text:span> und <text:a xlink:type=\"simple\" "
      "xlink:href=\"https://example.org/\">hier verlinkt</text:a>.<text:s "
      "text:c=\"2\"/>Mit<text:tab/>Tab<text:line-break/>"
      "und Umbruch<text:note text:id=\"ftn1\" "
      "text:note-class=\"footnote\"><text:note-citation>1</text:note-citation>"
      "<text:note-body><text:p>Die Fußnote selbst.</text:p></text:note-body></text:note>.</text:p>"
      "<table:table table:name=\"T\"><table:table-row><table:table-cell><text:p>Erste "
      "Zelle</text:p></table:table-cell>"
      "</table:table-row></table:table>"
      "<text:p>Vor dem Rahmen <draw:frame draw:name=\"F\"><draw:text-box><text:p>Im Rahmen steht "
      "Text.</text:p>"
      "</draw:text-box></draw:frame>danach.</text:p><text:p>1.234,56</text:p>";
  const std::string in = Odf(false, body, "<style:header><text:p>Kopfzeile hier</text:p></style:header>");
  UpperCaseTranslator upper;
  const std::string out = Translate(in, Format::kOdt, upper.fn());
  const std::string content = Entry(out, "content.xml");
  EXPECT_TRUE(Contains(content, "<text:h text:outline-level=\"1\">DIE ÜBERSCHRIFT</text:h>") ||
              Contains(content,
                       "<text:h text:outline-level=\"1\">DIE \xc3\x9c"
                       "BERSCHRIFT</text:h>"))
      << content;
  EXPECT_TRUE(
      Contains(content,
               "<text:span text:style-name=\"T1\">SEHR <text:span text:style-name=\"T2\">GUT</text:span>"
               "</text:span>"))
      << content;
  // (The proportional fallback widens spans to whole words: the link takes the full stop glued to it.)
  EXPECT_TRUE(
      Contains(content, "<text:a xlink:type=\"simple\" xlink:href=\"https://example.org/\">HIER VERLINKT"))
      << content;
  EXPECT_TRUE(Contains(content, "<text:tab/>")) << content;
  EXPECT_TRUE(Contains(content, "<text:line-break/>")) << content;
  EXPECT_TRUE(Contains(content, "<text:note-body><text:p>DIE FU")) << content;
  EXPECT_TRUE(Contains(content, "<table:table-cell><text:p>ERSTE ZELLE</text:p>")) << content;
  EXPECT_TRUE(
      Contains(content, "<draw:frame draw:name=\"F\"><draw:text-box><text:p>IM RAHMEN STEHT TEXT.</text:p>"))
      << content;
  EXPECT_TRUE(Contains(content, "<text:p>1.234,56</text:p>")) << content;  // no letters: untouched
  EXPECT_TRUE(Contains(Entry(out, "styles.xml"), "<style:header><text:p>KOPFZEILE HIER</text:p>"));
  ExpectUntouchedEntriesRaw(in, out, {"content.xml", "styles.xml"});
  // mimetype stays first and stored.
  auto package = ZipPackage::Open(out);
  ASSERT_TRUE(package.ok());
  EXPECT_EQ((*package)->entries()[0].name, "mimetype");
  EXPECT_TRUE((*package)->entries()[0].stored);
}

TEST(OdfTest, PresentationFramesAndNotes) {
  const std::string body =
      "<draw:page draw:name=\"S1\"><draw:frame presentation:class=\"title\"><draw:text-box><text:p>Der "
      "<text:span text:style-name=\"T1\">erste</text:span> Titel</text:p></draw:text-box></draw:frame>"
      "<presentation:notes><draw:frame><draw:text-box><text:p>Sprechernotiz hier.</text:p></draw:text-box>"
      "</draw:frame></presentation:notes></draw:page>";
  const std::string in = Odf(true, body);
  const std::string out = Translate(in, Format::kOdp, UpperCaseTranslator().fn());
  const std::string content = Entry(out, "content.xml");
  EXPECT_TRUE(
      Contains(content, "<text:p>DER <text:span text:style-name=\"T1\">ERSTE</text:span> TITEL</text:p>"))
      << content;
  EXPECT_TRUE(Contains(content, "<text:p>SPRECHERNOTIZ HIER.</text:p>")) << content;
  ExpectUntouchedEntriesRaw(in, out, {"content.xml", "styles.xml"});
}

TEST(EpubTest, ChaptersThroughTheHtmlPathTitleAndNavigation) {
  const std::string in = Epub(
      "Die Verwandlung",
      {{"ch1.xhtml", Xhtml("<h1>Erstes Kapitel</h1>\n<p>Gregor wachte <b>eines Morgens</b> auf.<br/>Neue "
                           "Zeile.</p>")},
       {"ch2.xhtml", Xhtml("<p>Das <i>zweite</i> Kapitel <a href=\"ch1.xhtml\">verweist</a> zurück.</p>")}});
  const std::string out = Translate(in, Format::kEpub, UpperCaseTranslator().fn());
  const std::string ch1 = Entry(out, "OEBPS/ch1.xhtml");
  EXPECT_EQ(ch1.rfind("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE html>", 0), 0u) << ch1;
  EXPECT_TRUE(Contains(ch1, "<h1>ERSTES KAPITEL</h1>")) << ch1;
  EXPECT_TRUE(Contains(ch1, "GREGOR WACHTE <b>EINES MORGENS</b> AUF.<br/>NEUE ZEILE.")) << ch1;
  EXPECT_TRUE(Contains(ch1, "<title>KAPITEL</title>")) << ch1;
  EXPECT_TRUE(XmlDocument::Parse(ch1, "ch1").ok());
  const std::string ch2 = Entry(out, "OEBPS/ch2.xhtml");
  EXPECT_TRUE(Contains(ch2, "DAS <i>ZWEITE</i> KAPITEL <a href=\"ch1.xhtml\">VERWEIST</a> ZUR")) << ch2;
  const std::string opf = Entry(out, "OEBPS/content.opf");
  EXPECT_TRUE(Contains(opf, "<dc:title>DIE VERWANDLUNG</dc:title>")) << opf;
  EXPECT_TRUE(Contains(opf, "<dc:language>de</dc:language>")) << opf;
  EXPECT_TRUE(Contains(Entry(out, "OEBPS/toc.ncx"), "<text>KAPITEL 1 BEGINNT HIER</text>"));
  ExpectUntouchedEntriesRaw(in, out,
                            {"OEBPS/ch1.xhtml", "OEBPS/ch2.xhtml", "OEBPS/content.opf", "OEBPS/toc.ncx"});
}

TEST(EpubTest, SelfClosingNonVoidElementsKeepTheirMeaning) {
  const std::string in =
      Epub("Titel",
           {{"ch1.xhtml", Xhtml("<p><a id=\"x\"/>Ein Satz hier.</p><div/><p>Noch <span/>einer.<br/></p>")}});
  auto out = TranslatePackage(in, Format::kEpub, UpperCaseTranslator().fn());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const std::string ch1 = Entry(*out, "OEBPS/ch1.xhtml");
  EXPECT_TRUE(XmlDocument::Parse(ch1, "ch1").ok()) << ch1;
  EXPECT_TRUE(Contains(ch1, "<p><a id=\"x\"></a>EIN SATZ HIER.</p><div></div>")) << ch1;
  EXPECT_TRUE(Contains(ch1, "NOCH <span></span>EINER.<br/></p>")) << ch1;
}

TEST(PackageDetectionTest, ExtensionAndContent) {
  EXPECT_EQ(*DetectFormat("a.docx", ""), Format::kDocx);
  EXPECT_EQ(*DetectFormat("a.EPUB", ""), Format::kEpub);
  EXPECT_EQ(*DetectFormat("upload.bin", Docx("")), Format::kDocx);
  EXPECT_EQ(*DetectFormat("upload", Pptx({Shape("")}, {})), Format::kPptx);
  EXPECT_EQ(*DetectFormat("upload", Odf(false, "")), Format::kOdt);
  EXPECT_EQ(*DetectFormat("upload", Odf(true, "")), Format::kOdp);
  EXPECT_EQ(*DetectFormat("upload", Epub("T", {})), Format::kEpub);
  EXPECT_EQ(DetectFormat("upload", Zip({{"a.txt", "x"}})).status().code(), Status::Code::kUnsupported);
  EXPECT_EQ(DetectFormat("a.doc", "").status().code(), Status::Code::kUnsupported);
  EXPECT_EQ(*ParseFormatName("odp"), Format::kOdp);
}

// --- hostile and malformed packages ---

Status Refusal(const std::string& package, Format format, const DocumentTranslationOptions& options = {}) {
  auto out = TranslatePackage(package, format, UpperCaseTranslator().fn(), options);
  return out.ok() ? Status::Ok() : out.status();
}

TEST(HostilePackageTest, ZipBombByRatio) {
  std::string zeros(8u << 20, '\0');
  const std::string in = Zip({{"[Content_Types].xml", "<Types/>"}, {"word/bomb.bin", zeros}});
  const Status s = Refusal(in, Format::kDocx);
  EXPECT_EQ(s.code(), Status::Code::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("word/bomb.bin"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("ratio of 100"), std::string::npos) << s.message();
}

TEST(HostilePackageTest, ZipBombByTotalSize) {
  std::string noise(600 << 10, 'x');
  for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>('a' + (i * 7919 % 26));
  DocumentTranslationOptions options;
  options.limits.zip.max_total_uncompressed = 1 << 20;
  const Status s = Refusal(Zip({{"a", noise}, {"b", noise}, {"c", noise}}), Format::kDocx, options);
  EXPECT_EQ(s.code(), Status::Code::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("unpack to more than 1048576 bytes (at entry \"b\")"), std::string::npos)
      << s.message();
}

TEST(HostilePackageTest, TooManyEntries) {
  Entries entries;
  for (int i = 0; i < 11; ++i) entries.emplace_back("e" + std::to_string(i), "x");
  DocumentTranslationOptions options;
  options.limits.zip.max_entries = 10;
  const Status s = Refusal(Zip(entries), Format::kOdt, options);
  EXPECT_EQ(s.code(), Status::Code::kResourceExhausted);
  EXPECT_NE(s.message().find("11 entries; the limit is 10"), std::string::npos) << s.message();
}

TEST(HostilePackageTest, EntryNamesOutsideThePackage) {
  for (const std::string name : {"../evil", "word/../../evil", "/etc/passwd", "C:/evil", "word\\..\\evil"}) {
    const Status s = Refusal(RawZip({{"[Content_Types].xml", "<Types/>"}, {name, "x"}}), Format::kDocx);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << name;
    EXPECT_NE(s.message().find("\"" + name + "\""), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("refused"), std::string::npos) << s.message();
  }
  ZipWriter writer;
  EXPECT_FALSE(writer.Add("../evil", "x").ok());
}

TEST(HostilePackageTest, ExternalEntitiesAndBillionLaughs) {
  const std::string xxe =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE w:document [<!ENTITY x SYSTEM "
      "\"file:///etc/passwd\">]><w:document " +
      std::string(testing::kWordNs) + "><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>";
  std::string laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE w:document [<!ENTITY l0 \"ha\">";
  for (int i = 1; i < 10; ++i)
    laughs += "<!ENTITY l" + std::to_string(i) + " \"" + std::string(10, '&') + "\">";
  for (int i = 1; i < 10; ++i) {
    std::string refs;
    for (int k = 0; k < 10; ++k) refs += "&l" + std::to_string(i - 1) + ";";
    const std::string decl = "<!ENTITY l" + std::to_string(i) + " \"" + std::string(10, '&') + "\">";
    laughs.replace(laughs.find(decl), decl.size(), "<!ENTITY l" + std::to_string(i) + " \"" + refs + "\">");
  }
  laughs += "]><w:document " + std::string(testing::kWordNs) +
            "><w:body><w:p><w:r><w:t>&l9;</w:t></w:r></w:p></w:body></w:document>";
  for (const std::string& xml : {xxe, laughs}) {
    std::string package = Docx("");
    auto p = ZipPackage::Open(package);
    ASSERT_TRUE(p.ok());
    ASSERT_TRUE((*p)->Replace("word/document.xml", xml).ok());
    package = *(*p)->Write();
    const Status s = Refusal(package, Format::kDocx);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find("word/document.xml: declares the entity"), std::string::npos) << s.message();
  }
}

TEST(HostilePackageTest, TruncatedNotAZipAndMissingParts) {
  const std::string docx = Docx(std::string(kP) + "<w:r><w:t>Ein Satz.</w:t></w:r></w:p>");
  Status s = Refusal(docx.substr(0, docx.size() / 2), Format::kDocx);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("not a readable zip package"), std::string::npos) << s.message();
  s = Refusal("Das ist kein Zip.", Format::kDocx);
  EXPECT_NE(s.message().find("not a readable zip package"), std::string::npos) << s.message();
  s = Refusal(Docx("", {}, /*with_document=*/false), Format::kDocx);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("no entry \"word/document.xml\""), std::string::npos) << s.message();
  s = Refusal(Zip({{"a.txt", "x"}}), Format::kPptx);
  EXPECT_NE(s.message().find("no [Content_Types].xml"), std::string::npos) << s.message();
  s = Refusal(Zip({{"mimetype", "application/vnd.oasis.opendocument.text"}}), Format::kOdt);
  EXPECT_NE(s.message().find("no content.xml"), std::string::npos) << s.message();
  s = Refusal(Zip({{"mimetype", "application/epub+zip"}}), Format::kEpub);
  EXPECT_NE(s.message().find("META-INF/container.xml"), std::string::npos) << s.message();
  // Malformed XML names the part and the line.
  auto p = ZipPackage::Open(docx);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->Replace("word/document.xml", "<?xml version=\"1.0\"?>\n<w:document>\n<a></b>").ok());
  s = Refusal(*(*p)->Write(), Format::kDocx);
  EXPECT_NE(s.message().find("word/document.xml: not well-formed XML (line 3"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace dolmetsch::markup
