import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../src/artifacts/model-store';
import * as archive from '../../src/artifacts/rule-archive';
import type { ModelLocation } from '../../src/artifacts/types';
import { openChallenger } from '../../src/pipeline/open-challenger';
import { copyGermanCredit } from '../helpers/german-credit';

let dir: string;
let loc: ModelLocation;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-challenger-'));
  loc = copyGermanCredit(dir);
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What `promise` rejects with (it must reject). */
async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Record<string, unknown>,
  );
}

describe('openChallenger', () => {
  it("refuses the model's own name (INVALID_ARGUMENT at the field): it would agree with itself", async () => {
    const { schema } = loadModel(loc);
    const e = await rejection(openChallenger(loc, loc.name, schema, { field: 'shadow' }));
    expect([e.code, e.field]).toEqual(['INVALID_ARGUMENT', 'shadow']);
  });

  it('takes the rule set serving now by its hash (a reload may make them differ)', async () => {
    const { schema } = loadModel(loc);
    const [hash] = archive.archivedHashes(loc);
    const c = await openChallenger(loc, hash!.slice(0, 12), schema);
    expect(c.source).toEqual({ kind: 'archive', hash });
  });

  it('is RULE_SET_NOT_FOUND, not a crash, when a listed archive entry is gone before it is read', async () => {
    const { schema } = loadModel(loc);
    const [hash] = archive.archivedHashes(loc);
    jest.spyOn(archive, 'readArchivedRuleSet').mockReturnValue(undefined);
    const e = await rejection(openChallenger(loc, hash!, schema, { field: 'from' }));
    expect([e.code, e.field]).toEqual(['RULE_SET_NOT_FOUND', 'from']);
  });
});
