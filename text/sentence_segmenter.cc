#include "text/sentence_segmenter.h"

#include <algorithm>
#include <string>
#include <unordered_set>

#include "text/unicode.h"

namespace dolmetsch::text {
namespace {

using WordSet = std::unordered_set<std::string_view>;

// ---------------------------------------------------------------------------------------------------------
// Word lists. Abbreviations are looked up in lower case without the final period; the other lists are
// matched exactly (case matters: they describe capitalised sentence starts).

// Abbreviations that do not end a sentence even before a capitalised word ("Dr. Meier", "kath. Schule").
const WordSet& NonFinalAbbreviations() {
  static const WordSet kSet = {
      "dr",    "prof",   "med",   "dent",   "vet",    "dipl",    "ing",      "phil",     "jur",        "rer",
      "nat",   "pol",    "oec",   "habil",  "hr",     "hrn",     "fr",       "frl",      "sr",         "jr",
      "st",    "sta",    "str",   "nr",     "abs",    "bzw",     "bspw",     "ca",       "ggf",        "ggfs",
      "gem",   "vgl",    "sog",   "lt",     "kath",   "ev",      "evang",    "röm",      "geb",        "gest",
      "verh",  "inkl",   "exkl",  "zzgl",   "abzgl",  "bzgl",    "hrsg",     "tel",      "mind",       "allg",
      "eigtl", "evtl",   "insb",  "insbes", "entspr", "einschl", "ausschl",  "urspr",    "bes",        "betr",
      "dt",    "engl",   "franz", "frz",    "lat",    "griech",  "ital",     "span",     "russ",       "jap",
      "ehem",  "gegr",   "gesch", "mtl",    "jährl",  "tägl",    "wöchentl", "näml",     "zus",        "zw",
      "vs",    "ggü",    "vorm",  "nachm",  "spez",   "wiss",    "zit",      "bd",       "bde",        "hg",
      "hgg",   "kap",    "abb",   "tab",    "anm",    "aufl",    "ausg",     "bearb",    "übers",      "verf",
      "erg",   "erw",    "fn",    "jg",     "jhg",    "lfd",     "ders",     "dgl",      "desgl",      "etw",
      "jmd",   "jmdm",   "jmdn",  "jmds",   "od",     "hl",      "sel",      "präs",     "vors",       "kapt",
      "hptm",  "pfr",    "co",    "mr",     "mrs",    "ms",      "zb",       "dh",       "ua",         "uvm",
      "ziff",  "lit",    "rn",    "rdnr",   "randnr", "pp",      "hs",       "anl",      "bzgl",       "sen",
      "jun",   "akad",   "apl",   "ao",     "univ",   "techn",   "wirtsch",  "staatl",   "priv",       "amtl",
      "gez",   "beil",   "anh",   "bsp",    "ebda",   "ibid",    "eig",      "ggs",      "sa",         "vllt",
      "zt",    "uu",     "ugs",   "landw",  "chem",   "phys",    "math",     "biol",     "geogr",      "hist",
      "theol", "philos", "psych", "kfm",    "kffr",   "masch",   "nördl",    "südl",     "westl",      "östl",
      "dtsch", "abt",    "fa",    "verw",   "vertr",  "reg",     "bez",      "gde",      "kr",         "bhf",
      "pl",    "pkt",    "wg",    "zHd",    "zhd",    "gr",      "kl",       "ev.-luth", "luth",       "ref",
      "quadr", "rd",     "bl",    "br",     "ges",    "stv",     "stellv",   "hauptstr", "bahnhofstr", "adj",
      "adv",   "subst",  "pers",  "sg",     "pl",     "nom",     "akk",      "dat",      "perf",       "präf",
      "suff",  "wz",     "ca",    "sp",     "spp",    "ssp",
  };
  return kSet;
}

// Abbreviations that close a list: they end a sentence before any capitalised word ("usw. Danach").
const WordSet& FinalAbbreviations() {
  static const WordSet kSet = {"usw", "etc", "usf", "ff", "f", "u.s.w", "u.s.f", "u.v.m", "uvm"};
  return kSet;
}

// Abbreviations that may end a sentence: they end one before a typical sentence start ("im 19. Jh. Dann"),
// not before other capitalised words ("u.a. Spanisch").
const WordSet& MaybeFinalAbbreviations() {
  static const WordSet kSet = {"jh",    "jhd", "jhdt", "jhs",   "chr",   "mio",  "mrd",  "tsd",  "min",
                               "std",   "sek", "ebd",  "inc",   "ltd",   "corp", "gmbh", "e.v",  "u.a",
                               "u.ä",   "o.ä", "jan",  "jän",   "feb",   "febr", "mär",  "mrz",  "apr",
                               "jun",   "jul", "aug",  "sep",   "sept",  "okt",  "nov",  "dez",  "v.chr",
                               "n.chr", "a.d", "m.e",  "u.dgl", "a.a.o", "aao",  "ggf",  "ggfs", "evtl"};
  return kSet;
}

// Abbreviations that are also ordinary words ("Art", "Fax"): abbreviations only before a number.
const WordSet& NumberAbbreviations() {
  static const WordSet kSet = {"art", "fax", "no", "fig", "pos", "vol", "seite", "nummer", "heft", "band"};
  return kSet;
}

// Capitalised words that typically start a sentence (articles, pronouns, conjunctions, adverbs).
const WordSet& SentenceStarters() {
  static const WordSet kSet = {
      "Der",
      "Die",
      "Das",
      "Den",
      "Dem",
      "Des",
      "Ein",
      "Eine",
      "Einer",
      "Eines",
      "Einem",
      "Einen",
      "Kein",
      "Keine",
      "Er",
      "Sie",
      "Es",
      "Wir",
      "Ihr",
      "Ich",
      "Du",
      "Man",
      "Dies",
      "Diese",
      "Dieser",
      "Dieses",
      "Diesem",
      "Diesen",
      "Jene",
      "Jener",
      "Jenes",
      "Mein",
      "Meine",
      "Dein",
      "Deine",
      "Sein",
      "Seine",
      "Ihre",
      "Unser",
      "Unsere",
      "Euer",
      "Eure",
      "Jetzt",
      "Dann",
      "Danach",
      "Dort",
      "Da",
      "Hier",
      "Heute",
      "Gestern",
      "Und",
      "Aber",
      "Oder",
      "Doch",
      "Denn",
      "Also",
      "So",
      "Auch",
      "Noch",
      "Nun",
      "Am",
      "Im",
      "Auf",
      "In",
      "An",
      "Bei",
      "Mit",
      "Von",
      "Vom",
      "Zum",
      "Zur",
      "Für",
      "Über",
      "Unter",
      "Vor",
      "Nach",
      "Seit",
      "Bis",
      "Als",
      "Wenn",
      "Wie",
      "Was",
      "Wer",
      "Wo",
      "Wann",
      "Warum",
      "Weshalb",
      "Wieso",
      "Weil",
      "Obwohl",
      "Damit",
      "Dabei",
      "Deshalb",
      "Daher",
      "Darum",
      "Trotzdem",
      "Zudem",
      "Außerdem",
      "Allerdings",
      "Jedoch",
      "Leider",
      "Vielleicht",
      "Natürlich",
      "Alle",
      "Viele",
      "Einige",
      "Manche",
      "Nicht",
      "Nur",
      "Ja",
      "Nein",
      "Bitte",
      "Danke",
      "Hallo",
      "Somit",
      "Dennoch",
      "Zunächst",
      "Anschließend",
      "Schließlich",
      "Insgesamt",
      "Gleichzeitig",
      "Zwar",
      "Sonst",
      "Später",
      "Damals",
      "Bald",
      "Immer",
      "Nie",
      "Niemand",
      "Jeder",
      "Jede",
      "Jedes",
      "Oft",
      "Manchmal",
      "Ob",
      "Dazu",
      "Davon",
      "Darauf",
      "Deswegen",
      "Erst",
      "Zuerst",
      "Dadurch",
      "Hingegen",
      "Inzwischen",
      "Mittlerweile",
      "Wahrscheinlich",
      "Eigentlich",
      "Plötzlich",
      "Endlich",
      "Welche",
      "Welcher",
      "Welches",
      "Dafür",
      "Dagegen",
      "Gegen",
      "Ohne",
      "Durch",
      "Während",
      "Wegen",
      "Trotz",
      "Statt",
      "Um",
      "Außer",
      "Sobald",
      "Solange",
      "Nachdem",
      "Bevor",
      "Falls",
      "Sowohl",
      "Weder",
      "Entweder",
      "The",
      "A",
      "It",
      "He",
      "She",
      "We",
      "They",
      "I",
      "This",
      "That",
      "There",
      "What",
  };
  return kSet;
}

// Words that follow an ordinal number ("im 19. Jahrhundert", "der 3. Platz").
const WordSet& OrdinalNouns() {
  static const WordSet kSet = {
      "Jahrhundert",
      "Jahrhunderts",
      "Jahrhunderte",
      "Jh",
      "Jhd",
      "Jhdt",
      "Jahrtausend",
      "Jahrtausends",
      "Jahrzehnt",
      "Jahrzehnts",
      "Mal",
      "Male",
      "Platz",
      "Klasse",
      "Kapitel",
      "Kapitels",
      "Auflage",
      "Stock",
      "Stockwerk",
      "Etage",
      "Liga",
      "Bundesliga",
      "Weltkrieg",
      "Weltkriegs",
      "Weltkrieges",
      "Lebensjahr",
      "Lebensjahres",
      "Lebensjahrs",
      "Geburtstag",
      "Geburtstages",
      "Jahrestag",
      "Quartal",
      "Quartals",
      "Semester",
      "Runde",
      "Spieltag",
      "Tag",
      "Tages",
      "Woche",
      "Monat",
      "Monats",
      "Jahr",
      "Jahres",
      "Band",
      "Bandes",
      "Teil",
      "Teils",
      "Akt",
      "Aufzug",
      "Szene",
      "Reich",
      "Reichs",
      "Reiches",
      "Armee",
      "Division",
      "Korps",
      "Geschwader",
      "Geschwaders",
      "Regiment",
      "Regiments",
      "Symphonie",
      "Sinfonie",
      "Satz",
      "Strophe",
      "Vers",
      "Absatz",
      "Abschnitt",
      "Abschnitts",
      "Artikel",
      "Buch",
      "Buches",
      "Kongress",
      "Parteitag",
      "Sitzung",
      "Lesung",
      "Staffel",
      "Folge",
      "Episode",
      "Advent",
      "Adventssonntag",
      "Sonntag",
      "Montag",
      "Dienstag",
      "Mittwoch",
      "Donnerstag",
      "Freitag",
      "Samstag",
      "Sonnabend",
      "Stunde",
      "Minute",
      "Grad",
      "Dynastie",
      "Etappe",
      "Durchgang",
      "Versuch",
      "Lauf",
      "Rang",
      "Hälfte",
      "Halbzeit",
      "Kreuzzug",
      "Legislaturperiode",
      "Wahlperiode",
      "Bataillon",
      "Kompanie",
      "Brigade",
      "Flotte",
      "Bezirk",
      "Zeile",
      "Person",
      "Ordnung",
      "Grades",
      "Stufe",
      "Gang",
      "Internationale",
      "Republik",
      "Bundestag",
      "Sinfonien",
  };
  return kSet;
}

const WordSet& Months() {
  static const WordSet kSet = {
      "Januar",    "Jänner",  "Februar",  "Feber",    "März", "April", "Mai", "Juni", "Juli", "August",
      "September", "Oktober", "November", "Dezember", "Jan",  "Jän",   "Feb", "Febr", "Mär",  "Mrz",
      "Apr",       "Jun",     "Jul",      "Aug",      "Sep",  "Sept",  "Okt", "Nov",  "Dez"};
  return kSet;
}

// Words before an ordinal number ("am 3.", "des 19.", "seinem 80.").
const WordSet& OrdinalDeterminers() {
  static const WordSet kSet = {
      "der",    "die",     "das",        "des",        "dem",    "den",    "ein",    "eine",  "einer",
      "eines",  "einem",   "einen",      "am",         "im",     "vom",    "zum",    "zur",   "beim",
      "ins",    "bis",     "seit",       "ab",         "um",     "vor",    "nach",   "an",    "in",
      "auf",    "für",     "über",       "unter",      "mit",    "zu",     "von",    "sein",  "seine",
      "seinem", "seinen",  "seiner",     "seines",     "ihr",    "ihre",   "ihrem",  "ihren", "ihrer",
      "ihres",  "mein",    "meine",      "meinem",     "meinen", "meiner", "dein",   "deine", "unser",
      "unsere", "unserem", "unseren",    "unserer",    "euer",   "eure",   "jeder",  "jede",  "jedes",
      "jedem",  "jeden",   "diese",      "dieser",     "dieses", "diesem", "diesen", "jener", "jene",
      "dessen", "deren",   "kein",       "keine",      "keinem", "keinen", "ihrem",  "als",   "zwischen",
      "gegen",  "bis",     "spätestens", "frühestens", "ersten", "vom",    "und",    "oder",  "bzw",
      "sowie",
  };
  return kSet;
}

// Subject words and finite verbs for the one boundary we accept without punctuation:
// "Das ist ein Test Das ist noch ein Test." (a capitalised subject + verb in mid-line).
const WordSet& BareSubjects() {
  // Not "Er" and "Sie": formal address ("Was Er will") is capitalised in mid-sentence.
  static const WordSet kSet = {"Das",  "Der",   "Die",    "Es",     "Ich", "Wir",
                               "Dies", "Diese", "Dieser", "Dieses", "Man"};
  return kSet;
}
const WordSet& BareVerbs() {
  static const WordSet kSet = {"ist",  "sind",   "war",   "waren", "hat",  "haben", "hatte", "hatten",
                               "wird", "werden", "wurde", "bin",   "kann", "muss",  "soll",  "will",
                               "gibt", "geht",   "kommt", "habe",  "bist", "sei"};
  return kSet;
}

const WordSet& Conjunctions() {
  static const WordSet kSet = {"und",    "oder",   "aber",    "sondern", "denn",    "doch",   "weil",
                               "dass",   "daß",    "wenn",    "als",     "während", "obwohl", "damit",
                               "sowie",  "sodass", "nachdem", "bevor",   "falls",   "indem",  "wobei",
                               "jedoch", "sobald", "solange", "ob",      "wie",     "wo",     "was"};
  return kSet;
}

// ---------------------------------------------------------------------------------------------------------
// Character classes.

bool IsTerminal(char32_t cp) {
  return cp == '.' || cp == '!' || cp == '?' || cp == 0x2026 || cp == 0x203C || cp == 0x2047 ||
         cp == 0x2048 || cp == 0x2049 || cp == 0xFF01 || cp == 0xFF1F || cp == 0x3002;
}
bool IsClosingQuote(char32_t cp) {
  return cp == '"' || cp == '\'' || cp == 0x201D || cp == 0x201C || cp == 0x2019 || cp == 0x2018 ||
         cp == 0xAB || cp == 0xBB || cp == 0x203A || cp == 0x2039;
}
bool IsClosingBracket(char32_t cp) { return cp == ')' || cp == ']' || cp == '}'; }
bool IsOpener(char32_t cp) {
  return cp == '"' || cp == '\'' || cp == 0x201E || cp == 0x201A || cp == 0x201C || cp == 0x2018 ||
         cp == 0xBB || cp == 0xAB || cp == 0x203A || cp == 0x2039 || cp == '(' || cp == '[' || cp == '{' ||
         cp == 0xBF || cp == 0xA1;
}
bool IsBullet(char32_t cp) {
  return cp == 0x2022 || cp == 0x25E6 || cp == 0x25AA || cp == 0x25AB || cp == 0x2023 || cp == 0x2043 ||
         cp == 0x25CF || cp == 0x25CB || cp == 0x25A0 || cp == 0x25A1 || cp == '-' || cp == '*' ||
         cp == '+' || cp == 0x2013 || cp == 0x2014 || cp == 0x2192 || cp == 0xB7 || cp == 0x27A2 ||
         cp == 0x2713 || cp == 0x2714 || cp == 0x25B8 || cp == 0x25BA;
}
bool IsVowel(char32_t cp) {
  switch (cp) {
    case 'a':
    case 'e':
    case 'i':
    case 'o':
    case 'u':
    case 'y':
    case 'A':
    case 'E':
    case 'I':
    case 'O':
    case 'U':
    case 'Y':
    case 0xE4:
    case 0xF6:
    case 0xFC:
    case 0xC4:
    case 0xD6:
    case 0xDC:
    case 0xE9:
    case 0xE8:
    case 0xE0:
    case 0xE1:
    case 0xE2:
    case 0xEA:
    case 0xEE:
    case 0xF4:
    case 0xFB:
      return true;
    default:
      return false;
  }
}
bool IsRomanLetter(char32_t cp) {
  return cp == 'I' || cp == 'V' || cp == 'X' || cp == 'L' || cp == 'C' || cp == 'D' || cp == 'M';
}

char32_t ToLower(char32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
  if (cp >= 0x391 && cp <= 0x3A9) return cp + 32;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
  return cp;
}

std::string Lowercase(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const DecodedChar c = DecodeUtf8(s, i);
    if (c.cp == 0xFFFD && c.len == 1) {
      out.push_back(s[i]);
    } else {
      AppendUtf8(ToLower(c.cp), &out);
    }
    i += c.len;
  }
  return out;
}

char32_t FirstChar(std::string_view s) { return s.empty() ? 0 : DecodeUtf8(s, 0).cp; }
char32_t LastChar(std::string_view s) { return s.empty() ? 0 : DecodeUtf8(s, PrevCharStart(s, s.size())).cp; }

template <typename Pred>
bool AllChars(std::string_view s, Pred pred) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size();) {
    const DecodedChar c = DecodeUtf8(s, i);
    if (!pred(c.cp)) return false;
    i += c.len;
  }
  return true;
}

