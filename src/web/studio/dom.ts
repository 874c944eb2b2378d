/** Small DOM builders, so panels are written as data, never as HTML strings. */

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined>;

/** Makes an element with attributes (`false`/`undefined` are left out) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child);
  }
  return node;
}

/** Replaces all children of `parent`. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(
    ...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false),
  );
}

/** The element with this id; throws when the page lacks it (a bug in index.html). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`studio: no element #${id}`);
  return node as T;
}

/** A number as the CLI prints figures: three decimals. */
export function fixed(n: number): string {
  return n.toFixed(3);
}

/** A signed figure: +0.003, -0.003, 0.000. */
export function signed(n: number): string {
  const s = n.toFixed(3);
  return n > 0 && s !== '0.000' ? `+${s}` : s === '-0.000' ? '0.000' : s;
}
