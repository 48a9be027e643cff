/** Versions are plain `MAJOR.MINOR.PATCH`; every segment may have several digits. */
const versionPattern = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/

export type VersionParts = readonly [major: number, minor: number, patch: number]

export function parseVersion (text: string): VersionParts | undefined {
  const m = versionPattern.exec(text)
  if (m === null) return undefined
  return [Number(m[1]), Number(m[2]), Number(m[3])]
}

export function isVersion (text: string): boolean {
  return versionPattern.test(text)
}

export function compareVersions (a: string, b: string): number {
  const pa = parseVersion(a)
  const pb = parseVersion(b)
  if (pa === undefined || pb === undefined) return a < b ? -1 : a > b ? 1 : 0
  return (pa[0] - pb[0]) || (pa[1] - pb[1]) || (pa[2] - pb[2])
}

/** Ascending semver order; the input is not modified. */
export function sortVersions (versions: Iterable<string>): string[] {
  return [...versions].sort(compareVersions)
}

export function majorOf (version: string): number | undefined {
  return parseVersion(version)?.[0]
}