// Strips leading quotes and brackets (and the ",," some texts use for „).
std::string_view StripOpeners(std::string_view s) {
  while (!s.empty()) {
    if (s.size() >= 2 && s[0] == ',' && s[1] == ',') {
      s.remove_prefix(2);
      continue;
    }
    const DecodedChar c = DecodeUtf8(s, 0);
    if (!IsOpener(c.cp)) break;
    s.remove_prefix(c.len);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Tokens: maximal runs of non-whitespace, with what the gap before them looks like.

struct Token {
  std::size_t begin = 0;
  std::size_t end = 0;
  int breaks_before = 0;       // line breaks in the whitespace before (2 = blank line or more)
  bool line_start = false;     // first token of a line (or of the text)
  bool glued = false;          // split off the previous token without whitespace ("Gedanken.Verschiedene")
  std::size_t line_index = 0;  // index of the first token of this token's line
};

bool IsProtectedToken(std::string_view tok) {
  // URLs, e-mail addresses and paths: punctuation inside them is not sentence punctuation.
  return tok.find('@') != std::string_view::npos || tok.find('/') != std::string_view::npos ||
         tok.find("www.") != std::string_view::npos || tok.find('\\') != std::string_view::npos;
}

// Positions inside a token where a sentence ends without a space: "Gedanken.Verschiedene": at least two
// lower-case letters, sentence punctuation, then a capital followed by at least two lower-case letters.
void FindGluedBoundaries(std::string_view text, std::size_t begin, std::size_t end,
                         std::vector<std::size_t>* cuts) {
  const std::string_view tok = text.substr(begin, end - begin);
  if (IsProtectedToken(tok)) return;
  for (std::size_t i = 0; i < tok.size(); ++i) {
    if (tok[i] != '.' && tok[i] != '!' && tok[i] != '?') continue;
    // Two lower-case letters before.
    if (i == 0) continue;
    std::size_t p = PrevCharStart(tok, i);
    if (!IsLower(DecodeUtf8(tok, p).cp) || p == 0) continue;
    std::size_t q = PrevCharStart(tok, p);
    if (!IsLower(DecodeUtf8(tok, q).cp)) continue;
    std::size_t j = i;
    while (j < tok.size() && (tok[j] == '.' || tok[j] == '!' || tok[j] == '?')) ++j;
    if (j >= tok.size()) break;
    const DecodedChar cap = DecodeUtf8(tok, j);
    if (!IsUpper(cap.cp)) continue;
    std::size_t k = j + cap.len;
    int lowers = 0;
    while (k < tok.size() && lowers < 2) {
      const DecodedChar c = DecodeUtf8(tok, k);
      if (!IsLower(c.cp)) break;
      ++lowers;
      k += c.len;
    }
    if (lowers < 2) continue;
    cuts->push_back(begin + j);
    i = j;
  }
}

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  std::size_t pos = 0;
  std::size_t line_index = 0;
  std::vector<std::size_t> cuts;
  while (pos < text.size()) {
    const std::size_t gap_begin = pos;
    while (pos < text.size()) {
      const DecodedChar c = DecodeUtf8(text, pos);
      if (!IsSpace(c.cp)) break;
      pos += c.len;
    }
    if (pos >= text.size()) break;
    const int breaks = CountLineBreaks(text.substr(gap_begin, pos - gap_begin));
    const std::size_t begin = pos;
    while (pos < text.size()) {
      const DecodedChar c = DecodeUtf8(text, pos);
      if (IsSpace(c.cp)) break;
      pos += c.len;
    }
    const bool line_start = tokens.empty() || breaks > 0;
    if (line_start) line_index = tokens.size();
    cuts.clear();
    FindGluedBoundaries(text, begin, pos, &cuts);
    std::size_t piece_begin = begin;
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
      Token t;
      t.begin = piece_begin;
      t.end = i < cuts.size() ? cuts[i] : pos;
      t.breaks_before = i == 0 ? std::min(breaks, 2) : 0;
      t.line_start = i == 0 && line_start;
      t.glued = i > 0;
      t.line_index = line_index;
      tokens.push_back(t);
      if (i < cuts.size()) piece_begin = cuts[i];
    }
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------------------
// The end of a token: the word, then sentence punctuation mixed with closing quotes, brackets and footnote
// marks ("sein?'.", "erfolgen.[6]", "Satz.¹", "grün.«").

enum class Terminal { kNone, kPeriod, kExclaimQuestion, kEllipsis };

struct Tail {
  Terminal terminal = Terminal::kNone;
  bool quote_after = false;  // a closing quote follows the punctuation
  bool paren_after = false;  // a closing bracket follows the punctuation
  std::string_view word;     // the token before the tail, openers stripped
};

Tail ParseTail(std::string_view tok) {
  Tail tail;
  std::size_t i = tok.size();
  bool seen_terminal = false;
  while (i > 0) {
    // Footnote reference in brackets: "[6]", "[12]", "[a]".
    if (tok[i - 1] == ']') {
      std::size_t open = tok.rfind('[', i - 1);
      if (open != std::string_view::npos && i - 1 - open >= 2 && i - 1 - open <= 4 && open > 0) {
        const std::string_view inner = tok.substr(open + 1, i - 2 - open);
        const char32_t before = LastChar(tok.substr(0, open));
        if (AllChars(inner, [](char32_t c) { return IsDigit(c) || IsLower(c); }) &&
            (IsTerminal(before) || IsClosingQuote(before))) {
          i = open;
          continue;
        }
      }
    }
    const std::size_t start = PrevCharStart(tok, i);
    const char32_t c = DecodeUtf8(tok, start).cp;
    if (IsTerminal(c)) {
      seen_terminal = true;
    } else if (IsClosingQuote(c)) {
      if (!seen_terminal) tail.quote_after = true;
    } else if (IsClosingBracket(c)) {
      if (!seen_terminal) tail.paren_after = true;
    } else if (!IsSuperscriptDigit(c)) {
      break;
    }
    i = start;
  }
  const std::string_view punct = tok.substr(i);
  tail.word = StripOpeners(tok.substr(0, i));
  if (!seen_terminal) {
    tail.quote_after = tail.paren_after = false;
    return tail;
  }
  // Only what follows the last word counts ("sein?'." is a question; "…." is an ellipsis plus a period).
  bool question = false, ellipsis = false;
  int dots_run = 0, max_dots = 0;
  bool period_after_ellipsis = false;
  for (std::size_t k = 0; k < punct.size();) {
    const DecodedChar c = DecodeUtf8(punct, k);
    if (c.cp == '!' || c.cp == '?' || c.cp == 0x203C || c.cp == 0x2047 || c.cp == 0x2048 || c.cp == 0x2049 ||
        c.cp == 0xFF01 || c.cp == 0xFF1F) {
      question = true;
    }
    if (c.cp == '.') {
      ++dots_run;
      if (ellipsis && dots_run == 1 && max_dots < 3) period_after_ellipsis = true;
      max_dots = std::max(max_dots, dots_run);
    } else {
      dots_run = 0;
    }
    if (c.cp == 0x2026) ellipsis = true;
    k += c.len;
  }
  if (max_dots >= 4) period_after_ellipsis = true;
  if (max_dots == 3) ellipsis = true;
  if (question) {
    tail.terminal = Terminal::kExclaimQuestion;
  } else if (ellipsis && !period_after_ellipsis) {
    tail.terminal = Terminal::kEllipsis;
  } else {
    tail.terminal = Terminal::kPeriod;
  }
  return tail;
}

// ---------------------------------------------------------------------------------------------------------
// Word shapes.

bool IsNumber(std::string_view w) {
  if (w.empty() || !IsDigit(static_cast<unsigned char>(w.front())) ||
      !IsDigit(static_cast<unsigned char>(w.back())))
    return false;
  for (char ch : w) {
    if (!(ch >= '0' && ch <= '9') && ch != '.' && ch != ',' && ch != ':' && ch != '/') return false;
  }
  return true;
}
bool IsShortNumber(std::string_view w) {
  return !w.empty() && w.size() <= 3 &&
         std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
}
bool IsRoman(std::string_view w) { return w.size() >= 1 && w.size() <= 7 && AllChars(w, IsRomanLetter); }
bool IsSingleLetter(std::string_view w) {
  return !w.empty() && DecodeUtf8(w, 0).len == w.size() && IsLetter(FirstChar(w));
}

// "z.B", "u.a", "LL.B", "i.d.R": letter groups of at most three joined by periods.
bool IsDottedAbbreviation(std::string_view w) {
  if (w.find('.') == std::string_view::npos) return false;
  std::size_t group = 0;
  for (std::size_t i = 0; i < w.size();) {
    const DecodedChar c = DecodeUtf8(w, i);
    if (c.cp == '.') {
      if (group == 0) return false;
      group = 0;
    } else if (IsLetter(c.cp)) {
      if (++group > 3) return false;
    } else {
      return false;
    }
    i += c.len;
  }
  return group > 0;
}

bool IsLetterWord(std::string_view w) {
  return AllChars(w, [](char32_t c) { return IsLetter(c) || c == '-' || c == 0x2019 || c == '\''; });
}
bool HasVowel(std::string_view w) {
  for (std::size_t i = 0; i < w.size();) {
    const DecodedChar c = DecodeUtf8(w, i);
    if (IsVowel(c.cp)) return true;
    i += c.len;
  }
  return false;
}
std::size_t CharCount(std::string_view w) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < w.size(); i += DecodeUtf8(w, i).len) ++n;
  return n;
}

