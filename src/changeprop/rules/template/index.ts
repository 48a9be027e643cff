// The template language of rules: see context.ts for what it is, and each file for one seam
// (tokenize → expression → string → object; functions and uri encoders beside them).
export type { Render, TemplateContext, TemplateMode } from './context.js'
export { compileExpression } from './expression.js'
export { templateFunctions } from './functions.js'
export { compileTemplate } from './object.js'
export { compileTemplateString } from './string.js'
export { encodeForm } from './uri.js'
