import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  datacenterPrefix, delayedStreamOf, delayTopicOf, errorTopicOf, eventStreamConfigTopics, legacyStreamOf, mirrorTopicsPattern, namingOf, prefixDatacenter, retriedStreamOf,
  retryGroupOf, retryTopicOf,
  ruleGroupOf, streamOf, streamTopics, topicOf
} from '../../src/stream-config/index.js'

const eqiad = namingOf('eqiad.', 'eqiad.')
const codfw = namingOf('codfw.', 'eqiad.')

/** A Java regex as MirrorMaker 2 applies it: to the whole topic name. */
function matches (pattern: string, topic: string): boolean {
  return new RegExp(`^(?:${pattern})$`).test(topic)
}

test('a datacenter writes <dc>.<stream>; a legacy eventlogging_ stream bare in the legacy home, prefixed elsewhere', () => {
  assert.equal(datacenterPrefix('eqiad'), 'eqiad.')
  assert.equal(prefixDatacenter('eqiad.'), 'eqiad')
  assert.equal(topicOf('mediawiki.revision-create', eqiad), 'eqiad.mediawiki.revision-create')
  assert.equal(topicOf('mediawiki.revision-create', codfw), 'codfw.mediawiki.revision-create')
  assert.equal(topicOf('eventlogging_NavigationTiming', eqiad), 'eventlogging_NavigationTiming')
  assert.equal(topicOf('eventlogging_NavigationTiming', codfw), 'codfw.eventlogging_NavigationTiming')
  assert.equal(topicOf('x', namingOf('')), 'x')
})

test('without a legacy home every datacenter is its own (EventGate\'s single-datacenter rule)', () => {
  assert.equal(topicOf('eventlogging_NavigationTiming', namingOf('eqiad.')), 'eventlogging_NavigationTiming')
  assert.equal(topicOf('eventlogging_NavigationTiming', namingOf('codfw.')), 'eventlogging_NavigationTiming')
  assert.deepEqual(streamTopics('eventlogging_X', ['eqiad.', 'codfw.']), ['eventlogging_X'])
})

test('streamOf inverts topicOf and refuses topics no stream of that datacenter maps to', () => {
  for (const naming of [eqiad, codfw, namingOf(''), namingOf('codfw.')]) {
    for (const stream of ['mediawiki.revision-create', 'eventlogging_NavigationTiming', 'changeprop.retry.eventlogging_X']) {
      assert.equal(streamOf(topicOf(stream, naming), naming), stream)
    }
  }
  assert.equal(streamOf('codfw.mediawiki.revision-create', eqiad), undefined, 'another datacenter\'s topic')
  assert.equal(streamOf('eqiad.eventlogging_NavigationTiming', eqiad), undefined, 'the home writes legacy streams bare')
  assert.equal(streamOf('eventlogging_NavigationTiming', codfw), undefined, 'the bare name is the home\'s')
  assert.equal(streamOf('eqiad.eventlogging_NavigationTiming', namingOf('')), 'eqiad.eventlogging_NavigationTiming')
})

test('a reader of every datacenter\'s topics reads each record once: one topic per datacenter, the bare name once', () => {
  assert.deepEqual(streamTopics('mediawiki.page_change.v1', ['eqiad.', 'codfw.'], 'eqiad.'), ['eqiad.mediawiki.page_change.v1', 'codfw.mediawiki.page_change.v1'])
  assert.deepEqual(streamTopics('eventlogging_X', ['eqiad.', 'codfw.', 'ulsfo.'], 'eqiad.'), ['eventlogging_X', 'codfw.eventlogging_X', 'ulsfo.eventlogging_X'])
})

