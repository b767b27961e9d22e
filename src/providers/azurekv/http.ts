/**
 * The Azure SDK's HTTP client, with Hush's response cap. The SDK's default
 * client reads a whole answer into memory before handing it on, so a hostile
 * `vaultUrl` (a tenant's, with the tenant's own credentials) could stream
 * without end. Here every answer is asked for as a stream and read under the
 * cap, then handed on as text exactly as the default client would have; the
 * connection itself still goes through the store's egress-guarded agent.
 */
import { createDefaultHttpClient, type HttpClient, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { DEFAULT_MAX_RESPONSE_BYTES, responseTooLarge } from '../../net/limits.ts';

/** The SDK's own marker for "stream every status code". */
const EVERY_STATUS = new Set([Number.POSITIVE_INFINITY]);

export function cappedAzureHttpClient(maxBytes: number = DEFAULT_MAX_RESPONSE_BYTES, inner: HttpClient = createDefaultHttpClient()): HttpClient {
  return {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const wanted = request.streamResponseStatusCodes;
      request.streamResponseStatusCodes = EVERY_STATUS;
      let res: PipelineResponse;
      try {
        res = await inner.sendRequest(request);
      } finally {
        // The deserializer reads this field off the same request to decide whether to parse.
        request.streamResponseStatusCodes = wanted;
      }
      const stream = res.readableStreamBody;
      if (!stream || wanted?.has(res.status) || wanted?.has(Number.POSITIVE_INFINITY)) return res;
      const chunks: Buffer[] = [];
      let total = 0;
      try {
        for await (const chunk of stream as AsyncIterable<Buffer | string>) {
          const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          total += b.length;
          if (total > maxBytes) throw responseTooLarge(new URL(request.url).host, maxBytes);
          chunks.push(b);
        }
      } finally {
        if (total > maxBytes) (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      }
      const { readableStreamBody: _drained, ...rest } = res;
      return { ...rest, bodyAsText: Buffer.concat(chunks).toString('utf8') };
    },
  };
}
