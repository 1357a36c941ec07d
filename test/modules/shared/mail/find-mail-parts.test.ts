import assert from 'node:assert/strict';
import { findMailParts } from '../../../../src/modules/shared/mail/find-mail-parts.js';
import type { StagedFile } from '../../../../src/core/staged-file.js';

function file(name: string, role: string, contentType?: string): StagedFile {
  return { name, size: 1, sha256: '0'.repeat(64), role, ...(contentType === undefined ? {} : { contentType }) };
}

describe('findMailParts', () => {
  const outer = [
    file('message.eml', 'message', 'message/rfc822'),
    file('attachment-1.bin', 'attachment', 'message/rfc822'),
    file('body.txt', 'body', 'text/plain; charset=utf-8'),
  ];

  it('a mail that came directly: its own parts', () => {
    const parts = findMailParts(outer);
    assert.deepEqual(
      [parts.text?.name, parts.html, parts.attachments.map((part) => part.name), parts.forwarded],
      ['body.txt', undefined, ['attachment-1.bin'], 0],
    );
  });

  it("a forwarded mail: the innermost forwarded message's parts, never the outer ones", () => {
    const once = [
      ...outer,
      file('forwarded-headers.txt', 'forwarded-headers', 'text/rfc822-headers'),
      file('forwarded-attachment-1.bin', 'forwarded-attachment', 'application/gzip'),
      file('forwarded-attachment-2.bin', 'forwarded-attachment', 'message/rfc822'),
      file('forwarded-body.txt', 'forwarded-body', 'text/plain; charset=utf-8'),
      file('forwarded-body.html', 'forwarded-body', 'text/html; charset=utf-8'),
    ];
    const parts = findMailParts(once);
    assert.deepEqual(
      [parts.text?.name, parts.html?.name, parts.attachments.map((part) => part.name), parts.forwarded],
      ['forwarded-body.txt', 'forwarded-body.html', ['forwarded-attachment-1.bin', 'forwarded-attachment-2.bin'], 1],
    );
    const twice = [...once, file('forwarded-forwarded-headers.txt', 'forwarded-headers'), file('forwarded-forwarded-attachment-1.bin', 'forwarded-attachment')];
    const deeper = findMailParts(twice);
    assert.deepEqual(
      [deeper.text, deeper.html, deeper.attachments.map((part) => part.name), deeper.forwarded],
      [undefined, undefined, ['forwarded-forwarded-attachment-1.bin'], 2],
      'a level without a body has none: the level above is not borrowed from',
    );
  });
});