// The word of a token without openers and without trailing punctuation ("»Ja," -> "Ja", "Jän." -> "Jän").
std::string_view CoreWord(std::string_view tok) {
  tok = StripOpeners(tok);
  while (!tok.empty()) {
    const std::size_t start = PrevCharStart(tok, tok.size());
    const char32_t c = DecodeUtf8(tok, start).cp;
    if (IsLetter(c) || IsDigit(c)) break;
    tok = tok.substr(0, start);
  }
  return tok;
}

enum class Shape { kUpper, kLower, kDigit, kOther };

Shape StartShape(std::string_view tok) {
  const std::string_view s = StripOpeners(tok);
  if (s.empty()) return Shape::kOther;
  const char32_t c = FirstChar(s);
  if (IsUpper(c)) return Shape::kUpper;
  if (IsLower(c)) return Shape::kLower;
  if (IsDigit(c)) return Shape::kDigit;
  if (IsLetter(c)) return Shape::kUpper;  // scripts without case: treat as a sentence start
  return Shape::kOther;
}

bool IsEmojiToken(std::string_view tok) { return AllChars(tok, IsEmoji); }
bool IsFootnoteToken(std::string_view tok) {
  if (AllChars(tok, IsSuperscriptDigit)) return true;
  return tok.size() >= 3 && tok.size() <= 5 && tok.front() == '[' && tok.back() == ']' &&
         AllChars(tok.substr(1, tok.size() - 2), [](char32_t c) { return IsDigit(c); });
}

