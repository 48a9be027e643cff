import { streamOf, topicOf } from '../stream-config/topic-name.js'

/**
 * Every topic name change propagation reads or writes. Rule topics, retry and error topics
 * and the topics of events produced by exec steps all go through `topicOf`, the rule the
 * gateway names its topics by, so a rule reads the topic the gateway wrote (an
 * `eventlogging_*` stream is unprefixed in both).
 *
 * Retry topics are named after the stream the rule consumed (the reference used
 * `meta.stream`, so an event whose stream differs from its topic retried into a topic
 * nobody read).
 */

/** The topic of a stream: a rule's topic, or the `meta.stream` of an exec-produced event. */
export function streamTopicOf (prefix: string, stream: string): string {
  return topicOf(stream, prefix)
}

/** The stream of a consumed topic, or undefined when the topic belongs to no stream under `prefix`. */
export function topicStreamOf (prefix: string, topic: string): string | undefined {
  return streamOf(topic, prefix)
}

/** `meta.stream` of a rule's retry events for events of `stream`. */
export function retryStreamOf (service: string, stream: string): string {
  return `${service}.retry.${stream}`
}

export function retryTopicOf (prefix: string, service: string, stream: string): string {
  return topicOf(retryStreamOf(service, stream), prefix)
}

/** The stream a retry topic carries retries of, or undefined when `topic` is no retry topic of `service`. */
export function retriedStreamOf (prefix: string, service: string, topic: string): string | undefined {
  const stream = streamOf(topic, prefix)
  const start = retryStreamOf(service, '')
  return stream?.startsWith(start) === true ? stream.slice(start.length) : undefined
}

/** `meta.stream` of error events. */
export function errorStreamOf (service: string): string {
  return `${service}.error`
}

export function errorTopicOf (prefix: string, service: string): string {
  return topicOf(errorStreamOf(service), prefix)
}

/**
 * The streams the `/sys/links/` modules produce dependants and continuations to, named as the
 * reference named them (its rules consume them by these names).
 */
export function linksStreamOf (module: 'backlinks' | 'transcludes' | 'wikidata_descriptions'): string {
  switch (module) {
    case 'backlinks': return 'change-prop.backlinks.resource-change'
    case 'transcludes': return 'change-prop.transcludes.resource-change'
    case 'wikidata_descriptions': return 'change-prop.wikidata.resource-change'
  }
}
