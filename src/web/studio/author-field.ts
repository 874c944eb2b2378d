/**
 * The author of the page's changes: asked once in the save panel's field and remembered in
 * this browser (localStorage), sent with each save, revert, proposal and decision.
 */
import { byId } from './dom';

/** The localStorage key the author's name is kept under. */
const KEY = 'neurules.studio.author';

/** The author field: its value, remembered as it is typed. */
export class AuthorField {
  private readonly input = byId<HTMLInputElement>('author');

  constructor(onChange: () => void) {
    this.input.value = readStored();
    this.input.addEventListener('input', () => {
      try {
        localStorage.setItem(KEY, this.input.value.trim());
      } catch {
        // Storage refused (private mode, quota): the field still holds the name.
      }
      onChange();
    });
  }

  /** The name given, trimmed ('' when none). */
  get name(): string {
    return this.input.value.trim();
  }

  /** Puts the cursor in the field (when a change needs a name). */
  focus(): void {
    this.input.focus();
  }
}

function readStored(): string {
  try {
    return localStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}
