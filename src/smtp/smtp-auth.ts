import { createHash, timingSafeEqual } from 'node:crypto';

export interface SmtpUser {
  readonly username: string;
  /** Hex SHA-256 of the password (config never holds the password itself). */
  readonly passwordSha256: string;
  /** The one customer this user may deliver to; null for any. */
  readonly customer: string | null;
}

/**
 * The configured user whose name and password match, or undefined. Compares SHA-256 digests
 * with timingSafeEqual (equal lengths always), and checks every user, so the time taken does
 * not tell which part was wrong.
 */
export function verifySmtpLogin(args: { readonly users: readonly SmtpUser[]; readonly username: string; readonly password: string }): SmtpUser | undefined {
  const offered = createHash('sha256').update(args.password, 'utf8').digest();
  const offeredName = createHash('sha256').update(args.username, 'utf8').digest();
  let found: SmtpUser | undefined;
  for (const user of args.users) {
    const nameMatches = timingSafeEqual(offeredName, createHash('sha256').update(user.username, 'utf8').digest());
    const passwordMatches = timingSafeEqual(offered, Buffer.from(user.passwordSha256, 'hex'));
    if (nameMatches && passwordMatches && found === undefined) found = user;
  }
  return found;
}
