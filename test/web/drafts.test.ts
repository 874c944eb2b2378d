import { DraftStore, type Draft, type DraftStorage } from '../../src/web/studio/drafts';

/** localStorage as a map; `full` makes every write throw, as a full storage does. */
class MemoryStorage implements DraftStorage {
  readonly items = new Map<string, string>();
  full = false;
  get length(): number {
    return this.items.size;
  }
  key(i: number): string | null {
    return [...this.items.keys()][i] ?? null;
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (this.full) throw new Error('QuotaExceededError');
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

const draft = (text: string, over: Partial<Draft> = {}): Draft => ({
  text,
  baseText: 'base\n',
  baseHash: 'h1',
  time: '2026-12-07T20:00:00.000Z',
  ...over,
});

describe('DraftStore', () => {
  test('keeps a draft per model and file name, with its base, and reads it back', () => {
    const storage = new MemoryStorage();
    const a = new DraftStore(storage, 'german-credit', 'tab-a');
    expect(a.write('policy.yaml', draft('edited\n'))).toBe(true);
    expect(a.write('new.yaml', draft('- id: x\n', { baseText: '', baseHash: null }))).toBe(true);
    new DraftStore(storage, 'other-model', 'tab-a').write('policy.yaml', draft('other\n'));
    expect(Object.fromEntries(new DraftStore(storage, 'german-credit', 'tab-b').all())).toEqual({
      'policy.yaml': draft('edited\n'),
      'new.yaml': draft('- id: x\n', { baseText: '', baseHash: null }),
    });
  });

  test('a tab drops only its own drafts, unless forced', () => {
    const storage = new MemoryStorage();
    const a = new DraftStore(storage, 'm', 'tab-a');
    const b = new DraftStore(storage, 'm', 'tab-b');
    a.write('policy.yaml', draft('from a\n'));
    b.remove('policy.yaml');
    expect([...b.all().keys()]).toEqual(['policy.yaml']);
    b.remove('policy.yaml', true);
    expect(b.all().size).toBe(0);
  });

  test('a text written already is not written again, until the tab forgets what it wrote', () => {
    const storage = new MemoryStorage();
    const a = new DraftStore(storage, 'm', 'tab-a');
    a.write('policy.yaml', draft('same\n'));
    storage.items.clear();
    a.write('policy.yaml', draft('same\n'));
    expect(storage.items.size).toBe(0);
    a.forget();
    a.write('policy.yaml', draft('same\n'));
    expect(storage.items.size).toBe(1);
  });

  test('full or missing storage: the write says false and nothing throws', () => {
    const storage = new MemoryStorage();
    storage.full = true;
    const full = new DraftStore(storage, 'm', 'tab-a');
    expect(full.write('policy.yaml', draft('x\n'))).toBe(false);
    // Not taken for written: once there is room, the same text is written.
    storage.full = false;
    expect(full.write('policy.yaml', draft('x\n'))).toBe(true);
    expect(storage.items.size).toBe(1);

    const none = new DraftStore(null, 'm', 'tab-a');
    expect(none.write('policy.yaml', draft('x\n'))).toBe(false);
    expect(none.all().size).toBe(0);
    expect(() => none.remove('policy.yaml', true)).not.toThrow();
  });

  test('what is not a draft of this version is left out', () => {
    const storage = new MemoryStorage();
    const key = 'neurules-studio:draft:m:';
    storage.setItem(`${key}bad-json.yaml`, '{not json');
    storage.setItem(`${key}newer.yaml`, JSON.stringify({ ...draft('x'), v: 2, tab: 't' }));
    storage.setItem(
      `${key}no-text.yaml`,
      JSON.stringify({ ...draft('x'), text: 3, v: 1, tab: 't' }),
    );
    storage.setItem(`${key}ok.yaml`, JSON.stringify({ ...draft('x'), v: 1, tab: 't' }));
    expect([...new DraftStore(storage, 'm', 'tab-a').all().keys()]).toEqual(['ok.yaml']);
  });
});
