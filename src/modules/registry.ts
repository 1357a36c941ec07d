import { alertModule } from './hydrastor/alert/index.js';
import { systemReportModule } from './hydrastor/system_report/index.js';
import { veritas2hviewModule } from './hydrastor/veritas2hview/index.js';
import type { ArrivalFacts } from '../core/arrival-facts.js';
import type { AnyIngestModule } from './types.js';

export function moduleKey(module: { readonly category: string; readonly type: string }): string {
  return `${module.category}/${module.type}`;
}

/** The modules this instance can run, by `<category>/<type>`. Built once at start-up. */
export class ModuleRegistry {
  readonly #modules: ReadonlyMap<string, AnyIngestModule>;

  constructor(modules: readonly AnyIngestModule[]) {
    const byKey = new Map<string, AnyIngestModule>();
    for (const module of modules) {
      const key = moduleKey(module);
      if (!/^[a-z0-9_]+\/[a-z0-9_]+$/.test(key)) throw new Error(`module key "${key}" must be "<category>/<type>" in lower-case letters, digits and _`);
      if (byKey.has(key)) throw new Error(`module ${key} is registered twice`);
      byKey.set(key, module);
    }
    this.#modules = byKey;
  }

  get(key: string): AnyIngestModule | undefined {
    return this.#modules.get(key);
  }

  keys(): string[] {
    return [...this.#modules.keys()];
  }

  /** The first module (in registration order) that claims an arrival without a type hint. */
  async classify(facts: ArrivalFacts): Promise<AnyIngestModule | undefined> {
    for (const module of this.#modules.values()) if ((await module.matches?.(facts)) === true) return module;
    return undefined;
  }
}

/**
 * Every module the service ships, in classification order. Explicit on purpose: adding a data
 * type is one line here, and a duplicate is rejected when the registry is built at start-up.
 */
export const builtInModules: readonly AnyIngestModule[] = [systemReportModule, alertModule, veritas2hviewModule];
