import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Adds `.openapi()` (examples, parameter metadata, component names) to zod once, before any
// schema of the API is defined: every schema module imports `z` from here.
extendZodWithOpenApi(z);

export { z };
