// A reporter for node's test runner (test/run.ts adds it beside the spec reporter): one line per
// test result, naming the file it came from. The runner has been seen to drop a whole file's
// results and still exit 0; test/run.ts compares these lines with the files it asked for.

interface TestEvent { type: string, data: { file?: string } }

export default async function * reportedFiles (source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.file !== undefined) yield `${event.data.file}\n`
  }
}