// "1." "12)" "(3)" "a)" "(iv)" "1.2." "IV.": an enumeration marker token.
bool IsEnumerationMarker(std::string_view tok) {
  std::string_view s = tok;
  bool paren_open = false;
  if (!s.empty() && s.front() == '(') {
    paren_open = true;
    s.remove_prefix(1);
  }
  if (s.size() < 2) return false;
  const char last = s.back();
  if (last != '.' && last != ')') return false;
  if (paren_open && last != ')') return false;
  const std::string_view body = s.substr(0, s.size() - 1);
  if (body.empty()) return false;
  // Digit groups of at most three ("1.", "12)", "1.2."), so that a year at a line start is no marker.
  std::size_t group = 0;
  bool numeric = true;
  for (char c : body) {
    if (c >= '0' && c <= '9') {
      if (++group > 3) numeric = false;
    } else if (c == '.' && group > 0) {
      group = 0;
    } else {
      numeric = false;
    }
  }
  if (numeric) return true;
  if (body.size() == 1 && ((body[0] >= 'a' && body[0] <= 'z') || (body[0] >= 'A' && body[0] <= 'Z')))
    return true;
  if (body.size() <= 5 && (AllChars(body, IsRomanLetter) ||
                           AllChars(body, [](char32_t c) { return c == 'i' || c == 'v' || c == 'x'; }))) {
    return true;
  }
  return false;
}

