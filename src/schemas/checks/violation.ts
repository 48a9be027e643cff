import { rules } from '../repository/rules.js'
import type { RuleCategory, RuleName } from '../repository/rules.js'

/** What a compatibility violation changed; one name per kind of break. */
export type CompatibilityChange =
  | 'property-removed'
  | 'type-changed'
  | 'made-required'
  | 'no-longer-required'
  | 'enum-value-removed'
  | 'constraint-added'
  | 'constraint-narrowed'
  | 'constraint-removed'
  | 'additional-properties-closed'
  | 'value-changed'

export interface Violation {
  rule: RuleName
  category: RuleCategory
  /** The schema concerned, as its `$id` (`/title/1.2.0`) or `<title>/current.yaml`. */
  schema: string
  title: string
  /** `X.Y.Z`, or `current` for current.yaml. */
  version: string | undefined
  /** Repository-relative file, when the violation is about one. */
  file: string | undefined
  /** JSON pointer into the schema ('' for the whole schema). */
  pointer: string
  /** What is wrong or what changed. */
  message: string
  /** What would pass. */
  fix: string
  change?: CompatibilityChange
  /** For compatibility: the version compared against. */
  comparedWith?: string
  before?: unknown
  after?: unknown
}

/** The identifying part every violation of one schema shares. */
export interface ViolationSubject {
  schema: string
  title: string
  version: string | undefined
  file: string | undefined
}

export function violation (subject: ViolationSubject, rule: RuleName, pointer: string, message: string, fix: string,
  extra: Partial<Pick<Violation, 'change' | 'comparedWith' | 'before' | 'after'>> = {}): Violation {
  return { rule, category: rules[rule].category, ...subject, pointer, message, fix, ...extra }
}
