/**
 * Tells the studio's other tabs (same browser, same origin) that this one saved files, so
 * each can take the new files or merge them into its edits. A BroadcastChannel carries the
 * message; where the browser has none, a write to localStorage does, which every other tab
 * sees as a `storage` event. A browser with neither stays silent: a save in another tab then
 * shows when this tab saves (FILE_CHANGED, then the merge view).
 */
import type { DraftStorage } from './drafts';

/** What a tab says when it saved: the files it wrote, and a nonce (each write differs). */
interface SavedMessage {
  kind: 'saved';
  files: string[];
  nonce: string;
}

function isSavedMessage(data: unknown): data is SavedMessage {
  const m = data as Partial<SavedMessage> | null;
  return m?.kind === 'saved' && Array.isArray(m.files) && typeof m.nonce === 'string';
}

/** The studio's channel between its tabs, for one model. */
export class SavedSignal {
  private readonly channel: BroadcastChannel | null;
  private readonly key: string;

  /**
   * @param model - the studio's model: tabs of another model's studio do not listen.
   * @param storage - the fallback's storage (null: none).
   * @param onSaved - called with the names another tab saved.
   */
  constructor(
    model: string,
    private readonly storage: DraftStorage | null,
    onSaved: (files: string[]) => void,
  ) {
    const name = `neurules-studio:saved:${encodeURIComponent(model)}`;
    this.key = name;
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : null;
    if (this.channel)
      this.channel.addEventListener('message', (event: MessageEvent<unknown>) => {
        if (isSavedMessage(event.data)) onSaved(event.data.files);
      });
    else
      window.addEventListener('storage', (event) => {
        if (event.key !== this.key || event.newValue === null) return;
        try {
          const data: unknown = JSON.parse(event.newValue);
          if (isSavedMessage(data)) onSaved(data.files);
        } catch {
          // not a message of this studio
        }
      });
  }

  /** Tells the other tabs that these files were saved. */
  announce(files: string[]): void {
    const message: SavedMessage = {
      kind: 'saved',
      files,
      nonce: `${Date.now()}-${Math.random().toString(36).slice(2)}`,
    };
    if (this.channel) this.channel.postMessage(message);
    else {
      try {
        this.storage?.setItem(this.key, JSON.stringify(message));
      } catch {
        // storage full or refused: the other tabs learn of the save when they save
      }
    }
  }
}
