#!/usr/bin/env python3
"""Writes the inputs of the document benchmark (docs/benchmarks.md, "Documents: a 200-page .docx and a
2-hour film") from the German texts in ../shared/data:

  book.docx   about 200 pages: 70,000 words of Goethe's Schriften zur Kunst (then Freud, then Faust) in
              paragraphs of whole sentences, 80 words or more (run-on sentences over 120 words cut into
              100-word pieces); a bold run and an italic run in every paragraph, a heading every
              20 paragraphs, a header and a footer part.
  book.txt    the same paragraphs and headings as plain text (blank lines between paragraphs).
  film.srt    1,500 cues over 2 hours (4.8 s each) of Faust's verse, two lines per cue, so sentences run
              over several cues.
  film.txt    the same cue text as plain text, one line per subtitle line.

Usage: bench/make_documents.py OUT_DIR [--shared ../shared]   (Python standard library only)
"""
import argparse
import os
import re
import zipfile
from xml.sax.saxutils import escape

WORDS_PER_PAGE = 350
PAGES = 200
CUES = 1500
CUE_SECONDS = 4.8

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def sentences(text):
    text = re.sub(r'\s+', ' ', text)
    # A generator, not a segmenter: cut after . ! ? followed by a space and an upper-case letter.
    return [s for s in re.split(r'(?<=[.!?]) (?=[A-ZÄÖÜ])', text) if len(s.split()) >= 3]


def book_paragraphs(shared):
    pool = []
    for name in ['goethe_schriften_zur_kunst.txt', 'freud_traumdeutung_excerpt.txt', 'faust.txt']:
        with open(os.path.join(shared, 'data', name), encoding='utf-8-sig') as f:
            pool += sentences(f.read())
    # Sentences over 120 words (Goethe's run-on passages) are cut into 100-word pieces.
    pieces = []
    for s in pool:
        w = s.split()
        pieces += [' '.join(w[k:k + 100]) for k in range(0, len(w), 100)] if len(w) > 120 else [s]
    paragraphs, para, words, i = [], [], 0, 0
    while words < PAGES * WORDS_PER_PAGE:
        para.append(pieces[i % len(pieces)])
        i += 1
        n = sum(len(s.split()) for s in para)
        if n >= 80:
            paragraphs.append(para)
            words += n
            para = []
    return paragraphs


def run(text, props=''):
    rpr = f'<w:rPr>{props}</w:rPr>' if props else ''
    return f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def docx_paragraph(sentences_):
    words = ' '.join(sentences_).split(' ')
    # words 3-4 bold, words 10-12 italic (when the paragraph is long enough), the rest plain
    if len(words) < 14:
        return f'<w:p>{run(" ".join(words))}</w:p>'
    parts = [run(' '.join(words[:2]) + ' '), run(' '.join(words[2:4]), '<w:b/>'),
             run(' ' + ' '.join(words[4:9]) + ' '), run(' '.join(words[9:12]), '<w:i/>'),
             run(' ' + ' '.join(words[12:]))]
    return '<w:p>' + ''.join(parts) + '</w:p>'


def write_book(out, shared):
    paragraphs = book_paragraphs(shared)
    body, text = [], []
    for k, para in enumerate(paragraphs):
        if k % 20 == 0:
            title = f'Kapitel {k // 20 + 1}: ' + ' '.join(para[0].split()[:5])
            body.append(f'<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr>{run(title)}</w:p>')
            text.append(title)
        body.append(docx_paragraph(para))
        text.append(' '.join(para))
    doc = f'{DECL}<w:document {W}><w:body>{"".join(body)}<w:sectPr/></w:body></w:document>'
    hdr = f'{DECL}<w:hdr {W}><w:p>{run("Schriften zur Kunst, gesammelt")}</w:p></w:hdr>'
    ftr = f'{DECL}<w:ftr {W}><w:p>{run("Eine Sammlung für den Vergleich")}</w:p></w:ftr>'
    ct = ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>')
    for part, kind in [('document', 'document.main'), ('header1', 'header'), ('footer1', 'footer')]:
        ct += (f'<Override PartName="/word/{part}.xml" ContentType="application/'
               f'vnd.openxmlformats-officedocument.wordprocessingml.{kind}+xml"/>')
    ct += '</Types>'
    rels = (f'{DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="word/document.xml"/></Relationships>')
    with zipfile.ZipFile(os.path.join(out, 'book.docx'), 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml', DECL + ct)
        z.writestr('_rels/.rels', rels)
        z.writestr('word/document.xml', doc)
        z.writestr('word/header1.xml', hdr)
        z.writestr('word/footer1.xml', ftr)
    with open(os.path.join(out, 'book.txt'), 'w', encoding='utf-8') as f:
        f.write('\n\n'.join(text) + '\n')
    words = sum(len(t.split()) for t in text)
    print(f'book.docx / book.txt: {len(paragraphs)} paragraphs, {words} words '
          f'(~{words // WORDS_PER_PAGE} pages of {WORDS_PER_PAGE} words)')


def timestamp(seconds):
    ms = int(round(seconds * 1000))
    return f'{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}'


def write_film(out, shared):
    with open(os.path.join(shared, 'data', 'faust.txt'), encoding='utf-8-sig') as f:
        verse = [line.strip() for line in f.read().splitlines()]
    # Spoken lines: verse lines with letters that are not speaker names (all upper case) or stage headings.
    lines = [v for v in verse if re.search(r'[a-zäöüß]', v) and not v.isupper()]
    lines = lines[200:]  # past the Gutenberg front matter
    srt, txt = [], []
    for k in range(CUES):
        pair = lines[2 * k % len(lines):2 * k % len(lines) + 2]
        start = k * CUE_SECONDS
        srt.append(f'{k + 1}\n{timestamp(start)} --> {timestamp(start + CUE_SECONDS - 0.2)}\n' + '\n'.join(pair))
        txt.append('\n'.join(pair))
    with open(os.path.join(out, 'film.srt'), 'w', encoding='utf-8') as f:
        f.write('\n\n'.join(srt) + '\n')
    with open(os.path.join(out, 'film.txt'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(txt) + '\n')
    print(f'film.srt / film.txt: {CUES} cues, {timestamp(CUES * CUE_SECONDS)}, '
          f'{sum(len(t.split()) for t in txt)} words')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out')
    parser.add_argument('--shared', default=os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    write_book(args.out, args.shared)
    write_film(args.out, args.shared)


if __name__ == '__main__':
    main()
