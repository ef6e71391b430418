// Each hook gets { watcher, arbiter, hookName, pid?, signum? } and returns true to go on.
export function checkReady({ watcher }) {
  console.log(`[hook] ${watcher.name}: checking that the service may start`);
  return true;
}

export function logSpawn({ watcher, pid }) {
  console.log(`[hook] ${watcher.name}: spawned pid ${pid}`);
  return true;
}

export async function sayGoodbye({ watcher }) {
  console.log(`[hook] ${watcher.name}: stopping`);
  return true;
}
