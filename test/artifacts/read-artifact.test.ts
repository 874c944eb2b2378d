import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../src/artifacts/model-store';
import { parseArtifact, readArtifact } from '../../src/artifacts/read-artifact';
import { catchError } from '../data/catch-error';
import { copyGermanCredit } from '../helpers/german-credit';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]); // U+FEFF in UTF-8

describe('readArtifact', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-artifact-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const at = (name: string): string => path.join(dir, name);

  it('reads a versioned artifact', () => {
    fs.writeFileSync(at('a.json'), JSON.stringify({ format: 'neurules.x', version: 1, n: 2 }));
    expect(readArtifact(at('a.json'), 'neurules.x', 1)).toMatchObject({ n: 2 });
  });

  it('a byte-order mark before the JSON is INVALID_ARTIFACT at the start of the file, not an unexpected token', () => {
    const json = Buffer.from(JSON.stringify({ format: 'neurules.x', version: 1 }));
    fs.writeFileSync(at('bom.json'), Buffer.concat([BOM, json]));
    const e = catchError(() => readArtifact(at('bom.json'), 'neurules.x', 1));
    expect(e).toMatchObject({ code: 'INVALID_ARTIFACT', file: at('bom.json'), line: 1, column: 1 });
    expect(e.message).toContain('U+FEFF');
    // Text read elsewhere is refused the same way.
    expect(
      catchError(() => parseArtifact('\uFEFF' + json.toString(), 'x.json', 'neurules.x', 1)),
    ).toMatchObject({ code: 'INVALID_ARTIFACT', file: 'x.json', line: 1 });
  });

  it("a model's rule file saved with a byte-order mark is INVALID_ARTIFACT naming that file", () => {
    const loc = copyGermanCredit(dir);
    const { rulesFile } = loadModel(loc);
    fs.writeFileSync(rulesFile, Buffer.concat([BOM, fs.readFileSync(rulesFile)]));
    expect(catchError(() => loadModel(loc))).toMatchObject({
      code: 'INVALID_ARTIFACT',
      file: rulesFile,
      line: 1,
      column: 1,
    });
  });
});
