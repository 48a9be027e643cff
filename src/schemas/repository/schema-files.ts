/**
 * The files of one schema tree, wherever they live (a directory, a git commit).
 * Paths are '/'-separated and relative to the schema base path.
 */
export interface SchemaFiles {
  readonly description: string
  /** Every file (and file symlink), hidden entries excluded. */
  list(): Promise<string[]>
  /** A file's text with symlinks followed, never outside the tree; undefined when absent. */
  readText(path: string): Promise<string | undefined>
  /** A symlink's stored target; undefined for regular files and absent paths. */
  readLink(path: string): Promise<string | undefined>
}
