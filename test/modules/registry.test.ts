import assert from 'node:assert/strict';
import { ModuleRegistry, builtInModules } from '../../src/modules/registry.js';
import { echoModule } from '../support/echo-module.js';

describe('module registry', () => {
  it('rejects a module registered twice, naming it', () => {
    assert.throws(() => new ModuleRegistry([echoModule, { ...echoModule }]), /module test\/echo is registered twice/);
  });

  it('rejects keys that could not be path segments', () => {
    assert.throws(() => new ModuleRegistry([{ ...echoModule, type: '../x' }]), /must be "<category>\/<type>"/);
  });

  it('builds from the shipped list without duplicates', () => {
    const registry = new ModuleRegistry(builtInModules);
    assert.equal(registry.keys().length, builtInModules.length);
  });

  it('classifies by the first module that claims an arrival', async () => {
    const registry = new ModuleRegistry([echoModule]);
    const facts = { source: 'smtp' as const, customer: 'c', files: [], readHead: async () => undefined, hints: { subject: '[echo] x' } };
    assert.equal((await registry.classify(facts))?.type, 'echo');
    assert.equal(await registry.classify({ ...facts, hints: { subject: 'other' } }), undefined);
  });
});
