import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, normalize, relative } from 'node:path'
import ts from 'typescript'

// The shape of source files as the layout tests check it, read with the TypeScript compiler:
// what each file imports, and how long each function is.

/** One import (or re-export) of a file: the specifier as written, and the file it names when relative. */
export interface ImportOf {
  file: string
  specifier: string
  /** The imported file relative to the same root, `.ts` for `.js`; undefined for a package. */
  target: string | undefined
}

export interface FunctionShape {
  file: string
  name: string
  /** 1-based line of its start. */
  line: number
  lines: number
}

/** The `.ts` files under `dir`, relative to `root`, sorted. */
export async function sourceFiles (root: string, dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true, recursive: true })
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => relative(root, join(e.parentPath, e.name))).sort()
}

/** Every import and re-export of `files` (relative to `root`), type-only ones included. */
export async function importsOf (root: string, files: readonly string[]): Promise<ImportOf[]> {
  const out: ImportOf[] = []
  for (const file of files) {
    const info = ts.preProcessFile(await readFile(join(root, file), 'utf8'), true, true)
    for (const { fileName: specifier } of info.importedFiles) {
      const target = specifier.startsWith('.') ? normalize(join(dirname(file), specifier)).replace(/\.js$/, '.ts') : undefined
      out.push({ file, specifier, target })
    }
  }
  return out
}

/** Every function, method, arrow function and accessor with a body in `files`, with its length in lines. */
export async function functionsOf (root: string, files: readonly string[]): Promise<FunctionShape[]> {
  const out: FunctionShape[] = []
  for (const file of files) {
    const source = ts.createSourceFile(file, await readFile(join(root, file), 'utf8'), ts.ScriptTarget.Latest, true)
    const lineOf = (pos: number): number => source.getLineAndCharacterOfPosition(pos).line
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
        const start = lineOf(node.getStart(source))
        out.push({ file, name: nameOf(node, source), line: start + 1, lines: lineOf(node.getEnd()) - start + 1 })
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  return out
}

function nameOf (node: ts.SignatureDeclaration, source: ts.SourceFile): string {
  if (node.name !== undefined) return node.name.getText(source)
  const parent = node.parent
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText(source)
  return '(anonymous)'
}

/** Lines of a file (a trailing newline ends the last one). */
export async function lineCount (root: string, file: string): Promise<number> {
  const text = await readFile(join(root, file), 'utf8')
  return text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length
}