test('each topic any datacenter writes is copied out of exactly that datacenter, so nothing loops and nothing is left behind', () => {
  const datacenters = ['eqiad', 'codfw', 'ulsfo']
  const streams = ['mediawiki.revision-create', 'eventlogging_NavigationTiming', 'changeprop.retry.eventlogging_X', 'changeprop.error']
  for (const writer of datacenters) {
    for (const stream of streams) {
      const topic = topicOf(stream, namingOf(datacenterPrefix(writer), 'eqiad.'))
      const copiedBy = datacenters.filter((dc) => matches(mirrorTopicsPattern(dc, 'eqiad'), topic))
      assert.deepEqual(copiedBy, [writer], `${topic} written in ${writer}`)
    }
  }
  assert.equal(mirrorTopicsPattern('eqiad'), 'eqiad\\..*', 'no legacy home: prefixes only')
  assert.equal(mirrorTopicsPattern('eqiad', 'eqiad'), 'eqiad\\..*|eventlogging_.*')
  assert.equal(mirrorTopicsPattern('codfw', 'eqiad'), 'codfw\\..*')
  assert.ok(!matches(mirrorTopicsPattern('eqiad', 'eqiad'), 'eqiadx.stream') && !matches(mirrorTopicsPattern('eqiad', 'eqiad'), 'heartbeats'))
})

test('retry and error topics follow the datacenter prefix; a retry topic names the stream it retries', () => {
  assert.equal(retryTopicOf('changeprop', 'eventlogging_X', eqiad), 'eqiad.changeprop.retry.eventlogging_X')
  assert.equal(errorTopicOf('changeprop', codfw), 'codfw.changeprop.error')
  assert.equal(retriedStreamOf('changeprop', 'eqiad.changeprop.retry.mediawiki.x', eqiad), 'mediawiki.x')
  assert.equal(retriedStreamOf('changeprop', 'eqiad.mediawiki.x', eqiad), undefined)
  assert.equal(retriedStreamOf('changeprop', 'codfw.changeprop.retry.mediawiki.x', eqiad), undefined)
})

test('delay topics follow the datacenter prefix and name the stream they delay, apart from retry topics', () => {
  assert.equal(delayTopicOf('changeprop', 'mediawiki.job.cdnPurge', eqiad), 'eqiad.changeprop.delay.mediawiki.job.cdnPurge')
  assert.equal(delayTopicOf('changeprop', 'eventlogging_X', eqiad), 'eqiad.changeprop.delay.eventlogging_X')
  assert.equal(delayedStreamOf('changeprop', 'eqiad.changeprop.delay.mediawiki.x', eqiad), 'mediawiki.x')
  assert.equal(delayedStreamOf('changeprop', 'eqiad.changeprop.retry.mediawiki.x', eqiad), undefined)
  assert.equal(retriedStreamOf('changeprop', 'eqiad.changeprop.delay.mediawiki.x', eqiad), undefined)
  assert.equal(delayedStreamOf('changeprop', 'codfw.changeprop.delay.mediawiki.x', eqiad), undefined)
})

test('consumer groups: the home group for the own prefix, one takeover group per other datacenter, each with its retry group', () => {
  assert.equal(ruleGroupOf('changeprop', 'purge', 'eqiad.', 'eqiad.'), 'changeprop-purge')
  assert.equal(ruleGroupOf('changeprop', 'purge', 'codfw.', 'eqiad.'), 'changeprop-purge.takeover.codfw')
  assert.equal(retryGroupOf('changeprop-purge'), 'changeprop-purge-retry')
})

test('EventStreamConfig\'s computed topics put each prefix before the name, legacy streams too; the beacon\'s streams are eventlogging_<Schema>', () => {
  assert.deepEqual(eventStreamConfigTopics('mediawiki.revision-create', ['eqiad.', 'codfw.']), ['eqiad.mediawiki.revision-create', 'codfw.mediawiki.revision-create'])
  assert.deepEqual(eventStreamConfigTopics('eventlogging_X', ['eqiad.', 'codfw.']), ['eqiad.eventlogging_X', 'codfw.eventlogging_X'])
  assert.deepEqual(eventStreamConfigTopics('s', []), ['s'])
  assert.deepEqual(eventStreamConfigTopics('s', undefined), ['s'])
  assert.equal(legacyStreamOf('NavigationTiming'), 'eventlogging_NavigationTiming')
  assert.equal(topicOf(legacyStreamOf('NavigationTiming'), eqiad), 'eventlogging_NavigationTiming')
})
