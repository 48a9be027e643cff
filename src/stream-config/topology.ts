/**
 * How Sluice names Kafka topics and consumer groups across datacenters: the one place every
 * service, the mirror, the CLI and (checked by a test) the Helm chart take them from.
 *
 * - A datacenter `eqiad` writes with the prefix `eqiad.`: stream `s` goes to topic `eqiad.s` of
 *   its own cluster, and MirrorMaker 2 copies `eqiad.*` to every other cluster under the same name.
 * - Legacy EventLogging streams (`eventlogging_*`) are unprefixed, as EventGate names them: their
 *   topic is the bare stream name. A bare name cannot belong to every datacenter: MirrorMaker 2 with
 *   the identity replication policy would copy the same name in both directions and loop. So one
 *   datacenter, the legacy home, owns the bare names (as Wikimedia's one analytics cluster does);
 *   every other datacenter writes a legacy stream under its own prefix like any stream
 *   (`codfw.eventlogging_X`), and the home's mirror copies the bare names too. Each record then has
 *   one topic name, written in one cluster and copied one way: nothing loops, nothing is read twice.
 * - With no legacy home named, each datacenter is its own: single-datacenter behaviour, EventGate's.
 */

/** The start of legacy EventLogging stream names (EventGate's `getKafkaTopicForStream`). */
export const legacyStreamPrefix = 'eventlogging_'

/** Where one datacenter's topics are: the prefix it writes, and the prefix of the legacy home. */
export interface TopicNaming {
  /** This datacenter's topic prefix, e.g. `eqiad.`; `''` when topics carry none. */
  prefix: string
  /** The prefix of the datacenter owning the bare names of legacy streams. */
  legacyHome: string
}

/** A datacenter's naming; without a legacy home, it is its own. */
export function namingOf (prefix: string, legacyHome?: string): TopicNaming {
  return { prefix, legacyHome: legacyHome ?? prefix }
}

/** The topic prefix of a datacenter: `eqiad` → `eqiad.`. */
export function datacenterPrefix (datacenter: string): string {
  return `${datacenter}.`
}

/** The datacenter a prefix names: `eqiad.` → `eqiad`. */
export function prefixDatacenter (prefix: string): string {
  return prefix.replace(/\.$/, '')
}

export function isLegacyStream (stream: string): boolean {
  return stream.startsWith(legacyStreamPrefix)
}

/** The stream of an EventLogging schema's events (EventLogging's beacon names it so). */
export function legacyStreamOf (schema: string): string {
  return `${legacyStreamPrefix}${schema}`
}

/** The topic a datacenter writes a stream to. */
export function topicOf (stream: string, naming: TopicNaming): string {
  if (naming.prefix === '') return stream
  if (isLegacyStream(stream) && naming.prefix === naming.legacyHome) return stream
  return `${naming.prefix}${stream}`
}

/**
 * The stream whose topic in this datacenter is `topic`, or undefined when `topic` is no topic of
 * this datacenter (another datacenter's, or a legacy name another datacenter owns).
 */
export function streamOf (topic: string, naming: TopicNaming): string | undefined {
  const { prefix } = naming
  const stream = prefix !== '' && topic.startsWith(prefix) ? topic.slice(prefix.length) : topic
  return topicOf(stream, naming) === topic ? stream : undefined
}

/**
 * Every datacenter's topic of one stream, each once, in the order of `prefixes`: what a reader of
 * a cluster holding all datacenters' topics (the mirror brought the others') reads.
 */
export function streamTopics (stream: string, prefixes: readonly string[], legacyHome?: string): string[] {
  return [...new Set(prefixes.map((prefix) => topicOf(stream, namingOf(prefix, legacyHome))))]
}

/**
 * EventStreamConfig's own `topics` of a stream that sets none: each prefix before the name, else
 * the name. It knows no legacy home (readers compare it with what they read, see
 * src/streams/catalog.ts); what a datacenter writes is `topicOf`'s.
 */
