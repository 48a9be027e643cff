import type { RuleProblem } from '../errors.js'
import { TemplateSyntaxError } from '../errors.js'
import { MatchSpecError } from './match.js'

/** A problem found while compiling, at an absolute pointer inside the rule. */
export class SpecProblem extends Error {
  readonly pointer: string
  constructor (pointer: string, message: string) {
    super(message)
    this.pointer = pointer
  }
}

/** The problems found in one rule, collected in the order found so that all are reported at once. */
export interface RuleProblems {
  readonly list: RuleProblem[]
  add(pointer: string, message: string): void
  /** Runs `fn`; a problem it throws is added (at its own pointer, or under `pointer`) and undefined returned. */
  attempt<T>(pointer: string, fn: () => T): T | undefined
}

export function collectProblems (rule: string, source: string | undefined): RuleProblems {
  const list: RuleProblem[] = []
  const add = (pointer: string, message: string): void => {
    list.push({ rule, pointer, message, ...(source === undefined ? {} : { source }) })
  }
  return {
    list,
    add,
    attempt (pointer, fn) {
      try {
        return fn()
      } catch (err) {
        if (err instanceof MatchSpecError || err instanceof SpecProblem) add(err.pointer, err.message)
        else if (err instanceof TemplateSyntaxError) add(pointer + err.pointer, err.message)
        else if (err instanceof Error) add(pointer, err.message)
        else throw err
        return undefined
      }
    }
  }
}
