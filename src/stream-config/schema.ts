/** Settings of one stream, as in Wikimedia's EventStreamConfig. Unknown settings are kept and served as they are. */
export interface StreamSettings {
  schema_title: string
  /** Kafka message key: key name → dotted path into the event. */
  message_key_fields?: Record<string, string>
  /** Informational for consumers: the topics that make up the stream. */
  topics?: string[]
  topic_prefixes?: string[]
  [setting: string]: unknown
}

export const streamSettingsSchema = {
  type: 'object',
  required: ['schema_title'],
  properties: {
    schema_title: { type: 'string', minLength: 1 },
    message_key_fields: { type: 'object', additionalProperties: { type: 'string', minLength: 1 }, minProperties: 1 },
    topics: { type: 'array', items: { type: 'string', minLength: 1 } },
    topic_prefixes: { type: 'array', items: { type: 'string' } }
  }
} as const

export const streamConfigSchema = {
  type: 'object',
  propertyNames: { minLength: 1, maxLength: 512 },
  additionalProperties: streamSettingsSchema
} as const