bool IsBulletToken(std::string_view tok) { return AllChars(tok, IsBullet) && CharCount(tok) <= 2; }

bool IsHashHeadingToken(std::string_view tok) {
  return !tok.empty() && tok.size() <= 6 &&
         std::all_of(tok.begin(), tok.end(), [](char c) { return c == '#'; });
}

// ---------------------------------------------------------------------------------------------------------
// The boundary decision between token i and token i+1.

class Segmenter {
 public:
  Segmenter(std::string_view text, std::vector<Token> tokens) : text_(text), tokens_(std::move(tokens)) {}

  std::vector<Span> Run() {
    std::vector<Span> spans;
    if (tokens_.empty()) return spans;
    std::size_t seg_first = 0;
    for (std::size_t i = 0; i + 1 < tokens_.size(); ++i) {
      if (IsBoundary(i, seg_first)) {
        spans.push_back({tokens_[seg_first].begin, tokens_[i].end});
        seg_first = i + 1;
      }
    }
    spans.push_back({tokens_[seg_first].begin, tokens_.back().end});
    return spans;
  }

 private:
  std::string_view Tok(std::size_t i) const {
    return text_.substr(tokens_[i].begin, tokens_[i].end - tokens_[i].begin);
  }

  // Tokens [first, last] of the line containing token i.
  std::size_t LineEnd(std::size_t i) const {
    std::size_t j = i;
    while (j + 1 < tokens_.size() && !tokens_[j + 1].line_start) ++j;
    return j;
  }

