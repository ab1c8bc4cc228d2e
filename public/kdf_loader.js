// Starts the key-derivation worker (app/kdf-worker; the page's side is
// app/web/src/kdf_worker.rs). If its module does not load or start (missing, from another
// build, refused), it says so at once: a failed start is no error event for the page,
// which would otherwise wait its ten seconds before deriving the key itself.
importScripts('./kdf.js');
wasm_bindgen({ module_or_path: './kdf_bg.wasm' }).catch(() => {
  postMessage('failed');
  close();
});