export function eventStreamConfigTopics (stream: string, prefixes: readonly string[] | undefined): string[] {
  return prefixes !== undefined && prefixes.length > 0 ? prefixes.map((prefix) => `${prefix}${stream}`) : [stream]
}

/**
 * The topics MirrorMaker 2 copies out of a datacenter (a Java regex, matched against the whole
 * name): its own prefix, and the bare legacy names when it is the legacy home. The other
 * datacenters' mirrors never copy a bare name, so it travels one way only.
 */
export function mirrorTopicsPattern (datacenter: string, legacyHomeDatacenter?: string): string {
  const own = `${datacenter.replace(/[.\\^$|?*+()[\]{}]/g, '\\$&')}\\..*`
  return datacenter === legacyHomeDatacenter ? `${own}|${legacyStreamPrefix}.*` : own
}

/** `meta.stream` of change propagation's retry events for events of `stream`. */
export function retryStreamOf (service: string, stream: string): string {
  return `${service}.retry.${stream}`
}

export function retryTopicOf (service: string, stream: string, naming: TopicNaming): string {
  return topicOf(retryStreamOf(service, stream), naming)
}

/** The stream a retry topic carries retries of, or undefined when `topic` is no retry topic of `service`. */
export function retriedStreamOf (service: string, topic: string, naming: TopicNaming): string | undefined {
  const stream = streamOf(topic, naming)
  const start = retryStreamOf(service, '')
  return stream?.startsWith(start) === true ? stream.slice(start.length) : undefined
}

/**
 * `meta.stream` of change propagation's delay events: executions of a rule with `delay` or
 * `delay_until` wait in this stream (one per original stream) rather than in their partition.
 */
export function delayStreamOf (service: string, stream: string): string {
  return `${service}.delay.${stream}`
}

export function delayTopicOf (service: string, stream: string, naming: TopicNaming): string {
  return topicOf(delayStreamOf(service, stream), naming)
}

/** The stream a delay topic carries delayed events of, or undefined when `topic` is no delay topic of `service`. */
export function delayedStreamOf (service: string, topic: string, naming: TopicNaming): string | undefined {
  const stream = streamOf(topic, naming)
  const start = delayStreamOf(service, '')
  return stream?.startsWith(start) === true ? stream.slice(start.length) : undefined
}

/** `meta.stream` of change propagation's error events. */
export function errorStreamOf (service: string): string {
  return `${service}.error`
}

export function errorTopicOf (service: string, naming: TopicNaming): string {
  return topicOf(errorStreamOf(service), naming)
}

/**
 * A change-propagation rule's consumer group for the topics of one datacenter: the home group
 * for its own, one per datacenter it takes over (`.takeover.<datacenter>`), so that a takeover
 * never moves the positions of the group that datacenter runs itself.
 */
export function ruleGroupOf (service: string, rule: string, consumedPrefix: string, ownPrefix: string): string {
  const home = `${service}-${rule}`
  return consumedPrefix === ownPrefix ? home : `${home}.takeover.${prefixDatacenter(consumedPrefix)}`
}

/** The group of a rule's retry consumer, next to its main group. */
export function retryGroupOf (group: string): string {
  return `${group}-retry`
}

/**
 * The config key every service takes (`legacy_topics_home`): the `topic_prefix` of the legacy
 * home, the same in every datacenter; unset, each datacenter is its own.
 */
export const legacyTopicsHomeSchema = { type: 'string', pattern: '^[A-Za-z0-9._-]*$' } as const

/** Its environment variable. */
export const legacyTopicsHomeVariable = 'LEGACY_TOPICS_HOME'

/**
 * The streams change propagation's `/sys/links/` modules produce dependants and continuations to,
 * named as Wikimedia's Change Propagation named them (its rules consume them by these names).
 */
export function linksStreamOf (module: 'backlinks' | 'transcludes' | 'wikidata_descriptions'): string {
  switch (module) {
    case 'backlinks': return 'change-prop.backlinks.resource-change'
    case 'transcludes': return 'change-prop.transcludes.resource-change'
    case 'wikidata_descriptions': return 'change-prop.wikidata.resource-change'
  }
}
