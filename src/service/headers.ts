/** What a service's responses say about themselves: its content security policy, and CORS. */
export interface HeaderSettings {
  /** `cors` of the service's config: the allowed origin, or false for no CORS headers. */
  cors: string | false
  /** The methods the service answers (CORS and the preflight's `Allow`), e.g. `GET, OPTIONS`. */
  methods: string
  /** Request headers a browser may send across origins. */
  allowHeaders: string
  /** Response headers a browser script may read across origins. */
  exposeHeaders: string
  contentSecurityPolicy: string
}

/**
 * The headers every response of a service carries by default, hijacked streams included (they
 * bypass Fastify's hooks and write these themselves): no MIME sniffing, no framing by other
 * sites, the content security policy, and CORS unless it is off.
 */
export function serviceHeaders (settings: HeaderSettings): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'SAMEORIGIN',
    'content-security-policy': settings.contentSecurityPolicy
  }
  if (settings.cors !== false) {
    headers['access-control-allow-origin'] = settings.cors
    headers['access-control-allow-headers'] = settings.allowHeaders
    headers['access-control-allow-methods'] = settings.methods
    headers['access-control-expose-headers'] = settings.exposeHeaders
  }
  return headers
}
