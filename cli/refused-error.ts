/**
 * What was asked cannot be done now (a rollback while a deployment runs, with nothing good to go back to): the
 * CLI prints the message, which says what to do instead, and exits 1.
 */
export class RefusedError extends Error {
  override readonly name = "RefusedError";
}
