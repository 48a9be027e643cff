/**
 * What the gateway reads schemas through. Structurally identical to the
 * `SchemaSource` of the runtime schema lookup, so every repository here can be
 * handed to it as is.
 */
export interface SchemaSource {
  readonly description: string
  /** Repository-relative path like 'mediawiki/revision/create/2.0.0.yaml'; undefined when absent. */
  read(relativePath: string): Promise<string | undefined>
}
