// Pages that watch the sync reload their data every few seconds while the tab is visible.

import { useEffect, useRef } from "./vendor/standalone.module.js";

export const POLL_MS = 4000;

/** Run `load` now, whenever `deps` change, and every `ms` while the page is visible. */
export function usePoll(load, deps, ms = POLL_MS) {
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let timer = null;
    let running = false;
    let stopped = false;
    const tick = async () => {
      timer = null;
      if (stopped || running || document.visibilityState !== "visible") return;
      running = true;
      try {
        await latest.current();
      } catch {
        // The page shows its own errors; the next round tries again.
      } finally {
        running = false;
      }
      if (!stopped && document.visibilityState === "visible") timer = setTimeout(tick, ms);
    };
    const onVisibility = () => {
      if (document.visibilityState === "visible" && timer === null && !running) tick();
    };
    tick();
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, deps);
}
