import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { verifySmtpLogin } from '../../src/smtp/smtp-auth.js';

const digest = (password: string): string => createHash('sha256').update(password).digest('hex');
const USERS = [
  { username: 'krusty', passwordSha256: digest('s3cret'), customer: 'krusty_krab' },
  { username: 'relay', passwordSha256: digest('other'), customer: null },
];

describe('verifySmtpLogin', () => {
  it('finds the user whose name and password both match', () => {
    assert.equal(verifySmtpLogin({ users: USERS, username: 'krusty', password: 's3cret' })?.customer, 'krusty_krab');
    assert.equal(verifySmtpLogin({ users: USERS, username: 'relay', password: 'other' })?.customer, null);
  });

  it("refuses a wrong password, another user's password, an unknown user and empty input", () => {
    assert.equal(verifySmtpLogin({ users: USERS, username: 'krusty', password: 'wrong' }), undefined);
    assert.equal(verifySmtpLogin({ users: USERS, username: 'krusty', password: 'other' }), undefined);
    assert.equal(verifySmtpLogin({ users: USERS, username: 'nobody', password: 's3cret' }), undefined);
    assert.equal(verifySmtpLogin({ users: USERS, username: '', password: '' }), undefined);
    assert.equal(verifySmtpLogin({ users: [], username: 'krusty', password: 's3cret' }), undefined);
  });
});
