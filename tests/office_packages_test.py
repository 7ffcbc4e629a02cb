#!/usr/bin/env python3
"""Independent reader check of translated office packages.

Builds a .docx, .pptx, .odt, .odp and .epub with Python's zipfile (not with our writer), translates each with
`dolmetsch translate --file IN --out OUT` and the fixture model, then opens every result with zipfile
(testzip: every CRC) and parses every XML entry with xml.etree. Also checks: the same entries in the same
order, entries we do not translate byte-identical, mimetype first and stored, the German text gone from
the translated parts. These packages are minimal (an ODF manifest without entries, a .pptx without
relationships), which LibreOffice refuses to load even before translation; whether LibreOffice opens our
results is checked by scripts/office-roundtrip on packages it accepts.

Usage: office_packages_test.py DOLMETSCH_BINARY MODEL_DIR
"""
import io
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile

W = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
     'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
CT = 'http://schemas.openxmlformats.org/package/2006/content-types'
OOXML = 'application/vnd.openxmlformats-officedocument.'
ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
          'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
          'xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.3"')
A = ('xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
     'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"')
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def make_zip(entries, stored_first=False):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        for i, (name, data) in enumerate(entries):
            method = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 6)), data, compress_type=method)
    return buf.getvalue()


def types(overrides):
    body = ''.join(f'<Override PartName="/{n}" ContentType="{OOXML}{t}"/>' for n, t in overrides)
    return (f'{DECL}<Types xmlns="{CT}"><Default Extension="rels" '
            f'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{body}</Types>')


def docx():
    para = ('<w:p><w:r><w:t xml:space="preserve">Der Frosch sitzt </w:t></w:r><w:r><w:rPr><w:b/></w:rPr>'
            '<w:t>ganz ruhig</w:t></w:r><w:r><w:t xml:space="preserve"> auf dem Stein.</w:t></w:r></w:p>')
    table = ('<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Erste Zelle mit Text</w:t></w:r></w:p></w:tc></w:tr></w:tbl>')
    doc = f'{DECL}<w:document {W}><w:body>{para}{table}<w:sectPr/></w:body></w:document>'
    hdr = f'{DECL}<w:hdr {W}><w:p><w:r><w:t>Kopfzeile des Berichts</w:t></w:r></w:p></w:hdr>'
    fn = (f'{DECL}<w:footnotes {W}><w:footnote w:id="1"><w:p><w:r><w:t>Eine Fußnote dazu.</w:t></w:r></w:p>'
          f'</w:footnote></w:footnotes>')
    rels = (f'{DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="word/document.xml"/></Relationships>')
    entries = [
        ('[Content_Types].xml', types([('word/document.xml', 'wordprocessingml.document.main+xml'),
                                       ('word/header1.xml', 'wordprocessingml.header+xml'),
                                       ('word/footnotes.xml', 'wordprocessingml.footnotes+xml')])),
        ('_rels/.rels', rels), ('word/document.xml', doc), ('word/header1.xml', hdr), ('word/footnotes.xml', fn),
        ('word/media/image1.png', b'\x89PNG\r\n\x1a\n' + bytes(range(256)) * 8),
    ]
    return make_zip(entries), ['word/document.xml', 'word/header1.xml', 'word/footnotes.xml']


def pptx():
    def shape(paras):
        return (f'<p:sp><p:nvSpPr><p:cNvPr id="2" name="T"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr><p:spPr/>'
                f'<p:txBody><a:bodyPr/>{paras}</p:txBody></p:sp>')
    slide = (f'{DECL}<p:sld {A}><p:cSld><p:spTree>' +
             shape('<a:p><a:r><a:rPr lang="de-DE"/><a:t>Das ist </a:t></a:r><a:r><a:rPr lang="de-DE" b="1"/>'
                   '<a:t>sehr</a:t></a:r><a:r><a:rPr lang="de-DE"/><a:t> wichtig.</a:t></a:r>'
                   '<a:endParaRPr lang="de-DE"/></a:p>') + '</p:spTree></p:cSld></p:sld>')
    notes = (f'{DECL}<p:notes {A}><p:cSld><p:spTree>' +
             shape('<a:p><a:r><a:t>Notizen für den Vortrag.</a:t></a:r></a:p>') + '</p:spTree></p:cSld></p:notes>')
    entries = [
        ('[Content_Types].xml', types([('ppt/presentation.xml', 'presentationml.presentation.main+xml'),
                                       ('ppt/slides/slide1.xml', 'presentationml.slide+xml'),
                                       ('ppt/notesSlides/notesSlide1.xml', 'presentationml.notesSlide+xml')])),
        ('ppt/presentation.xml', f'{DECL}<p:presentation {A}/>'), ('ppt/slides/slide1.xml', slide),
        ('ppt/notesSlides/notesSlide1.xml', notes), ('ppt/theme/theme1.xml', f'{DECL}<a:theme {A} name="x"/>'),
    ]
    return make_zip(entries), ['ppt/slides/slide1.xml', 'ppt/notesSlides/notesSlide1.xml']


