import type { StreamIndex, StreamSettings } from '../../stream-config/index.js'
import { describeStreamConfigProblem } from '../../stream-config/index.js'
import { StreamNotAllowedError } from '../errors.js'

/**
 * EventGate-wikimedia's allowlist: the stream must be declared and the schema's title must be
 * exactly the stream's `schema_title`. Without a stream config every stream is allowed. A
 * declared stream without settings or without `schema_title` refuses its events, with
 * EventGate's messages. With `eventServiceName`, a stream whose `destination_event_service`
 * names another service is not configured here (what EventGate's `constraints=` URL does).
 */
export function checkStream (streams: StreamIndex | undefined, stream: string, schemaTitle: string | undefined, eventRepr: string, eventServiceName?: string): StreamSettings | undefined {
  if (streams === undefined) return undefined
  if (schemaTitle === undefined) {
    throw new StreamNotAllowedError('SLUICE_ERR_SCHEMA_TITLE_MISSING', eventRepr, 'its schema does not define a title.')
  }
  const match = streams.lookup(stream)
  if (match === undefined) {
    throw new StreamNotAllowedError('SLUICE_ERR_STREAM_NOT_CONFIGURED', eventRepr, `${stream} is not configured.`)
  }
  if (match.problem !== undefined) {
    throw new StreamNotAllowedError('SLUICE_ERR_STREAM_CONFIG_INCOMPLETE', eventRepr, `${describeStreamConfigProblem(stream, match.problem)}.`)
  }
  const destination = match.settings.destination_event_service
  if (eventServiceName !== undefined && destination !== undefined && destination !== eventServiceName) {
    throw new StreamNotAllowedError('SLUICE_ERR_STREAM_NOT_CONFIGURED', eventRepr, `${stream} is not configured for ${eventServiceName} (its destination_event_service is ${destination}).`)
  }
  if (match.settings.schema_title !== schemaTitle) {
    throw new StreamNotAllowedError('SLUICE_ERR_STREAM_SCHEMA_MISMATCH', eventRepr, `schema title must be ${match.settings.schema_title}.`)
  }
  return match.settings
}
