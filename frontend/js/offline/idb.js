// A small promise wrapper over IndexedDB: one database, one store of queued requests (the
// outbox), keyed by each item's Idempotency-Key. Files are kept as Blobs inside the items.

const DB_NAME = "sabaq-offline";
const STORE = "outbox";
let opening = null;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function open() {
  if (!opening) {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE, { keyPath: "key" });
    };
    opening = promised(request).catch((error) => {
      opening = null;
      throw error;
    });
  }
  return opening;
}

async function run(mode, work) {
  const db = await open();
  const tx = db.transaction(STORE, mode);
  const result = work(tx.objectStore(STORE));
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
  return result instanceof IDBRequest ? result.result : result;
}

export function putItem(item) {
  return run("readwrite", (store) => store.put(item));
}

export function getItem(key) {
  return run("readonly", (store) => store.get(key));
}

export function deleteItem(key) {
  return run("readwrite", (store) => store.delete(key));
}

export function allItems() {
  return run("readonly", (store) => store.getAll());
}
