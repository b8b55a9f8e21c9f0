/** A small typed event emitter: `on(name, handler)` returns a function that removes it. */
export class Emitter<Events extends Record<string, unknown>> {
  private handlers: { [K in keyof Events]?: Set<(value: Events[K]) => void> } = {};

  on<K extends keyof Events>(name: K, handler: (value: Events[K]) => void): () => void {
    const set = (this.handlers[name] ??= new Set());
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Resolves with the next `name` event (for scripts and tests). */
  once<K extends keyof Events>(name: K): Promise<Events[K]> {
    return new Promise((resolve) => {
      const off = this.on(name, (value) => {
        off();
        resolve(value);
      });
    });
  }

  protected emit<K extends keyof Events>(name: K, value: Events[K]): void {
    for (const handler of [...(this.handlers[name] ?? [])]) {
      try {
        handler(value);
      } catch (e) {
        // A handler's failure is the application's; the client carries on.
        console.error("imcluster client: an event handler threw", e);
      }
    }
  }
}
