/** Panning (drag) and zooming (wheel) of a drawing inside an element, and clicks that were not drags. */

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
  }

  /** Sets the drawing's size and fits it into the element. */
  setContent(width: number, height: number): void {
    this.#content = { width: Math.max(1, width), height: Math.max(1, height) };
    this.fit();
  }

  /** Scales the whole drawing into view (never above 1:1) and centres it. */
  fit(): void {
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
    this.onChange();
  }
}
