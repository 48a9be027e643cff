/**
 * The one rule that maps a stream to its Kafka topic, shared by every service that reads or
 * writes topics, so that a consumer reads exactly the topic the producer wrote.
 *
 * As EventGate (`getKafkaTopicForStream` of Wikimedia's deployment): the topic is the
 * datacenter prefix followed by the stream name, except for legacy EventLogging streams
 * (`eventlogging_*`), whose topics were never prefixed, and when there is no prefix.
 */
export function topicOf (stream: string, prefix: string): string {
  return prefix === '' || stream.startsWith(legacyUnprefixed) ? stream : `${prefix}${stream}`
}

/**
 * The stream whose topic is `topic`, or undefined when `topic` is not the topic of any stream
 * under `prefix` (another datacenter's topic, or a prefixed `eventlogging_*` topic nobody writes).
 */
export function streamOf (topic: string, prefix: string): string | undefined {
  const stream = prefix !== '' && topic.startsWith(prefix) ? topic.slice(prefix.length) : topic
  return topicOf(stream, prefix) === topic ? stream : undefined
}

const legacyUnprefixed = 'eventlogging_'

/**
 * The topics that make up a stream for its consumers, from its settings (the stream config's
 * defaults merged under them), as EventStreamConfig computes them: its `topics`, else each of its
 * `topic_prefixes` before its name, else its name alone (`topic_prefixes: null`, legacy streams).
 */
export function streamTopics (name: string, settings: Readonly<Record<string, unknown>>): string[] {
  if (isStringList(settings.topics) && settings.topics.length > 0) return [...settings.topics]
  if (isStringList(settings.topic_prefixes) && settings.topic_prefixes.length > 0) return settings.topic_prefixes.map((p) => `${p}${name}`)
  return [name]
}

function isStringList (value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string')
}
