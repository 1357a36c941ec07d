import assert from 'node:assert/strict';
import { escapeHtml, html, queryString, raw } from '../../../src/http/console/html.js';
import { minuteChart, niceCeiling } from '../../../src/http/console/minute-chart.js';

describe('console templates (src/http/console/html.ts) and charts', () => {
  it('escapes every interpolated value unless it was built as markup', () => {
    const hostile = `<script>alert("x")</script>' & "`;
    assert.equal(html`<p title="${hostile}">${hostile}</p>`.text, `<p title="${escapeHtml(hostile)}">${escapeHtml(hostile)}</p>`);
    assert.ok(!html`${hostile}`.text.includes('<'));
    assert.equal(
      html`<ul>
        ${['a<', html`<li>b</li>`, null, undefined, false, 0]}
      </ul>`.text.replace(/\s+/g, ''),
      '<ul>a&lt;<li>b</li>0</ul>',
    );
    assert.equal(html`${raw('<path d="M0 0"/>')}`.text, '<path d="M0 0"/>');
    assert.equal(queryString({ status: 'failed', q: 'a&b c', group: '', type: undefined }), '?status=failed&q=a%26b+c');
  });

  it('draws a day of minutes as one compact step path per series, with its text alternative', () => {
    const counts = Array.from({ length: 1440 }, (_, minute) => (minute % 60 < 30 ? 3 : 0));
    const svg = minuteChart({
      id: 'c',
      title: 'Arrivals <per> minute',
      description: 'SMTP 2,160',
      start: new Date('2026-12-03T00:00:00Z'),
      series: [
        { name: 'SMTP', color: '#0072B2', counts },
        { name: 'API', color: '#009E73', counts: counts.map(() => 1) },
      ],
    }).text;
    assert.equal((svg.match(/<path /g) ?? []).length, 2);
    assert.match(svg, /role="img"\s+aria-labelledby="c-title c-desc"/);
    assert.match(svg, /<title id="c-title">Arrivals &lt;per&gt; minute<\/title>/);
    assert.ok(svg.length < 12_000, `a day of minutes in ${svg.length} characters`);
    for (const label of ['03:00', '12:00', '21:00']) assert.ok(svg.includes(`>${label}</text>`), label);
    assert.deepEqual([niceCeiling(0), niceCeiling(1), niceCeiling(3), niceCeiling(11), niceCeiling(730)], [1, 1, 5, 20, 1000]);
  });
});