  bool LineStartsWithMarker(std::size_t line_first) const {
    const std::string_view first = Tok(line_first);
    return IsBulletToken(first) || IsEnumerationMarker(first) || IsHashHeadingToken(first);
  }

  // Token i is a list marker at the start of its line (or an enumeration right after a bullet there).
  bool IsLeadingMarker(std::size_t i) const {
    const std::size_t first = tokens_[i].line_index;
    if (i == first) return IsBulletToken(Tok(i)) || IsEnumerationMarker(Tok(i)) || IsHashHeadingToken(Tok(i));
    return i == first + 1 && IsBulletToken(Tok(first)) && IsEnumerationMarker(Tok(i));
  }

  // A heading: a short line after a blank line (or at the start), with no punctuation at its end, followed
  // by a clearly longer line; or a line without any lower-case letter.
  bool IsHeadingLine(std::size_t line_first, std::size_t line_last) const {
    const std::string_view line =
        text_.substr(tokens_[line_first].begin, tokens_[line_last].end - tokens_[line_first].begin);
    bool has_letter = false, has_lower = false;
    for (std::size_t k = 0; k < line.size();) {
      const DecodedChar c = DecodeUtf8(line, k);
      has_letter = has_letter || IsLetter(c.cp);
      has_lower = has_lower || IsLower(c.cp);
      k += c.len;
    }
    if (has_letter && !has_lower && CharCount(line) >= 2) return true;
    if (IsHashHeadingToken(Tok(line_first))) return true;
    const bool after_blank = line_first == 0 || tokens_[line_first].breaks_before >= 2;
    if (!after_blank || line_last - line_first + 1 > 8) return false;
    const char32_t last = LastChar(line);
    if (!(IsLetter(last) || IsDigit(last) || last == ')')) return false;
    if (line_last + 1 >= tokens_.size()) return false;
    const std::size_t next_last = LineEnd(line_last + 1);
    const std::size_t next_len = tokens_[next_last].end - tokens_[line_last + 1].begin;
    return next_len * 2 >= line.size() * 3 + 20;
  }

  // Horizontal whitespace right before the line break after token i marks a soft break (format=flowed
  // e-mail, text extracted from PDF): the line is wrapped, whatever it looks like.
  bool SoftBreakAfter(std::size_t i) const {
    if (i + 1 >= tokens_.size()) return false;
    const std::size_t pos = tokens_[i].end;
    if (pos >= text_.size()) return false;
    const char32_t c = DecodeUtf8(text_, pos).cp;
    return IsSpace(c) && !IsLineBreak(c);
  }

  // A line that stands on its own although it has no final punctuation: one or two words (a form, a word
  // list, a signature), or a line longer than any wrapping width (a paragraph or heading per line).
  bool IsStandaloneLine(std::size_t line_first, std::size_t line_last) const {
    const char32_t last = LastChar(Tok(line_last));
    if (last == ',' || last == '-' || last == ';' || last == 0x2013) return false;
    if (line_last - line_first + 1 <= 2) return !IsLeadingMarker(line_last);
    const std::size_t chars = CharCount(
        text_.substr(tokens_[line_first].begin, tokens_[line_last].end - tokens_[line_first].begin));
    return chars > 100 && StartShape(Tok(line_last + 1)) != Shape::kLower;
  }

