/**
 * A timeout for an I/O wait that a stalled process does not turn into a false failure.
 * When the whole process was held up (a hypervisor starving the machine, a long GC), the
 * timer and the I/O it guards fall due together on the next turn of the event loop, and
 * timers run before I/O callbacks: a plain setTimeout would report a timeout for an answer
 * that is already there. Here `onTimeout` runs one turn later (setImmediate runs after the
 * I/O poll), so I/O that completed meanwhile is seen first and can `clear()` it.
 */
export function ioDeadline(ms: number, onTimeout: () => void): { clear(): void } {
  let late: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => {
    late = setImmediate(onTimeout);
  }, ms);
  return {
    clear(): void {
      clearTimeout(timer);
      if (late) clearImmediate(late);
    },
  };
}
