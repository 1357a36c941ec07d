/** A command line the CLI cannot run: printed without a stack, exit 64 (EX_USAGE). */
export class UsageError extends Error {}