  bool IsBoundary(std::size_t i, std::size_t seg_first) const {
    const Token& next = tokens_[i + 1];
    if (next.glued) return true;
    if (next.breaks_before >= 2) return true;
    const std::string_view a_tok = Tok(i);
    const std::string_view b_tok = Tok(i + 1);
    if (IsLeadingMarker(i)) return false;
    if (next.breaks_before == 1) {
      const std::size_t line_first = tokens_[i].line_index;
      if (LastChar(a_tok) == ':') return true;
      if (IsBulletToken(b_tok) || IsHashHeadingToken(b_tok)) return true;
      if (IsEnumerationMarker(b_tok) && i + 2 < tokens_.size() && !tokens_[i + 2].line_start) {
        const Tail tail = ParseTail(a_tok);
        if (tail.terminal != Terminal::kNone || LineStartsWithMarker(line_first)) return true;
      }
      if (!SoftBreakAfter(i) && (IsHeadingLine(line_first, i) || IsStandaloneLine(line_first, i)))
        return true;
    }
    // Emoji and footnote marks stay with the sentence before them.
    if (next.breaks_before == 0 && (IsEmojiToken(b_tok) || IsFootnoteToken(b_tok))) return false;
    std::size_t a = i;
    bool skipped_emoji = false;
    // Bounded look-back keeps a text made only of emoji linear.
    for (int steps = 0; steps < 8 && a > seg_first && tokens_[a].breaks_before == 0 &&
                        (IsEmojiToken(Tok(a)) || IsFootnoteToken(Tok(a)));
         ++steps) {
      skipped_emoji = skipped_emoji || IsEmojiToken(Tok(a));
      --a;
    }
    const Tail tail = ParseTail(Tok(a));
    const Shape b_shape = StartShape(b_tok);
    if (b_shape == Shape::kUpper && tail.terminal == Terminal::kNone) {
      if (skipped_emoji && SentenceStarters().count(CoreWord(b_tok))) return true;
      return next.breaks_before == 0 && BareSubjectBoundary(a, i + 1);
    }
    if (tail.terminal == Terminal::kNone) return false;
    const std::string_view b_word = CoreWord(b_tok);
    const bool b_starter = b_shape == Shape::kUpper && SentenceStarters().count(b_word) > 0;
    if (tail.paren_after) {
      // "ein(!) Satz", "(bar, usw.) quux": punctuation inside brackets ends a sentence only when the
      // bracket opened the sentence.
      const char32_t first = FirstChar(Tok(seg_first));
      if (first != '(' && first != '[') return false;
    }
    switch (tail.terminal) {
      case Terminal::kExclaimQuestion:
        if (IsInterjection(a, tail)) return false;
        return b_shape != Shape::kLower || next.breaks_before > 0;
      case Terminal::kEllipsis:
        // "„Na ja …“ Er schwieg." ends a sentence; "… zurückbekomme …« Er wurde" (the quote opened
        // before this text, so it may go on) does not.
        if (tail.quote_after && !QuoteOpenedSince(seg_first, a)) return false;
        return b_shape == Shape::kUpper;
      case Terminal::kPeriod:
        return PeriodBoundary(a, tail, b_tok, b_shape, b_word, b_starter, next.breaks_before > 0);
      case Terminal::kNone:
        break;
    }
    return false;
  }

  // Some token in [first, last] opens a quotation.
  bool QuoteOpenedSince(std::size_t first, std::size_t last) const {
    for (std::size_t k = first; k <= last && k - first < 256; ++k) {
      const std::string_view t = Tok(k);
      const char32_t c = FirstChar(t);
      if ((IsOpener(c) && c != '(' && c != '[' && c != '{') ||
          (t.size() >= 2 && t[0] == ',' && t[1] == ',')) {
        return true;
      }
    }
    return false;
  }

  // "Habe nun, ach! Philosophie": an interjection between commas and '!' inside a sentence.
  bool IsInterjection(std::size_t a, const Tail& tail) const {
    static const WordSet kInterjections = {"ach",    "ah",  "oh",   "o",     "ei",    "ha",
                                           "he",     "weh", "pfui", "hm",    "ja",    "nein",
                                           "ach ja", "aha", "au",   "hurra", "juchhe"};
    if (a == 0 || tail.quote_after || tail.paren_after) return false;
    return LastChar(Tok(a - 1)) == ',' && kInterjections.count(tail.word) > 0;
  }

  // "Das ist ein Test Das ist noch ein Test.": a capitalised subject and a finite verb after a word.
  bool BareSubjectBoundary(std::size_t a, std::size_t b) const {
    if (!IsLetter(LastChar(Tok(a))) || b + 1 >= tokens_.size()) return false;
    if (tokens_[b + 1].breaks_before > 0) return false;
    return BareSubjects().count(Tok(b)) > 0 && BareVerbs().count(CoreWord(Tok(b + 1))) > 0;
  }

  bool PeriodBoundary(std::size_t a, const Tail& tail, std::string_view b_tok, Shape b_shape,
                      std::string_view b_word, bool b_starter, bool line_break) const {
    const std::string_view w = tail.word;
    if (tail.quote_after || w.empty()) return b_shape != Shape::kLower;
    const bool b_opener_upper = b_shape == Shape::kUpper && StripOpeners(b_tok).size() != b_tok.size();

    // Numbers and ordinals: "am 3. Oktober", "im 19. Jh.", "1. -3. Jahrhundert", "Seite 12. Dort".
    std::string_view num = w;
    while (!num.empty() && (num.front() == '-' || num.front() == '+')) num.remove_prefix(1);
    const bool roman = IsRoman(w) && w.size() >= 2;
    if (IsNumber(num) || roman) {
      if (b_opener_upper) return true;
      if (b_shape != Shape::kUpper) return false;
      if (Months().count(b_word) || OrdinalNouns().count(b_word)) return false;
      if (b_starter) return true;
      const bool short_ordinal = IsShortNumber(num) || roman;
      if (!short_ordinal) return true;
      if (a == tokens_[a].line_index) return false;  // a list item
      const std::string_view prev = Tok(a - 1);
      const char32_t prev_last = LastChar(prev);
      if (prev_last == ':' || prev_last == ',' || IsBulletToken(prev) || IsNumber(CoreWord(prev)))
        return false;
      if (roman && IsUpper(FirstChar(StripOpeners(prev))) && IsLetterWord(CoreWord(prev))) return false;
      return OrdinalDeterminers().count(Lowercase(CoreWord(prev))) == 0;
    }

    const std::string lower = Lowercase(w);
    std::string_view key = lower;
    if (NumberAbbreviations().count(key)) {
      if (b_shape == Shape::kDigit) return false;
    } else if (IsSingleLetter(w)) {
      if (key == "f" && b_shape == Shape::kUpper) return true;  // "S. 17 f. Dort"
      return false;                                             // initials, "z. B.", "S. 185"
    } else if (FinalAbbreviations().count(key)) {
      return b_shape == Shape::kUpper || b_shape == Shape::kOther;
    } else if (MaybeFinalAbbreviations().count(key)) {
      return b_shape == Shape::kUpper && b_starter;
    } else if (NonFinalAbbreviations().count(key)) {
      return false;
    } else if (IsDottedAbbreviation(w) && !IsProtectedToken(w)) {
      return b_shape == Shape::kUpper && b_starter;  // "U.S.A. Das ..." but "LL.B. Studium"
    } else if (IsLetterWord(w) && CharCount(w) <= 5 && !HasVowel(w)) {
      return b_shape == Shape::kUpper && b_starter;  // unknown short abbreviation ("Hrsg.", "Bsp.")
    } else if (lower.size() > 3 && lower.compare(lower.size() - 3, 3, "str") == 0) {
      return false;  // street names: "Weststr. und", "Hauptstr. 5"
    }
    // An ordinary word.
    if (b_shape != Shape::kLower) return true;
    // A lower-case start after a line break ("Ball.\ngebt") or after an ordinary long word (old or careless
    // texts: "... der Wolken. wenigen").
    if (line_break) return true;
    return IsLetterWord(w) && CharCount(w) >= 5 && HasVowel(w) && !IsProtectedToken(w);
  }

