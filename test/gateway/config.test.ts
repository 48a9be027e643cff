import { test } from 'node:test'
import assert from 'node:assert/strict'
import { validateConfig } from '../../src/config/load.js'
import { gatewayConfigSchema, gatewayEnvOverrides, parseByteSize } from '../../src/gateway/config.js'

test('an empty config gets EventGate-style defaults', () => {
  const config = validateConfig({}, gatewayConfigSchema, 'test')
  assert.equal(config.port, 8192)
  assert.equal(config.schema_uri_field, '$schema')
  assert.equal(config.stream_field, 'meta.stream')
  assert.equal(config.error_stream, 'eventgate.error.validation')
  assert.equal(config.allow_absolute_schema_uris, false)
  assert.equal(config.kafka.produce_timeout_ms, 5000)
  assert.deepEqual(config.http_request_headers_to_fields, { 'x-request-id': 'meta.request_id', 'user-agent': 'http.request_headers.user-agent' })
})

test('EventGate key names are accepted; unknown keys are refused by name', () => {
  const config = validateConfig({
    schema_base_uris: ['file:///srv/schemas/', 'https://schema.example.org/repositories/primary/jsonschema/'],
    schema_uri_field: ['$schema', 'meta.schema_uri'],
    topic_prefix: 'eqiad.',
    cors: false,
    test_events: [{ $schema: '/test/event/1.0.0', meta: { stream: 'test.event' } }],
    kafka: { brokers: ['kafka1:9092'] }
  }, gatewayConfigSchema, 'test')
  assert.equal(config.topic_prefix, 'eqiad.')
  assert.equal(config.cors, false)
  assert.throws(() => validateConfig({ schema_base_uri: 'x' }, gatewayConfigSchema, 'test'), /schema_base_uri: unknown key/)
  assert.throws(() => validateConfig({ kafka: { brokers: ['no-port'] } }, gatewayConfigSchema, 'test'), /kafka\.brokers\.0/)
})

test('KAFKA_BROKERS, PORT and TOPIC_PREFIX override', () => {
  const config = validateConfig({}, gatewayConfigSchema, 'test', { KAFKA_BROKERS: '127.0.0.1:19092', PORT: '0', TOPIC_PREFIX: 'codfw.' }, gatewayEnvOverrides)
  assert.deepEqual(config.kafka.brokers, ['127.0.0.1:19092'])
  assert.equal(config.port, 0)
  assert.equal(config.topic_prefix, 'codfw.')
})

test('byte sizes parse like EventGate\'s max_body_size', () => {
  assert.equal(parseByteSize('100kb'), 102400)
  assert.equal(parseByteSize('10mb'), 10485760)
  assert.equal(parseByteSize(512), 512)
  assert.equal(parseByteSize('1.5kb'), 1536)
})

test('the Kafka health check keys have defaults, and a bad value is refused by name', () => {
  const config = validateConfig({}, gatewayConfigSchema, 'test')
  assert.equal(config.kafka.health_check_interval_ms, 2000)
  assert.equal(config.kafka.health_check_timeout_ms, 2000)
  assert.throws(() => validateConfig({ kafka: { health_check_interval_ms: 0 } }, gatewayConfigSchema, 'test'), /kafka\.health_check_interval_ms: must be >= 100/)
  assert.throws(() => validateConfig({ kafka: { health_check_timeout_ms: 'soon' } }, gatewayConfigSchema, 'test'), /kafka\.health_check_timeout_ms: must be integer/)
})

test('the request limits and the log cap have defaults, and a bad value is refused naming its key', () => {
  const config = validateConfig({}, gatewayConfigSchema, 'test')
  assert.equal(config.max_event_depth, 64)
  assert.equal(config.request_timeout_ms, 30000)
  assert.equal(config.log_max_string_length, 2048)
  assert.throws(() => validateConfig({ max_event_depth: 1 }, gatewayConfigSchema, 'test'), /max_event_depth/)
  assert.throws(() => validateConfig({ request_timeout_ms: 0 }, gatewayConfigSchema, 'test'), /request_timeout_ms/)
  assert.throws(() => validateConfig({ log_max_string_length: 'long' }, gatewayConfigSchema, 'test'), /log_max_string_length/)
})

test('the legacy intake query parameters are unset by default, and an empty name is refused naming the key', () => {
  const config = validateConfig({}, gatewayConfigSchema, 'test')
  assert.equal(config.schema_uri_query_param, undefined)
  assert.equal(config.stream_query_param, undefined)
  assert.throws(() => validateConfig({ schema_uri_query_param: '' }, gatewayConfigSchema, 'test'), /schema_uri_query_param/)
  assert.throws(() => validateConfig({ stream_query_param: 7 }, gatewayConfigSchema, 'test'), /stream_query_param/)
})

test('idempotent intake: memory by default, Redis by URL; a bad value is refused naming its key', () => {
  const config = validateConfig({}, gatewayConfigSchema, 'test')
  assert.equal(config.dedupe_max_keys, 100000)
  assert.equal(config.redis, undefined)
  assert.equal(config.kafka.idempotent, false)
  assert.equal(validateConfig({ redis: { url: 'redis://r:6379' } }, gatewayConfigSchema, 'test').redis?.key_prefix, 'sluice')
  assert.throws(() => validateConfig({ dedupe_max_keys: 0 }, gatewayConfigSchema, 'test'), /dedupe_max_keys/)
  assert.throws(() => validateConfig({ redis: { url: 'http://r' } }, gatewayConfigSchema, 'test'), /redis\.url/)
  assert.throws(() => validateConfig({ redis: {} }, gatewayConfigSchema, 'test'), /redis/)
  assert.throws(() => validateConfig({ kafka: { idempotent: 'yes' } }, gatewayConfigSchema, 'test'), /kafka\.idempotent/)
})
