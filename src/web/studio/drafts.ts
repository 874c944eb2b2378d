/**
 * Drafts: the unsaved text of each edited override file, kept in the browser's storage
 * (localStorage) until it is saved or discarded, so a reload, a closed tab or a crash loses
 * nothing. A draft is kept per studio model and file name, with the text it was edited from
 * and that text's hash, so a draft whose file changed on disk since can be merged.
 *
 * Storage may be missing, disabled or full: every read and write is guarded, and a failed
 * write is reported to the caller, never thrown.
 */

/**
 * The part of the DOM's `Storage` the drafts use (declared here, so this module needs no
 * DOM types and a unit test passes its own).
 */
export interface DraftStorage {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** A file's unsaved text, as kept. */
export interface Draft {
  /** The edited text. */
  text: string;
  /** The text the edit started from (the file as loaded or last saved; '' for a new file). */
  baseText: string;
  /** The hash of `baseText` as the studio gave it (null: a file not on disk then). */
  baseHash: string | null;
  /** When the draft was last written (ISO 8601). */
  time: string;
}

/** A draft as stored: its format version, and the tab that wrote it. */
interface StoredDraft extends Draft {
  v: 1;
  tab: string;
}

const PREFIX = 'neurules-studio:draft:';

/** The storage key of a model's drafts' prefix. */
function modelPrefix(model: string): string {
  return `${PREFIX}${encodeURIComponent(model)}:`;
}

/** Reads a stored draft; null for anything that is not one (another version, a bad write). */
function parseDraft(raw: string | null): StoredDraft | null {
  if (raw === null) return null;
  try {
    const d = JSON.parse(raw) as Partial<StoredDraft> | null;
    if (
      d?.v === 1 &&
      typeof d.text === 'string' &&
      typeof d.baseText === 'string' &&
      (typeof d.baseHash === 'string' || d.baseHash === null) &&
      typeof d.time === 'string' &&
      typeof d.tab === 'string'
    )
      return d as StoredDraft;
  } catch {
    // not JSON: not a draft
  }
  return null;
}

/** A model's drafts in one tab. */
export class DraftStore {
  /** Texts this tab last wrote, by file name, so an unchanged text is not written again. */
  private readonly written = new Map<string, string>();

  /**
   * @param storage - where drafts are kept (null: nowhere; every write then fails).
   * @param model - the studio's model: drafts of other models are left alone.
   * @param tab - this tab's id: a tab removes only drafts it wrote, unless told to.
   */
  constructor(
    private readonly storage: DraftStorage | null,
    private readonly model: string,
    private readonly tab: string,
  ) {}

  private key(name: string): string {
    return modelPrefix(this.model) + name;
  }

  /** The model's drafts, by file name. */
  all(): Map<string, Draft> {
    const found = new Map<string, Draft>();
    if (!this.storage) return found;
    const prefix = modelPrefix(this.model);
    try {
      for (let i = 0; i < this.storage.length; i++) {
        const key = this.storage.key(i);
        if (!key?.startsWith(prefix)) continue;
        const d = parseDraft(this.storage.getItem(key));
        if (d) found.set(key.slice(prefix.length), draftOf(d));
      }
    } catch {
      // storage became unreadable: the drafts found so far
    }
    return found;
  }

  /** Keeps a file's draft; false when the browser's storage refused it (full, disabled). */
  write(name: string, draft: Draft): boolean {
    if (this.written.get(name) === draft.text) return true;
    if (!this.storage) return false;
    const stored: StoredDraft = { v: 1, ...draftOf(draft), tab: this.tab };
    try {
      this.storage.setItem(this.key(name), JSON.stringify(stored));
    } catch {
      return false;
    }
    this.written.set(name, draft.text);
    return true;
  }

  /** Forgets what this tab wrote (another tab may have dropped it since): the next keep writes. */
  forget(): void {
    this.written.clear();
  }

  /**
   * Drops a file's draft: always with `force` (saved, discarded), otherwise only when this
   * tab wrote it, so a tab whose file is not edited leaves another tab's draft alone.
   */
  remove(name: string, force = false): void {
    this.written.delete(name);
    if (!this.storage) return;
    try {
      const key = this.key(name);
      if (force || parseDraft(this.storage.getItem(key))?.tab === this.tab)
        this.storage.removeItem(key);
    } catch {
      // nothing to drop where nothing can be kept
    }
  }
}

/** A draft's own fields (a stored one also has its version and tab). */
function draftOf(d: Draft): Draft {
  return { text: d.text, baseText: d.baseText, baseHash: d.baseHash, time: d.time };
}
