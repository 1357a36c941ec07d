import assert from 'node:assert/strict';
import { decodeHtmlEntities, htmlToText } from '../../../../src/modules/shared/text/html-to-text.js';
import { readLabelledLines } from '../../../../src/modules/shared/text/read-labelled-lines.js';

describe('htmlToText', () => {
  it('drops scripts, styles, the head and comments, with their content', () => {
    const html =
      '<html><head><title>T</title><style>p { color: red }</style></head><body>' +
      '<script type="text/javascript">if (a < b) document.write("</p>Node : evil");</script>' +
      '<!-- Node : hidden --><p>Node : SN002</p></body></html>';
    assert.equal(htmlToText(html), 'Node : SN002');
  });

  it('turns <br>, <p>, <div> and <tr> into line breaks and cells into tabs', () => {
    const html =
      '<p>Event ID : HS-E10431<br>Severity : WARNING</p><table><tr><td>Node</td><td>SN002</td></tr>' +
      '<tr><th>Component</th><td>Disk (slot 7)</td></tr></table><div>end</div>';
    assert.equal(htmlToText(html), 'Event ID : HS-E10431\nSeverity : WARNING\nNode\tSN002\nComponent\tDisk (slot 7)\nend');
    assert.equal(htmlToText('a<br><br>b'), 'a\n\nb');
  });

  it('decodes named and numeric entities, never producing NUL', () => {
    assert.equal(htmlToText('<p>A&amp;B &lt;x&gt; &quot;q&quot;&nbsp;&#58;&#x3A; &euro; &#0; &bogus;</p>'), 'A&B <x> "q" :: € \uFFFD &bogus;');
    assert.equal(decodeHtmlEntities('no entities'), 'no entities');
  });

  it('collapses source whitespace outside <pre> and keeps alignment inside it', () => {
    const html = '<p>Message :\n   Disk   failure</p><pre>Node      Type\nAN001     AN</pre>';
    assert.equal(htmlToText(html), 'Message : Disk failure\nNode      Type\nAN001     AN');
  });

  it('keeps a lone "<" as text and ignores attributes holding ">"', () => {
    assert.equal(htmlToText('<p title="a>b">1 < 2</p>'), '1 < 2');
  });

  it('yields lines the label reader understands', () => {
    const html = '<table><tr><td>System Serial Number</td><td>:</td><td>8A5-000123</td></tr></table>';
    const [line] = readLabelledLines(htmlToText(html));
    assert.equal(line?.label, 'System Serial Number');
    assert.equal(line?.value, '8A5-000123');
  });

  it('stays linear on hostile input (unclosed tags, scripts and quotes)', () => {
    const hostile = '<script>'.repeat(50_000) + '<a title="'.repeat(50_000) + '</x'.repeat(50_000);
    const started = performance.now();
    htmlToText(hostile);
    htmlToText('<p>x</p><div>'.repeat(100_000));
    assert.ok(performance.now() - started < 2000, 'hostile HTML took too long');
  });
});
