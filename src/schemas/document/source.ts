/**
 * Where schema files are read from: a directory, an HTTP server, a git commit.
 * Paths are repository-relative, already normalized and traversal-checked
 * ('mediawiki/revision/create/2.0.0.yaml').
 */
export interface SchemaSource {
  /** For logs and error details. */
  readonly description: string
  /**
   * The canonical URL (ending in `/`) that absolute `$schema` URIs must start
   * with to be read from this source, when absolute URIs are allowed. A source
   * without one is never used for absolute URIs.
   */
  readonly baseUri?: string
  /** `undefined` when the file is absent; throws on I/O failure. */
  read(relativePath: string): Promise<string | undefined>
}
