/** A small fetch wrapper for the API tests: JSON in, status + headers + parsed body out. */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
  readonly text: string;
}

export interface ApiClient {
  get(path: string, key?: string | null): Promise<ApiResponse>;
  post(path: string, body?: unknown, key?: string | null, headers?: Record<string, string>): Promise<ApiResponse>;
  patch(path: string, body: unknown, key?: string | null): Promise<ApiResponse>;
  delete(path: string, key?: string | null): Promise<ApiResponse>;
  raw(path: string, init: RequestInit): Promise<ApiResponse>;
}

/** `base` is the service URL; paths starting with `/api/1.0` or `/healthz` are used as given. */
export function apiClient(base: string, defaultKey: string | null): ApiClient {
  const send = async (path: string, init: RequestInit, key: string | null | undefined): Promise<ApiResponse> => {
    const effectiveKey = key === undefined ? defaultKey : key;
    const headers = new Headers(init.headers);
    if (effectiveKey !== null) headers.set('X-Api-Key', effectiveKey);
    const response = await fetch(`${base}${path}`, { ...init, headers });
    const text = await response.text();
    let body: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('application/json')) body = text === '' ? undefined : JSON.parse(text);
    return { status: response.status, headers: response.headers, body, text };
  };
  const withJson = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
    method,
    headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    get: (path, key) => send(path, { method: 'GET' }, key),
    post: (path, body, key, headers) => send(path, withJson('POST', body, headers), key),
    patch: (path, body, key) => send(path, withJson('PATCH', body), key),
    delete: (path, key) => send(path, { method: 'DELETE' }, key),
    raw: (path, init) => send(path, init, null),
  };
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function mapConcurrent<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next;
        next += 1;
        results[index] = await work(items[index]!);
      }
    }),
  );
  return results;
}
