import assert from 'node:assert/strict';
import { IngestError } from '../../src/core/ingest-error.js';
import { parseMailhandlerArgs } from '../../src/mailhandler/parse-mailhandler-args.js';

function usageRefusal(argv: readonly string[], problem: RegExp): void {
  assert.throws(
    () => parseMailhandlerArgs(argv),
    (error: unknown) => error instanceof IngestError && error.code === 'MAILHANDLER_USAGE' && error.transient && error.expose && problem.test(error.message),
  );
}

describe('parseMailhandlerArgs', () => {
  it('reads the master.cf form, --name value and --name=value', () => {
    assert.deepEqual(parseMailhandlerArgs(['--sender', 'a@x.example', '--recipient', 'r@y.example']), { sender: 'a@x.example', recipients: ['r@y.example'] });
    assert.deepEqual(parseMailhandlerArgs(['--sender=a@x.example', '--recipient=r@y.example', '--queue-id', '4F2C81A0B3', '--client-address=192.0.2.7']), {
      sender: 'a@x.example',
      recipients: ['r@y.example'],
      queueId: '4F2C81A0B3',
      clientAddress: '192.0.2.7',
    });
  });

  it('takes the null sender as an empty argument (pipe(8) null_sender=) or <>', () => {
    assert.equal(parseMailhandlerArgs(['--sender', '', '--recipient', 'r@y.example']).sender, null);
    assert.equal(parseMailhandlerArgs(['--sender=', '--recipient', 'r@y.example']).sender, null);
    assert.equal(parseMailhandlerArgs(['--sender', '<>', '--recipient', 'r@y.example']).sender, null);
  });

  it('takes a value verbatim even when it starts with a dash, so an address cannot pose as an option', () => {
    const args = parseMailhandlerArgs(['--sender', '-f@x.example', '--recipient', '--queue-id@y.example']);
    assert.deepEqual(args, { sender: '-f@x.example', recipients: ['--queue-id@y.example'] });
  });

  it('collects several recipients: repeated options, the expansion of one ${recipient} argument, and after --', () => {
    const args = parseMailhandlerArgs([
      '--sender',
      's@x.example',
      '--recipient',
      'a@y.example',
      'b@y.example',
      '--recipient',
      'c@y.example',
      '--',
      'd@y.example',
      '--sender',
    ]);
    assert.deepEqual(args.recipients, ['a@y.example', 'b@y.example', 'c@y.example', 'd@y.example', '--sender']);
  });

  it('keeps each recipient once, compared case-insensitively, in first-seen order', () => {
    assert.deepEqual(parseMailhandlerArgs(['--sender', '', '--recipient', 'A@y.example', 'b@y.example', 'a@Y.EXAMPLE']).recipients, [
      'A@y.example',
      'b@y.example',
    ]);
  });

  it('refuses, transiently, what a wrong master.cf line would produce', () => {
    usageRefusal(['--recipient', 'r@y.example'], /--sender is required/);
    usageRefusal(['--sender', 's@x.example'], /at least one is required/);
    usageRefusal(['--sender', 's@x.example', '--recipient', ''], /needs an address/);
    usageRefusal(['--sender', 's@x.example', '--recipient'], /--recipient needs a value/);
    usageRefusal(['--sender', 'a@x', '--sender', 'b@x', '--recipient', 'r@y.example'], /--sender given 2 times/);
    usageRefusal(['--sender', 's@x', '--recipient', 'r@y.example', '--size', '10'], /unknown option "--size"/);
    usageRefusal(['--sender', `${'a'.repeat(300)}@x`, '--recipient', 'r@y.example'], /longer than 256/);
  });
});