  std::string_view text_;
  std::vector<Token> tokens_;
};

// ---------------------------------------------------------------------------------------------------------
// Clause splitting for over-long spans.

bool IsSpaceAt(std::string_view text, std::size_t pos) {
  return pos < text.size() && IsSpace(DecodeUtf8(text, pos).cp);
}

Span Trim(std::string_view text, Span s) {
  while (s.begin < s.end) {
    const DecodedChar c = DecodeUtf8(text, s.begin);
    if (!IsSpace(c.cp) || s.begin + c.len > s.end) break;
    s.begin += c.len;
  }
  while (s.end > s.begin) {
    const std::size_t start = PrevCharStart(text.substr(0, s.end), s.end);
    if (start < s.begin || !IsSpace(DecodeUtf8(text, start).cp)) break;
    s.end = start;
  }
  return s;
}

// Best split position in (span.begin, span.end): returns span.begin if there is none.
std::size_t ChooseSplit(std::string_view text, Span span) {
  constexpr int kLevels = 6;
  std::size_t best[kLevels];
  std::size_t best_dist[kLevels];
  for (int l = 0; l < kLevels; ++l) best[l] = span.begin, best_dist[l] = SIZE_MAX;
  const std::size_t mid = span.begin + span.size() / 2;
  auto offer = [&](int level, std::size_t pos) {
    if (pos <= span.begin || pos >= span.end) return;
    const std::size_t dist = pos > mid ? pos - mid : mid - pos;
    if (dist < best_dist[level]) best_dist[level] = dist, best[level] = pos;
  };
  std::size_t word_begin = span.begin;
  bool in_word = false;
  for (std::size_t i = span.begin; i < span.end;) {
    const DecodedChar c = DecodeUtf8(text, i);
    const std::size_t next = i + c.len;
    offer(5, i);  // i is a character start (DecodeUtf8 steps)
    if (IsSpace(c.cp)) {
      offer(4, i);
      if (in_word) {
        const std::string_view word = text.substr(word_begin, i - word_begin);
        const char32_t last = LastChar(word);
        if (last == ';') offer(0, i);
        if (last == ':') offer(1, i);
        if (last == ',') offer(2, i);
        if (word == "\xE2\x80\x93" || word == "\xE2\x80\x94" || word == "-") offer(1, i);
      }
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      word_begin = i;
      // Before a conjunction.
      std::size_t e = i;
      while (e < span.end && !IsSpaceAt(text, e)) e += DecodeUtf8(text, e).len;
      if (i > span.begin && Conjunctions().count(text.substr(i, e - i))) offer(3, i);
    }
    i = next;
  }
  for (int l = 0; l < kLevels; ++l) {
    if (best_dist[l] != SIZE_MAX) return best[l];
  }
  return span.begin;
}

void SplitRecursive(std::string_view text, Span span, const std::function<bool(Span)>& fits,
                    std::vector<Span>* out) {
  span = Trim(text, span);
  if (span.begin >= span.end) return;
  if (fits(span)) {
    out->push_back(span);
    return;
  }
  const std::size_t cut = ChooseSplit(text, span);
  if (cut <= span.begin || cut >= span.end) {
    out->push_back(span);  // a single character: nothing left to split
    return;
  }
  SplitRecursive(text, {span.begin, cut}, fits, out);
  SplitRecursive(text, {cut, span.end}, fits, out);
}

}  // namespace

std::vector<Span> SplitLongSpan(std::string_view text, Span span, const std::function<bool(Span)>& fits) {
  std::vector<Span> out;
  span.end = std::min(span.end, text.size());
  span.begin = std::min(span.begin, span.end);
  SplitRecursive(text, span, fits, &out);
  return out;
}

std::vector<Span> SegmentSentences(std::string_view text, const SegmenterOptions& options) {
  std::vector<Span> spans = Segmenter(text, Tokenize(text)).Run();
  if (options.max_segment_bytes == 0) return spans;
  const std::size_t max_bytes = std::max<std::size_t>(options.max_segment_bytes, 16);
  std::vector<Span> bounded;
  bounded.reserve(spans.size());
  const auto fits = [max_bytes](Span s) { return s.size() <= max_bytes; };
  for (const Span& s : spans) {
    if (s.size() <= max_bytes) {
      bounded.push_back(s);
    } else {
      for (const Span& piece : SplitLongSpan(text, s, fits)) bounded.push_back(piece);
    }
  }
  return bounded;
}

std::size_t ListMarkerLength(std::string_view sentence) {
  std::size_t end = 0;
  while (end < sentence.size() && !IsSpaceAt(sentence, end)) end += DecodeUtf8(sentence, end).len;
  const std::string_view first = sentence.substr(0, end);
  if (!(IsBulletToken(first) || IsEnumerationMarker(first) || IsHashHeadingToken(first))) return 0;
  std::size_t after = end;
  while (after < sentence.size() && IsSpaceAt(sentence, after)) after += DecodeUtf8(sentence, after).len;
  if (after == end || after >= sentence.size()) return 0;
  // "• 1. Planen": the bullet and the number together.
  std::size_t end2 = after;
  while (end2 < sentence.size() && !IsSpaceAt(sentence, end2)) end2 += DecodeUtf8(sentence, end2).len;
  if (IsBulletToken(first) && IsEnumerationMarker(sentence.substr(after, end2 - after))) {
    std::size_t after2 = end2;
    while (after2 < sentence.size() && IsSpaceAt(sentence, after2))
      after2 += DecodeUtf8(sentence, after2).len;
    if (after2 > end2 && after2 < sentence.size()) return after2;
  }
  return after;
}

}  // namespace dolmetsch::text