def odf(kind, body):
    content = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {ODF_NS}><office:body>'
               f'<office:{kind}>{body}</office:{kind}></office:body></office:document-content>')
    styles = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-styles {ODF_NS}><office:master-styles>'
              '<style:master-page style:name="Standard"><style:header><text:p>Die Kopfzeile hier</text:p>'
              '</style:header></style:master-page></office:master-styles></office:document-styles>')
    entries = [('mimetype', f'application/vnd.oasis.opendocument.{kind}'),
               ('META-INF/manifest.xml', '<?xml version="1.0"?>\n<manifest:manifest xmlns:manifest='
                '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>'),
               ('content.xml', content), ('styles.xml', styles),
               ('meta.xml', f'<?xml version="1.0"?>\n<office:document-meta {ODF_NS}/>')]
    return make_zip(entries, stored_first=True), ['content.xml', 'styles.xml']


def odt():
    return odf('text', '<text:h text:outline-level="1">Die große Überschrift</text:h><text:p>Das ist '
               '<text:span text:style-name="T1">sehr</text:span> gut und <text:a xlink:href="https://example.org/">'
               'hier verlinkt</text:a> im Satz.</text:p>')


def odp():
    return odf('presentation', '<draw:page draw:name="S1"><draw:frame><draw:text-box><text:p>Der erste '
               '<text:span text:style-name="T1">wichtige</text:span> Titel</text:p></draw:text-box></draw:frame>'
               '<presentation:notes><draw:frame><draw:text-box><text:p>Notizen für die Folie.</text:p>'
               '</draw:text-box></draw:frame></presentation:notes></draw:page>')


def epub():
    chapter = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml">'
               '<head><title>Erstes Kapitel</title></head><body><h1>Erstes Kapitel</h1><p>Gregor wachte '
               '<b>eines Morgens</b> aus unruhigen Träumen auf.</p></body></html>\n')
    opf = ('<?xml version="1.0" encoding="UTF-8"?>\n<package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
           'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">x'
           '</dc:identifier><dc:title>Die Verwandlung</dc:title><dc:language>de</dc:language></metadata><manifest>'
           '<item id="c1" href="ch1.xhtml" media-type="application/xhtml+xml"/><item id="css" href="s.css" '
           'media-type="text/css"/></manifest><spine><itemref idref="c1"/></spine></package>')
    container = ('<?xml version="1.0"?>\n<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:'
                 'container"><rootfiles><rootfile full-path="OEBPS/content.opf" '
                 'media-type="application/oebps-package+xml"/></rootfiles></container>')
    entries = [('mimetype', 'application/epub+zip'), ('META-INF/container.xml', container),
               ('OEBPS/content.opf', opf), ('OEBPS/ch1.xhtml', chapter), ('OEBPS/s.css', 'p { margin: 0 }\n')]
    return make_zip(entries, stored_first=True), ['OEBPS/content.opf', 'OEBPS/ch1.xhtml']


GERMAN = ['Frosch', 'Kopfzeile', 'Fußnote', 'Zelle', 'wichtig', 'Notizen', 'Überschrift', 'verlinkt', 'Titel',
          'Gregor wachte', 'Verwandlung']


def check(name, source, result, translated):
    failures = []
    src = zipfile.ZipFile(io.BytesIO(source))
    out = zipfile.ZipFile(io.BytesIO(result))
    bad = out.testzip()
    if bad:
        failures.append(f'{name}: CRC error in {bad}')
    if [i.filename for i in src.infolist()] != [i.filename for i in out.infolist()]:
        failures.append(f'{name}: entries differ: {out.namelist()}')
    for info in out.infolist():
        data = out.read(info.filename)
        if info.filename.endswith(('.xml', '.rels', '.xhtml', '.opf', '.ncx')):
            try:
                ET.fromstring(data)
            except ET.ParseError as e:
                failures.append(f'{name}: {info.filename} does not parse: {e}')
        if info.filename in translated:
            text = data.decode('utf-8')
            for word in GERMAN:
                if word in text and word in src.read(info.filename).decode('utf-8'):
                    failures.append(f'{name}: {info.filename} still has "{word}"')
        elif data != src.read(info.filename):
            failures.append(f'{name}: {info.filename} changed but is not translated')
    if 'mimetype' in src.namelist():
        first = out.infolist()[0]
        if first.filename != 'mimetype' or first.compress_type != zipfile.ZIP_STORED:
            failures.append(f'{name}: mimetype is not the first, stored entry')
    return failures


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, model = sys.argv[1], sys.argv[2]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for ext, build in [('docx', docx), ('pptx', pptx), ('odt', odt), ('odp', odp), ('epub', epub)]:
            source, translated = build()
            src_path = os.path.join(tmp, f'in.{ext}')
            out_path = os.path.join(tmp, f'out.{ext}')
            with open(src_path, 'wb') as f:
                f.write(source)
            run = subprocess.run([binary, 'translate', '--model', model, '--threads', '1', '--file', src_path,
                                  '--out', out_path], capture_output=True, text=True, timeout=240)
            if run.returncode != 0:
                failures.append(f'{ext}: dolmetsch failed ({run.returncode}): {run.stderr.strip()}')
                continue
            with open(out_path, 'rb') as f:
                failures += check(ext, source, f.read(), translated)
            print(f'{ext}: ok' if not any(x.startswith(ext) for x in failures) else f'{ext}: FAILED')
    for f in failures:
        print('FAIL', f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
