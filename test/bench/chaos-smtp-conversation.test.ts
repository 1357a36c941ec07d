import { strict as assert } from 'node:assert';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ConnectionLost, SmtpConversation } from '../../bench/chaos/smtp-conversation.js';

/**
 * The chaos ledger acknowledges a mail only on a complete 250 line: a reply cut by a kill must
 * not count, and a 250 read just before the connection died must. A real socket server plays
 * the dying service.
 */
describe('chaos benchmark: what counts as a reply', () => {
  let server: Server;
  let port: number;
  let onConnection: (socket: Socket) => void = () => undefined;

  before(async () => {
    server = createServer((socket) => onConnection(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('takes a 250 that arrived just before the connection was cut', async () => {
    onConnection = (socket) => socket.end('250 2.0.0 Ok: queued\r\n');
    const conversation = await SmtpConversation.open('127.0.0.1', port, 5000);
    assert.equal(await conversation.reply(5000), '250 2.0.0 Ok: queued');
    conversation.destroy();
  });

  it('does not take a reply line cut before its end, nor a connection closed without a reply', async () => {
    onConnection = (socket) => socket.end('25');
    const cut = await SmtpConversation.open('127.0.0.1', port, 5000);
    await assert.rejects(cut.reply(5000), ConnectionLost);
    onConnection = (socket) => socket.destroy();
    const closed = await SmtpConversation.open('127.0.0.1', port, 5000);
    await assert.rejects(closed.reply(5000), ConnectionLost);
  });

  it('reads a multi-line reply as one, up to its last line', async () => {
    onConnection = (socket) => socket.write('250-first\r\n250-second\r\n250 last\r\n');
    const conversation = await SmtpConversation.open('127.0.0.1', port, 5000);
    assert.equal(await conversation.reply(5000), '250-first\n250-second\n250 last');
    conversation.destroy();
  });
});
