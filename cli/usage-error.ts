/** Bad command-line input: the CLI prints the message and exits 2, like an invalid config. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
