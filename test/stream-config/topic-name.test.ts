import { test } from 'node:test'
import assert from 'node:assert/strict'
import { streamOf, topicOf } from '../../src/stream-config/topic-name.js'

test('a stream\'s topic is the prefix and the stream, except eventlogging_ streams and no prefix', () => {
  assert.equal(topicOf('mediawiki.revision-create', 'eqiad.'), 'eqiad.mediawiki.revision-create')
  assert.equal(topicOf('eventlogging_NavigationTiming', 'eqiad.'), 'eventlogging_NavigationTiming')
  assert.equal(topicOf('changeprop.retry.eventlogging_NavigationTiming', 'eqiad.'), 'eqiad.changeprop.retry.eventlogging_NavigationTiming')
  assert.equal(topicOf('x', ''), 'x')
})

test('streamOf inverts topicOf and refuses topics no stream maps to', () => {
  for (const stream of ['mediawiki.revision-create', 'eventlogging_NavigationTiming', 'changeprop.retry.eventlogging_X']) {
    assert.equal(streamOf(topicOf(stream, 'eqiad.'), 'eqiad.'), stream)
    assert.equal(streamOf(topicOf(stream, ''), ''), stream)
  }
  assert.equal(streamOf('codfw.mediawiki.revision-create', 'eqiad.'), undefined, 'another datacenter\'s topic')
  assert.equal(streamOf('eqiad.eventlogging_NavigationTiming', 'eqiad.'), undefined, 'a prefixed eventlogging topic is nobody\'s')
  assert.equal(streamOf('eqiad.eventlogging_NavigationTiming', ''), 'eqiad.eventlogging_NavigationTiming')
})
