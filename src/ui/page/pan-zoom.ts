/**
 * Panning (drag) and zooming (wheel) of a drawing inside an element, and clicks that were not drags.
 * The drawing is fitted into the element, and fitted again whenever the element changes size, until
 * the user pans or zooms; from then on it stays where the user put it (until {@link PanZoom.fit}).
 */

/** Content to screen: `screen = content * k + (x, y)`, in CSS pixels of the element. */
export interface Transform {
  k: number;
  x: number;
  y: number;
}

const MARGIN = 16;

export class PanZoom {
  transform: Transform = { k: 1, x: 0, y: 0 };
  #content = { width: 1, height: 1 };
  #drag: { x: number; y: number; tx: number; ty: number; moved: boolean } | undefined;
  #suppressClick = false;
  /** The user panned or zoomed: resizes no longer re-fit. */
  #userMoved = false;

  constructor(
    readonly element: HTMLElement,
    readonly onChange: () => void,
    readonly onClick: (event: MouseEvent) => void,
  ) {
    element.addEventListener('wheel', (event) => this.#wheel(event), { passive: false });
    element.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      this.#drag = { x: event.clientX, y: event.clientY, tx: this.transform.x, ty: this.transform.y, moved: false };
    });
    window.addEventListener('pointermove', (event) => {
      const drag = this.#drag;
      if (!drag) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      drag.moved = true;
      this.#userMoved = true;
      this.transform = { ...this.transform, x: drag.tx + dx, y: drag.ty + dy };
      this.onChange();
    });
    window.addEventListener('pointerup', () => {
      this.#suppressClick = this.#drag?.moved ?? false;
      this.#drag = undefined;
    });
    element.addEventListener('click', (event) => {
      if (this.#suppressClick) this.#suppressClick = false;
      else this.onClick(event);
    });
    new ResizeObserver(() => {
      if (!this.#userMoved) this.#fit();
    }).observe(element);
  }

  /** Whether the user has panned or zoomed since the last fit (the graph then stays put on resize). */
  get userMoved(): boolean {
    return this.#userMoved;
  }

  /**
   * Sets the drawing's size and fits it into the element, unless the user has moved it and this is
   * no `refit` (the graph grew while the user looks at a part of it: the view stays).
   */
  setContent(width: number, height: number, refit = true): void {
    this.#content = { width: Math.max(1, width), height: Math.max(1, height) };
    if (this.#userMoved && !refit) this.onChange();
    else this.fit();
  }

  /** Scales the whole drawing into view (never above 1:1) and centres it; resizes re-fit it again from now on. */
  fit(): void {
    this.#userMoved = false;
    this.#fit();
  }

  /**
   * Centres a point of the drawing in the element, zoomed in to at least `minScale` (a jump to a
   * node): the user's view from now on, so resizes leave it.
   */
  centerOn(x: number, y: number, minScale: number): void {
    const { clientWidth: w, clientHeight: h } = this.element;
    const k = Math.min(8, Math.max(this.transform.k, minScale));
    this.transform = { k, x: w / 2 - x * k, y: h / 2 - y * k };
    this.#userMoved = true;
    this.onChange();
  }

  /** Whether a box of the drawing (centre, size) is wholly in view, drawn at least at `minScale`. */
  shows(x: number, y: number, width: number, height: number, minScale: number): boolean {
    const { k, x: tx, y: ty } = this.transform;
    if (k < minScale - 1e-9) return false;
    const { clientWidth: w, clientHeight: h } = this.element;
    const [left, top] = [(x - width / 2) * k + tx, (y - height / 2) * k + ty];
    return left >= 0 && top >= 0 && left + width * k <= w && top + height * k <= h;
  }

  #fit(): void {
    const { clientWidth: w, clientHeight: h } = this.element;
    const { width, height } = this.#content;
    const k = Math.min(1, (w - 2 * MARGIN) / width, (h - 2 * MARGIN) / height);
    this.transform = { k, x: (w - width * k) / 2, y: (h - height * k) / 2 };
    this.onChange();
  }

  /** A point of the element (client coordinates) in content coordinates. */
  toContent(clientX: number, clientY: number): { x: number; y: number } {
    const rect = this.element.getBoundingClientRect();
    const { k, x, y } = this.transform;
    return { x: (clientX - rect.left - x) / k, y: (clientY - rect.top - y) / k };
  }

  #wheel(event: WheelEvent): void {
    event.preventDefault();
    const rect = this.element.getBoundingClientRect();
    const px = event.clientX - rect.left;
    const py = event.clientY - rect.top;
    const { k, x, y } = this.transform;
    const next = Math.min(8, Math.max(0.01, k * Math.exp(-event.deltaY * 0.0015)));
    this.transform = { k: next, x: px - ((px - x) * next) / k, y: py - ((py - y) * next) / k };
    this.#userMoved = true;
    this.onChange();
  }
}
