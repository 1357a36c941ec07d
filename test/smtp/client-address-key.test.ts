import assert from 'node:assert/strict';
import { clientAddressKey } from '../../src/smtp/client-address-key.js';

describe('clientAddressKey', () => {
  it('keeps IPv4 addresses and reduces IPv6 ones to their /64, whatever the spelling', () => {
    assert.equal(clientAddressKey('192.0.2.7'), '192.0.2.7');
    assert.equal(clientAddressKey('2001:db8:a:b:1:2:3:4'), '2001:db8:a:b::/64');
    assert.equal(clientAddressKey('2001:0DB8:000a:000b::1'), '2001:db8:a:b::/64');
    assert.equal(clientAddressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(clientAddressKey('::1'), '0:0:0:0::/64');
    assert.equal(clientAddressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(clientAddressKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
    assert.equal(clientAddressKey('1:2:3:4:5:6:192.0.2.1'), '1:2:3:4::/64');
  });
});
